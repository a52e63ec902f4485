"""Delivering what one partner chose to send: the receiver's message and answer buttons, the
author's outcome, and the words for every refusal."""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta
from typing import Any, Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden, TelegramError

from bot import callbacks
from bot.domain import partners
from bot.domain.parsing import format_time
from bot.domain.partners import (
    NOTE_MAX_CHARS,
    RESPONSES,
    Share,
    ShareKind,
    ShareRefusal,
    ShareState,
)
from bot.domain.schedule import zone_of
from bot.handlers.common import (
    Context,
    answer_passed,
    drop_buttons,
    feeling_label,
    lang,
    mark_chosen,
    pressed,
    say,
    services,
    user_id,
)
from bot.render import split_html
from bot.services import Services, exercises
from bot.services import partners as couples
from bot.texts import Voice, plain, t, voice_of

SHARE_REFUSED: Final = {
    ShareRefusal.NOT_LINKED: "share.refused.not_linked",
    ShareRefusal.DAILY_LIMIT: "share.refused.daily_limit",
    ShareRefusal.NOTHING_CHOSEN: "share.refused.nothing_chosen",
    ShareRefusal.NOT_A_CODE: "share.refused.nothing_chosen",  # only the bot's own feeling words ever go
    ShareRefusal.NOTE_TOO_LONG: "share.note_too_long",
}


REPLY_LABEL: Final = {
    (ShareKind.BOUNDARY, "thanks"): "received.button.boundary.thanks",
    (ShareKind.BOUNDARY, "talk"): "received.button.boundary.talk",
    (ShareKind.FEELING, "thanks"): "received.button.feeling.thanks",
    (ShareKind.INTEREST, "cheer"): "received.button.interest.cheer",
}


ANSWERED: Final = {
    (ShareKind.BOUNDARY, "thanks"): "answered.boundary.thanks",
    (ShareKind.BOUNDARY, "talk"): "answered.boundary.talk",
    (ShareKind.FEELING, "thanks"): "answered.feeling.thanks",
    (ShareKind.INTEREST, "cheer"): "answered.interest.cheer",
}


logger = logging.getLogger(__name__)


RETRY_DELAY = timedelta(minutes=1)  # Telegram unreachable: try a share again after this


async def voice_for(svc: Services, uid: int) -> Voice:
    """How to speak to someone who did not send this update (their stored language and gender)."""
    profile = await svc.repo.get_profile(uid)
    return voice_of(profile.language, profile.gender) if profile else voice_of(None)


def button_row(label: str, data: str) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(label, callback_data=data)]


async def tell(
    context: Context, uid: int, key: str, markup: InlineKeyboardMarkup | None = None, **values: Any
) -> bool:
    """Say something to a person who did not send this update; False if it could not reach them
    (they blocked the bot, deleted their account, Telegram was unreachable): the presser's own
    action still stands."""
    try:
        await say(context, uid, await voice_for(services(context), uid), key, markup, **values)
    except TelegramError as exc:
        logger.warning("A couple-mode notice could not be sent (%s)", type(exc).__name__)
        return False
    return True


def received_text(item: Share, sender_name: str, voice: str) -> str:
    """What the receiver reads, in their own language."""
    payload = item.payload
    values: dict[str, Any] = {"partner": sender_name}
    if item.kind is ShareKind.BOUNDARY:
        text = t("received.boundary", voice, statement=str(payload.get("statement", "")), **values)
    elif item.kind is ShareKind.INTEREST:
        text = t("received.interest", voice, interest=str(payload.get("interest", "")), **values)
    else:
        parts = []
        if "feeling" in payload:
            parts.append(feeling_label(str(payload["feeling"]), voice))
        if "intensity" in payload:
            parts.append(plain("received.intensity", voice, n=payload["intensity"]))
        text = t(
            "received.feeling" if parts else "received.feeling_note_only",
            voice,
            feeling=", ".join(parts),
            **values,
        )
        if payload.get("note"):
            text = t("received.with_note", voice, text=text, note=str(payload["note"]))
    return text


def _answer_buttons(item: Share, voice: str) -> InlineKeyboardMarkup:
    """The receiver's answer buttons for the share's kind."""
    rows = [
        button_row(
            plain(REPLY_LABEL[item.kind, code], voice),
            callbacks.PARTNER_REPLY.data(item.share_id, code),
        )
        for code in RESPONSES[item.kind]
    ]
    return InlineKeyboardMarkup(rows)


async def deliver(context: Context, item: Share) -> bool | None:
    """Send a share to its receiver: True once delivered, False if it cannot be (blocked, unlinked),
    None if Telegram could not be reached (it is queued again)."""
    svc = services(context)
    if not await couples.still_linked(svc, item):
        await couples.mark_failed(svc, item)
        return False
    receiver = await couples.couple(svc, item.receiver)
    sender_name = receiver.partner_name if receiver else ""
    voice = await voice_for(svc, item.receiver)
    text, markup = received_text(item, sender_name, voice), _answer_buttons(item, voice)
    async with context.bot_data.share_locks.holding(item.share_id):
        return await _send_share(context, item, split_html(text), markup)


