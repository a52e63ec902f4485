"""Reminder settings: each change is an idempotent "set to" (pressing twice changes nothing more)."""

from __future__ import annotations

from datetime import date, timedelta

from bot.domain.models import Profile
from bot.domain.schedule import PAUSED_UNTIL_RESUMED
from bot.storage import Repository


def apply(profile: Profile, action: str, today: date) -> bool:
    """Apply one reminders-menu action (`t:<kind>:on|off`, `d:<day>:on|off`, `p:<days>`, `resume`).

    True if the profile changed and must be saved.
    """
    before = profile.to_dict()
    parts = action.split(":")
    if parts[0] == "t":
        kind, on = parts[1], parts[2] == "on"
        profile.nudges_off = [k for k in profile.nudges_off if k != kind] + ([] if on else [kind])
    elif parts[0] == "d":
        day, on = int(parts[1]), parts[2] == "on"
        profile.weekdays = sorted((set(profile.weekdays) | {day}) if on else (set(profile.weekdays) - {day}))
    elif parts[0] == "p":
        days = int(parts[1])
        profile.paused_until = PAUSED_UNTIL_RESUMED if days == 0 else today + timedelta(days=days)
    elif action == "resume":
        profile.paused_until = None
    return profile.to_dict() != before


async def set_active(repo: Repository, user_id: int, active: bool) -> bool:
    """Someone blocked (or unblocked) the bot: nudges stop (or start); data is kept. True if it changed."""
    profile = await repo.get_profile(user_id)
    if profile is None or profile.active == active:
        return False
    profile.active = active
    await repo.save_profile(profile)
    return True
