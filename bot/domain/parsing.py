"""Parse what people type on a phone into times of day and time zones.

Every parser takes free text and either returns a value or raises
`ParseError` with a short, stable `code` (see `ErrorCode`) that the UI maps to
a specific hint in its translations table. On any `str` input the parsers raise
nothing but `ParseError`.

Pure domain code: no Telegram, no storage, no clock (callers pass `now`). The only
I/O is reading tzdata via `zoneinfo`. Looking a shared location up in timezonefinder's
polygons is an adapter, `bot.geo`; the rules for its answer (`zone_at`) are here.
"""

from __future__ import annotations

import contextlib
import math
import re
import unicodedata
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cache
from typing import Final, Literal, get_args
from zoneinfo import ZoneInfo

from bot.domain.zones import (
    ABBREVIATION_ZONES,
    AMBIGUOUS_NAMES,
    CITY_ALIASES,
    CITY_AREAS,
    COUNTRY_ZONES,
    EXCLUDED_KEYS,
    HEBREW_PLACES,
    PARTIAL_HOUR_ZONES,
)

__all__ = [
    "ERROR_CODES",
    "ErrorCode",
    "ParseError",
    "ZoneChoice",
    "describe_zone",
    "format_offset",
    "format_time",
    "is_blank",
    "location_coordinates",
    "parse_did",
    "parse_duration",
    "parse_time",
    "parse_zone",
    "trim_blank",
    "zone_at",
]

ErrorCode = Literal[
    "blank",
    "time.format",
    "time.range",
    "time.ampm_range",
    "zone.unknown",
    "zone.ambiguous",
    "zone.offset_format",
    "zone.offset_range",
    "zone.offset_unsupported",
    "location.invalid",
    "duration.format",
    "duration.range",
    "did.format",
]
#: Every code a parser here can raise, so a test can check each one has a UI hint.
ERROR_CODES: Final[tuple[ErrorCode, ...]] = get_args(ErrorCode)


class ParseError(ValueError):
    """The text could not be understood; `code` says why, as a stable translation key."""

    def __init__(self, code: ErrorCode) -> None:
        super().__init__(code)
        self.code: ErrorCode = code


# Anything longer than this is not a time or a place someone typed on purpose.
_MAX_INPUT = 100

# ---------------------------------------------------------------------------
# Text normalisation
# ---------------------------------------------------------------------------

# Dashes people (and phone keyboards) use for a minus sign. NFKC already maps the
# full-width and small hyphen-minus forms to "-".
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2796\u05be", "-"))
# Hebrew geresh and gershayim, and the smart quotes phones put in their place ("ק׳", "ת״א").
_HEBREW_QUOTES = str.maketrans({"\u05f3": "'", "\u2019": "'", "\u05f4": '"', "\u201d": '"'})
# Hebrew points and cantillation marks: optional when typing, so they are dropped.
_HEBREW_POINTS = re.compile(r"[\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7]")
# Letters NFKD does not decompose but that people still type without the accent.
_LETTER_FOLDS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe"})
_SPACES = re.compile(r"\s+")
_NON_ALNUM = re.compile(r"[\W_]+")
_SAINT = re.compile(r"\b(?:saint|sankt)\b")


# Characters that show nothing yet are neither spaces nor format characters (category Cf):
# the combining grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian variation
# selectors, the braille blank and variation selectors (which only restyle what precedes them).
_BLANK_EXTRAS: Final = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u2800\u3164\uffa0"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(map(chr, range(0xE0100, 0xE01F0)))
)
_INVISIBLE_CATEGORIES: Final = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})
# Invisible characters that belong to what comes before them, so they are never trimmed:
# variation selectors ("❤️"), the grapheme joiner and emoji tag sequences (flags such as 🏴󠁧󠁢󠁳󠁣󠁴󠁿).
_TAGS: Final = range(0xE0000, 0xE0080)


def _shows_nothing(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) in _INVISIBLE_CATEGORIES or char in _BLANK_EXTRAS


def _trimmable(char: str) -> bool:
    return _shows_nothing(char) and unicodedata.category(char) != "Mn" and ord(char) not in _TAGS


def is_blank(text: str) -> bool:
    """Whether `text` would show nothing in a chat: only spaces, format characters (zero-width
    space and joiners, direction marks, BOM, soft hyphen...) and blank fillers.

    The one rule for "did the person write anything?", used by every typed answer.
    """
    return all(map(_shows_nothing, text))


