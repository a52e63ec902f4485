"""The weekly recap, pure: constructed weeks, periods, local days, the reflective question."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.models import Entry
from bot.domain.summary import Period, parse_period, period_bounds, reflective_question, summarise

TODAY = date(2026, 11, 28)  # a Saturday


def diary(
    day: date, feeling: str = "anxious", intensity: int = 3, whose: str = "mine", expressed: str = "yes"
) -> Entry:
    return Entry(
        kind="diary",
        local_date=day,
        data={
            "family": "fear",
            "feeling": feeling,
            "intensity": intensity,
            "whose": whose,
            "expressed": expressed,
        },
        created_at=datetime(day.year, day.month, day.day, 20, tzinfo=UTC),
    )


def test_period_bounds() -> None:
    assert period_bounds(Period.WEEK, TODAY) == (date(2026, 11, 22), TODAY)
    assert period_bounds(Period.LAST, TODAY) == (date(2026, 11, 16), date(2026, 11, 22))
    assert period_bounds(Period.MONTH, TODAY) == (date(2026, 10, 30), TODAY)
    monday = date(2026, 11, 23)
    assert period_bounds(Period.LAST, monday) == (date(2026, 11, 16), date(2026, 11, 22))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], Period.WEEK),
        (["last"], Period.LAST),
        (["MONTH"], Period.MONTH),
        (["year"], None),
        (["last", "x"], None),
    ],
)
def test_parse_period(args: list[str], expected: Period | None) -> None:
    assert parse_period(args) == expected


def test_empty_week() -> None:
    summary = summarise([], *period_bounds(Period.WEEK, TODAY), TODAY)
    assert summary.empty
    assert len(summary.daily) == 7 and all(value is None for _, value, _ in summary.daily)


def test_partial_week_counts_and_comparison() -> None:
    history = [
        diary(TODAY, "anxious", 4),
        diary(TODAY - timedelta(days=1), "anxious", 2, whose="partner", expressed="no"),
        diary(TODAY - timedelta(days=3), "tender", 3, expressed="partly"),
        diary(TODAY - timedelta(days=8), "sad", 1),  # the week before
        Entry(kind="pages", local_date=TODAY, data={"text": "a b c", "text_words": 3}),
        Entry(kind="pages", local_date=TODAY, data={"text": "d", "text_words": 1, "late": True}),
        Entry(kind="interest_time", local_date=TODAY, data={"interest": "piano", "minutes": 40}),
        Entry(kind="boundary", local_date=TODAY, data={"statement": "I need quiet."}),
        Entry(kind="boundary_update", local_date=TODAY, data={"boundary_id": "x", "shared": True}),
        Entry(kind="encourage", local_date=TODAY, data={"encouraged": "yes"}),
    ]
    summary = summarise(history, *period_bounds(Period.WEEK, TODAY), TODAY)
    assert not summary.empty
    assert summary.checkin_days == 3 and summary.streak == 2
    assert summary.top_feelings == [("anxious", 2), ("tender", 1)]
    assert summary.average_intensity == 3.0 and summary.previous_average_intensity == 1.0
    assert summary.whose == {"mine": 2, "partner": 1}
    assert summary.expressed == {"yes": 1, "no": 1, "partly": 1}
    assert (summary.pages_sessions, summary.pages_words) == (1, 4)
    assert (summary.boundaries_set, summary.boundaries_shared) == (1, 1)
    assert summary.interest_minutes == 40 and summary.encouraged == "yes"
    assert summary.daily[-1] == (TODAY, 4.0, "anxious")
    assert summary.daily[-3] == (TODAY - timedelta(days=2), None, None)


def test_full_week_and_rating_trend() -> None:
    history = [diary(TODAY - timedelta(days=n), intensity=1 + n % 5) for n in range(7)]
    history += [
        Entry(
            kind="selfexam",
            local_date=date(2026, 9, 1),
            data={"q1_rating": 2, "q2_rating": 1, "q3_rating": 3},
        ),
        Entry(kind="selfexam", local_date=TODAY, data={"q1_rating": 4, "q2_rating": 2, "q3_rating": 3}),
    ]
    summary = summarise(history, *period_bounds(Period.WEEK, TODAY), TODAY)
    assert summary.checkin_days == 7 and summary.streak == 7
    assert summary.ratings["q1"].latest == 4 and summary.ratings["q1"].first == 2
    assert summary.ratings["q1"].first_date == date(2026, 9, 1)


def test_week_spanning_dst_change_has_seven_local_days() -> None:
    # Europe/Berlin left summer time on 2026-10-25; a week around it is still seven local days.
    today = date(2026, 10, 28)
    history = [diary(today - timedelta(days=n)) for n in range(7)]
    summary = summarise(history, *period_bounds(Period.WEEK, today), today)
    assert [day for day, _, _ in summary.daily] == [date(2026, 10, 22) + timedelta(days=n) for n in range(7)]
    assert summary.checkin_days == 7


def test_reflective_question_follows_the_week() -> None:
    week = period_bounds(Period.WEEK, TODAY)
    partner = [diary(TODAY - timedelta(days=n), whose="partner") for n in range(3)]
    assert summarise(partner, *week, TODAY).question == "question.notice_own_first"
    silent = [diary(TODAY - timedelta(days=n), expressed="no") for n in range(3)]
    assert summarise(silent, *week, TODAY).question == "question.share_small"
    intense = [diary(TODAY - timedelta(days=n), intensity=5) for n in range(3)]
    assert summarise(intense, *week, TODAY).question == "question.steady"
    calm = [diary(TODAY - timedelta(days=n), intensity=2) for n in range(3)]
    assert summarise(calm, *week, TODAY).question == "question.own_time"
    busy = [*calm, Entry(kind="interest_time", local_date=TODAY, data={"interest": "run", "minutes": 30})]
    assert summarise(busy, *week, TODAY).question == "question.boundary"
    assert reflective_question(summarise([], *week, TODAY)) == "question.default"


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ((19, 20, 21, 22, 24, 25, 26, 27, 28), 4),  # Thu-Sun of last week; this week's days don't count
        ((19, 20, 21), 0),  # nothing on its Sunday: the streak had ended by the end of the week
        ((21, 22, 23, 28), 2),  # Monday the 23rd is after the period
    ],
)
def test_last_weeks_streak_is_as_of_its_sunday(days: tuple[int, ...], expected: int) -> None:
    start, end = period_bounds(Period.LAST, TODAY)
    history = [diary(date(2026, 11, d)) for d in days]
    assert summarise(history, start, end, TODAY).streak == expected


def test_this_weeks_streak_counts_up_to_today_or_yesterday() -> None:
    history = [diary(TODAY - timedelta(days=n)) for n in range(1, 4)]  # today not written yet
    start, end = period_bounds(Period.WEEK, TODAY)
    assert summarise(history, start, end, TODAY).streak == 3
