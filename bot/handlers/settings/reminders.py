"""/remind: turn each nudge on or off, choose weekdays, pause; and blocked/unblocked updates.

Every change is a profile save, which reschedules the person at once (see `bot.nudges`).
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from telegram import ChatMember, InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import callbacks
from bot.domain.models import Profile
from bot.domain.parsing import format_time
from bot.domain.schedule import PAUSED_UNTIL_RESUMED, Nudge
from bot.handlers.common import (
    Context,
    answer_passed,
    edit_text,
    lang,
    on_current_menu,
    pressed,
    remember_menu,
    reply,
    services,
    user_data,
    user_id,
)
from bot.handlers.settings import setup
from bot.services import reminders
from bot.texts import t

REMIND = callbacks.REMIND
WEEKDAY = ("weekday.0", "weekday.1", "weekday.2", "weekday.3", "weekday.4", "weekday.5", "weekday.6")
WEEKDAY_LONG = (
    "weekday_long.0", "weekday_long.1", "weekday_long.2", "weekday_long.3",
    "weekday_long.4", "weekday_long.5", "weekday_long.6",
)  # fmt: skip
TOGGLE = {
    Nudge.MORNING: "reminders.toggle.morning",
    Nudge.EVENING: "reminders.toggle.evening",
    Nudge.WEEKLY: "reminders.toggle.weekly",
}
STATE = {"on": "reminders.on", "off": "reminders.off"}
PAUSE = {1: "reminders.pause.1", 3: "reminders.pause.3", 7: "reminders.pause.7"}


def _state(profile: Profile, kind: Nudge, language: str) -> str:
    return t("reminders.off" if kind.value in profile.nudges_off else "reminders.on", language)


def _days(profile: Profile, language: str) -> str:
    if len(profile.weekdays) == 7:
        return t("reminders.every_day", language)
    if not profile.weekdays:
        return t("reminders.no_days", language)
    return ", ".join(t(WEEKDAY[day], language) for day in profile.weekdays)


def _pause(profile: Profile, language: str, today_key: str) -> str:
    """The pause line: `paused_until` is the first day nudges come again (see `schedule.is_paused`)."""
    resume = profile.paused_until
    if resume is None or resume.isoformat() <= today_key:
        return ""  # not paused: the menu says nothing about pauses
    if resume == PAUSED_UNTIL_RESUMED:
        return t("reminders.paused_forever", language)
    return t(
        "reminders.paused_until",
        language,
        weekday=t(WEEKDAY[resume.weekday()], language),
        date=resume.isoformat(),
    )


def _today(context: Context, profile: Profile) -> str:
    zone = ZoneInfo(profile.timezone or services(context).config.timezone)
    return services(context).clock().astimezone(zone).date().isoformat()


def _menu(context: Context, profile: Profile, language: str) -> tuple[str, InlineKeyboardMarkup]:
    config = services(context).config
    today = _today(context, profile)
    paused = profile.paused_until is not None and profile.paused_until.isoformat() > today
    text = t(
        "reminders",
        language,
        morning=format_time(profile.morning) if profile.morning else "–",
        evening=format_time(profile.evening) if profile.evening else "–",
        weekly_day=t(WEEKDAY_LONG[config.weekly_day], language),
        weekly_time=format_time(config.weekly_time),
        morning_state=_state(profile, Nudge.MORNING, language),
        evening_state=_state(profile, Nudge.EVENING, language),
        weekly_state=_state(profile, Nudge.WEEKLY, language),
        days=_days(profile, language),
        pause=_pause(profile, language, today),
    )
    rows = []
    for kind in Nudge:
        target = "on" if kind.value in profile.nudges_off else "off"
        label = t(TOGGLE[kind], language, state=t(STATE[target], language))
        rows.append([InlineKeyboardButton(label, callback_data=REMIND.data(f"t:{kind.value}:{target}"))])
    rows.append(
        [InlineKeyboardButton(t("reminders.button_days", language), callback_data=REMIND.data("days"))]
    )
    pause = ("reminders.button_resume", "resume") if paused else ("reminders.button_pause", "pause")
    rows.append([InlineKeyboardButton(t(pause[0], language), callback_data=REMIND.data(pause[1]))])
    rows.append(
        [InlineKeyboardButton(t("reminders.button_times", language), callback_data=REMIND.data("times"))]
    )
    done = callbacks.SETTINGS_DONE.data("done")
    rows.append([InlineKeyboardButton(t("button_done", language), callback_data=done)])
    return text, InlineKeyboardMarkup(rows)


def _days_menu(profile: Profile, language: str) -> tuple[str, InlineKeyboardMarkup]:
    buttons = [
        InlineKeyboardButton(
            ("✓ " if day in profile.weekdays else "✗ ") + t(WEEKDAY[day], language),
            callback_data=REMIND.data(f"d:{day}:{'off' if day in profile.weekdays else 'on'}"),
        )
        for day in range(7)
    ]
    rows = [
        buttons[:4],
        buttons[4:],
        [InlineKeyboardButton(t("reminders.button_back", language), callback_data=REMIND.data("menu"))],
    ]
    return t("reminders.days_prompt", language), InlineKeyboardMarkup(rows)


def _pause_menu(language: str) -> tuple[str, InlineKeyboardMarkup]:
    rows = [
        [InlineKeyboardButton(t(PAUSE[n], language), callback_data=REMIND.data(f"p:{n}")) for n in (1, 3, 7)],
        [InlineKeyboardButton(t("reminders.pause.0", language), callback_data=REMIND.data("p:0"))],
        [InlineKeyboardButton(t("reminders.button_back", language), callback_data=REMIND.data("menu"))],
    ]
    return t("reminders.pause_prompt", language), InlineKeyboardMarkup(rows)


async def remind_command(update: Update, context: Context) -> None:
    profile = await services(context).repo.get_profile(user_id(update))
    language = lang(update, context)
    if profile is None or not profile.onboarded:
        await reply(update, context, "reminders.need_setup")
        return
    text, markup = _menu(context, profile, language)
    assert update.effective_chat is not None
    remember_menu(context, await update.effective_chat.send_message(text, reply_markup=markup))


async def on_button(update: Update, context: Context) -> None:
    """Every reminders button saves an idempotent change, then edits the menu in place.

    Only the current menu message's buttons work; "turn off" twice leaves it off.
    """
    query, parsed = pressed(update, REMIND)
    language = lang(update, context)
    repo = services(context).repo
    (action,) = parsed
    profile = await repo.get_profile(user_id(update))
    if profile is None or not profile.onboarded or not on_current_menu(update, context):
        await answer_passed(query, language)
        return
    await query.answer()
    if action == "times":
        await setup.show_settings(update, context, profile)
        return
    if reminders.apply(profile, action, date.fromisoformat(_today(context, profile))):
        await repo.save_profile(profile)
    if action == "days" or action.startswith("d:"):
        text, markup = _days_menu(profile, language)
    elif action == "pause":
        text, markup = _pause_menu(language)
    else:
        text, markup = _menu(context, profile, language)
    await edit_text(query.message, text, reply_markup=markup)
    remember_menu(context, query.message, markup)


async def on_my_chat_member(update: Update, context: Context) -> None:
    """Blocked ("kicked") → no more nudges, data kept; unblocked → nudges again."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    active = change.new_chat_member.status not in (ChatMember.BANNED, ChatMember.LEFT)
    if await reminders.set_active(services(context).repo, change.chat.id, active) and active:
        user_data(context).tell_reminders_on = True  # said at their /start, which usually follows
