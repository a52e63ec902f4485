"""A person's own interests: the list they keep, and the time they make for them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain.flows import INTEREST_NAME_MAX
from bot.domain.models import Entry, EntryKind
from bot.services import Services

MAX_INTERESTS = 12
MAX_INTEREST_NAME = INTEREST_NAME_MAX
WEEK = timedelta(days=6)


def clean_name(name: str) -> str:
    """One line, single spaces, at most MAX_INTEREST_NAME characters."""
    return " ".join(name.split())[:MAX_INTEREST_NAME].strip()


def interest_id(name: str) -> str:
    """A stable id for an interest (buttons carry it, never a list position)."""
    return hashlib.sha256(name.casefold().encode()).hexdigest()[:8]


@dataclass(frozen=True, slots=True)
class Added:
    name: str
    added: bool  # False: already in the list, or the list is full


async def add_interest(svc: Services, uid: int, name: str) -> Added:
    """Add `name` to the person's list unless it is there already (case-insensitive) or the list is full."""
    name = clean_name(name)
    profile = await svc.repo.get_profile(uid)
    if profile is None or not name or name.casefold() in (i.casefold() for i in profile.interests):
        return Added(name, added=False)
    if len(profile.interests) >= MAX_INTERESTS:
        return Added(name, added=False)
    profile.interests.append(name)
    await svc.repo.save_profile(profile)
    return Added(name, added=True)


async def remove_interest(svc: Services, uid: int, the_id: str) -> str | None:
    """Remove the interest with this id; its name, or None if it is not (or no longer) in the list."""
    profile = await svc.repo.get_profile(uid)
    if profile is None:
        return None
    found = next((name for name in profile.interests if interest_id(name) == the_id), None)
    if found is not None:
        profile.interests.remove(found)
        await svc.repo.save_profile(profile)
    return found


async def known(svc: Services, uid: int, today: date) -> list[str]:
    """The person's listed interests and any they logged time for this week (a full list does not
    take new names, yet the time was made)."""
    profile = await svc.repo.get_profile(uid)
    names = list(profile.interests) if profile else []
    for entry in await svc.repo.list_entries(uid, EntryKind.INTEREST_TIME, today - WEEK, today):
        name = clean_name(str(entry.data.get("interest", "")))
        if name and name.casefold() not in (n.casefold() for n in names):
            names.append(name)
    return names


async def is_full(svc: Services, uid: int) -> bool:
    profile = await svc.repo.get_profile(uid)
    return profile is not None and len(profile.interests) >= MAX_INTERESTS


async def week_minutes(svc: Services, uid: int, today: date) -> int:
    """Minutes for own interests over the last seven local days."""
    week = await svc.repo.day_totals(uid, EntryKind.INTEREST_TIME, "minutes", today - WEEK, today)
    return sum(week.values())


async def log_time(svc: Services, uid: int, name: str, minutes: int, today: date, *, entry_id: str) -> int:
    """Log time for an interest once per `entry_id` (a retried update logs nothing more); the week's total.

    A new interest joins the list.
    """
    name = clean_name(name)
    logged = await svc.repo.list_entries(uid, EntryKind.INTEREST_TIME, today, today)
    if not any(e.entry_id == entry_id for e in logged):
        entry = Entry(
            kind=EntryKind.INTEREST_TIME,
            local_date=today,
            data={"interest": name, "minutes": minutes},
            entry_id=entry_id,
        )
        await svc.repo.append_entry(uid, entry)
    await add_interest(svc, uid, name)
    return await week_minutes(svc, uid, today)