def trim_blank(text: str) -> str:
    """`text` without spaces and invisible marks at either end (a direction mark an RTL keyboard
    added, a pasted BOM). Inside the text nothing changes: a ZWNJ in a Persian word, the joiners
    of an emoji sequence and a trailing variation selector or flag tag all stay."""
    start, end = 0, len(text)
    while start < end and _trimmable(text[start]):
        start += 1
    while end > start and _trimmable(text[end - 1]):
        end -= 1
    return text[start:end]


def _normalise(text: str) -> str:
    """Compatibility-fold (full-width digits, ligatures), unify dashes (and the Hebrew maqaf),
    quotes (geresh, gershayim), lower-case, drop Hebrew points, squeeze spaces.

    Format characters (direction marks, zero-width spaces) mean nothing in a time, a zone or
    a duration, so they are dropped.
    """
    text = unicodedata.normalize("NFKC", text).translate(_DASHES).translate(_HEBREW_QUOTES).casefold()
    text = _HEBREW_POINTS.sub("", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return _SPACES.sub(" ", text).strip()


def _typed(text: str, limit: int) -> str:
    """`_normalise` a typed value, at most `limit` characters of it; "blank" if it shows nothing."""
    if is_blank(text):
        raise ParseError("blank")
    return _normalise(text.strip()[: limit * 4])


def _strip_accents(text: str) -> str:
    """Fold "São Paulo" to "sao paulo": drop combining marks so accents are optional when typing."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTER_FOLDS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _key_fold(text: str) -> str:
    """Fold an IANA key or typed key for comparison: case, accents, `_` vs space, spaces around `/`."""
    folded = _strip_accents(_normalise(text)).replace("_", " ")
    folded = _SPACES.sub(" ", folded)
    return re.sub(r" ?/ ?", "/", folded).strip()


def _name_fold(text: str) -> str:
    """Fold a place name: case, accents, punctuation ("St. John's" = "st johns"), "Saint" = "St"."""
    folded = _strip_accents(_normalise(text)).replace("'", "").replace("’", "")
    folded = _NON_ALNUM.sub(" ", folded).strip()
    return _SAINT.sub("st", folded)


# ---------------------------------------------------------------------------
# Times of day
# ---------------------------------------------------------------------------

# After `_normalise`: "7", "07:30", "7.30", "7h30", "7h", "19 : 05", "7 30", with an optional
# "am"/"a.m."/"a"/"pm"/"p.m."/"p" suffix. Minutes are always two digits so "7.5"
# (7½ hours?) is rejected rather than guessed.
_MERIDIEM = r"(?:\s?(?P<meridiem>[ap])\.?\s?m?\.?)?"
_TIME_SEPARATED = re.compile(r"(?P<hour>\d{1,2})(?:(?:\s?[:.h]\s?|\s)(?P<minute>\d{2})|\s?h)?" + _MERIDIEM)
# Digits only, as typed on a numeric keypad: "730" = 07:30, "1905" = 19:05.
_TIME_COMPACT = re.compile(r"(?P<hour>\d{1,2})(?P<minute>\d{2})" + _MERIDIEM)


# Hebrew numbers one to twelve, in the feminine form used for hours ("שבע וחצי") and the
# masculine one people also type ("שבעה"), with common spellings.
_HEBREW_NUMBERS: Final[Mapping[str, int]] = {
    "אחת": 1, "אחד": 1, "שתיים": 2, "שתים": 2, "שניים": 2, "שנים": 2, "שלוש": 3, "שלושה": 3,
    "ארבע": 4, "ארבעה": 4, "חמש": 5, "חמישה": 5, "חמשה": 5, "שש": 6, "שישה": 6, "ששה": 6,
    "שבע": 7, "שבעה": 7, "שמונה": 8, "תשע": 9, "תשעה": 9, "עשר": 10, "עשרה": 10,
    "אחת עשרה": 11, "אחת עשר": 11, "אחד עשר": 11, "אחד עשרה": 11,
    "שתים עשרה": 12, "שתיים עשרה": 12, "שתים עשר": 12, "שתיים עשר": 12, "שנים עשר": 12,
    "שניים עשר": 12, "שנים עשרה": 12,
}  # fmt: skip
# Parts of the day after a Hebrew time: "a" before noon, "p" after, "n" night (בלילה), which
# is evening for 6-11 ("עשר בלילה" = 22:00) and early morning for 12-5 ("שתיים בלילה" = 02:00).
_HEBREW_DAY_PARTS: Final[Mapping[str, str]] = {
    "בבוקר": "a", "לפנות בוקר": "a", 'לפנה"ב': "a", "לפני הצהריים": "a", 'לפנה"צ': "a",
    "בצהריים": "p", "בצהרים": "p", "אחר הצהריים": "p", "אחרי הצהריים": "p", "אחר הצהרים": "p",
    'אחה"צ': "p", "בערב": "p", "בלילה": "n",
}  # fmt: skip
_HEBREW_FRACTIONS: Final[Mapping[str, int]] = {"חצי": 30, "רבע": 15}
_HEBREW_LETTER = re.compile(r"[\u05d0-\u05ea]")


def _alternatives(words: Iterable[str]) -> str:
    """A regex alternation of `words`, longest first so "אחת עשרה" wins over "אחת"."""
    return "|".join(map(re.escape, sorted(words, key=len, reverse=True)))


# After `_normalise`: "7 וחצי", "שבע וחצי בערב", "8 בבוקר", "בשבע", "ב-8:15 בערב".
_HEBREW_TIME = re.compile(
    rf"(?:ב-?\s?)?(?P<hour>\d{{1,2}}|{_alternatives(_HEBREW_NUMBERS)})"
    rf"(?:(?:\s?[:.]\s?|\s)(?P<minute>\d{{2}})|\s?ו-?\s?(?P<fraction>{_alternatives(_HEBREW_FRACTIONS)}))?"
    rf"(?:\s?(?P<part>{_alternatives(_HEBREW_DAY_PARTS)}))?"
)


def _hebrew_number(text: str) -> float:
    """A number typed in digits ("1.5", "1,5") or as a Hebrew word from one to twelve."""
    return _HEBREW_NUMBERS.get(text) or float(text.replace(",", "."))


def _clock(hour: int, minute: int, meridiem: str | None) -> time:
    """Check a typed hour and minute, with an optional "a"/"p" half of the day, into a time."""
    if minute > 59:
        raise ParseError("time.range")
    if meridiem is not None:
        if not 1 <= hour <= 12:
            raise ParseError("time.ampm_range")
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    elif hour == 24 and minute == 0:
        hour = 0
    elif hour > 23:
        raise ParseError("time.range")
    return time(hour, minute)


def _parse_hebrew_time(normalised: str) -> time:
    """Read "7 וחצי", "שבע וחצי", "תשע בערב", "8 בבוקר", "שתיים בלילה" (see `_HEBREW_TIME`)."""
    match = _HEBREW_TIME.fullmatch(normalised)
    if match is None:
        raise ParseError("time.format")
    hour = int(_hebrew_number(match["hour"]))
    minute = int(match["minute"]) if match["minute"] else _HEBREW_FRACTIONS.get(match["fraction"] or "", 0)
    part = _HEBREW_DAY_PARTS.get(match["part"] or "")
    if part == "n":
        part = "p" if 6 <= hour <= 11 else "a"
    return _clock(hour, minute, part)


def parse_time(text: str) -> time:
    """Parse a wall-clock time of day such as "7:30", "7.30pm", "19h05", "730" or "７：３０".

    Accepted: H or HH hours with optional two-digit minutes after ":", ".", "h" or a space;
    3-4 bare digits as HMM/HHMM; an optional am/pm suffix (12am = 00:00, 12pm = 12:00).
    "24:00" is accepted as 00:00 since these are daily times, where both mean the same.
    In Hebrew: hours in digits or words one to twelve, "וחצי"/"ורבע" for :30/:15, and a part
    of the day ("בבוקר", "בערב", "בלילה", "אחה״צ"...) in place of am/pm.
    Raises `ParseError` with "time.format" (not a time), "time.range" (e.g. 25:00, 7:60)
    or "time.ampm_range" (hour outside 1-12 with am/pm, e.g. 13pm).
    """
    normalised = _typed(text, _MAX_INPUT)
    if len(normalised) > _MAX_INPUT:
        raise ParseError("time.format")
    if _HEBREW_LETTER.search(normalised):
        return _parse_hebrew_time(normalised)
    match = _TIME_SEPARATED.fullmatch(normalised) or _TIME_COMPACT.fullmatch(normalised)
    if match is None:
        raise ParseError("time.format")
    return _clock(int(match["hour"]), int(match["minute"] or 0), match["meridiem"])


def format_time(value: time) -> str:
    """Render a time the way the bot shows it and `parse_time` reads it back: "07:30"."""
    return f"{value.hour:02d}:{value.minute:02d}"


# ---------------------------------------------------------------------------
# Time zones (the curated place names and abbreviations are in `bot.domain.zones`)
# ---------------------------------------------------------------------------

_MIN_OFFSET_MINUTES: Final = -12 * 60
_MAX_OFFSET_MINUTES: Final = 14 * 60
_UTC_KEY: Final = "UTC"

# After `_normalise`: "utc", "gmt+3", "utc -05:30", "+0530", "z", "utc+14".
_OFFSET = re.compile(
    r"(?:(?P<prefix>utc|gmt|ut|z)\s?)?"
    r"(?:(?P<sign>[+-])?\s?(?P<hours>\d{1,2})(?:\s?[:.h]?\s?(?P<minutes>\d{2}))?)?"
)
_ETC_OFFSET = re.compile(r"Etc/GMT([+-]\d{1,2})")
# Text that was probably meant as an offset but is malformed ("+5.5", "utc+", "3", "+3:75"):
# only offset characters, with at least one digit or sign (checked separately).
_OFFSET_LIKE = re.compile(r"(?:utc|gmt|ut|z)?[\s\d:.,h+-]*")
_DIGIT_OR_SIGN = re.compile(r"[\d+-]")


@dataclass(frozen=True, slots=True)
class ZoneChoice:
    """A zone understood from user text.

    `key` is an IANA name, always loadable with `ZoneInfo(key)`; it is what profiles store.
    `label` is what to show back ("Europe/Berlin", "Mumbai (Asia/Kolkata)", "UTC+03:00").
    `kind` says how it was found: "name" (an IANA name), "place" (city, country or
    abbreviation) or "offset" (UTC or a UTC offset; whole-hour offsets are fixed Etc/
    zones without daylight saving).
    """

    key: str
    label: str
    kind: Literal["name", "place", "offset"]

    @property
    def zone(self) -> ZoneInfo:
        """The zone itself."""
        return ZoneInfo(self.key)


@cache
def _zone_keys() -> dict[str, str]:
    """Folded IANA key -> key, for every zone this host and tzdata can load."""
    keys = {
        key
        for key in zoneinfo.available_timezones()
        if key not in EXCLUDED_KEYS and not key.startswith(("posix/", "right/"))
    }
    return {_key_fold(key): key for key in sorted(keys)}


@cache
def _place_names() -> dict[str, tuple[str, str]]:
    """Folded place name -> (display name, key): zone cities, then curated aliases on top."""
    places: dict[str, tuple[str, str]] = {}
    # Deeper keys first so "America/Argentina/Buenos_Aires" beats the old "America/Buenos_Aires".
    for key in sorted(_zone_keys().values(), key=lambda k: (-k.count("/"), k)):
        area, _, rest = key.partition("/")
        if area in CITY_AREAS and rest:
            city = rest.rpartition("/")[2].replace("_", " ")
            places.setdefault(_name_fold(city), (city, key))
    for table in (CITY_ALIASES, COUNTRY_ZONES, ABBREVIATION_ZONES, HEBREW_PLACES):
        for name, key in table.items():
            places[_name_fold(name)] = (name, key)
    return places


@cache
def _ambiguous_names() -> frozenset[str]:
    """`AMBIGUOUS_NAMES`, folded like place names ('ארה"ב' = "ארה ב")."""
    return frozenset(map(_name_fold, AMBIGUOUS_NAMES))


def _loadable(key: str) -> bool:
    """Whether `ZoneInfo(key)` works here, so a stored key can never break later."""
    try:
        ZoneInfo(key)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def format_offset(offset: timedelta) -> str:
    """Render a UTC offset as "UTC+05:30" ("UTC" for zero; seconds only if the zone has them)."""
    total = int(offset.total_seconds())
    if total == 0:
        return "UTC"
    sign = "+" if total > 0 else "-"
    hours, rest = divmod(abs(total), 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"UTC{sign}{hours:02d}:{minutes:02d}"
    return f"{text}:{seconds:02d}" if seconds else text


def _etc_key(hours: int) -> str:
    """Fixed zone for a whole-hour offset. Etc/ names invert the sign: UTC+3 is "Etc/GMT-3"."""
    if hours == 0:
        return _UTC_KEY
    return f"Etc/GMT{-hours:+d}"


def _zone_for_offset(minutes: int, now: datetime | None) -> ZoneChoice:
    """Map an offset in minutes to a zone, or raise the offset error that explains why not."""
    if not _MIN_OFFSET_MINUTES <= minutes <= _MAX_OFFSET_MINUTES or minutes % 15:
        raise ParseError("zone.offset_range")
    label = format_offset(timedelta(minutes=minutes))
    if minutes % 60 == 0:
        return ZoneChoice(_etc_key(minutes // 60), label, "offset")
    candidates = PARTIAL_HOUR_ZONES.get(minutes)
    if not candidates:
        raise ParseError("zone.offset_unsupported")
    key = candidates[0]
    if now is not None:
        wanted = timedelta(minutes=minutes)
        key = next((k for k in candidates if now.astimezone(ZoneInfo(k)).utcoffset() == wanted), key)
    return ZoneChoice(key, f"{label} ({key})", "offset")


def _parse_offset(normalised: str, now: datetime | None) -> ZoneChoice | None:
    """Read "UTC", "gmt+3", "+05:30", "UTC−3"; None if the text is not written as an offset."""
    match = _OFFSET.fullmatch(normalised)
    if match is None or not normalised:
        return None
    if match["hours"] is None:
        return ZoneChoice(_UTC_KEY, "UTC", "offset")
    if match["prefix"] is None and match["sign"] is None:
        return None  # a bare number: not clearly an offset
    hours, minutes = int(match["hours"]), int(match["minutes"] or 0)
    if minutes > 59:
        raise ParseError("zone.offset_format")
    total = hours * 60 + minutes
    return _zone_for_offset(-total if match["sign"] == "-" else total, now)


def _lookup_name(text: str) -> ZoneChoice | None:
    """Find an IANA key, then a place name, then a legacy top-level key such as "Japan"."""
    keys = _zone_keys()
    key = keys.get(_key_fold(text))
    if key is not None and key.startswith("Etc/"):
        # Typed "Etc/GMT-3": show "UTC+03:00", never the sign-inverted name.
        etc = _ETC_OFFSET.fullmatch(key)
        return ZoneChoice(key, format_offset(timedelta(hours=-int(etc[1]) if etc else 0)), "offset")
    if key is not None and "/" in key:
        return ZoneChoice(key, key, "name")
    place = _place_names().get(_name_fold(text))
    if place is not None:
        name, place_key = place
        same = _name_fold(name) == _name_fold(place_key.rpartition("/")[2])
        return ZoneChoice(place_key, place_key if same else f"{name} ({place_key})", "place")
    if key is not None:
        return ZoneChoice(key, key, "name")
    return None


def parse_zone(text: str, *, now: datetime | None = None) -> ZoneChoice:
    """Understand a time zone typed as an IANA name, a city or country, or a UTC offset.

    Accepts "Europe/Berlin" in any case or spacing, "UTC"/"GMT"/"Z", place names with or
    without accents ("sao paulo", "Tel Aviv", "Mumbai", "Germany", "Berlin, Germany"),
    Hebrew place names ("ירושלים", "ת״א", "בחיפה", "לונדון"),
    a few unambiguous abbreviations ("EST", "CET"), and offsets such as "+3", "UTC-05:30",
    "GMT+5:45", "+0530", "UTC−3". Whole-hour offsets become fixed "Etc/GMT∓N" zones; other
    offsets map to the real zone that uses them (+05:30 -> Asia/Kolkata), chosen to match
    at `now` when given (+10:30 is Adelaide in January, Lord Howe in July).

    Raises `ParseError`: "zone.unknown", "zone.ambiguous" (a country or abbreviation with
    several zones), "zone.offset_format", "zone.offset_range" (outside -12:00..+14:00 or not
    a multiple of 15 minutes), "zone.offset_unsupported" (no place uses it, e.g. +01:15).
    """
    if now is not None and now.utcoffset() is None:
        raise ValueError("parse_zone needs an aware `now`")
    normalised = _typed(text, _MAX_INPUT)
    if not normalised or len(normalised) > _MAX_INPUT:
        raise ParseError("zone.unknown")
    choice = _parse_offset(normalised, now) or _lookup_name(normalised)
    if choice is None and "," in normalised:
        choice = _lookup_name(normalised.partition(",")[0])  # "Berlin, Germany"
    if choice is None and normalised.startswith("ב") and len(normalised) > 2:
        choice = _lookup_name(normalised[1:].lstrip("-"))  # Hebrew "in": "בחיפה", "בתל אביב"
    if choice is not None and _loadable(choice.key):
        return choice
    if choice is None and _name_fold(normalised) in _ambiguous_names():
        raise ParseError("zone.ambiguous")
    if choice is None and _OFFSET_LIKE.fullmatch(normalised) and _DIGIT_OR_SIGN.search(normalised):
        raise ParseError("zone.offset_format")
    raise ParseError("zone.unknown")


def describe_zone(key: str, now: datetime) -> str:
    """Show a stored zone with its offset at `now`: "Europe/Berlin (UTC+01:00)".

    Fixed Etc/ zones and UTC show only the offset ("UTC+03:00"), since their names
    invert the sign. `now` must be timezone-aware; an unknown key raises "zone.unknown".
    """
    if now.utcoffset() is None:
        raise ValueError("describe_zone needs an aware `now`")
    if not _loadable(key):
        raise ParseError("zone.unknown")
    offset = now.astimezone(ZoneInfo(key)).utcoffset() or timedelta(0)
    label = format_offset(offset)
    if key.startswith("Etc/") or key in {"UTC", "GMT", "UCT", "Universal", "Zulu", "Greenwich"}:
        return label
    return f"{key} ({label})"


# ---------------------------------------------------------------------------
# Shared location
# ---------------------------------------------------------------------------


def location_coordinates(latitude: float, longitude: float) -> tuple[float, float]:
    """A shared location as floats; NaN, infinite or out-of-range values raise "location.invalid"."""
    try:
        lat, lng = float(latitude), float(longitude)
    except (TypeError, ValueError, OverflowError):
        raise ParseError("location.invalid") from None
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
        raise ParseError("location.invalid")
    return lat, lng


def zone_at(found: str | None, longitude: float) -> str | None:
    """The zone to store for a location: what the polygon lookup `found` if it is a real,
    loadable zone, else the nautical zone of the longitude ("Etc/GMT+10" at sea); None only
    if even that cannot be loaded here."""
    if found is not None and found not in EXCLUDED_KEYS and _loadable(found):
        return found
    nautical = _etc_key(max(-12, min(12, round(longitude / 15))))
    return nautical if _loadable(nautical) else None


# ---------------------------------------------------------------------------
# Durations ("40m", "1h30", "1.5 h", "90") and /did arguments
# ---------------------------------------------------------------------------

MAX_DURATION_MINUTES = 24 * 60
_DURATION = re.compile(
    r"(?:(?P<hours>\d+(?:[.,]\d+)?)\s?(?:h|hr|hrs|hour|hours)\s?(?P<rest>\d{1,2})?\s?(?:m|min|mins|minutes?)?"
    r"|(?P<h>\d{1,2}):(?P<m>\d{2})"
    r"|(?P<minutes>\d+)\s?(?:m|min|mins|minute|minutes)?)"
)


# After `_normalise`, Hebrew durations: "40 דקות", "40 דק'", "דקה", "שעה", "שעתיים", "חצי שעה",
# "רבע שעה", "שעה וחצי", "שעתיים ורבע", "3 שעות", "1.5 שעות", "שלוש וחצי שעות", "1 שעה 20 דקות",
# "שעה ו-20".
_HEBREW_AND = r"\s?ו\s?-?\s?"
_HEBREW_MINUTE_UNIT = r"(?:דקות|דקה|דק'|דק|ד')"
_HEBREW_AMOUNT = rf"(?:\d+(?:[.,]\d+)?|שתי|{_alternatives(_HEBREW_NUMBERS)})"
_HEBREW_PART_HOURS: Final[Mapping[str, int]] = {"חצי": 30, "רבע": 15, "שלושת רבעי": 45}
_HEBREW_DURATION = re.compile(
    rf"(?P<part>{_alternatives(_HEBREW_PART_HOURS)})\s?שעה"
    rf"|(?:(?P<count>{_HEBREW_AMOUNT})\s?(?:{_HEBREW_AND}(?P<count_fraction>חצי|רבע)\s?)?)?"
    rf"(?P<unit>שעתיים|שעות|שעה(?:\s?אחת)?|שע'|ש')"
    rf"(?:{_HEBREW_AND}(?P<fraction>חצי|רבע)"
    rf"|(?:(?P<and>{_HEBREW_AND})|\s?)(?P<rest>\d{{1,2}})\s?(?P<rest_unit>{_HEBREW_MINUTE_UNIT})?)?"
    rf"|(?P<minutes>\d+|שתי|{_alternatives(_HEBREW_NUMBERS)})\s?{_HEBREW_MINUTE_UNIT}"
    r"|(?P<one_minute>דקה(?:\s?אחת)?)"
)


def _hebrew_duration(normalised: str) -> float:
    """Minutes from a Hebrew duration (see `_HEBREW_DURATION`); "duration.format" if it is not one."""
    match = _HEBREW_DURATION.fullmatch(normalised)
    if match is None:
        raise ParseError("duration.format")
    if match["part"] is not None:
        return _HEBREW_PART_HOURS[match["part"]]
    if match["minutes"] is not None:
        return 2 if match["minutes"] == "שתי" else _hebrew_number(match["minutes"])
    if match["one_minute"] is not None:
        return 1
    count, unit = match["count"], match["unit"]
    if unit == "שעתיים":
        if count is not None:
            raise ParseError("duration.format")  # "3 שעתיים"
        hours = 2.0
    elif count is not None:
        hours = 2 if count == "שתי" else _hebrew_number(count)
    elif unit.startswith("שעה"):
        hours = 1
    else:
        raise ParseError("duration.format")  # "שעות" with no number
    rest = int(match["rest"] or 0)
    if rest > 59 or (match["rest"] and not (match["and"] or match["rest_unit"])):
        raise ParseError("duration.format")  # "שעה 75 דקות"; "שעתיים 3" says nothing clear
    fractions = _HEBREW_FRACTIONS.get(match["count_fraction"] or "", 0) + _HEBREW_FRACTIONS.get(
        match["fraction"] or "", 0
    )
    return hours * 60 + fractions + rest


def parse_duration(text: str) -> int:
    """Minutes from "40m", "40 min", "1h", "1h30", "1.5h", "1:30" or a bare "90" (minutes), or
    the Hebrew "40 דקות", "שעה וחצי", "שעתיים", "רבע שעה", "1 שעה 20 דקות" and their kin."""
    normalised = _typed(text, _MAX_INPUT)[:_MAX_INPUT]
    match = _DURATION.fullmatch(normalised)
    if match is None:
        minutes = round(_hebrew_duration(normalised))
    elif match["hours"] is not None:
        minutes = round(float(match["hours"].replace(",", ".")) * 60) + int(match["rest"] or 0)
    elif match["h"] is not None:
        if int(match["m"]) >= 60:
            raise ParseError("duration.format")
        minutes = int(match["h"]) * 60 + int(match["m"])
    else:
        minutes = int(match["minutes"])
    if not 1 <= minutes <= MAX_DURATION_MINUTES:
        raise ParseError("duration.range")
    return minutes


# The most words a typed duration takes: "1 שעה ו-20 דקות" (written "ו- 20" it is six).
_MAX_DURATION_WORDS = 6


def parse_did(text: str) -> tuple[str, int]:
    """The arguments of "/did painting 40m" or "/did ציור 40 דקות": an interest name, then minutes.

    The duration is the longest run of last words that reads as one ("יוגה 1 שעה 20 דקות" is
    yoga for 80 minutes), so a name may end in a number when a unit follows ("פרק 3 20 דקות").
    If nothing reads as a duration, the last word's error is raised, or "duration.range" when
    a duration was understood but is out of range; a duration with no name is "did.format".
    """
    words = _SPACES.split(text.strip())
    if len(words) < 2 or len(text) > 300:
        raise ParseError("did.format")
    failure = ParseError("did.format")
    for split in range(max(1, len(words) - _MAX_DURATION_WORDS), len(words)):
        try:
            minutes = parse_duration(" ".join(words[split:]))
        except ParseError as error:
            if failure.code != "duration.range":
                failure = error
            continue
        name = trim_blank(" ".join(words[:split]))
        if is_blank(name) or len(name) > 60:
            raise ParseError("did.format")
        return name, minutes
    with contextlib.suppress(ParseError):
        parse_duration(text)
        failure = ParseError("did.format")  # only a duration, no name
    raise failure
