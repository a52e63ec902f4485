"""What every handler shares: the typed context, language, replies, and the rules for answering buttons."""

from __future__ import annotations

import html
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MaybeInaccessibleMessage,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot, Job, JobQueue

from bot.callbacks import Button
from bot.concurrency import PersonLocks
from bot.domain.flows import FAMILIES
from bot.nudges import NudgeScheduler
from bot.services import Services
from bot.services.deletion import Confirmation
from bot.texts import Voice, language_for, plain, t


@dataclass
class FlowRuntime:
    """In-memory state derived from stored drafts (rebuilt at start): routing and timers."""

    active: set[int] = field(default_factory=set)  # people with an open, not set-aside exercise
    last_activity: dict[int, datetime] = field(default_factory=dict)
    writing_jobs: dict[int, Job[Any]] = field(default_factory=dict)
    recent_pages: dict[int, datetime] = field(default_factory=dict)  # morning pages just closed

    def forget(self, uid: int) -> None:
        """Drop the person's routing and timer (the exercise ended or was set aside)."""
        self.active.discard(uid)
        self.last_activity.pop(uid, None)
        job = self.writing_jobs.pop(uid, None)
        if job is not None:
            job.schedule_removal()


async def _no_offer(
    context: Context, uid: int, language: str, flow: str, entry_id: str, answers: dict[str, Any]
) -> None:
    return None


async def _no_rows(
    context: Context, uid: int, language: str, names: list[str]
) -> list[list[InlineKeyboardButton]]:
    return []


async def _nothing(context: Context, uid: int) -> None:
    return None


@dataclass
class Hooks:
    """Where one handler module calls into another; `bot.app` wires them (handler modules never import
    each other). The defaults do nothing, as when there is no couple mode."""

    finished: Callable[[Context, int, str, str, str, dict[str, Any]], Awaitable[None]] = _no_offer
    interest_rows: Callable[[Context, int, str, list[str]], Awaitable[list[list[InlineKeyboardButton]]]] = (
        _no_rows
    )
    interest_offers: Callable[[Context, int, int, list[str]], None] = lambda *_: None
    deleting: Callable[[Context, int], Awaitable[None]] = _nothing  # /delete, before the person's data goes


@dataclass
class BotData:
    """Everything shared across handlers and jobs; `bot.app` sets the services and scheduler once."""

    services: Services = field(init=False)
    nudges: NudgeScheduler = field(init=False)
    locks: PersonLocks = field(default_factory=PersonLocks)
    # One per shared item between its delivery and the record of it, and its receiver's answer or its
    # author's take-back: a button pressed the moment it arrives waits for the delivery to be recorded.
    # Only ever taken last (never while waiting for a person's lock), so it cannot deadlock.
    share_locks: PersonLocks = field(default_factory=PersonLocks)
    flows: FlowRuntime = field(default_factory=FlowRuntime)
    allowed_users: set[int] = field(default_factory=set)  # let in (invite mode), cached
    hooks: Hooks = field(default_factory=Hooks)
    loop_probe: Any = None


@dataclass
class UserData:
    """Per-person conversation state that need not survive a restart (buttons from before one have passed)."""

    editing: str | None = None  # the settings question that is open; typed text answers it
    menu_message: int | None = None  # the settings or reminders menu whose buttons are current
    menu_buttons: frozenset[str] = frozenset()  # the callback data that menu carries right now
    pending_delete: Confirmation | None = None  # created by /delete, used once
    quiet_until: datetime | None = None  # after a hint for unexpected text, hints pause until then
    tell_reminders_on: bool = False  # they unblocked the bot; their next /start says nudges come again
    voice: Voice | None = None  # language and gender from the profile, refreshed before every update
    offers: dict[str, int] = field(
        default_factory=dict
    )  # open share offers: what → the message carrying them
    partner_note: str | None = None  # the check-in whose sentence for the partner is being typed
    partner_notes: dict[str, str] = field(default_factory=dict)  # typed sentences awaiting Send, by check-in
    care_noted: date | None = (
        None  # the local day the gentle note about help was last added (kept nowhere else)
    )


Context = CallbackContext[ExtBot[None], UserData, dict[Any, Any], BotData]
CONTEXT_TYPES: ContextTypes[Context, UserData, dict[Any, Any], BotData] = ContextTypes(
    context=CallbackContext, bot_data=BotData, user_data=UserData
)
App = Application[ExtBot[None], Context, UserData, dict[Any, Any], BotData, JobQueue[Context]]


def services(context: Context) -> Services:
    return context.bot_data.services


def person(context: Context, uid: int) -> AbstractAsyncContextManager[None]:
    """The person's lock: jobs touching their data take it, as their updates do."""
    return context.bot_data.locks.holding(uid)


def user_data(context: Context) -> UserData:
    assert context.user_data is not None  # handlers are registered for user updates only
    return context.user_data


def user_id(update: Update) -> int:
    """The id of the person who sent the update (handlers are only registered for user updates)."""
    user = update.effective_user
    assert user is not None
    return user.id


def lang(update: Update, context: Context) -> Voice:
    """The person's language and how they are addressed: from their profile (loaded before every
    update), or for someone new, from their Telegram language."""
    data = context.user_data
    if data is not None and data.voice is not None:
        return data.voice
    user = update.effective_user
    return Voice(language_for(user.language_code if user else None))


def first_name(update: Update) -> str:
    user = update.effective_user
    return user.first_name if user and user.first_name else "there"


def feeling_label(code: str, language: str) -> str:
    """The label of one of the bot's own feeling codes (a family or a feeling word)."""
    return plain(f"family.{code}" if code in FAMILIES else f"feeling.{code}", language)


