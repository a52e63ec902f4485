"""When nudges are due: wall-clock local times across zones and DST, weekdays, pause, catch-up."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.models import Profile
from bot.domain.schedule import PAUSED_UNTIL_RESUMED, Nudge, WeeklySlot, missed, next_due, wall_clock

WEEKLY = WeeklySlot(6, time(19, 0))
WINDOW = timedelta(hours=2)


def person(
    zone: str = "Europe/Berlin", morning: time = time(7, 30), evening: time = time(21, 0), **extra: Any
) -> Profile:
    return Profile(user_id=1, timezone=zone, morning=morning, evening=evening, onboarded=True, **extra)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_next_morning_in_berlin_winter() -> None:
    assert next_due(person(), Nudge.MORNING, utc(2026, 11, 28, 5, 0), WEEKLY) == utc(2026, 11, 28, 6, 30)
    assert next_due(person(), Nudge.MORNING, utc(2026, 11, 28, 6, 30), WEEKLY) == utc(2026, 11, 29, 6, 30)


def test_spring_forward_time_in_the_gap_still_comes_shifted_later() -> None:
    # Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist that day.
    profile = person(morning=time(2, 30))
    due = next_due(profile, Nudge.MORNING, utc(2026, 3, 28, 23, 0), WEEKLY)
    assert due == utc(2026, 3, 29, 1, 30)
    assert due.astimezone(ZoneInfo("Europe/Berlin")).time() == time(3, 30)
    assert next_due(profile, Nudge.MORNING, due, WEEKLY) == utc(2026, 3, 30, 0, 30)  # 02:30 CEST next day


def test_fall_back_ambiguous_time_comes_once() -> None:
    # Berlin, 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice.
    profile = person(morning=time(2, 30))
    first = next_due(profile, Nudge.MORNING, utc(2026, 10, 24, 12, 0), WEEKLY)
    assert first == utc(2026, 10, 25, 0, 30)  # the first 02:30 (CEST)
    profile.last_nudged["morning"] = "2026-10-25"  # sent
    assert next_due(profile, Nudge.MORNING, first, WEEKLY) == utc(2026, 10, 26, 1, 30)  # not the second 02:30


def test_half_hour_and_quarter_hour_zones() -> None:
    assert next_due(person("Asia/Kolkata"), Nudge.MORNING, utc(2026, 11, 28, 0, 0), WEEKLY) == utc(
        2026, 11, 28, 2, 0
    )
    kathmandu = next_due(person("Asia/Kathmandu"), Nudge.EVENING, utc(2026, 11, 28, 0, 0), WEEKLY)
    assert kathmandu == utc(2026, 11, 28, 15, 15)


def test_zone_change_moves_the_nudge() -> None:
    profile = person("Europe/Berlin")
    after = utc(2026, 11, 28, 12, 0)
    assert next_due(profile, Nudge.EVENING, after, WEEKLY) == utc(2026, 11, 28, 20, 0)
    profile.timezone = "America/New_York"
    assert next_due(profile, Nudge.EVENING, after, WEEKLY) == utc(2026, 11, 29, 2, 0)


def test_weekdays_pause_and_switches() -> None:
    after = utc(2026, 11, 28, 12, 0)  # Saturday
    assert next_due(person(weekdays=[0]), Nudge.EVENING, after, WEEKLY) == utc(2026, 11, 30, 20, 0)  # Monday
    assert next_due(person(weekdays=[]), Nudge.EVENING, after, WEEKLY) is None
    paused = person(paused_until=date(2026, 12, 1))
    assert next_due(paused, Nudge.EVENING, after, WEEKLY) == utc(2026, 12, 1, 20, 0)
    assert next_due(person(paused_until=PAUSED_UNTIL_RESUMED), Nudge.EVENING, after, WEEKLY) is None
    assert next_due(person(nudges_off=["evening"]), Nudge.EVENING, after, WEEKLY) is None
    assert next_due(person(active=False), Nudge.EVENING, after, WEEKLY) is None


def test_weekly_on_its_day_only() -> None:
    due = next_due(person(), Nudge.WEEKLY, utc(2026, 11, 25, 12, 0), WEEKLY)
    assert due == utc(2026, 11, 29, 18, 0)  # Sunday 19:00 Berlin


def test_catch_up_window() -> None:
    profile = person()
    assert missed(profile, Nudge.EVENING, utc(2026, 11, 28, 21, 30), WINDOW, WEEKLY) == utc(
        2026, 11, 28, 20, 0
    )
    assert missed(profile, Nudge.EVENING, utc(2026, 11, 28, 22, 1), WINDOW, WEEKLY) is None  # too late: skip
    profile.last_nudged["evening"] = "2026-11-28"
    assert missed(profile, Nudge.EVENING, utc(2026, 11, 28, 21, 30), WINDOW, WEEKLY) is None  # already sent
    just_after_midnight = missed(
        person(evening=time(23, 30)), Nudge.EVENING, utc(2026, 11, 28, 23, 10), WINDOW, WEEKLY
    )
    assert just_after_midnight == utc(2026, 11, 28, 22, 30)  # yesterday's local evening, still in the window


def test_catch_up_never_reaches_before_not_before() -> None:
    # A time that passed while the bot was running was handled then: a settings change after it
    # (not_before = the last tick) must not make it come now; one after not_before still does.
    profile = person()
    now = utc(2026, 11, 28, 20, 30)
    last_tick = utc(2026, 11, 28, 20, 29, 50)
    assert missed(profile, Nudge.EVENING, now, WINDOW, WEEKLY, not_before=last_tick) is None
    assert missed(profile, Nudge.EVENING, now, WINDOW, WEEKLY, not_before=utc(2026, 11, 28, 20, 0)) == utc(
        2026, 11, 28, 20, 0
    )
    assert missed(profile, Nudge.EVENING, now, WINDOW, WEEKLY, not_before=utc(2026, 11, 28, 12, 0)) == utc(
        2026, 11, 28, 20, 0
    )  # the window still bounds it
    assert missed(profile, Nudge.EVENING, now, WINDOW, WEEKLY, not_before=utc(2026, 11, 28, 21, 0)) is None


def test_catch_up_across_midnight_with_a_full_day_window() -> None:
    profile = person("Asia/Kolkata", evening=time(23, 45))
    now = utc(2026, 11, 28, 19, 0)  # 00:30 on the 29th in Kolkata; the 28th's 23:45 was 45 min ago
    assert missed(profile, Nudge.EVENING, now, timedelta(hours=24), WEEKLY) == utc(2026, 11, 28, 18, 15)


def test_adelaide_half_hour_zone_across_its_spring_forward() -> None:
    # Adelaide, 2026-10-04: 02:00 ACST (+09:30) jumps to 03:00 ACDT (+10:30).
    profile = person("Australia/Adelaide", morning=time(2, 30), evening=time(21, 0))
    due = next_due(profile, Nudge.MORNING, utc(2026, 10, 3, 12, 0), WEEKLY)
    assert due == utc(2026, 10, 3, 17, 0)  # 03:30 ACDT, shifted later by the gap
    assert next_due(profile, Nudge.MORNING, due, WEEKLY) == utc(2026, 10, 4, 16, 0)  # 02:30 ACDT
    evening = next_due(profile, Nudge.EVENING, utc(2026, 10, 3, 12, 0), WEEKLY)
    assert evening == utc(2026, 10, 4, 10, 30)  # 21:00 ACDT (+10:30)
    before = next_due(profile, Nudge.EVENING, utc(2026, 10, 2, 0, 0), WEEKLY)
    assert before == utc(2026, 10, 2, 11, 30)  # 21:00 ACST (+09:30)


def test_fall_back_in_new_york_at_the_repeated_hour() -> None:
    # New York, 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:15 happens twice.
    profile = person("America/New_York", morning=time(1, 15))
    first = next_due(profile, Nudge.MORNING, utc(2026, 11, 1, 0, 0), WEEKLY)
    assert first == utc(2026, 11, 1, 5, 15)  # 01:15 EDT
    # Even if nothing was recorded (a crash), the second 01:15 (06:15 UTC) is not a new nudge.
    assert next_due(profile, Nudge.MORNING, first, WEEKLY) == utc(2026, 11, 2, 6, 15)


ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Adelaide", "Pacific/Chatham",
         "America/Sao_Paulo", "Asia/Tehran", "UTC", "Australia/Lord_Howe", "America/St_Johns"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 45, 59]),
    seconds=st.integers(0, 3 * 365 * 86400),
)
def test_next_due_is_soon_after_and_at_the_wall_clock_time(
    zone: str, hour: int, minute: int, seconds: int
) -> None:
    after = utc(2025, 1, 1) + timedelta(seconds=seconds)
    at = time(hour, minute)
    due = next_due(person(zone, morning=at), Nudge.MORNING, after, WEEKLY)
    assert due is not None
    assert after < due <= after + timedelta(hours=26)
    local = due.astimezone(ZoneInfo(zone))
    if local.time() != at:  # only inside a spring-forward gap, shifted later by the gap
        assert wall_clock(local.date(), at, ZoneInfo(zone)) == due
        assert local.utcoffset() != datetime.combine(local.date(), at, tzinfo=ZoneInfo(zone)).utcoffset()


DST_ZONES = ["Europe/Berlin", "America/New_York", "Australia/Adelaide", "Pacific/Chatham",
             "Australia/Lord_Howe", "America/St_Johns", "Europe/London"]  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(
    zone=st.sampled_from(DST_ZONES),
    hour=st.sampled_from([0, 1, 2, 3, 7, 21, 23]),
    minute=st.sampled_from([0, 15, 30, 45]),
    start_day=st.integers(0, 364),
)
def test_one_nudge_on_every_local_day_for_a_year(zone: str, hour: int, minute: int, start_day: int) -> None:
    """Following the schedule as the bot does (record the day, ask for the next) for 400 days:
    each local day gets exactly one nudge, through both clock changes of the year."""
    profile = person(zone, morning=time(hour, minute))
    after = utc(2025, 1, 1) + timedelta(days=start_day)
    days = []
    for _ in range(400):
        due = next_due(profile, Nudge.MORNING, after, WEEKLY)
        assert due is not None
        day = due.astimezone(ZoneInfo(zone)).date()
        profile.last_nudged["morning"] = day.isoformat()
        days.append(day)
        after = due
    assert all((later - earlier).days == 1 for earlier, later in itertools.pairwise(days))
