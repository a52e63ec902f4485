"""/start, the setup questions and /settings, sharing one set of question screens.

After a restart setup continues where it stopped, since the open question comes from the profile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import time
from typing import Final

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import filters

from bot import callbacks
from bot.config import Config
from bot.domain.models import Profile
from bot.domain.onboarding import Step, next_step, time_choices
from bot.domain.parsing import (
    ParseError,
    describe_zone,
    format_time,
    parse_time,
    parse_zone,
)
from bot.geo import zone_for_location
from bot.handlers.common import (
    Context,
    UserData,
    answer_passed,
    drop_buttons,
    first_name,
    forget_menu,
    lang,
    mark_chosen,
    on_current_menu,
    pressed,
    remember_menu,
    reply,
    services,
    user_data,
    user_id,
)
from bot.handlers.settings.language import ask_gender
from bot.texts import Html, has_genders, plain, t

# What to say for each reason a typed time, zone or shared location was not understood.
SETUP_HINTS: Final = {
    "blank": "hint.blank",
    "location.invalid": "hint.location.invalid",
    "location.ocean": "hint.location.ocean",
    "time.format": "hint.time.format",
    "time.range": "hint.time.range",
    "time.ampm_range": "hint.time.ampm_range",
    "zone.ambiguous": "hint.zone.ambiguous",
    "zone.offset_format": "hint.zone.offset_format",
    "zone.offset_range": "hint.zone.offset_range",
    "zone.offset_unsupported": "hint.zone.offset_unsupported",
    "zone.unknown": "hint.zone.unknown",
}


ASK_TIME: Final = {Step.MORNING: "ask_morning", Step.EVENING: "ask_evening"}
CHANGE: Final = {
    "zone": "button_change_zone",
    "morning": "button_change_morning",
    "evening": "button_change_evening",
}


class SettingsQuestion(filters.MessageFilter):
    """Messages from people who opened a settings question: it was asked last, so it takes the answer."""

    def __init__(self, people: Mapping[int, UserData]) -> None:
        super().__init__(name="SettingsQuestion")
        self._people = people

    def filter(self, message: Message) -> bool:
        data = self._people.get(message.from_user.id) if message.from_user else None
        return data is not None and data.editing is not None


def _open_question(profile: Profile | None, context: Context) -> Step | None:
    """The question the user's next text answers, if any."""
    editing = user_data(context).editing
    if editing and profile is not None:
        return Step(editing)
    return next_step(profile)


def _summary_values(profile: Profile, context: Context) -> dict[str, str]:
    now = services(context).clock()
    assert profile.timezone and profile.morning and profile.evening
    return {
        "zone": describe_zone(profile.timezone, now),
        "morning": format_time(profile.morning),
        "evening": format_time(profile.evening),
    }


def _change_buttons(language: str) -> list[list[InlineKeyboardButton]]:
    return [
        [InlineKeyboardButton(t(key, language), callback_data=callbacks.EDIT.data(field))]
        for field, key in CHANGE.items()
    ]


def _offered_times(step: Step, profile: Profile | None, config: Config) -> list[time]:
    """The times the morning/evening question offers as buttons (around the current or default time)."""
    current = getattr(profile, step.value, None) if profile else None
    return time_choices(current or (config.morning if step is Step.MORNING else config.evening))


async def ask(update: Update, context: Context, step: Step, profile: Profile | None) -> None:
    """Send the screen for one setup question."""
    config = services(context).config
    language = lang(update, context)
    if step is Step.ZONE:
        share = t("button_share_location", language)
        keyboard = ReplyKeyboardMarkup(
            [[KeyboardButton(share, request_location=True)], [KeyboardButton(config.timezone)]],
            resize_keyboard=True,
            one_time_keyboard=True,
            input_field_placeholder=plain("ask_zone.placeholder", language),
        )
        await reply(update, context, "ask_zone", button=share, reply_markup=keyboard)
    elif step in (Step.MORNING, Step.EVENING):
        buttons = [
            InlineKeyboardButton(
                format_time(choice), callback_data=callbacks.TIME.data(step.value, format_time(choice))
            )
            for choice in _offered_times(step, profile, config)
        ]
        await reply(update, context, ASK_TIME[step], reply_markup=InlineKeyboardMarkup([buttons]))
    else:
        assert profile is not None
        confirm = InlineKeyboardButton(
            t("button_confirm", language), callback_data=callbacks.CONFIRM.data("ok")
        )
        sent = await reply(
            update,
            context,
            "confirm",
            reply_markup=InlineKeyboardMarkup([[confirm], *_change_buttons(language)]),
            **_summary_values(profile, context),
        )
        remember_menu(context, sent)


