"""Durations as people type them ("40m", "1h30", "שעה וחצי") and the arguments of /did."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from typing import Final

from bot.domain.times import HEBREW_FRACTIONS, HEBREW_NUMBERS, hebrew_number
from bot.domain.typed import MAX_INPUT, SPACES, ParseError, alternatives, is_blank, read_typed, trim_blank

MAX_DURATION_MINUTES = 24 * 60
_DURATION = re.compile(
    r"(?:(?P<hours>\d+(?:[.,]\d+)?)\s?(?:h|hr|hrs|hour|hours)\s?(?P<rest>\d{1,2})?\s?(?:m|min|mins|minutes?)?"
    r"|(?P<h>\d{1,2}):(?P<m>\d{2})"
    r"|(?P<minutes>\d+)\s?(?:m|min|mins|minute|minutes)?)"
)


# After `normalise`, Hebrew durations: "40 דקות", "40 דק'", "דקה", "שעה", "שעתיים", "חצי שעה",
# "רבע שעה", "שעה וחצי", "שעתיים ורבע", "3 שעות", "1.5 שעות", "שלוש וחצי שעות", "1 שעה 20 דקות",
# "שעה ו-20".
_HEBREW_AND = r"\s?ו\s?-?\s?"
_HEBREW_MINUTE_UNIT = r"(?:דקות|דקה|דק'|דק|ד')"
_HEBREW_AMOUNT = rf"(?:\d+(?:[.,]\d+)?|שתי|{alternatives(HEBREW_NUMBERS)})"
_HEBREW_PART_HOURS: Final[Mapping[str, int]] = {"חצי": 30, "רבע": 15, "שלושת רבעי": 45}
_HEBREW_DURATION = re.compile(
    rf"(?P<part>{alternatives(_HEBREW_PART_HOURS)})\s?שעה"
    rf"|(?:(?P<count>{_HEBREW_AMOUNT})\s?(?:{_HEBREW_AND}(?P<count_fraction>חצי|רבע)\s?)?)?"
    rf"(?P<unit>שעתיים|שעות|שעה(?:\s?אחת)?|שע'|ש')"
    rf"(?:{_HEBREW_AND}(?P<fraction>חצי|רבע)"
    rf"|(?:(?P<and>{_HEBREW_AND})|\s?)(?P<rest>\d{{1,2}})\s?(?P<rest_unit>{_HEBREW_MINUTE_UNIT})?)?"
    rf"|(?P<minutes>\d+|שתי|{alternatives(HEBREW_NUMBERS)})\s?{_HEBREW_MINUTE_UNIT}"
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
        return 2 if match["minutes"] == "שתי" else hebrew_number(match["minutes"])
    if match["one_minute"] is not None:
        return 1
    count, unit = match["count"], match["unit"]
    if unit == "שעתיים":
        if count is not None:
            raise ParseError("duration.format")  # "3 שעתיים"
        hours = 2.0
    elif count is not None:
        hours = 2 if count == "שתי" else hebrew_number(count)
    elif unit.startswith("שעה"):
        hours = 1
    else:
        raise ParseError("duration.format")  # "שעות" with no number
    rest = int(match["rest"] or 0)
    if rest > 59 or (match["rest"] and not (match["and"] or match["rest_unit"])):
        raise ParseError("duration.format")  # "שעה 75 דקות"; "שעתיים 3" says nothing clear
    fractions = HEBREW_FRACTIONS.get(match["count_fraction"] or "", 0) + HEBREW_FRACTIONS.get(
        match["fraction"] or "", 0
    )
    return hours * 60 + fractions + rest


def parse_duration(text: str) -> int:
    """Minutes from "40m", "40 min", "1h", "1h30", "1.5h", "1:30" or a bare "90" (minutes), or
    the Hebrew "40 דקות", "שעה וחצי", "שעתיים", "רבע שעה", "1 שעה 20 דקות" and their kin."""
    normalised = read_typed(text, MAX_INPUT)[:MAX_INPUT]
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
    words = SPACES.split(text.strip())
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
