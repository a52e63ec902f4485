"""Small helpers every handler uses: services, language, replies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ContextTypes

from bot.render import MESSAGE_LIMIT, split_lines
from bot.services import Services
from bot.texts import language_for, t

Context = ContextTypes.DEFAULT_TYPE
SERVICES_KEY = "services"


def services(context: Context) -> Services:
    """The Services object `bot.app` put into bot_data."""
    found = context.bot_data[SERVICES_KEY]
    assert isinstance(found, Services)
    return found


def user_id(update: Update) -> int:
    """The id of the person who sent the update (handlers are only registered for user updates)."""
    user = update.effective_user
    assert user is not None
    return user.id


def lang(update: Update) -> str:
    user = update.effective_user
    return language_for(user.language_code if user else None)


def first_name(update: Update) -> str:
    user = update.effective_user
    return user.first_name if user and user.first_name else "there"


def split_message(lines: Sequence[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Join lines into as few messages as fit Telegram's limit; a longer line is split, never cut.

    Kept for the handlers that use it; the rule lives in `bot.render.split_lines`.
    """
    return split_lines(lines, limit)


def button_column(language: str, *buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    """One button per row: (text key, callback data) pairs, for choices that need whole words."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(key, language), callback_data=data)] for key, data in buttons]
    )


async def reply(update: Update, key: str, /, **kwargs: Any) -> Message | None:
    """Send text `key` (in the user's language) to the chat the update came from."""
    markup = kwargs.pop("reply_markup", None)
    chat = update.effective_chat
    if chat is None:
        return None
    return await chat.send_message(t(key, lang(update), **kwargs), reply_markup=markup)
