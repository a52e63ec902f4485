"""/start, the setup questions and /settings, sharing one set of question screens.

Which question is open comes from the stored profile (see `bot.domain.onboarding`),
or, while changing a setting, from `user_data[EDITING]`; so after a restart setup
continues where it stopped.
"""

from __future__ import annotations

import asyncio
import re
from datetime import time

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    MaybeInaccessibleMessage,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from bot.domain.models import Profile
from bot.domain.onboarding import Step, next_step, time_choices
from bot.domain.parsing import (
    ParseError,
    describe_zone,
    format_time,
    parse_time,
    parse_zone,
    zone_for_location,
)
from bot.handlers.common import Context, first_name, lang, reply, services, user_id
from bot.texts import Html, t

EDITING = "editing"
TIME_PATTERN = re.compile(r"^time:(morning|evening):(\d{2}:\d{2})$")
EDIT_PATTERN = re.compile(r"^edit:(zone|morning|evening)$")
CONFIRM_DATA = "setup:ok"
SETTINGS_DONE_DATA = "settings:done"


def _open_question(profile: Profile | None, context: Context) -> Step | None:
    """The question the user's next text answers, if any."""
    editing = context.user_data.get(EDITING) if context.user_data is not None else None
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
        [InlineKeyboardButton(t("button_change_zone", language), callback_data="edit:zone")],
        [InlineKeyboardButton(t("button_change_morning", language), callback_data="edit:morning")],
        [InlineKeyboardButton(t("button_change_evening", language), callback_data="edit:evening")],
    ]


async def ask(update: Update, context: Context, step: Step, profile: Profile | None) -> None:
    """Send the screen for one setup question."""
    config = services(context).config
    language = lang(update)
    if step is Step.ZONE:
        share = t("button_share_location", language)
        keyboard = ReplyKeyboardMarkup(
            [[KeyboardButton(share, request_location=True)], [KeyboardButton(config.timezone)]],
            resize_keyboard=True,
            one_time_keyboard=True,
            input_field_placeholder="Berlin · Europe/Berlin · +3",
        )
        await reply(update, "ask_zone", button=share, reply_markup=keyboard)
    elif step in (Step.MORNING, Step.EVENING):
        current = getattr(profile, step.value, None) if profile else None
        default: time = current or (config.morning if step is Step.MORNING else config.evening)
        buttons = [
            InlineKeyboardButton(
                format_time(choice), callback_data=f"time:{step.value}:{format_time(choice)}"
            )
            for choice in time_choices(default)
        ]
        await reply(update, f"ask_{step.value}", reply_markup=InlineKeyboardMarkup([buttons]))
    else:
        assert profile is not None
        keyboard_rows = [[InlineKeyboardButton(t("button_confirm", language), callback_data=CONFIRM_DATA)]]
        await reply(
            update,
            "confirm",
            reply_markup=InlineKeyboardMarkup(keyboard_rows + _change_buttons(language)),
            **_summary_values(profile, context),
        )


async def show_settings(update: Update, context: Context, profile: Profile) -> None:
    language = lang(update)
    rows = [*_change_buttons(language)]
    rows.append([InlineKeyboardButton(t("button_reminders", language), callback_data="rm:menu")])
    rows.append([InlineKeyboardButton(t("button_done", language), callback_data=SETTINGS_DONE_DATA)])
    await reply(
        update, "settings", reply_markup=InlineKeyboardMarkup(rows), **_summary_values(profile, context)
    )


async def _continue(update: Update, context: Context, profile: Profile) -> None:
    """After an answer: the next setup question, or back to the settings menu."""
    step = next_step(profile)
    if step is None:
        await show_settings(update, context, profile)
    else:
        await ask(update, context, step, profile)


async def _apply(
    update: Update, context: Context, profile: Profile | None, step: Step, value: object
) -> None:
    """Store one answer durably, then move on."""
    repo = services(context).repo
    profile = profile or Profile(user_id=user_id(update), language=lang(update))
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
    if context.user_data is not None:
        context.user_data.pop(EDITING, None)
    if step is Step.ZONE:
        zone = describe_zone(value, services(context).clock())  # type: ignore[arg-type]
        await reply(update, "zone_set", zone=zone, reply_markup=ReplyKeyboardRemove())
    await _continue(update, context, profile)


async def _hint_and_ask(
    update: Update, context: Context, code: str, step: Step, profile: Profile | None
) -> None:
    await reply(update, f"hint.{code}")
    await ask(update, context, step, profile)


