"""Times of day as people type them: "7:30", "7.30pm", "730", "שבע וחצי בערב"."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time
from typing import Final

from bot.domain.typed import MAX_INPUT, ParseError, alternatives, read_typed

# After `normalise`: "7", "07:30", "7.30", "7h30", "7h", "19 : 05", "7 30", with an optional
# "am"/"a.m."/"a"/"pm"/"p.m."/"p" suffix. Minutes are always two digits so "7.5"
# (7½ hours?) is rejected rather than guessed.
_MERIDIEM = r"(?:\s?(?P<meridiem>[ap])\.?\s?m?\.?)?"
_TIME_SEPARATED = re.compile(r"(?P<hour>\d{1,2})(?:(?:\s?[:.h]\s?|\s)(?P<minute>\d{2})|\s?h)?" + _MERIDIEM)
# Digits only, as typed on a numeric keypad: "730" = 07:30, "1905" = 19:05.
_TIME_COMPACT = re.compile(r"(?P<hour>\d{1,2})(?P<minute>\d{2})" + _MERIDIEM)


# Hebrew numbers one to twelve, in the feminine form used for hours ("שבע וחצי") and the
# masculine one people also type ("שבעה"), with common spellings.
HEBREW_NUMBERS: Final[Mapping[str, int]] = {
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
HEBREW_FRACTIONS: Final[Mapping[str, int]] = {"חצי": 30, "רבע": 15}
_HEBREW_LETTER = re.compile(r"[\u05d0-\u05ea]")


# After `normalise`: "7 וחצי", "שבע וחצי בערב", "8 בבוקר", "בשבע", "ב-8:15 בערב".
_HEBREW_TIME = re.compile(
    rf"(?:ב-?\s?)?(?P<hour>\d{{1,2}}|{alternatives(HEBREW_NUMBERS)})"
    rf"(?:(?:\s?[:.]\s?|\s)(?P<minute>\d{{2}})|\s?ו-?\s?(?P<fraction>{alternatives(HEBREW_FRACTIONS)}))?"
    rf"(?:\s?(?P<part>{alternatives(_HEBREW_DAY_PARTS)}))?"
)


def hebrew_number(text: str) -> float:
    """A number typed in digits ("1.5", "1,5") or as a Hebrew word from one to twelve."""
    return HEBREW_NUMBERS.get(text) or float(text.replace(",", "."))


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
    hour = int(hebrew_number(match["hour"]))
    minute = int(match["minute"]) if match["minute"] else HEBREW_FRACTIONS.get(match["fraction"] or "", 0)
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
    normalised = read_typed(text, MAX_INPUT)
    if len(normalised) > MAX_INPUT:
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
