"""/language, and how Hebrew addresses the person. Both live in the profile; every update reads them first."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import callbacks
from bot.domain.models import Profile
from bot.handlers.common import (
    Context,
    drop_buttons,
    lang,
    menu_press,
    remember_menu,
    reply,
    services,
    user_data,
    user_id,
)
from bot.texts import CATALOGS, has_genders, plain, voice_of

GENDER_BUTTONS = {"feminine": "gender.button_feminine", "masculine": "gender.button_masculine"}


async def load_voice(update: Update, context: Context) -> None:
    """Before every update: the person's language and gender from their profile (none yet for someone new)."""
    user = update.effective_user
    if user is None or context.user_data is None:
        return
    profile = await services(context).repo.get_profile(user.id)
    context.user_data.voice = voice_of(profile.language, profile.gender) if profile else None


async def language_command(update: Update, context: Context) -> None:
    """/language: one button per language the bot speaks, each named in its own language."""
    buttons = [
        [InlineKeyboardButton(plain("language.name", code), callback_data=callbacks.LANGUAGE.data(code))]
        for code in sorted(CATALOGS)
    ]
    remember_menu(
        context, await reply(update, context, "language.ask", reply_markup=InlineKeyboardMarkup(buttons))
    )


async def ask_gender(update: Update, context: Context) -> None:
    """Hebrew speaks to a woman and to a man differently: ask once, kindly, how to address them."""
    voice = lang(update, context)
    buttons = [
        [InlineKeyboardButton(plain(key, voice), callback_data=callbacks.GENDER.data(gender))]
        for gender, key in GENDER_BUTTONS.items()
    ]
    remember_menu(
        context, await reply(update, context, "gender.ask", reply_markup=InlineKeyboardMarkup(buttons))
    )


async def _profile(update: Update, context: Context) -> Profile:
    found = await services(context).repo.get_profile(user_id(update))
    return found or Profile(user_id=user_id(update), language=str(lang(update, context)))


async def on_language_button(update: Update, context: Context) -> None:
    """Switch language (an open exercise keeps its answers; its next question comes in the new language)."""
    fields = await menu_press(update, context, callbacks.LANGUAGE)
    if fields is None or (code := fields[0]) not in CATALOGS:
        return
    profile = await _profile(update, context)
    profile.language = code
    await services(context).repo.save_profile(profile)
    user_data(context).voice = voice_of(code, profile.gender)
    await drop_buttons(update.callback_query.message if update.callback_query else None)
    await reply(update, context, "language.set")
    if has_genders(code) and profile.gender is None:
        await ask_gender(update, context)


async def on_gender_button(update: Update, context: Context) -> None:
    fields = await menu_press(update, context, callbacks.GENDER)
    if fields is None:
        return
    profile = await _profile(update, context)
    profile.gender = fields[0]
    await services(context).repo.save_profile(profile)
    user_data(context).voice = voice_of(profile.language, profile.gender)
    await drop_buttons(update.callback_query.message if update.callback_query else None)
    await reply(update, context, "gender.set")


async def on_settings_button(update: Update, context: Context) -> None:
    """The settings menu's "Language" and "How I address you" buttons."""
    fields = await menu_press(update, context, callbacks.SETTINGS_OPEN)
    if fields is None:
        return
    if fields[0] == "language":
        await language_command(update, context)
    else:
        await ask_gender(update, context)
