"""Adapter: the time zone of a shared location, looked up offline in timezonefinder's polygons.

Kept out of `bot.domain` because it loads numpy/h3 and maps data files; the rules for
checking the coordinates and for the answer live in `bot.domain.parsing`.
"""

from __future__ import annotations

import atexit
import threading
from typing import TYPE_CHECKING

from bot.domain.parsing import ParseError, location_coordinates, zone_at

if TYPE_CHECKING:
    from timezonefinder import TimezoneFinder

__all__ = ["close_location_lookup", "warm_up_location_lookup", "zone_for_location"]

_finder: TimezoneFinder | None = None
# timezonefinder instances must not be used from two threads at once; lookups take
# microseconds, so one instance behind a lock serves `asyncio.to_thread` callers.
_finder_lock = threading.Lock()


def _get_finder() -> TimezoneFinder:
    """Build the finder once (imports numpy/h3 and maps the polygon data); call with the lock held."""
    global _finder
    if _finder is None:
        from timezonefinder import TimezoneFinder

        _finder = TimezoneFinder()
        # Unmap the data files before interpreter teardown, which would leak them noisily.
        atexit.register(close_location_lookup)
    return _finder


def warm_up_location_lookup() -> None:
    """Load the location data ahead of the first shared location (e.g. at start-up, in a thread)."""
    with _finder_lock:
        _get_finder()


def close_location_lookup() -> None:
    """Release the location data (e.g. on shutdown); the next lookup loads it again."""
    global _finder
    with _finder_lock:
        finder, _finder = _finder, None
        if finder is not None:
            finder.cleanup()


def zone_for_location(latitude: float, longitude: float) -> str | None:
    """IANA key for a shared location.

    At sea this is the nautical zone ("Etc/GMT+10"), which timezonefinder returns itself
    or which is derived from the longitude; so None is returned only if even that could
    not be loaded. Blocking (milliseconds, more on first use): call via `asyncio.to_thread`.
    NaN, infinite or out-of-range coordinates raise `ParseError("location.invalid")`.
    """
    lat, lng = location_coordinates(latitude, longitude)
    try:
        with _finder_lock:
            found: str | None = _get_finder().timezone_at(lng=lng, lat=lat)
    except ValueError:
        raise ParseError("location.invalid") from None
    return zone_at(found, lng)
