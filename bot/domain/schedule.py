"""When is a person's next nudge: wall-clock times in their zone, in UTC instants. Pure.

Rules (all tested): a nudge is set for a local wall-clock time every day. On the day the
clock falls back, an ambiguous time is taken at its first occurrence only (`fold=0`), so it
comes once; on the day it springs forward, a time inside the gap comes at the same offset
as just before the change, i.e. shifted later by the gap (02:30 → 03:30). A nudge is due
on a local day only if it is on, the weekday is chosen (daily nudges), the person isn't
paused, and it wasn't already sent that local day.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.domain.models import EntryKind, Profile

PAUSED_UNTIL_RESUMED = date.max


class Nudge(StrEnum):
    MORNING = "morning"  # morning pages
    EVENING = "evening"  # emotion diary
    WEEKLY = "weekly"  # the weekly recap


# The entry kind whose completion that day makes the nudge unnecessary.
DONE_KIND = {Nudge.MORNING: EntryKind.PAGES, Nudge.EVENING: EntryKind.DIARY}


@dataclass(frozen=True, slots=True)
class WeeklySlot:
    weekday: int  # Monday = 0
    at: time


def wall_clock(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of local `at` on `day` (first occurrence; gap times shifted later)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)  # fold=0: first occurrence


def local_day(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def is_paused(profile: Profile, day: date) -> bool:
    return profile.paused_until is not None and day < profile.paused_until


def time_for(profile: Profile, kind: Nudge, weekly: WeeklySlot) -> time | None:
    if kind is Nudge.MORNING:
        return profile.morning
    if kind is Nudge.EVENING:
        return profile.evening
    return weekly.at


def due_on(profile: Profile, kind: Nudge, day: date, weekly: WeeklySlot) -> bool:
    """Whether `kind` should go out on local `day` (ignoring whether the flow was done already)."""
    if not profile.active or not profile.onboarded or profile.timezone is None:
        return False
    if kind.value in profile.nudges_off or time_for(profile, kind, weekly) is None:
        return False
    if kind is Nudge.WEEKLY:
        if day.weekday() != weekly.weekday:
            return False
    elif day.weekday() not in profile.weekdays:
        return False
    return not is_paused(profile, day) and profile.last_nudged.get(kind.value) != day.isoformat()


@lru_cache(maxsize=4096)
def zone_of(key: str) -> ZoneInfo:
    """ZoneInfo objects kept alive: zoneinfo's own cache holds only a few, and re-reading tzdata
    for each of 100,000 people at start-up would dominate the cost."""
    return ZoneInfo(key)


def _candidate_days(kind: Nudge, today: date, weekly: WeeklySlot, offsets: range) -> Iterator[date]:
    """Local days worth checking: each day in `offsets`, or only the weekly day among them."""
    for offset in offsets:
        day = today + timedelta(days=offset)
        if kind is not Nudge.WEEKLY or day.weekday() == weekly.weekday:
            yield day


def next_due(profile: Profile, kind: Nudge, after: datetime, weekly: WeeklySlot) -> datetime | None:
    """The first instant strictly after `after` when `kind` is due, within the next 8 days."""
    at = time_for(profile, kind, weekly)
    if profile.timezone is None or at is None or kind.value in profile.nudges_off or not profile.active:
        return None
    zone = zone_of(profile.timezone)
    for day in _candidate_days(kind, local_day(after, zone), weekly, range(-1, 9)):
        instant = wall_clock(day, at, zone)
        if instant > after and due_on(profile, kind, day, weekly):
            return instant
    return None


def missed(
    profile: Profile,
    kind: Nudge,
    now: datetime,
    window: timedelta,
    weekly: WeeklySlot,
    *,
    not_before: datetime | None = None,
) -> datetime | None:
    """A nudge whose time passed within `window` before `now` and was not sent: send it late, once.

    `not_before` narrows the look back: times before it were already passed over on purpose
    (a settings change never makes a time that has gone by come now).
    """
    at = time_for(profile, kind, weekly)
    if profile.timezone is None or at is None or kind.value in profile.nudges_off or not profile.active:
        return None
    earliest = now - window if not_before is None else max(now - window, not_before)
    if earliest > now:
        return None
    zone = zone_of(profile.timezone)
    today = local_day(now, zone)
    days_back = (today - local_day(earliest, zone)).days
    for day in _candidate_days(kind, today, weekly, range(0, -days_back - 1, -1)):
        instant = wall_clock(day, at, zone)
        if earliest <= instant <= now and due_on(profile, kind, day, weekly):
            return instant
    return None