def share_gist(payload: Mapping[str, Any], language: str) -> str:
    """What a shared item says, as plain text in one line (history): the statement, the interest,
    or the feeling's parts and its sentence."""
    for key in ("statement", "interest"):
        if payload.get(key):
            return " ".join(str(payload[key]).split())
    parts = [feeling_label(str(payload["feeling"]), language)] if payload.get("feeling") else []
    if payload.get("intensity"):
        parts.append(plain("received.intensity", language, n=payload["intensity"]))
    if payload.get("note"):
        parts.append(f"“{' '.join(str(payload['note']).split())}”")
    return ", ".join(parts)


def button_column(language: str, *buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    """One button per row: (text key, callback data) pairs, for choices that need whole words."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(key, language), callback_data=data)] for key, data in buttons]
    )


def keyboard(rows: Iterable[Iterable[tuple[str, str]]]) -> str:
    """Inline buttons, rows of (label, callback data), as the Bot API's JSON for `send`: what PTB
    sends for an `InlineKeyboardMarkup`, without building and serialising its objects (~50 µs)."""
    return json.dumps(
        {"inline_keyboard": [[{"text": text, "callback_data": data} for text, data in row] for row in rows]}
    )


async def send(
    context: Context, uid: int, text: str, markup: InlineKeyboardMarkup | str | None = None
) -> None:
    """Send `text` (HTML) to the person's private chat, as `send_message` does (retries, pacing),
    without building a `Message` from Telegram's answer: nothing reads it, and building it was
    the largest single cost of answering someone on the event loop (~90 µs a message).
    `markup`: buttons, or `keyboard` JSON.

    `Bot._post` is the path every PTB method takes; it fills in `Defaults` only for parameters
    passed as placeholders, so the parse mode is given here (a test checks the calls match)."""
    data: dict[str, Any] = {"chat_id": uid, "text": text, "parse_mode": ParseMode.HTML}
    if markup is not None:
        data["reply_markup"] = markup
    await context.bot._post("sendMessage", data)


async def say(
    context: Context,
    uid: int,
    language: str,
    key: str,
    markup: InlineKeyboardMarkup | None = None,
    **values: Any,
) -> None:
    """Send text `key` to the person's private chat (jobs have no update to reply to)."""
    await send(context, uid, t(key, language, **values), markup)


async def say_kept(
    context: Context,
    uid: int,
    language: str,
    key: str,
    markup: InlineKeyboardMarkup | None = None,
    **values: Any,
) -> Message:
    """As `say`, returning the sent message, for those that refer to it later (menus, offers)."""
    return await context.bot.send_message(uid, t(key, language, **values), reply_markup=markup)


def remember_menu(context: Context, message: MaybeInaccessibleMessage | None, markup: Any = None) -> None:
    """`message` (sent or just edited to `markup`) is the current menu: only its buttons are valid presses."""
    data = user_data(context)
    if markup is None and isinstance(message, Message):
        markup = message.reply_markup
    data.menu_message = message.message_id if message is not None else None
    data.menu_buttons = frozenset(
        button.callback_data
        for row in (markup.inline_keyboard if markup else ())
        for button in row
        if isinstance(button.callback_data, str)
    )


def forget_menu(context: Context) -> None:
    data = user_data(context)
    data.menu_message, data.menu_buttons = None, frozenset()


def on_current_menu(update: Update, context: Context) -> bool:
    """Whether the press is a button the current menu carries, on that menu (older menus have passed)."""
    query = update.callback_query
    data = user_data(context)
    return (
        query is not None
        and query.message is not None
        and query.message.message_id == data.menu_message
        and query.data in data.menu_buttons
    )


def pressed(update: Update, button: Button) -> tuple[CallbackQuery, tuple[str, ...]]:
    """The press and its fields (the handler was registered with `button`'s own pattern)."""
    query = update.callback_query
    assert query is not None
    fields = button.parse(query.data)
    assert fields is not None
    return query, fields


async def menu_press(update: Update, context: Context, button: Button) -> tuple[str, ...] | None:
    """The fields of a press on the current menu, which it uses up (a second press has passed); None if
    the press is not for the current menu. The press is answered either way."""
    query, fields = pressed(update, button)
    if not on_current_menu(update, context):
        await answer_passed(query, lang(update, context))
        return None
    forget_menu(context)
    await query.answer()
    return fields


async def answer_passed(query: CallbackQuery, language: str) -> None:
    """A press that no longer matches what is open (old, twice, forged): say so briefly, change nothing."""
    await query.answer(t("flow.passed", language))


async def edit_text(message: MaybeInaccessibleMessage | None, text: str, **kwargs: Any) -> None:
    """Edit a message; "not modified" (a second quick press) is success, not an error."""
    if isinstance(message, Message):
        try:
            await message.edit_text(text, **kwargs)
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                raise


async def drop_buttons(message: MaybeInaccessibleMessage | None) -> None:
    """Remove a message's buttons once they have been used; already gone is fine."""
    if isinstance(message, Message) and message.reply_markup is not None:
        try:
            await message.edit_reply_markup(reply_markup=None)
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                raise


async def mark_chosen(message: MaybeInaccessibleMessage | None, choice: str) -> None:
    """Show the chosen answer under the question (keeping its formatting) and drop its buttons."""
    if isinstance(message, Message) and message.text_html is not None:
        await edit_text(message, f"{message.text_html}\n\n✓ <b>{html.escape(choice)}</b>", reply_markup=None)


async def reply(update: Update, context: Context, key: str, /, **kwargs: Any) -> Message | None:
    """Send text `key` (in the user's language) to the chat the update came from."""
    markup = kwargs.pop("reply_markup", None)
    chat = update.effective_chat
    if chat is None:
        return None
    return await chat.send_message(t(key, lang(update, context), **kwargs), reply_markup=markup)
