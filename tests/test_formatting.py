"""Dates, weekdays and numbers in the person's language (Babel), and the recap's dates with them."""

from __future__ import annotations

from datetime import date

import pytest

from bot.bidi import strip_isolates
from bot.domain.summary import Period, Summary
from bot.formatting import (
    first_weekday,
    format_date_long,
    format_day,
    format_number,
    is_rtl,
    week_order,
    weekday_name,
    weekday_names,
)
from bot.handlers.recap import recap_lines
from bot.texts import CATALOGS, Catalog, Voice

SATURDAY = date(2026, 11, 28)


@pytest.fixture
def hebrew(monkeypatch: pytest.MonkeyPatch) -> None:
    """A small Hebrew catalog (the real one is translated elsewhere); missing keys fall back to English."""
    catalog = Catalog("he", messages={"summary.title.week": "השבוע שלך: {start} – {end}"})
    monkeypatch.setitem(CATALOGS, "he", catalog)


@pytest.mark.parametrize(
    ("lang", "day", "expected"),
    [
        ("en", SATURDAY, "28 Nov"),
        ("en", date(2026, 12, 1), "1 Dec"),
        ("he", SATURDAY, "28 בנוב׳"),
        (Voice("he", "feminine"), SATURDAY, "28 בנוב׳"),
        ("he", date(2027, 1, 3), "3 בינו׳"),
        (None, SATURDAY, "28 Nov"),
        ("xx", SATURDAY, "28 Nov"),  # a language Babel does not know: English
    ],
)
def test_format_day(lang: str | None, day: date, expected: str) -> None:
    assert format_day(day, lang) == expected


def test_format_date_long() -> None:
    assert format_date_long(SATURDAY, "en") == "28 November 2026"
    assert format_date_long(SATURDAY, "he") == "28 בנובמבר 2026"


@pytest.mark.parametrize(
    ("index", "lang", "width", "expected"),
    [
        (0, "en", "abbreviated", "Mon"),
        (6, "en", "wide", "Sunday"),
        (0, "he", "abbreviated", "יום ב׳"),
        (5, "he", "wide", "יום שבת"),
        (6, "he", "wide", "יום ראשון"),
        (6, "he", "narrow", "א׳"),
    ],
)
def test_weekday_name_counts_from_monday(index: int, lang: str, width: str, expected: str) -> None:
    assert weekday_name(index, lang, width) == expected  # type: ignore[arg-type]


def test_weekday_names_are_monday_first_in_every_language() -> None:
    assert weekday_names("en") == ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    assert weekday_names("he")[0] == "יום ב׳"
    assert weekday_names("he")[6] == "יום א׳"


def test_week_starts_on_sunday_in_hebrew_and_monday_in_english() -> None:
    assert first_weekday("he") == 6
    assert first_weekday(Voice("he", "masculine")) == 6
    assert first_weekday("en") == 0
    assert week_order("he") == (6, 0, 1, 2, 3, 4, 5)
    assert week_order("en") == (0, 1, 2, 3, 4, 5, 6)


def test_a_language_without_region_gets_its_likely_one() -> None:
    assert first_weekday("pt") == 6  # Brazil
    assert format_day(SATURDAY, "de") == "28. Nov."


@pytest.mark.parametrize(
    ("value", "lang", "places", "signed", "expected"),
    [
        (2.345, "en", 1, False, "2.3"),
        (0.5, "he", 1, True, "+0.5"),
        (-1.0, "he", 1, True, "-1.0"),
        (1234, "en", 0, False, "1,234"),
        (2.5, "de", 1, False, "2,5"),
    ],
)
def test_format_number(value: float, lang: str, places: int, signed: bool, expected: str) -> None:
    assert format_number(value, lang, places, signed=signed) == expected


def test_direction_of_languages() -> None:
    assert is_rtl("he")
    assert is_rtl(Voice("he", "feminine"))
    assert not is_rtl("en")
    assert not is_rtl(None)


def week_summary() -> Summary:
    return Summary(start=date(2026, 11, 22), end=SATURDAY, days=7)


def test_recap_title_dates_in_hebrew(hebrew: None) -> None:
    title = recap_lines(week_summary(), Period.WEEK, "he")[0]
    assert strip_isolates(title) == "<b>השבוע שלך: 22 בנוב׳ – 28 בנוב׳</b>"
    assert "\u206822\u2069" in title  # the day number keeps its place in the right-to-left line


def test_recap_title_dates_in_english() -> None:
    assert recap_lines(week_summary(), Period.WEEK, "en")[0] == "<b>Your week: 22 Nov – 28 Nov</b>"