async def show_settings(update: Update, context: Context, profile: Profile) -> None:
    language = lang(update, context)
    rows = [*_change_buttons(language)]
    rows.append(
        [InlineKeyboardButton(t("button_reminders", language), callback_data=callbacks.REMIND.data("menu"))]
    )
    rows.append(
        [
            InlineKeyboardButton(
                t("button_language", language), callback_data=callbacks.SETTINGS_OPEN.data("language")
            )
        ]
    )
    if has_genders(language):
        address = callbacks.SETTINGS_OPEN.data("address")
        rows.append([InlineKeyboardButton(t("button_address", language), callback_data=address)])
    rows.append(
        [InlineKeyboardButton(t("button_done", language), callback_data=callbacks.SETTINGS_DONE.data("done"))]
    )
    sent = await reply(
        update,
        context,
        "settings",
        reply_markup=InlineKeyboardMarkup(rows),
        **_summary_values(profile, context),
    )
    remember_menu(context, sent)


async def _continue(update: Update, context: Context, profile: Profile) -> None:
    """After an answer: the next setup question, or back to the settings menu."""
    step = next_step(profile)
    if step is None:
        await show_settings(update, context, profile)
    else:
        await ask(update, context, step, profile)


async def _apply(
    update: Update,
    context: Context,
    profile: Profile | None,
    step: Step,
    value: object,
    *,
    question: Message | None = None,
    chosen: str = "",
) -> None:
    """Store one answer durably, then (a pressed button's `question` gets a ✓) move on."""
    repo = services(context).repo
    profile = profile or Profile(user_id=user_id(update), language=str(lang(update, context)))
    if step is Step.ZONE:
        assert isinstance(value, str)
        profile.timezone = value
    elif step is Step.MORNING:
        assert isinstance(value, time)
        profile.morning = value
    else:
        assert isinstance(value, time)
        profile.evening = value
    await repo.save_profile(profile)
    user_data(context).editing = None
    if question is not None:
        await mark_chosen(question, chosen)
    if step is Step.ZONE:
        zone = describe_zone(value, services(context).clock())  # type: ignore[arg-type]
        await reply(update, context, "zone_set", zone=zone, reply_markup=ReplyKeyboardRemove())
    await _continue(update, context, profile)


async def _hint_and_ask(
    update: Update, context: Context, code: str, step: Step, profile: Profile | None
) -> None:
    await reply(update, context, SETUP_HINTS[code])
    await ask(update, context, step, profile)


async def start(update: Update, context: Context) -> None:
    """Welcome a newcomer into setup, resume an unfinished setup, or greet a known user."""
    repo = services(context).repo
    user_data(context).editing = None
    profile = await repo.get_profile(user_id(update))
    step = next_step(profile)
    if step is None:
        assert profile is not None
        language = lang(update, context)
        text = t("welcome_back", language, name=first_name(update), **_summary_values(profile, context))
        data = user_data(context)
        if not profile.active or data.tell_reminders_on:  # they had blocked the bot: say once
            data.tell_reminders_on = False
            if not profile.active:
                profile.active = True
                await repo.save_profile(profile)
            text = Html(text + t("welcome_back.reminders_on", language))
        assert update.effective_chat is not None
        await update.effective_chat.send_message(text)
        return
    if profile is None or profile.timezone is None:  # new (an invite may have created the profile)
        await reply(update, context, "welcome", name=first_name(update))
        await reply(update, context, "privacy_note")
        voice = lang(update, context)
        if has_genders(voice) and voice.gender is None and (profile is None or profile.gender is None):
            await ask_gender(update, context)
    else:
        await reply(update, context, "resume_onboarding")
    await ask(update, context, step, profile)


async def settings(update: Update, context: Context) -> None:
    """/settings: the menu for a set-up user; otherwise continue setup."""
    profile = await services(context).repo.get_profile(user_id(update))
    user_data(context).editing = None
    step = next_step(profile)
    if step is None:
        assert profile is not None
        await show_settings(update, context, profile)
    else:
        await reply(update, context, "settings_need_start" if profile is None else "resume_onboarding")
        if profile is not None:
            await ask(update, context, step, profile)


