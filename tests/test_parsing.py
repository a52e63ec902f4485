"""Tests for free-text parsing of times, zones and shared locations."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import math
import sys
import zoneinfo
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import geo
from bot.domain import parsing as parsing_module
from bot.domain.parsing import (
    ERROR_CODES,
    ParseError,
    ZoneChoice,
    describe_zone,
    format_time,
    is_blank,
    parse_did,
    parse_duration,
    parse_time,
    parse_zone,
)
from bot.domain.zones import ABBREVIATION_ZONES, CITY_ALIASES, COUNTRY_ZONES
from bot.geo import zone_for_location

# No example database: runs stay reproducible and do not replay other runs' failures.
# No deadline: the first call builds the zone tables and would trip it.
PROPERTY = settings(database=None, deadline=None, max_examples=300)

JANUARY = datetime(2025, 1, 15, 12, tzinfo=UTC)
JULY = datetime(2025, 7, 15, 12, tzinfo=UTC)
ZONE_KEYS = sorted(
    key
    for key in zoneinfo.available_timezones()
    if key not in {"localtime", "Factory", "posixrules"} and not key.startswith(("posix/", "right/"))
)


T = TypeVar("T")


def _outcome(parse: Callable[[str], T], text: str) -> tuple[T | None, str | None]:
    """Run a parser: (result, None) on success, (None, code) on ParseError; anything else propagates."""
    try:
        return parse(text), None
    except ParseError as error:
        return None, error.code


# --------------------------------------------------------------------------- times


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7:30", time(7, 30)),
        ("07:30", time(7, 30)),
        ("7.30", time(7, 30)),
        ("7h30", time(7, 30)),
        ("19h05", time(19, 5)),
        ("7 : 30", time(7, 30)),
        ("7 30", time(7, 30)),
        ("730", time(7, 30)),
        ("0730", time(7, 30)),
        ("1905", time(19, 5)),
        ("7", time(7)),
        ("7h", time(7)),
        ("7am", time(7)),
        ("7 AM", time(7)),
        ("7a", time(7)),
        ("7p", time(19)),
        ("7.30am", time(7, 30)),
        ("7:30 pm", time(19, 30)),
        ("7:30 p.m.", time(19, 30)),
        ("730pm", time(19, 30)),
        ("12am", time(0)),
        ("12:30am", time(0, 30)),
        ("12pm", time(12)),
        ("12:45 pm", time(12, 45)),
        ("19:05", time(19, 5)),
        ("0:00", time(0)),
        ("00:00", time(0)),
        ("23:59", time(23, 59)),
        ("24:00", time(0)),
        ("2400", time(0)),
        ("７：３０", time(7, 30)),
        ("１９：０５", time(19, 5)),
        ("٧:٣٠", time(7, 30)),
        ("  7:30\n", time(7, 30)),
        ("\u00a07:30\u3000", time(7, 30)),
    ],
)
def test_parse_time_accepts(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "blank"),
        ("   ", "blank"),
        ("\u200f\u200b", "blank"),
        ("junk", "time.format"),
        ("-1", "time.format"),
        ("+7", "time.format"),
        ("7.5", "time.format"),
        ("7:5", "time.format"),
        ("7:30:00", "time.format"),
        ("12345", "time.format"),
        ("7:30 xm", "time.format"),
        ("half past seven", "time.format"),
        ("7" * 500, "time.format"),
        ("25:99", "time.range"),
        ("25:00", "time.range"),
        ("24:01", "time.range"),
        ("24:30", "time.range"),
        ("7:60", "time.range"),
        ("99", "time.range"),
        ("1260", "time.range"),
        ("13pm", "time.ampm_range"),
        ("0am", "time.ampm_range"),
        ("00:30 am", "time.ampm_range"),
        ("19:30pm", "time.ampm_range"),
    ],
)
def test_parse_time_rejects(text: str, code: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_time(text)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("value", "text"), [(time(7, 30), "07:30"), (time(0), "00:00"), (time(23, 5), "23:05")]
)
def test_format_time(value: time, text: str) -> None:
    assert format_time(value) == text


@PROPERTY
@given(st.text())
def test_parse_time_only_raises_parse_error(text: str) -> None:
    result, code = _outcome(parse_time, text)
    assert isinstance(result, time) or code in ERROR_CODES


@PROPERTY
@given(st.text(alphabet="0123456789:.hHapmAPM \u00a0０１２３４５６７８９：", max_size=12))
def test_parse_time_only_raises_parse_error_on_time_like_text(text: str) -> None:
    result, code = _outcome(parse_time, text)
    if result is None:
        assert code is not None
        assert code.startswith("time.") or (code == "blank" and is_blank(text))
    else:
        assert (result.second, result.microsecond, result.tzinfo) == (0, 0, None)


@PROPERTY
@given(st.integers(0, 23), st.integers(0, 59))
def test_parse_time_round_trips_format_time(hour: int, minute: int) -> None:
    value = time(hour, minute)
    assert parse_time(format_time(value)) == value


@PROPERTY
@given(st.integers(0, 23), st.integers(0, 59), st.sampled_from(["{h}:{m:02d} {p}", "{h}.{m:02d}{p}"]))
def test_parse_time_reads_twelve_hour_clock(hour: int, minute: int, template: str) -> None:
    text = template.format(h=hour % 12 or 12, m=minute, p="pm" if hour >= 12 else "am")
    assert parse_time(text) == time(hour, minute)


# --------------------------------------------------------------------------- zones


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("europe/berlin", "Europe/Berlin"),
        ("Europe/Berlin", "Europe/Berlin"),
        ("EUROPE/BERLIN", "Europe/Berlin"),
        ("europe / berlin", "Europe/Berlin"),
        ("america/new york", "America/New_York"),
        ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
        ("US/Eastern", "US/Eastern"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("GMT", "UTC"),
        ("Z", "UTC"),
        ("UTC+0", "UTC"),
        ("-0", "UTC"),
        ("Etc/GMT-3", "Etc/GMT-3"),
        ("Berlin", "Europe/Berlin"),
        ("berlin", "Europe/Berlin"),
        ("Berlin, Germany", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("NYC", "America/New_York"),
        ("São Paulo", "America/Sao_Paulo"),
        ("Sao Paulo", "America/Sao_Paulo"),
        ("sao_paulo", "America/Sao_Paulo"),
        ("Tel Aviv", "Asia/Jerusalem"),
        ("tel-aviv", "Asia/Jerusalem"),
        ("Kyiv", "Europe/Kyiv"),
        ("Kiev", "Europe/Kyiv"),
        ("Mumbai", "Asia/Kolkata"),
        ("Delhi", "Asia/Kolkata"),
        ("Bangalore", "Asia/Kolkata"),
        ("San Francisco", "America/Los_Angeles"),
        ("Beijing", "Asia/Shanghai"),
        ("Sydney", "Australia/Sydney"),
        ("Zürich", "Europe/Zurich"),
        ("zurich", "Europe/Zurich"),
        ("Buenos Aires", "America/Argentina/Buenos_Aires"),
        ("indianapolis", "America/Indiana/Indianapolis"),
        ("St. John's", "America/St_Johns"),
        ("Saint Johns", "America/St_Johns"),
        ("port au prince", "America/Port-au-Prince"),
        ("Ho Chi Minh City", "Asia/Ho_Chi_Minh"),
        ("Germany", "Europe/Berlin"),
        ("Japan", "Asia/Tokyo"),
        ("EST", "America/New_York"),
        ("cet", "Europe/Paris"),
        ("  berlin  ", "Europe/Berlin"),
        ("ＢＥＲＬＩＮ", "Europe/Berlin"),
        ("+3", "Etc/GMT-3"),
        ("-5", "Etc/GMT+5"),
        ("UTC+3", "Etc/GMT-3"),
        ("utc 3", "Etc/GMT-3"),
        ("GMT-12", "Etc/GMT+12"),
        ("UTC+14", "Etc/GMT-14"),
        ("UTC−3", "Etc/GMT+3"),
        ("UTC–3", "Etc/GMT+3"),
        ("＋３", "Etc/GMT-3"),
        ("+03:00", "Etc/GMT-3"),
        ("utc+05:30", "Asia/Kolkata"),
        ("+0530", "Asia/Kolkata"),
        ("+5:30", "Asia/Kolkata"),
        ("GMT+5:45", "Asia/Kathmandu"),
        ("-03:30", "America/St_Johns"),
        ("-2:30", "America/St_Johns"),
        ("+09:30", "Australia/Darwin"),
        ("+03:30", "Asia/Tehran"),
        ("+04:30", "Asia/Kabul"),
        ("+06:30", "Asia/Yangon"),
        ("+10:30", "Australia/Lord_Howe"),
        ("+08:45", "Australia/Eucla"),
        ("+12:45", "Pacific/Chatham"),
        ("-09:30", "Pacific/Marquesas"),
    ],
)
def test_parse_zone_accepts(text: str, key: str) -> None:
    choice = parse_zone(text)
    assert choice.key == key
    assert choice.zone == ZoneInfo(key)


@pytest.mark.parametrize(
    ("text", "label", "kind"),
    [
        ("europe/berlin", "Europe/Berlin", "name"),
        ("Berlin", "Europe/Berlin", "place"),
        ("mumbai", "Mumbai (Asia/Kolkata)", "place"),
        ("sao paulo", "America/Sao_Paulo", "place"),
        ("UTC+3", "UTC+03:00", "offset"),
        ("etc/gmt-3", "UTC+03:00", "offset"),
        ("-5", "UTC-05:00", "offset"),
        ("+0530", "UTC+05:30 (Asia/Kolkata)", "offset"),
        ("gmt", "UTC", "offset"),
    ],
)
def test_parse_zone_labels(text: str, label: str, kind: str) -> None:
    choice = parse_zone(text)
    assert (choice.label, choice.kind) == (label, kind)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "blank"),
        ("   ", "blank"),
        ("\ufeff\u3164", "blank"),
        ("Atlantis", "zone.unknown"),
        ("Europe/Atlantis", "zone.unknown"),
        ("localtime", "zone.unknown"),
        ("Factory", "zone.unknown"),
        ("../../etc/passwd", "zone.unknown"),
        ("+abc", "zone.unknown"),
        ("b" * 500, "zone.unknown"),
        ("USA", "zone.ambiguous"),
        ("Russia", "zone.ambiguous"),
        ("IST", "zone.ambiguous"),
        ("3", "zone.offset_format"),
        ("+5.5", "zone.offset_format"),
        ("+3:75", "zone.offset_format"),
        ("utc+", "zone.offset_format"),
        ("+3:0", "zone.offset_format"),
        ("+15", "zone.offset_range"),
        ("UTC-13", "zone.offset_range"),
        ("UTC+14:15", "zone.offset_range"),
        ("+3:20", "zone.offset_range"),
        ("+99", "zone.offset_range"),
        ("+1:15", "zone.offset_unsupported"),
        ("utc-05:30", "zone.offset_unsupported"),
    ],
)
def test_parse_zone_rejects(text: str, code: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_zone(text)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("now", "key"),
    [(JANUARY, "Australia/Adelaide"), (JULY, "Australia/Lord_Howe")],
)
def test_parse_zone_picks_partial_offset_zone_matching_now(now: datetime, key: str) -> None:
    choice = parse_zone("+10:30", now=now)
    assert choice.key == key
    assert now.astimezone(choice.zone).utcoffset() == timedelta(hours=10, minutes=30)


def test_parse_zone_rejects_naive_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_zone("+3", now=datetime(2025, 1, 1))


def test_curated_tables_point_at_loadable_zones() -> None:
    for table in (CITY_ALIASES, COUNTRY_ZONES, ABBREVIATION_ZONES):
        for name, key in table.items():
            assert parse_zone(name).key == key
            ZoneInfo(key)


@pytest.mark.parametrize("minutes", range(-12 * 60, 14 * 60 + 1, 15))
def test_every_offset_step_parses_or_gives_a_specific_code(minutes: int) -> None:
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    for text in (
        f"UTC{sign}{hours:02d}:{rest:02d}",
        f"{sign}{hours}:{rest:02d}",
        f"gmt{sign}{hours:02d}{rest:02d}",
    ):
        wanted = timedelta(minutes=minutes)
        choice, code = _outcome(partial(parse_zone, now=JULY), text)
        if choice is None:
            assert rest != 0, text
            assert code == "zone.offset_unsupported", text
            continue
        zone = ZoneInfo(choice.key)
        if rest == 0:
            assert choice.kind == "offset"
            assert JANUARY.astimezone(zone).utcoffset() == wanted == JULY.astimezone(zone).utcoffset()
        else:
            assert wanted in {JANUARY.astimezone(zone).utcoffset(), JULY.astimezone(zone).utcoffset()}


@PROPERTY
@given(st.integers(-99, 99), st.integers(0, 59))
def test_offsets_outside_the_range_or_grid_are_rejected(hours: int, minutes: int) -> None:
    total = hours * 60 + (minutes if hours >= 0 else -minutes)
    sign = "-" if total < 0 else "+"
    text = f"UTC{sign}{abs(hours)}:{minutes:02d}"
    if -12 * 60 <= total <= 14 * 60 and total % 15 == 0:
        return
    with pytest.raises(ParseError) as caught:
        parse_zone(text)
    assert caught.value.code == "zone.offset_range"


def _check_zone_text(text: str) -> None:
    choice, code = _outcome(parse_zone, text)
    if choice is None:
        assert code is not None
        assert code.startswith("zone.") or (code == "blank" and is_blank(text))
    else:
        assert isinstance(choice, ZoneChoice)
        assert ZoneInfo(choice.key).key == choice.key
        assert choice.label


@PROPERTY
@given(st.text())
def test_parse_zone_only_raises_parse_error(text: str) -> None:
    _check_zone_text(text)


@PROPERTY
@given(st.text(alphabet="utcgmzUTCGMZ+-−–:.,h 0123456789/", max_size=12))
def test_parse_zone_only_raises_parse_error_on_offset_like_text(text: str) -> None:
    _check_zone_text(text)


@PROPERTY
@given(st.sampled_from(ZONE_KEYS), st.data())
def test_every_zone_name_is_found_in_any_case(key: str, data: st.DataObject) -> None:
    mangled = "".join(ch.upper() if data.draw(st.booleans()) else ch.lower() for ch in key)
    choice = parse_zone(mangled.replace("_", " "))
    assert ZoneInfo(choice.key).key == choice.key


def test_every_error_code_is_reachable() -> None:
    seen: set[str] = set()
    for call in (
        lambda: parse_time("\u200b"),
        lambda: parse_time("x"),
        lambda: parse_time("25:00"),
        lambda: parse_time("13pm"),
        lambda: parse_zone("Atlantis"),
        lambda: parse_zone("USA"),
        lambda: parse_zone("+5.5"),
        lambda: parse_zone("+15"),
        lambda: parse_zone("+1:15"),
        lambda: zone_for_location(math.nan, 0.0),
        lambda: parse_duration("a while"),
        lambda: parse_duration("0m"),
        lambda: parse_did("40m"),
    ):
        with pytest.raises(ParseError) as caught:
            call()
        seen.add(caught.value.code)
    assert seen == set(ERROR_CODES)


@pytest.mark.parametrize(
    ("key", "now", "text"),
    [
        ("Europe/Berlin", JANUARY, "Europe/Berlin (UTC+01:00)"),
        ("Europe/Berlin", JULY, "Europe/Berlin (UTC+02:00)"),
        ("America/New_York", JANUARY, "America/New_York (UTC-05:00)"),
        ("Asia/Kathmandu", JULY, "Asia/Kathmandu (UTC+05:45)"),
        ("America/St_Johns", JANUARY, "America/St_Johns (UTC-03:30)"),
        ("Etc/GMT-3", JULY, "UTC+03:00"),
        ("Etc/GMT+5", JULY, "UTC-05:00"),
        ("UTC", JULY, "UTC"),
        (
            "Europe/Berlin",
            datetime(2025, 7, 15, 12, tzinfo=ZoneInfo("Asia/Tokyo")),
            "Europe/Berlin (UTC+02:00)",
        ),
    ],
)
def test_describe_zone(key: str, now: datetime, text: str) -> None:
    assert describe_zone(key, now) == text


def test_describe_zone_rejects_unknown_key_and_naive_now() -> None:
    with pytest.raises(ParseError) as caught:
        describe_zone("Europe/Atlantis", JANUARY)
    assert caught.value.code == "zone.unknown"
    with pytest.raises(ValueError, match="aware"):
        describe_zone("Europe/Berlin", datetime(2025, 1, 1))


# --------------------------------------------------------------------------- locations


@pytest.mark.parametrize(
    ("latitude", "longitude", "key"),
    [
        (52.52, 13.405, "Europe/Berlin"),
        (32.0853, 34.7818, "Asia/Jerusalem"),
        (40.7128, -74.006, "America/New_York"),
        (-33.8688, 151.2093, "Australia/Sydney"),
        (27.7172, 85.324, "Asia/Kathmandu"),
        (0.0, -150.0, "Etc/GMT+10"),  # mid-Pacific: nautical zone
    ],
)
def test_zone_for_location(latitude: float, longitude: float, key: str) -> None:
    assert zone_for_location(latitude, longitude) == key


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        (math.nan, 0.0),
        (0.0, math.nan),
        (math.inf, 0.0),
        (0.0, -math.inf),
        (90.5, 0.0),
        (-91.0, 0.0),
        (0.0, 180.5),
        (0.0, -181.0),
    ],
)
def test_zone_for_location_rejects_invalid_coordinates(latitude: float, longitude: float) -> None:
    with pytest.raises(ParseError) as caught:
        zone_for_location(latitude, longitude)
    assert caught.value.code == "location.invalid"


class _NoZoneFinder:
    """Stands in for a TimezoneFinder whose data has no zone for the point."""

    def timezone_at(self, *, lng: float, lat: float) -> str | None:
        return None


@pytest.mark.parametrize(
    ("longitude", "key"),
    [(0.0, "UTC"), (44.0, "Etc/GMT-3"), (-75.0, "Etc/GMT+5"), (180.0, "Etc/GMT-12"), (-180.0, "Etc/GMT+12")],
)
def test_zone_for_location_falls_back_to_nautical_zone(
    monkeypatch: pytest.MonkeyPatch, longitude: float, key: str
) -> None:
    monkeypatch.setattr(geo, "_finder", _NoZoneFinder())
    assert zone_for_location(10.0, longitude) == key


async def test_zone_for_location_from_threads() -> None:
    await asyncio.to_thread(geo.warm_up_location_lookup)
    points = [(52.52, 13.405), (40.7128, -74.006), (-33.8688, 151.2093), (27.7172, 85.324)] * 8
    results = await asyncio.gather(*(asyncio.to_thread(zone_for_location, lat, lng) for lat, lng in points))
    assert results == ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kathmandu"] * 8


def test_location_lookup_can_be_closed_and_reloaded() -> None:
    geo.close_location_lookup()
    geo.close_location_lookup()  # idempotent
    assert zone_for_location(52.52, 13.405) == "Europe/Berlin"


DURATIONS = [("40m", 40), ("40 min", 40), ("1h", 60), ("1h30", 90), ("1.5h", 90), ("1,5 h", 90)]
DURATIONS += [("1:30", 90), ("90", 90), ("2 hours", 120), ("１５ｍ", 15)]
BAD_DURATIONS = [("", "blank"), ("\u2060", "blank"), ("soon", "duration.format"), ("0", "duration.range")]
BAD_DURATIONS += [("25h", "duration.range"), ("1:75", "duration.format")]


@pytest.mark.parametrize(("text", "minutes"), DURATIONS)
def test_parse_duration(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(("text", "code"), BAD_DURATIONS)
def test_parse_duration_rejects(text: str, code: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_duration(text)
    assert caught.value.code == code


def test_parse_did() -> None:
    assert parse_did("rock climbing 1h") == ("rock climbing", 60)
    for bad in ("", "painting", "x y z", "40m", "a" * 400 + " 5m", "\u200b 5m", "\u3164\u200d 5m"):
        with pytest.raises(ParseError):
            parse_did(bad)


@PROPERTY
@given(st.text(max_size=80))
def test_duration_and_did_parsers_only_raise_parse_error(text: str) -> None:
    for parser in (parse_duration, parse_did):
        with contextlib.suppress(ParseError):
            parser(text)


def test_the_domain_imports_only_the_standard_library_and_itself() -> None:
    """No Telegram, storage or heavy lookups (timezonefinder) inside `bot.domain`, even lazily."""
    domain = Path(parsing_module.__file__).parent
    outside: list[str] = []
    for source in sorted(domain.glob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.partition(".")[0]
                if top not in sys.stdlib_module_names and not name.startswith("bot.domain"):
                    outside.append(f"{source.name}: {name}")
    assert outside == []
