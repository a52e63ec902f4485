"""Which setup question a person is on, derived from their profile alone.

Deriving the step from stored data (instead of keeping it in memory) means a
restart in the middle of setup simply continues at the same question.
"""

from __future__ import annotations

from datetime import time
from enum import StrEnum

from bot.domain.models import Profile


class Step(StrEnum):
    """A setup question; the values double as keys of what is being edited."""

    ZONE = "zone"
    MORNING = "morning"
    EVENING = "evening"
    CONFIRM = "confirm"


def next_step(profile: Profile | None) -> Step | None:
    """The first unanswered setup question, CONFIRM when all are answered, None once set up."""
    if profile is None or profile.timezone is None:
        return Step.ZONE
    if profile.morning is None:
        return Step.MORNING
    if profile.evening is None:
        return Step.EVENING
    if not profile.onboarded:
        return Step.CONFIRM
    return None


def time_choices(default: time, count: int = 5, step_minutes: int = 30) -> list[time]:
    """Button times centred on `default`, e.g. 06:30 … 08:30 around 07:30, wrapping at midnight."""
    centre = default.hour * 60 + default.minute
    start = centre - (count // 2) * step_minutes
    minutes = [(start + i * step_minutes) % (24 * 60) for i in range(count)]
    return [time(m // 60, m % 60) for m in minutes]