async def _send_share(
    context: Context, item: Share, chunks: list[str], markup: InlineKeyboardMarkup
) -> bool | None:
    """`deliver`'s sending and its record, under the item's lock (see `BotData.share_locks`)."""
    svc = services(context)
    sent: list[int] = []
    try:
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            message = await context.bot.send_message(
                item.receiver, chunk, reply_markup=markup if last else None
            )
            sent.append(message.message_id)
    except Forbidden:
        await couples.mark_failed(svc, item)
        return False
    except TelegramError as exc:
        if sent:  # part of it arrived: never send it twice, count it delivered
            await couples.mark_delivered(svc, item, sent)
            return True
        logger.warning("A share could not be delivered (%s); trying again later", type(exc).__name__)
        await couples.requeue(svc, item, RETRY_DELAY)
        return None
    await couples.mark_delivered(svc, item, sent)
    return True


async def say_refused(context: Context, uid: int, language: str, refusal: ShareRefusal, partner: str) -> None:
    """Tell the author kindly why an item did not go (each refusal's text takes what it needs)."""
    limit = services(context).config.partner_daily_limit
    await say(
        context, uid, language, SHARE_REFUSED[refusal], partner=partner, limit=limit, max=NOTE_MAX_CHARS
    )


async def send_share(
    context: Context, uid: int, language: str, kind: ShareKind, source: str, payload: dict[str, Any]
) -> Share | None:
    """Store the share, then deliver it now or say when it will arrive, or why it cannot go; the stored
    share, or None if nothing was stored (refused, or sent already)."""
    svc = services(context)
    current = await couples.couple(svc, uid)
    outcome = await couples.share(svc, uid, kind, source, payload)
    partner = current.partner_name if current else ""
    if outcome is None:
        await say(context, uid, language, "share.already", partner=partner)
        return None
    if isinstance(outcome, ShareRefusal):
        await say_refused(context, uid, language, outcome, partner)
        return None
    if outcome.state is ShareState.QUEUED:
        receiver = await svc.repo.get_profile(outcome.receiver)
        zone = exercises.zone_name(svc, receiver)
        at = format_time(outcome.deliver_at.astimezone(zone_of(zone)).time())
        await say(
            context, uid, language, "share.queued", take_back(outcome, language), partner=partner, time=at
        )
        return outcome
    delivered = await deliver(context, outcome)
    key = {True: "share.sent", False: "share.not_delivered", None: "share.delayed"}[delivered]
    await say(
        context, uid, language, key, take_back(outcome, language) if delivered else None, partner=partner
    )
    return outcome


def take_back(item: Share, language: str) -> InlineKeyboardMarkup:
    """The button that lets the author take an item back (from the partner's history, and chat if it can)."""
    label = plain("share.button_take_back", language)
    return InlineKeyboardMarkup([button_row(label, callbacks.TAKE_BACK.data(item.share_id))])


async def delete_delivered(context: Context, item: Share) -> bool:
    """Delete a delivered share's messages from the receiver's chat while Telegram allows it (48 h)."""
    if not partners.deletable(item, services(context).clock()):
        return False
    for message_id in item.message_ids:
        with contextlib.suppress(TelegramError):  # deleted by the receiver already
            await context.bot.delete_message(item.receiver, message_id)
    return True


async def on_take_back_button(update: Update, context: Context) -> None:
    """The author takes back an item they sent: gone from the partner's record, and from their chat
    when it is less than 48 hours old (a second press finds nothing more to take back)."""
    query, (the_id,) = pressed(update, callbacks.TAKE_BACK)
    uid, language = user_id(update), lang(update, context)
    svc = services(context)
    current = await couples.couple(svc, uid)
    async with context.bot_data.share_locks.holding(the_id):
        removed = await couples.take_back(svc, uid, the_id)
    if removed is None:
        await answer_passed(query, language)
        return
    await query.answer()
    await drop_buttons(query.message)
    if removed.state in (ShareState.QUEUED, ShareState.FAILED):
        key = "share.taken_back_undelivered"
    else:
        key = "share.taken_back" if await delete_delivered(context, removed) else "share.taken_back_old"
    await say(context, uid, language, key, partner=current.partner_name if current else "")


async def on_reply_button(update: Update, context: Context) -> None:
    """The receiver answers a share (once): the author hears how it was met."""
    query, (the_id, response) = pressed(update, callbacks.PARTNER_REPLY)
    uid, language = user_id(update), lang(update, context)
    svc = services(context)
    async with context.bot_data.share_locks.holding(the_id):
        answered = await couples.respond(svc, uid, the_id, response)
    if answered is None:
        await answer_passed(query, language)
        return
    await query.answer()
    await mark_chosen(query.message, plain(REPLY_LABEL[answered.kind, response], language))
    if not await couples.still_linked(svc, answered):
        return  # the author ended the link (perhaps quietly): nothing goes back
    # The answer lives in the couple's record; telling the author writes nothing of theirs, so no
    # lock of theirs is taken (two partners answering each other at once must not wait on each other).
    current = await couples.couple(svc, answered.sender)
    await tell(
        context,
        answered.sender,
        ANSWERED[answered.kind, response],
        partner=current.partner_name if current else "",
        interest=str(answered.payload.get("interest", "")),
    )
