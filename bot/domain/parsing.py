"""Parse what people type on a phone into times of day and time zones.

Every parser takes free text and either returns a value or raises
`ParseError` with a short, stable `code` (see `ErrorCode`) that the UI maps to
a specific hint in its translations table. On any `str` input the parsers raise
nothing but `ParseError`.

Pure domain code: no Telegram, no storage, no clock (callers pass `now`). The only
I/O is reading tzdata via `zoneinfo`. Looking a shared location up in timezonefinder's
polygons is an adapter, `bot.geo`; the rules for its answer (`zone_at`) are in the domain.

This module is the one place callers import the parsers from; each lives with its kin:
`bot.domain.typed` (ParseError, blank text, folding what people type), `bot.domain.times`,
`bot.domain.zone_parsing` (zones and shared locations) and `bot.domain.durations` (and /did).
"""

from __future__ import annotations

from bot.domain.durations import MAX_DURATION_MINUTES, parse_did, parse_duration
from bot.domain.times import format_time, parse_time
from bot.domain.typed import ERROR_CODES, ErrorCode, ParseError, is_blank, trim_blank
from bot.domain.zone_parsing import (
    ZoneChoice,
    describe_zone,
    format_offset,
    location_coordinates,
    parse_zone,
    zone_at,
)

__all__ = [
    "ERROR_CODES",
    "MAX_DURATION_MINUTES",
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
