"""The rules of the guided exercises: drafts that survive anything, completing once, totals and streaks."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from bot.domain import engine
from bot.domain.engine import Draft
from bot.domain.flows import DID, PAGES, Flow, Step
from bot.domain.models import Entry, EntryKind, Profile
from bot.services import Services
from bot.services.interests import add_interest, week_minutes

logger = logging.getLogger(__name__)
STREAK_LOOKBACK = timedelta(days=400)


def zone_name(svc: Services, profile: Profile | None) -> str:
    """The person's IANA zone, or the configured default until they have set one."""
    return profile.timezone if profile and profile.timezone else svc.config.timezone


def today(svc: Services, profile: Profile | None) -> date:
    """The person's local date now."""
    return svc.clock().astimezone(ZoneInfo(zone_name(svc, profile))).date()


def sources(svc: Services, profile: Profile | None) -> dict[str, list[str]]:
    """Options that come from the person's own data or the settings."""
    return {
        "interests": list(profile.interests) if profile else [],
        "writing_minutes": [f"{m:g}" for m in svc.config.writing_minutes],
    }


async def load_draft(svc: Services, uid: int) -> Draft | None:
    """The person's draft; one this version can no longer resume is kept as an entry, never dropped."""
    raw = await svc.repo.get_draft(uid)
    if raw is None:
        return None
    try:
        return Draft.from_dict(raw)
    except (KeyError, TypeError, ValueError):
        logger.warning("User %s had a draft this version cannot resume; kept it as an entry", uid)
        await svc.repo.append_entry(
            uid, Entry(kind=EntryKind.RECOVERED_DRAFT, local_date=svc.clock().date(), data=raw)
        )
        await svc.repo.clear_draft(uid)
        return None


def entry_id(draft: Draft) -> str:
    """Deterministic per draft, so finishing twice (after a crash, or a retried update) stores it once."""
    return uuid.uuid5(uuid.NAMESPACE_OID, f"{draft.flow}:{draft.draft_id}:{draft.started_at.isoformat()}").hex


def writing_minutes(svc: Services, step: Step, draft: Draft) -> float:
    """How long a writing window lasts: the person's choice for the self-examination, else the setting."""
    if step.minutes_from is not None:
        try:
            return float(draft.answers[step.minutes_from])
        except (KeyError, TypeError, ValueError):
            return svc.config.writing_minutes[0]
    return svc.config.pages_minutes


@dataclass(frozen=True, slots=True)
class Closing:
    """What the closing message of an exercise reports."""

    words: int = 0  # pages/diary written that day
    goal: int = 0
    streak: int = 0
    minutes: int = 0
    interest: str = ""
    week: int = 0  # minutes for own interests in the last 7 days
    name: str = ""  # an interest just added


async def complete(svc: Services, uid: int, flow: Flow, draft: Draft) -> Closing:
    """Store the finished exercise (once, however often this runs) and clear the draft."""
    if flow.kind is None:  # adding an interest changes the profile, not the history
        added = await add_interest(svc, uid, str(draft.answers.get("name", "")))
        await svc.repo.clear_draft(uid)
        return Closing(name=added.name)
    profile = await svc.repo.get_profile(uid)
    data = {k.removeprefix("_"): v for k, v in draft.answers.items()}
    if flow is DID:
        data["minutes"] = int(data.get("minutes") or 0)
    entry = Entry(kind=flow.kind, local_date=draft.local_date, data=data, entry_id=entry_id(draft))
    await svc.repo.finish_draft(uid, entry)  # stores nothing twice: the id is the draft's
    return await _closing(svc, uid, profile, flow, draft)


async def _closing(svc: Services, uid: int, profile: Profile | None, flow: Flow, draft: Draft) -> Closing:
    day = today(svc, profile)
    if flow.kind in (EntryKind.DIARY, EntryKind.PAGES):
        words_by_day = await svc.repo.day_totals(uid, flow.kind, "text_words", day - STREAK_LOOKBACK, day)
        return Closing(
            words=words_by_day.get(draft.local_date, 0),
            goal=svc.config.pages_goal,
            streak=engine.streak(list(words_by_day), day),
        )
    if flow is DID:
        interest = str(draft.answers.get("interest", ""))
        if interest:
            await add_interest(svc, uid, interest)
        return Closing(
            minutes=int(draft.answers.get("minutes") or 0),
            interest=interest,
            week=await week_minutes(svc, uid, day),
        )
    return Closing()


async def keep_late_pages(svc: Services, uid: int, draft: Draft) -> int:
    """Store text written just after a morning-pages window as more pages of that day; the day's words."""
    text = "\n\n".join(draft.answers.get("late_parts", []))
    late = Entry(
        kind=EntryKind.PAGES,
        local_date=draft.local_date,
        data={"text": text, "text_words": engine.word_count(text), "late": True},
        entry_id=entry_id(draft),
    )
    await svc.repo.finish_draft(uid, late)  # stores nothing twice: the id is the draft's
    day = draft.local_date
    return (await svc.repo.day_totals(uid, EntryKind.PAGES, "text_words", day, day)).get(day, 0)


async def previous_answer(svc: Services, uid: int, flow: Flow, key: str) -> tuple[date, str] | None:
    """The last time the person answered this question: when, and what (the whole text)."""
    if flow.kind is None:
        return None
    for entry in reversed(await svc.repo.list_entries(uid, flow.kind)):
        text = entry.data.get(key)
        if isinstance(text, str) and text.strip():
            return entry.local_date, text
    return None


def is_late_pages(draft: Draft) -> bool:
    """A draft that only holds text sent after a morning-pages window, waiting for "add it?"."""
    return draft.flow == PAGES.name and "late_parts" in draft.answers
