"""Dates, weekdays and numbers in the person's language, from Babel's CLDR data.

Each of our languages is formatted with the region its speakers most likely live in, so Hebrew
weeks start on Sunday (as in Israel) and English keeps the day-month order and Monday start the
bot has always used. Weekday indexes are Python's (Monday = 0), as stored in profiles.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Final, Literal

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date, format_skeleton, get_day_names
from babel.numbers import format_decimal

# Language → formatting locale. A language not listed gets its most likely region from CLDR.
REGIONS: Final = {"en": "en_GB", "he": "he_IL"}
FALLBACK: Final = "en_GB"

Width = Literal["wide", "abbreviated", "short", "narrow"]


@cache
def locale_for(lang: str | None) -> Locale:
    """The Babel locale used to format for `lang` (a language code or a `Voice`)."""
    code = str(lang or "").replace("-", "_")
    code = REGIONS.get(code, code)
    try:
        locale = Locale.parse(code) if code else Locale.parse(FALLBACK)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(FALLBACK)
    if locale.territory is None:  # "de" → "de_DE": the week start and date order need a region
        likely = get_global("likely_subtags").get(locale.language)
        territory = Locale.parse(likely).territory if likely else None
        locale = Locale(locale.language, territory) if territory else locale
    return locale


def format_day(day: date, lang: str | None) -> str:
    """Day and short month: "28 Nov", "28 בנוב׳"."""
    return format_skeleton("MMMd", day, locale=locale_for(lang))


def format_date_long(day: date, lang: str | None) -> str:
    """A full date: "28 November 2026", "28 בנובמבר 2026"."""
    return format_date(day, "long", locale=locale_for(lang))


def weekday_name(day_index: int, lang: str | None, width: Width = "abbreviated") -> str:
    """The name of weekday `day_index` (Monday = 0): "Mon", "Monday", "יום ב׳", "יום שני"."""
    return str(get_day_names(width, context="format", locale=locale_for(lang))[day_index])


def weekday_names(lang: str | None, width: Width = "abbreviated") -> tuple[str, ...]:
    """All seven weekday names, Monday first (the stored order, whatever the week start)."""
    return tuple(weekday_name(day, lang, width) for day in range(7))


def first_weekday(lang: str | None) -> int:
    """The day a week starts on where `lang` is spoken (Monday = 0; Sunday = 6 in Israel)."""
    return int(locale_for(lang).first_week_day)


def week_order(lang: str | None) -> tuple[int, ...]:
    """Weekday indexes in the order a calendar shows them, from the local week start."""
    start = first_weekday(lang)
    return tuple((start + offset) % 7 for offset in range(7))


def format_number(value: float, lang: str | None, places: int = 0, *, signed: bool = False) -> str:
    """`value` with exactly `places` decimals in the language's digits and separators ("+0.5")."""
    pattern = "#,##0" + ("." + "0" * places if places else "")
    pattern = f"+{pattern};-{pattern}" if signed else pattern
    return format_decimal(value, format=pattern, locale=locale_for(lang))


def is_rtl(lang: str | None) -> bool:
    """Whether `lang` is written right to left (Hebrew), from CLDR's character order."""
    return bool(locale_for(lang).character_order == "right-to-left")
