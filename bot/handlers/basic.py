"""/help, /privacy, unknown commands, chats we don't serve, damaged-history notices, errors."""

from __future__ import annotations

import logging
import traceback

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import ApplicationHandlerStop, filters

from bot.handlers.common import Context, answer_passed, lang, reply, services, user_id
from bot.services.reminders import set_active
from bot.storage import StorageError

logger = logging.getLogger(__name__)


async def help_command(update: Update, context: Context) -> None:
    await reply(update, context, "help")


async def privacy(update: Update, context: Context) -> None:
    await reply(update, context, "privacy_full")


class _ForAnotherBot(filters.MessageFilter):
    """A command addressed to some other bot, like "/start@OtherBot" (Telegram sends those to
    every bot in a group, and people can type them anywhere)."""

    __slots__ = ()

    def filter(self, message: Message) -> bool:
        command = message.entities[0] if message.entities else None
        if command is None or command.type != MessageEntity.BOT_COMMAND or command.offset != 0:
            return False
        _, at, addressee = message.parse_entity(command).partition("@")
        return bool(at) and addressee.casefold() != (message.get_bot().username or "").casefold()


FOR_ANOTHER_BOT = _ForAnotherBot(name="for_another_bot")


async def ignore(update: Update, context: Context) -> None:
    """Drop an update meant for someone else: no reply, and no other handler sees it."""
    raise ApplicationHandlerStop


async def unknown_command(update: Update, context: Context) -> None:
    assert update.message is not None and update.message.text is not None
    command = update.message.text.split()[0].split("@")[0][:64]
    await reply(update, context, "hint.unknown_command", command=command)


async def not_private(update: Update, context: Context) -> None:
    """Groups and channels: the bot is for one person at a time, so it only says where to find it."""
    await reply(update, context, "hint.private_only")


async def on_unknown_button(update: Update, context: Context) -> None:
    """A button whose data we don't recognise (very old, or forged): answer it briefly, change nothing."""
    assert update.callback_query is not None
    await answer_passed(update.callback_query, lang(update, context))


async def on_edited(update: Update, context: Context) -> None:
    await reply(update, context, "hint.edited")


async def damage_notice(update: Update, context: Context) -> None:
    """Before anything else answers a person, tell them once if part of their history was set aside.

    Asking for the report loads the person's files, which is where damage is found; so it
    is found here, before the handler reads them, and the notice is the first thing they see.
    """
    chat = update.effective_chat
    sent_by_person = update.message or update.edited_message or update.callback_query
    if not sent_by_person or update.effective_user is None or chat is None or chat.type != ChatType.PRIVATE:
        return
    damaged = await services(context).repo.take_damage_report(user_id(update))
    if damaged:
        await reply(update, context, "history_damaged", n=len(damaged))


def _describe(error: BaseException) -> str:
    """Exception type and stack, but not its message: messages can quote what the user typed."""
    frames = "".join(traceback.format_tb(error.__traceback__))
    cause = error.__cause__ or error.__context__
    via = f" (caused by {type(cause).__module__}.{type(cause).__qualname__})" if cause else ""
    return f"{type(error).__module__}.{type(error).__qualname__}{via}\n{frames}"


async def on_error(update: object, context: Context) -> None:
    """Log what failed without any user text, and tell the user briefly that nothing was lost.

    A failed poll for updates is routine (PTB retries it), and so is a reply that could not be
    sent after retries (Telegram unreachable): one WARNING line, no stack. Anything else is a bug
    an operator must look at: ERROR with the stack.
    """
    error = context.error
    if error is None:
        return
    routine = isinstance(error, NetworkError | RetryAfter) and not isinstance(error, BadRequest)
    if update is None and context.job is None and routine:
        # Polling for updates failed (5xx, connection refused, timeout): PTB retries it.
        logger.warning("Polling Telegram for updates failed (%s); retrying", type(error).__name__)
        return
    update_id = update.update_id if isinstance(update, Update) else None
    if routine and isinstance(update, Update):
        # The reply could not be sent after the rate limiter's retries: an outage, not a bug.
        # What the handler saved is kept; the person sees no answer and can send again.
        logger.warning("Update %s: Telegram could not be reached (%s)", update_id, type(error).__name__)
        return
    if isinstance(error, Forbidden):
        logger.info("Update %s: the user has blocked the bot", update_id)
        if isinstance(update, Update) and update.effective_user is not None:
            await set_active(services(context).repo, update.effective_user.id, False)
        return
    logger.error("Update %s failed: %s", update_id, _describe(error))
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        await reply(update, context, "save_failed" if isinstance(error, StorageError) else "error")
    except Exception as exc:  # the apology itself failed (network, blocked); nothing more to do
        logger.warning("Could not tell the user about the error: %s", type(exc).__name__)