async def start(update: Update, context: Context) -> None:
    """Welcome a newcomer into setup, resume an unfinished setup, or greet a known user."""
    repo = services(context).repo
    if context.user_data is not None:
        context.user_data.pop(EDITING, None)
    profile = await repo.get_profile(user_id(update))
    step = next_step(profile)
    if step is None:
        assert profile is not None
        language = lang(update)
        text = t("welcome_back", language, name=first_name(update), **_summary_values(profile, context))
        if not profile.active:  # they had blocked the bot: say once that nudges come again
            profile.active = True
            await repo.save_profile(profile)
            text = Html(text + t("welcome_back.reminders_on", language))
        assert update.effective_chat is not None
        await update.effective_chat.send_message(text)
        return
    if profile is None or profile.timezone is None:  # new (an invite may have created the profile)
        await reply(update, "welcome", name=first_name(update))
        await reply(update, "privacy_note")
    else:
        await reply(update, "resume_onboarding")
    await ask(update, context, step, profile)


async def settings(update: Update, context: Context) -> None:
    """/settings: the menu for a set-up user; otherwise continue setup."""
    profile = await services(context).repo.get_profile(user_id(update))
    if context.user_data is not None:
        context.user_data.pop(EDITING, None)
    step = next_step(profile)
    if step is None:
        assert profile is not None
        await show_settings(update, context, profile)
    else:
        await reply(update, "settings_need_start" if profile is None else "resume_onboarding")
        if profile is not None:
            await ask(update, context, step, profile)


async def on_text(update: Update, context: Context) -> None:
    """Typed text: the answer to the open question, or a friendly hint when none is open."""
    assert update.message is not None and update.message.text is not None
    text = update.message.text
    profile = await services(context).repo.get_profile(user_id(update))
    step = _open_question(profile, context)
    if step is None:
        await reply(update, "hint.free_text")
        return
    if step is Step.CONFIRM:
        await reply(update, "confirm_with_buttons")
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
    if step is not Step.ZONE:
        await reply(update, "hint.non_text")
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
        await reply(update, "hint.non_text")
        return
    await reply(update, "hint.text_expected", again="")
    await ask(update, context, step, profile)


async def _mark_chosen(message: MaybeInaccessibleMessage | None, choice: str) -> None:
    """Show the pressed choice in the question and drop its buttons, so it can't be pressed twice."""
    if isinstance(message, Message) and message.text_html is not None:
        await message.edit_text(f"{message.text_html}\n\n✓ <b>{choice}</b>", reply_markup=None)


async def on_time_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    match = TIME_PATTERN.match(query.data)
    profile = await services(context).repo.get_profile(user_id(update))
    try:
        value = parse_time(match.group(2)) if match else None
    except ParseError:
        value = None
    if match is None or value is None or profile is None or profile.timezone is None:
        await _stale(update, context, profile)
        return
    await _mark_chosen(query.message, format_time(value))
    await _apply(update, context, profile, Step(match.group(1)), value)


async def on_edit_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    match = EDIT_PATTERN.match(query.data)
    profile = await services(context).repo.get_profile(user_id(update))
    if match is None or profile is None or profile.timezone is None:
        await _stale(update, context, profile)
        return
    step = Step(match.group(1))
    if context.user_data is not None:
        context.user_data[EDITING] = step.value
    await ask(update, context, step, profile)


async def on_confirm(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    repo = services(context).repo
    profile = await repo.get_profile(user_id(update))
    if next_step(profile) is not Step.CONFIRM:
        await _stale(update, context, profile)
        return
    assert profile is not None
    profile.onboarded = True
    await repo.save_profile(profile)
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    values = _summary_values(profile, context)
    await reply(update, "onboarded", morning=values["morning"], evening=values["evening"])


async def on_settings_done(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    if context.user_data is not None:
        context.user_data.pop(EDITING, None)
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    await reply(update, "settings_closed")


async def _stale(update: Update, context: Context, profile: Profile | None) -> None:
    """A button from an old or forged message: say so and show what is current."""
    await reply(update, "stale_button")
    step = _open_question(profile, context)
    if step is not None:
        await ask(update, context, step, profile)
    elif profile is not None:
        await show_settings(update, context, profile)


async def cancel(update: Update, context: Context) -> None:
    if context.user_data is not None:
        context.user_data.pop(EDITING, None)
    await reply(update, "cancelled", reply_markup=ReplyKeyboardRemove())
