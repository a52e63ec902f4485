"""Boundaries a person has put into words: which are shared, and the one gentle follow-up for the rest."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.models import Entry, EntryKind
from bot.services import Services
from bot.services.exercises import today

LISTED = 20  # the newest boundaries shown by /boundaries


async def with_status(svc: Services, uid: int) -> list[tuple[Entry, bool]]:
    """The newest boundaries, oldest first, each with whether the person has shared it."""
    boundaries = await svc.repo.list_entries(uid, EntryKind.BOUNDARY)
    shared = {
        u.data.get("boundary_id")
        for u in await svc.repo.list_entries(uid, EntryKind.BOUNDARY_UPDATE)
        if u.data.get("shared")
    }
    return [(b, b.entry_id in shared) for b in boundaries[-LISTED:]]


async def find(svc: Services, uid: int, boundary_id: str) -> Entry | None:
    """One of the person's own boundaries, by id (ids from buttons are only names)."""
    return next(
        (b for b in await svc.repo.list_entries(uid, EntryKind.BOUNDARY) if b.entry_id == boundary_id), None
    )


async def shareable(svc: Services, uid: int, boundary_id: str) -> bool:
    """Whether `boundary_id` is one of the person's own boundaries not yet marked shared."""
    return any(b.entry_id == boundary_id and not is_shared for b, is_shared in await with_status(svc, uid))


async def take_follow_up(svc: Services, uid: int) -> Entry | None:
    """The oldest unshared boundary old enough for its one follow-up, recorded as followed up."""
    profile = await svc.repo.get_profile(uid)
    day = today(svc, profile)
    due = day - timedelta(days=svc.config.boundary_follow_up_days)
    boundaries = await svc.repo.list_entries(uid, EntryKind.BOUNDARY, None, due)
    if not boundaries:
        return None
    handled = {u.data.get("boundary_id") for u in await svc.repo.list_entries(uid, EntryKind.BOUNDARY_UPDATE)}
    for boundary in boundaries:
        if boundary.entry_id not in handled:
            note = {"boundary_id": boundary.entry_id, "followed_up": True, "shared": False}
            await svc.repo.append_entry(uid, Entry(kind=EntryKind.BOUNDARY_UPDATE, local_date=day, data=note))
            return boundary
    return None