async def on_text(update: Update, context: Context) -> None:
    """Typed text: the answer to the open question, or a friendly hint when none is open."""
    assert update.message is not None and update.message.text is not None
    text = update.message.text
    profile = await services(context).repo.get_profile(user_id(update))
    step = _open_question(profile, context)
    if step is None:
        await reply(update, context, "hint.free_text")
        return
    if step is Step.CONFIRM:
        await reply(update, context, "confirm_with_buttons")
        await ask(update, context, step, profile)
        return
    try:
        value: object = (
            parse_zone(text, now=services(context).clock()).key if step is Step.ZONE else parse_time(text)
        )
    except ParseError as exc:
        await _hint_and_ask(update, context, exc.code, step, profile)
        return
    await _apply(update, context, profile, step, value)


async def on_location(update: Update, context: Context) -> None:
    """A shared location answers the time-zone question; it is used once and not stored."""
    assert update.message is not None and update.message.location is not None
    location = update.message.location
    profile = await services(context).repo.get_profile(user_id(update))
    step = _open_question(profile, context)
    if step is None:
        await reply(update, context, "hint.location.idle")
        return
    if step is not Step.ZONE:
        hint = "confirm_with_buttons" if step is Step.CONFIRM else "hint.location.time_question"
        await reply(update, context, hint)
        await ask(update, context, step, profile)
        return
    try:
        zone = await asyncio.to_thread(zone_for_location, location.latitude, location.longitude)
    except ParseError as exc:
        await _hint_and_ask(update, context, exc.code, step, profile)
        return
    if zone is None:
        await _hint_and_ask(update, context, "location.ocean", step, profile)
        return
    await _apply(update, context, profile, step, zone)


async def on_non_text(update: Update, context: Context) -> None:
    """Stickers, photos, voice...: say what is expected and repeat the open question."""
    profile = await services(context).repo.get_profile(user_id(update))
    step = _open_question(profile, context)
    if step is None:
        await reply(update, context, "hint.non_text")
        return
    await reply(update, context, "hint.text_expected", again="")
    await ask(update, context, step, profile)


async def on_time_button(update: Update, context: Context) -> None:
    """A time for the open morning/evening question; any other press (old, twice, forged) has passed."""
    query, parsed = pressed(update, callbacks.TIME)
    profile = await services(context).repo.get_profile(user_id(update))
    step = Step(parsed[0])
    try:
        value = parse_time(parsed[1])
    except ParseError:
        value = None
    if (
        value is None
        or profile is None
        or profile.timezone is None
        or _open_question(profile, context) is not step
        or value not in _offered_times(step, profile, services(context).config)
    ):
        await answer_passed(query, lang(update, context))
        return
    await query.answer()
    message = query.message if isinstance(query.message, Message) else None
    await _apply(update, context, profile, step, value, question=message, chosen=format_time(value))


async def on_edit_button(update: Update, context: Context) -> None:
    """Open the question a "Change …" button names, from the current settings or confirmation screen."""
    query, parsed = pressed(update, callbacks.EDIT)
    profile = await services(context).repo.get_profile(user_id(update))
    data = user_data(context)
    if (
        profile is None
        or profile.timezone is None
        or not on_current_menu(update, context)
        or data.editing == parsed[0]
    ):
        await answer_passed(query, lang(update, context))
        return
    await query.answer()
    data.editing = parsed[0]
    await ask(update, context, Step(parsed[0]), profile)


async def on_confirm(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    repo = services(context).repo
    profile = await repo.get_profile(user_id(update))
    if next_step(profile) is not Step.CONFIRM or user_data(context).editing is not None:
        await answer_passed(query, lang(update, context))
        return
    assert profile is not None
    await query.answer()
    profile.onboarded = True
    await repo.save_profile(profile)
    forget_menu(context)
    await drop_buttons(query.message)
    values = _summary_values(profile, context)
    await reply(update, context, "onboarded", morning=values["morning"], evening=values["evening"])


async def on_settings_done(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    if not on_current_menu(update, context):
        await answer_passed(query, lang(update, context))
        return
    await query.answer()
    user_data(context).editing = None
    forget_menu(context)
    await drop_buttons(query.message)
    await reply(update, context, "settings_closed")


async def cancel(update: Update, context: Context) -> None:
    user_data(context).editing = None
    await reply(update, context, "cancelled", reply_markup=ReplyKeyboardRemove())
