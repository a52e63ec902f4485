"""Time zones as people type them (offsets, abbreviations, IANA keys, place names in English
and Hebrew), and the zone to keep for a shared location. The curated place names and
abbreviations are data in `bot.domain.zones`. The only I/O is reading tzdata via `zoneinfo`.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Final, Literal
from zoneinfo import ZoneInfo

from bot.domain.typed import MAX_INPUT, ParseError, key_fold, name_fold, read_typed
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

_MIN_OFFSET_MINUTES: Final = -12 * 60
_MAX_OFFSET_MINUTES: Final = 14 * 60
_UTC_KEY: Final = "UTC"

# After `normalise`: "utc", "gmt+3", "utc -05:30", "+0530", "z", "utc+14".
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
    return {key_fold(key): key for key in sorted(keys)}


@cache
def _place_names() -> dict[str, tuple[str, str]]:
    """Folded place name -> (display name, key): zone cities, then curated aliases on top."""
    places: dict[str, tuple[str, str]] = {}
    # Deeper keys first so "America/Argentina/Buenos_Aires" beats the old "America/Buenos_Aires".
    for key in sorted(_zone_keys().values(), key=lambda k: (-k.count("/"), k)):
        area, _, rest = key.partition("/")
        if area in CITY_AREAS and rest:
            city = rest.rpartition("/")[2].replace("_", " ")
            places.setdefault(name_fold(city), (city, key))
    for table in (CITY_ALIASES, COUNTRY_ZONES, ABBREVIATION_ZONES, HEBREW_PLACES):
        for name, key in table.items():
            places[name_fold(name)] = (name, key)
    return places


@cache
def _ambiguous_names() -> frozenset[str]:
    """`AMBIGUOUS_NAMES`, folded like place names ('ארה"ב' = "ארה ב")."""
    return frozenset(map(name_fold, AMBIGUOUS_NAMES))


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
    key = keys.get(key_fold(text))
    if key is not None and key.startswith("Etc/"):
        # Typed "Etc/GMT-3": show "UTC+03:00", never the sign-inverted name.
        etc = _ETC_OFFSET.fullmatch(key)
        return ZoneChoice(key, format_offset(timedelta(hours=-int(etc[1]) if etc else 0)), "offset")
    if key is not None and "/" in key:
        return ZoneChoice(key, key, "name")
    place = _place_names().get(name_fold(text))
    if place is not None:
        name, place_key = place
        same = name_fold(name) == name_fold(place_key.rpartition("/")[2])
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
    normalised = read_typed(text, MAX_INPUT)
    if not normalised or len(normalised) > MAX_INPUT:
        raise ParseError("zone.unknown")
    choice = _parse_offset(normalised, now) or _lookup_name(normalised)
    if choice is None and "," in normalised:
        choice = _lookup_name(normalised.partition(",")[0])  # "Berlin, Germany"
    if choice is None and normalised.startswith("ב") and len(normalised) > 2:
        choice = _lookup_name(normalised[1:].lstrip("-"))  # Hebrew "in": "בחיפה", "בתל אביב"
    if choice is not None and _loadable(choice.key):
        return choice
    if choice is None and name_fold(normalised) in _ambiguous_names():
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
