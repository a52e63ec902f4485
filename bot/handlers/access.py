"""Who may use the bot: everyone (`open`), or in `invite` mode only people with an invite link,
listed ids, operators, and people who already use it. Others get a polite refusal and
nothing is stored about them; help stays one tap away for them all the same (`ALWAYS_OPEN`)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot import callbacks
from bot.domain.models import Profile
from bot.domain.partners import INVITE_PREFIX
from bot.handlers.common import Context, lang, reply, services, user_id
from bot.services import Services, partners
from bot.texts import t

INVITE_BYTES = 12  # 16 URL-safe characters: unguessable, and fits a /start payload
# Commands anyone may use in a private chat, let in or not: someone in a crisis must reach help
# lines whoever they are. They write nothing, so nothing is stored about them.
ALWAYS_OPEN = frozenset({"support", "privacy", "help"})


def _command(message: Message | None) -> str | None:
    """The command a message starts with ("/Support@bot now" -> "support"), as `CommandHandler`
    reads it (a leading bot_command entity; commands for other bots never get this far)."""
    entity = message.entities[0] if message and message.entities else None
    if message is None or entity is None or entity.type != MessageEntity.BOT_COMMAND or entity.offset != 0:
        return None
    return message.parse_entity(entity)[1:].split("@")[0].lower()


async def gate(update: Update, context: Context) -> None:
    """Runs before every handler; stops updates from people who may not use the bot."""
    svc = services(context)
    config = svc.config
    user, chat = update.effective_user, update.effective_chat
    if config.access_mode == "open" or user is None or (chat is not None and chat.type != ChatType.PRIVATE):
        return
    allowed = context.bot_data.allowed_users
    if user.id in allowed:
        return
    if user.id in config.admin_ids or user.id in config.allowed_ids or await svc.repo.get_profile(user.id):
        allowed.add(user.id)
        return
    message = update.message
    if _command(message) in ALWAYS_OPEN:
        return  # answered, without letting them in
    words = message.text.split() if message and message.text else []
    if await _admitted_partner(update, svc, user.id, words):
        return  # accepting saves their profile and lets them in
    if (
        len(words) == 2
        and words[0].split("@")[0] == "/start"
        and await svc.repo.redeem_invite(words[1], svc.clock())
    ):
        await svc.repo.save_profile(Profile(user_id=user.id, language=str(lang(update, context))))
        allowed.add(user.id)
        return
    if update.callback_query is not None:
        await update.callback_query.answer(t("access.refused_short", lang(update, context)))
    elif message is not None:
        await reply(update, context, "access.refused")
    raise ApplicationHandlerStop


async def _admitted_partner(update: Update, svc: Services, uid: int, words: list[str]) -> bool:
    """A partner's invite link (`/start p-<code>`) or the press that accepts it, while it is valid."""
    if len(words) == 2 and words[0].split("@")[0] == "/start":
        return await partners.admits(svc, words[1], uid)
    query = update.callback_query
    fields = callbacks.PARTNER_JOIN.parse(query.data) if query is not None else None
    return fields is not None and await partners.admits(svc, INVITE_PREFIX + fields[1], uid)


async def invite_command(update: Update, context: Context) -> None:
    """/invite (operators only): a single-use link that lets one new person in."""
    svc = services(context)
    if user_id(update) not in svc.config.admin_ids:
        await reply(update, context, "invite.not_admin")
        return
    code = secrets.token_urlsafe(INVITE_BYTES)
    expires = svc.clock() + timedelta(days=svc.config.invite_days)
    await svc.repo.create_invite(code, expires)
    link = f"https://t.me/{context.bot.username}?start={code}"
    key = "invite.link" if svc.config.access_mode == "invite" else "invite.open_mode"
    await reply(update, context, key, link=link, days=svc.config.invite_days)
