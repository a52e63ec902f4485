"""The weekly recap, computed from entries: pure, so every rule is testable without Telegram.

Days are the user's local days (`Entry.local_date`), so an entry written at 23:50 in
Tel Aviv counts on that evening's day whatever UTC says, and a week spanning a DST
change is still seven days.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from bot.domain.engine import streak
from bot.domain.models import Entry, EntryKind


class Period(StrEnum):
    WEEK = "week"  # the last 7 local days, ending today
    LAST = "last"  # the previous calendar week, Monday to Sunday
    MONTH = "month"  # the last 30 local days, ending today


def period_bounds(period: Period, today: date) -> tuple[date, date]:
    """First and last local day (inclusive) of `period` as seen on `today`."""
    if period is Period.LAST:
        this_monday = today - timedelta(days=today.weekday())
        return this_monday - timedelta(days=7), this_monday - timedelta(days=1)
    length = 30 if period is Period.MONTH else 7
    return today - timedelta(days=length - 1), today


def parse_period(args: Sequence[str]) -> Period | None:
    """`/summary`, `/summary last`, `/summary month`; None for anything else."""
    if not args:
        return Period.WEEK
    if len(args) == 1:
        word = args[0].strip().casefold()
        for period in Period:
            if word == period.value:
                return period
    return None


@dataclass(frozen=True, slots=True)
class Rating:
    """A self-examination question's latest rating and where it started."""

    latest: int
    first: int
    first_date: date


@dataclass(slots=True)
class Summary:
    start: date
    end: date
    days: int
    checkin_days: int = 0
    streak: int = 0
    top_feelings: list[tuple[str, int]] = field(default_factory=list)
    feeling_mix: list[tuple[str, int]] = field(default_factory=list)
    average_intensity: float | None = None
    previous_average_intensity: float | None = None
    whose: dict[str, int] = field(default_factory=dict)
    expressed: dict[str, int] = field(default_factory=dict)
    pages_sessions: int = 0
    pages_words: int = 0
    ratings: dict[str, Rating] = field(default_factory=dict)
    boundaries_set: int = 0
    boundaries_shared: int = 0
    interest_minutes: int = 0
    encouraged: str | None = None
    daily: list[tuple[date, float | None, str | None]] = field(default_factory=list)
    question: str = "question.default"
    ratings_in_period: bool = False

    @property
    def empty(self) -> bool:
        return not (
            self.checkin_days
            or self.pages_sessions
            or self.boundaries_set
            or self.boundaries_shared
            or self.interest_minutes
            or self.ratings_in_period
            or self.encouraged
        )


def _feeling(entry: Entry) -> str | None:
    value = entry.data.get("feeling") or entry.data.get("family")
    return str(value) if value else None


def _average(values: Iterable[float]) -> float | None:
    items = list(values)
    return round(sum(items) / len(items), 2) if items else None


def _intensities(entries: Iterable[Entry]) -> list[float]:
    return [float(e.data["intensity"]) for e in entries if isinstance(e.data.get("intensity"), int | float)]


def summarise(history: Sequence[Entry], start: date, end: date, today: date) -> Summary:
    """The recap of [start, end] from a user's entries (`history` may hold more; extra is used
    for the streak, the previous period's comparison and rating trends)."""
    days = (end - start).days + 1
    inside = [e for e in history if start <= e.local_date <= end]
    by_kind: dict[str, list[Entry]] = {}
    for entry in inside:
        by_kind.setdefault(entry.kind, []).append(entry)
    diary = by_kind.get(EntryKind.DIARY, [])
    summary = Summary(start=start, end=end, days=days)

    summary.checkin_days = len({e.local_date for e in diary})
    summary.streak = streak_at(end, [e.local_date for e in history if e.kind == EntryKind.DIARY], today)
    feelings = Counter(f for f in map(_feeling, diary) if f)
    summary.top_feelings = feelings.most_common(3)
    summary.feeling_mix = feelings.most_common(8)
    summary.average_intensity = _average(_intensities(diary))
    previous_start = start - timedelta(days=days)
    previous = [e for e in history if e.kind == EntryKind.DIARY and previous_start <= e.local_date < start]
    summary.previous_average_intensity = _average(_intensities(previous))
    summary.whose = dict(Counter(str(e.data["whose"]) for e in diary if e.data.get("whose")))
    summary.expressed = dict(Counter(str(e.data["expressed"]) for e in diary if e.data.get("expressed")))

    pages = by_kind.get(EntryKind.PAGES, [])
    summary.pages_sessions = sum(1 for e in pages if not e.data.get("late"))
    summary.pages_words = sum(int(e.data.get("text_words") or 0) for e in pages)

    exams = sorted(
        (e for e in history if e.kind == EntryKind.SELFEXAM and e.local_date <= end),
        key=lambda e: e.local_date,
    )
    summary.ratings_in_period = any(start <= e.local_date for e in exams)
    for number in (1, 2, 3):
        key = f"q{number}_rating"
        rated = [e for e in exams if isinstance(e.data.get(key), int)]
        if rated and summary.ratings_in_period:
            first, latest = rated[0], rated[-1]
            summary.ratings[f"q{number}"] = Rating(latest.data[key], first.data[key], first.local_date)

    summary.boundaries_set = len(by_kind.get(EntryKind.BOUNDARY, []))
    summary.boundaries_shared = sum(
        1 for e in by_kind.get(EntryKind.BOUNDARY_UPDATE, []) if e.data.get("shared")
    )
    summary.interest_minutes = sum(
        int(e.data.get("minutes") or 0) for e in by_kind.get(EntryKind.INTEREST_TIME, [])
    )
    encourage = by_kind.get(EntryKind.ENCOURAGE, [])
    summary.encouraged = str(encourage[-1].data.get("encouraged")) if encourage else None

    for offset in range(days):
        day = start + timedelta(days=offset)
        that_day = [e for e in diary if e.local_date == day]
        strongest = Counter(f for f in map(_feeling, that_day) if f).most_common(1)
        summary.daily.append((day, _average(_intensities(that_day)), strongest[0][0] if strongest else None))

    summary.question = reflective_question(summary)
    return summary


def streak_at(end: date, days: Iterable[date], today: date) -> int:
    """The diary streak as of the end of a period: today's streak for a period ending today; for
    a past period, the days in a row up to its last day (an empty last day means no streak)."""
    if end >= today:
        return streak(list(days), today)
    return streak([day for day in days if day <= end], end + timedelta(days=1))


def reflective_question(summary: Summary) -> str:
    """One question for the coming week, chosen from what the week showed (a text key)."""
    answered = sum(summary.whose.values())
    if answered and summary.whose.get("partner", 0) * 2 >= answered:
        return "question.notice_own_first"
    shared = sum(summary.expressed.get(k, 0) for k in ("yes", "partly", "no"))
    if shared and summary.expressed.get("no", 0) * 2 > shared:
        return "question.share_small"
    if summary.average_intensity is not None and summary.average_intensity >= 4:
        return "question.steady"
    if summary.checkin_days and summary.interest_minutes == 0:
        return "question.own_time"
    if summary.checkin_days and summary.boundaries_set == 0 and summary.boundaries_shared == 0:
        return "question.boundary"
    return "question.default"
