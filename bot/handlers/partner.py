"""Couple mode on Telegram: /partner, invite links, accepting, unlinking, and delivering what one
partner chose to send the other, with the receiver's answer back to its author.

Nothing here ever reads a person's diary for the partner: a share holds only what its author
chose (`bot.services.partners`), and every press is checked against the stored couple record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import filters

from bot import callbacks
from bot.domain import engine, partners
from bot.domain.flows import FAMILIES
from bot.domain.models import Entry, EntryKind, Profile
from bot.domain.parsing import format_time
from bot.domain.partners import (
    FEELING_CODES,
    INTENSITY_RANGE,
    INVITE_PREFIX,
    NOTE_MAX_CHARS,
    RESPONSES,
    InviteRefusal,
    Pairing,
    Share,
    ShareKind,
    ShareRefusal,
    ShareState,
)
from bot.domain.schedule import zone_of
from bot.formatting import format_date_long
from bot.handlers.common import (
    App,
    Context,
    UserData,
    answer_passed,
    drop_buttons,
    first_name,
    lang,
    mark_chosen,
    menu_press,
    person,
    pressed,
    remember_menu,
    say,
    services,
    user_data,
    user_id,
)
from bot.render import button_label, split_html
from bot.services import Services, boundaries, exercises, interests
from bot.services import partners as couples
from bot.texts import Html, Voice, plain, t, voice_of

INVITE_REFUSED: Final = {
    InviteRefusal.FORGED: "partner.refused.forged",
    InviteRefusal.SELF: "partner.refused.self",
    InviteRefusal.USED: "partner.refused.used",
    InviteRefusal.EXPIRED: "partner.refused.expired",
    InviteRefusal.PRESSER_LINKED: "partner.refused.presser_linked",
    InviteRefusal.INVITER_LINKED: "partner.refused.inviter_linked",
}
SHARE_REFUSED: Final = {
    ShareRefusal.NOT_LINKED: "share.refused.not_linked",
    ShareRefusal.DAILY_LIMIT: "share.refused.daily_limit",
    ShareRefusal.NOTHING_CHOSEN: "share.refused.nothing_chosen",
    ShareRefusal.NOT_A_CODE: "share.refused.nothing_chosen",  # only the bot's own feeling words ever go
    ShareRefusal.NOTE_TOO_LONG: "share.note_too_long",
}
# The receiver's answer buttons, and what the author is told of each (codes from `RESPONSES`).
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
OFFER_BUTTON: Final = {
    "now": "share.button_now",
    "sleep": "share.button_sleep",
    "private": "share.button_private",
}
STATEMENT_CLIP = 300  # characters of a boundary quoted in an offer (the share itself carries it whole)

logger = logging.getLogger(__name__)

DELIVERY_JOB = "partner-deliveries"
RETRY_DELAY = timedelta(minutes=1)  # Telegram unreachable: try a share again after this


async def voice_for(svc: Services, uid: int) -> Voice:
    """How to speak to someone who did not send this update (their stored language and gender)."""
    profile = await svc.repo.get_profile(uid)
    return voice_of(profile.language, profile.gender) if profile else voice_of(None)


def _button(label: str, data: str) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(label, callback_data=data)]


class NoteOpen(filters.MessageFilter):
    """Text from someone typing a sentence for their partner (asked last, so it takes the text)."""

    def __init__(self, people: Mapping[int, UserData]) -> None:
        super().__init__(name="NoteOpen")
        self._people = people

    def filter(self, message: Message) -> bool:
        data = self._people.get(message.from_user.id) if message.from_user else None
        return data is not None and data.partner_note is not None and data.editing is None


async def restore(app: App) -> None:
    """At start: finish links a crash interrupted, settle shares it left in flight, and deliver
    what is due (night-time shares queued before a restart), then every tick."""
    svc = app.bot_data.services
    repaired = await asyncio.to_thread(svc.couples.repair)
    settled = await svc.couples.settle_interrupted()
    if repaired or settled:
        logger.info("Couple records repaired after a crash: %d links, %d shares", repaired, settled)
    assert app.job_queue is not None
    app.job_queue.run_repeating(deliver_due, interval=svc.config.tick_seconds, first=0, name=DELIVERY_JOB)


# --- /partner ---------------------------------------------------------------------------


async def partner_command(update: Update, context: Context) -> None:
    """The link state: how to invite a partner, or who the partner is and what they can see."""
    uid, language = user_id(update), lang(update, context)
    await _show(context, uid, language)


async def _show(context: Context, uid: int, language: str) -> None:
    svc = services(context)
    current = await couples.couple(svc, uid)
    if current is None:
        markup = InlineKeyboardMarkup(
            [_button(plain("partner.button_invite", language), callbacks.PARTNER_INVITE.data("new"))]
        )
        remember_menu(context, await say(context, uid, language, "partner.none", markup))
        return
    hours = "off" if current.immediate else "on"
    rows = [
        _button(
            plain("partner.button_hours_day" if current.immediate else "partner.button_hours_any", language),
            callbacks.PARTNER_HOURS.data(hours, current.pairing_id),
        ),
        _button(
            plain("partner.button_unlink", language), callbacks.PARTNER_UNLINK.data("ask", current.pairing_id)
        ),
    ]
    message = await say(
        context,
        uid,
        language,
        "partner.linked",
        InlineKeyboardMarkup(rows),
        partner=current.partner_name,
        date=format_date_long(current.pairing.linked_at.date(), language),
        hours=t("partner.hours_any" if current.immediate else "partner.hours_day", language),
    )
    remember_menu(context, message)


async def on_invite_button(update: Update, context: Context) -> None:
    """A new single-use invite link, and a message ready to forward to the partner (from the current
    /partner menu only, once)."""
    if await menu_press(update, context, callbacks.PARTNER_INVITE) is None:
        return
    uid, language = user_id(update), lang(update, context)
    svc = services(context)
    assert update.callback_query is not None
    await drop_buttons(update.callback_query.message)
    invite = await couples.new_invite(svc, uid, first_name(update))
    if invite is None:
        current = await couples.couple(svc, uid)
        name = current.partner_name if current else ""
        await say(context, uid, language, "partner.already_linked", partner=name)
        return
    link = f"https://t.me/{context.bot.username}?start={INVITE_PREFIX}{invite.code}"
    await say(context, uid, language, "partner.invite_link", link=link, days=svc.config.partner_invite_days)
    await say(context, uid, language, "partner.invite_forward", name=invite.inviter_first_name, link=link)


async def start_with_invite(update: Update, context: Context) -> None:
    """`/start p-<code>`: who invites, what linking means, and Accept / Decline (or why it cannot be)."""
    uid, language = user_id(update), lang(update, context)
    payload = (context.args or [""])[0]
    code = couples.code_of(payload)
    svc = services(context)
    invite, refusal = (
        (None, InviteRefusal.FORGED) if code is None else await couples.check_invite(svc, code, uid)
    )
    if refusal is not None or invite is None or code is None:
        await say(context, uid, language, INVITE_REFUSED[refusal or InviteRefusal.FORGED])
        return
    rows = [
        _button(plain("partner.button_accept", language), callbacks.PARTNER_JOIN.data("yes", code)),
        _button(plain("partner.button_decline", language), callbacks.PARTNER_JOIN.data("no", code)),
    ]
    await say(
        context,
        uid,
        language,
        "partner.invite_intro",
        InlineKeyboardMarkup(rows),
        name=invite.inviter_first_name,
    )


async def on_join_button(update: Update, context: Context) -> None:
    """Accept or decline an invite; checked against the stored invite and both people's links."""
    query, (choice, code) = pressed(update, callbacks.PARTNER_JOIN)
    uid, language = user_id(update), lang(update, context)
    svc = services(context)
    if choice == "no":
        _, refusal = await couples.check_invite(svc, code, uid)
        if refusal is not None:
            await answer_passed(query, language)
            return
        await query.answer()
        await drop_buttons(query.message)
        await say(context, uid, language, "partner.declined")
        return
    outcome = await couples.accept(svc, code, uid, first_name(update))
    if outcome is InviteRefusal.FORGED:  # no such invite: not a button this bot sent
        await answer_passed(query, language)
        return
    if isinstance(outcome, InviteRefusal):
        await query.answer()
        await drop_buttons(query.message)
        await say(context, uid, language, INVITE_REFUSED[outcome])
        return
    invite, _pairing = outcome
    await query.answer()
    await drop_buttons(query.message)
    profile = await svc.repo.get_profile(uid)
    if profile is None:  # someone new: the link lets them in (see access.gate); setup comes next
        await svc.repo.save_profile(Profile(user_id=uid, language=str(language)))
        context.bot_data.allowed_users.add(uid)
    await say(context, uid, language, "partner.accepted", partner=invite.inviter_first_name)
    if profile is None or not profile.onboarded:
        await say(context, uid, language, "partner.accepted_setup")
    inviter = invite.inviter_id
    async with person(context, inviter):
        await _tell(context, inviter, "partner.accepted_inviter", partner=first_name(update))


async def _tell(
    context: Context, uid: int, key: str, markup: InlineKeyboardMarkup | None = None, **values: Any
) -> bool:
    """Say something to a person who did not send this update; False if they blocked the bot."""
    try:
        await say(context, uid, await voice_for(services(context), uid), key, markup, **values)
    except Forbidden:
        return False
    return True


async def on_hours_button(update: Update, context: Context) -> None:
    """Whether shares reach the presser at any hour or wait for their morning at night."""
    fields = await menu_press(update, context, callbacks.PARTNER_HOURS)
    if fields is None:
        return
    choice, pairing_id = fields
    uid, language = user_id(update), lang(update, context)
    if not await couples.set_immediate(services(context), uid, pairing_id, choice == "on"):
        return
    assert update.callback_query is not None
    await drop_buttons(update.callback_query.message)
    await say(context, uid, language, "partner.hours_any_set" if choice == "on" else "partner.hours_day_set")


async def on_unlink_button(update: Update, context: Context) -> None:
    """Ask first; then end the link and tell the partner, or end it quietly (the partner is sent nothing).

    Only the current menu's buttons count, once, and only for the presser's own active link."""
    fields = await menu_press(update, context, callbacks.PARTNER_UNLINK)
    if fields is None:
        return
    choice, pairing_id = fields
    uid, language = user_id(update), lang(update, context)
    svc = services(context)
    current = await couples.couple(svc, uid)
    if current is None or current.pairing_id != pairing_id:
        return
    assert update.callback_query is not None
    await drop_buttons(update.callback_query.message)
    if choice == "ask":
        choices = (("partner.button_unlink_tell", "tell"), ("partner.button_unlink_quiet", "quiet"),
                   ("partner.button_keep", "keep"))  # fmt: skip
        rows = [
            _button(
                plain(key, language, partner=current.partner_name),
                callbacks.PARTNER_UNLINK.data(action, pairing_id),
            )
            for key, action in choices
        ]
        markup = InlineKeyboardMarkup(rows)
        asked = await say(context, uid, language, "partner.unlink_ask", markup, partner=current.partner_name)
        remember_menu(context, asked)
        return
    if choice == "keep":
        await say(context, uid, language, "partner.kept")
        return
    if not isinstance(await couples.unlink(svc, uid, pairing_id), Pairing):
        return
    if choice == "quiet":
        await say(context, uid, language, "partner.unlinked_quietly", partner=current.partner_name)
        return
    await say(context, uid, language, "partner.unlinked", partner=current.partner_name)
    async with person(context, current.partner):
        await _tell(context, current.partner, "partner.ended_by_partner", partner=current.my_name)


# --- sending and delivering -------------------------------------------------------------


def feeling_label(code: str, voice: str) -> str:
    """The label of one of the bot's own feeling codes (a family or a feeling word)."""
    return plain(f"family.{code}" if code in FAMILIES else f"feeling.{code}", voice)


def _received_text(item: Share, sender_name: str, voice: str) -> tuple[str, InlineKeyboardMarkup]:
    """What the receiver reads, in their own language, with the answer buttons for its kind."""
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
    rows = [
        _button(
            plain(REPLY_LABEL[item.kind, code], voice),
            callbacks.PARTNER_REPLY.data(item.share_id, code),
        )
        for code in RESPONSES[item.kind]
    ]
    return text, InlineKeyboardMarkup(rows)


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
    text, markup = _received_text(item, sender_name, voice)
    chunks = split_html(text)
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


async def send_share(
    context: Context, uid: int, language: str, kind: ShareKind, source: str, payload: dict[str, Any]
) -> None:
    """Store the share, then deliver it now or say when it will arrive, or why it cannot go."""
    svc = services(context)
    current = await couples.couple(svc, uid)
    outcome = await couples.share(svc, uid, kind, source, payload)
    partner = current.partner_name if current else ""
    if outcome is None:
        await say(context, uid, language, "share.already", partner=partner)
        return
    if isinstance(outcome, ShareRefusal):
        await say(
            context,
            uid,
            language,
            SHARE_REFUSED[outcome],
            partner=partner,
            limit=svc.config.partner_daily_limit,
        )
        return
    if outcome.state is ShareState.QUEUED:
        receiver = await svc.repo.get_profile(outcome.receiver)
        zone = receiver.timezone if receiver and receiver.timezone else svc.config.timezone
        at = format_time(outcome.deliver_at.astimezone(zone_of(zone)).time())
        await say(context, uid, language, "share.queued", partner=partner, time=at)
        return
    delivered = await deliver(context, outcome)
    key = {True: "share.sent", False: "share.not_delivered", None: "share.delayed"}[delivered]
    await say(context, uid, language, key, partner=partner)


async def on_reply_button(update: Update, context: Context) -> None:
    """The receiver answers a share (once): the author hears how it was met."""
    query, (the_id, response) = pressed(update, callbacks.PARTNER_REPLY)
    uid, language = user_id(update), lang(update, context)
    svc = services(context)
    answered = await couples.respond(svc, uid, the_id, response)
    if answered is None:
        await answer_passed(query, language)
        return
    await query.answer()
    await mark_chosen(query.message, plain(REPLY_LABEL[answered.kind, response], language))
    if not await couples.still_linked(svc, answered):
        return  # the author ended the link (perhaps quietly): nothing goes back
    current = await couples.couple(svc, answered.sender)
    async with person(context, answered.sender):
        if answered.kind is ShareKind.BOUNDARY:
            boundary_id = str(answered.payload.get("boundary_id", ""))
            if boundary_id:
                await couples.note_boundary_shared(svc, answered.sender, boundary_id, response)
        await _tell(
            context,
            answered.sender,
            ANSWERED[answered.kind, response],
            partner=current.partner_name if current else "",
            interest=str(answered.payload.get("interest", "")),
        )


async def deliver_due(context: Context) -> None:
    """JobQueue callback: shares whose morning has come, and boundaries someone wanted to sleep on."""
    svc = services(context)
    while True:
        shares, asks = await couples.take_due(svc)  # one share at a time (see Couples.take_due)
        for item in shares:
            if await deliver(context, item) is False:
                async with person(context, item.sender):
                    current = await couples.couple(svc, item.sender)
                    await _tell(
                        context,
                        item.sender,
                        "share.not_delivered",
                        partner=current.partner_name if current else "",
                    )
        for ask in asks:
            async with person(context, ask.author):
                await offer_boundary(
                    context, ask.author, await voice_for(svc, ask.author), ask.boundary_id, again=True
                )
        if not shares:
            return


# --- offers: the author chooses, one item at a time ---------------------------------------


async def _offer(
    context: Context,
    uid: int,
    language: str,
    key: str,
    offer: str,
    rows: list[list[InlineKeyboardButton]],
    **values: Any,
) -> None:
    """Send an offer; only its own buttons, on this message, once, can act on it (`UserData.offers`)."""
    message = await say(context, uid, language, key, InlineKeyboardMarkup(rows), **values)
    context.application.user_data[uid].offers[offer] = message.message_id


def _take_offer(update: Update, context: Context, offer: str) -> bool:
    """Whether this press is on the open offer `offer` (which it uses up)."""
    query = update.callback_query
    offers = user_data(context).offers
    if query is None or query.message is None or offers.get(offer) != query.message.message_id:
        return False
    del offers[offer]
    return True


async def offer_boundary(
    context: Context, uid: int, language: str, boundary_id: str, *, again: bool = False
) -> None:
    """Offer to send a boundary just put into words: now, sleep on it, or keep it private."""
    svc = services(context)
    current = await couples.couple(svc, uid)
    boundary = await boundaries.find(svc, uid, boundary_id)
    if current is None or boundary is None:
        return
    if await couples.find_share(svc, uid, couples.share_id(uid, ShareKind.BOUNDARY, boundary_id)) is not None:
        return
    rows = [
        _button(
            plain(OFFER_BUTTON[action], language, partner=current.partner_name),
            callbacks.SHARE_BOUNDARY.data(boundary_id, action),
        )
        for action in ("now", "sleep", "private")
    ]
    statement = engine.compose("{statement}", boundary.data, clip=STATEMENT_CLIP)
    key = "share.offer_again" if again else "share.offer_boundary"
    await _offer(
        context,
        uid,
        language,
        key,
        f"b:{boundary_id}",
        rows,
        partner=current.partner_name,
        statement=statement,
    )


async def on_boundary_button(update: Update, context: Context) -> None:
    query, (boundary_id, action) = pressed(update, callbacks.SHARE_BOUNDARY)
    uid, language = user_id(update), lang(update, context)
    svc = services(context)
    boundary = await boundaries.find(svc, uid, boundary_id)
    if boundary is None or not _take_offer(update, context, f"b:{boundary_id}"):
        await answer_passed(query, language)
        return
    await query.answer()
    await drop_buttons(query.message)
    if action == "private":
        await say(context, uid, language, "share.private")
    elif action == "sleep":
        ask_at = await couples.sleep_on_it(svc, uid, boundary_id)
        if ask_at is None:
            await say(context, uid, language, "share.refused.not_linked")
        else:
            await say(context, uid, language, "share.sleeping")
    else:
        payload = {"boundary_id": boundary_id, "statement": engine.compose("{statement}", boundary.data)}
        await send_share(context, uid, language, ShareKind.BOUNDARY, boundary_id, payload)
        if await couples.find_share(svc, uid, couples.share_id(uid, ShareKind.BOUNDARY, boundary_id)):
            await couples.note_boundary_shared(svc, uid, boundary_id)


def _feeling_code(data: dict[str, Any]) -> str | None:
    """The check-in's feeling as one of the bot's own codes (a typed feeling never leaves the diary)."""
    for key in ("feeling", "family"):
        value = data.get(key)
        if isinstance(value, str) and value in FEELING_CODES:
            return value
    return None


def _intensity(data: dict[str, Any]) -> int | None:
    try:
        value = int(data.get("intensity"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if value in INTENSITY_RANGE else None


async def offer_feeling(context: Context, uid: int, language: str, entry_id: str) -> None:
    """After an evening check-in: offer to tell the partner how the person feels (their choice of parts)."""
    svc = services(context)
    current = await couples.couple(svc, uid)
    entry = await _checkin(svc, uid, entry_id)
    if current is None or entry is None:
        return
    feeling, intensity = _feeling_code(entry.data), _intensity(entry.data)
    rows = []
    if feeling is not None:
        label = feeling_label(feeling, language)
        if intensity is not None:
            rows.append(
                _button(
                    plain("share.button_feeling_all", language, feeling=label, n=intensity),
                    callbacks.SHARE_FEELING.data(entry_id, "all"),
                )
            )
        rows.append(
            _button(
                plain("share.button_feeling_only", language, feeling=label),
                callbacks.SHARE_FEELING.data(entry_id, "feeling"),
            )
        )
    rows.append(
        _button(
            plain("share.button_feeling_note", language, partner=current.partner_name),
            callbacks.SHARE_FEELING.data(entry_id, "note"),
        )
    )
    rows.append(_button(plain("share.button_no", language), callbacks.SHARE_FEELING.data(entry_id, "no")))
    await _offer(
        context, uid, language, "share.offer_feeling", f"f:{entry_id}", rows, partner=current.partner_name
    )


async def _checkin(svc: Services, uid: int, entry_id: str) -> Entry | None:
    """One of the person's own check-ins, by id."""
    for entry in reversed(await svc.repo.list_entries(uid, EntryKind.DIARY)):
        if entry.entry_id == entry_id:
            return entry
    return None


def _feeling_payload(entry: Entry, choice: str, note: str | None) -> dict[str, Any] | ShareRefusal:
    return partners.feeling_payload(
        _feeling_code(entry.data),
        _intensity(entry.data),
        note,
        include_feeling=choice in ("all", "feeling", "send"),
        include_intensity=choice in ("all", "send"),
    )


async def on_feeling_button(update: Update, context: Context) -> None:
    query, (entry_id, choice) = pressed(update, callbacks.SHARE_FEELING)
    uid, language = user_id(update), lang(update, context)
    svc = services(context)
    entry = await _checkin(svc, uid, entry_id)
    data = user_data(context)
    if entry is None or not _take_offer(update, context, f"f:{entry_id}"):
        await answer_passed(query, language)
        return
    await query.answer()
    await drop_buttons(query.message)
    data.partner_note = None
    current = await couples.couple(svc, uid)
    if choice == "no":
        await say(context, uid, language, "share.private")
        return
    if choice == "note":
        data.partner_note = entry_id
        await say(
            context,
            uid,
            language,
            "share.note_ask",
            partner=current.partner_name if current else "",
            max=NOTE_MAX_CHARS,
        )
        return
    note = data.partner_notes.pop(entry_id, None) if choice == "send" else None
    payload = _feeling_payload(entry, choice, note)
    if isinstance(payload, ShareRefusal):
        await say(
            context,
            uid,
            language,
            SHARE_REFUSED[payload],
            partner=current.partner_name if current else "",
            max=NOTE_MAX_CHARS,
        )
        return
    await send_share(context, uid, language, ShareKind.FEELING, entry_id, payload)


async def on_note_text(update: Update, context: Context) -> None:
    """The one sentence typed for the partner: shown back as the partner will read it, then Send or not."""
    uid, language = user_id(update), lang(update, context)
    data = user_data(context)
    entry_id = data.partner_note
    message = update.message
    if entry_id is None or message is None or not message.text:
        return
    text = message.text.strip()
    if len(text) > NOTE_MAX_CHARS:
        await say(context, uid, language, "share.note_too_long", max=NOTE_MAX_CHARS, n=len(text))
        return
    svc = services(context)
    entry, current = await _checkin(svc, uid, entry_id), await couples.couple(svc, uid)
    data.partner_note = None
    if entry is None or current is None:
        await say(context, uid, language, "share.refused.not_linked")
        return
    payload = _feeling_payload(entry, "send", text)
    if isinstance(payload, ShareRefusal):
        await say(
            context,
            uid,
            language,
            SHARE_REFUSED[payload],
            partner=current.partner_name,
            max=NOTE_MAX_CHARS,
        )
        return
    data.partner_notes[entry_id] = text
    preview = Share(
        share_id=couples.share_id(uid, ShareKind.FEELING, entry_id), pairing_id="", sender=uid, receiver=uid,
        kind=ShareKind.FEELING, payload=payload, created_at=svc.clock(), deliver_at=svc.clock(),
    )  # fmt: skip
    shown, _ = _received_text(preview, current.my_name, language)
    rows = [
        _button(plain("share.button_send", language), callbacks.SHARE_FEELING.data(entry_id, "send")),
        _button(plain("share.button_no", language), callbacks.SHARE_FEELING.data(entry_id, "no")),
    ]
    await _offer(
        context,
        uid,
        language,
        "share.note_preview",
        f"f:{entry_id}",
        rows,
        partner=current.partner_name,
        preview=Html(shown),
    )


async def offer_interest(context: Context, uid: int, language: str, name: str) -> None:
    """After time made for an interest: offer to tell the partner about it."""
    current = await couples.couple(services(context), uid)
    if current is None or not name:
        return
    the_id = interests.interest_id(name)
    rows = [
        _button(
            plain("share.button_interest", language, partner=current.partner_name),
            callbacks.SHARE_INTEREST.data(the_id),
        )
    ]
    await _offer(
        context,
        uid,
        language,
        "share.offer_interest",
        f"i:{the_id}",
        rows,
        partner=current.partner_name,
        interest=name,
    )


async def interest_rows(
    context: Context, uid: int, language: str, names: list[str]
) -> list[list[InlineKeyboardButton]]:
    """/interests, when linked: one "tell my partner" button per interest (each an open offer)."""
    current = await couples.couple(services(context), uid)
    if current is None:
        return []
    return [
        _button(
            button_label(
                plain("share.button_interest_named", language, partner=current.partner_name, interest=name)
            ),
            callbacks.SHARE_INTEREST.data(interests.interest_id(name)),
        )
        for name in names
    ]


def remember_interest_offers(context: Context, uid: int, message_id: int, names: list[str]) -> None:
    offers = context.application.user_data[uid].offers
    for name in names:
        offers[f"i:{interests.interest_id(name)}"] = message_id


async def on_interest_button(update: Update, context: Context) -> None:
    query, (the_id,) = pressed(update, callbacks.SHARE_INTEREST)
    uid, language = user_id(update), lang(update, context)
    svc = services(context)
    profile = await svc.repo.get_profile(uid)
    name = next(
        (n for n in (profile.interests if profile else []) if interests.interest_id(n) == the_id), None
    )
    if name is None or not _take_offer(update, context, f"i:{the_id}"):
        await answer_passed(query, language)
        return
    await query.answer()
    day = exercises.today(svc, profile)
    await send_share(
        context, uid, language, ShareKind.INTEREST, f"{the_id}:{day.isoformat()}", {"interest": name}
    )


async def after_finish(
    context: Context, uid: int, language: str, flow: str, entry_id: str, answers: dict[str, Any]
) -> None:
    """What couple mode offers once an exercise is stored (nothing when the person has no partner)."""
    if flow == "boundary":
        await offer_boundary(context, uid, language, entry_id)
    elif flow == "checkin":
        await offer_feeling(context, uid, language, entry_id)
    elif flow == "did":
        await offer_interest(context, uid, language, interests.clean_name(str(answers.get("interest", ""))))


# --- /delete ----------------------------------------------------------------------------


async def forget(context: Context, uid: int) -> None:
    """Part of /delete: end the link, remove what the person sent from the partner's record, delete
    the delivered messages Telegram still allows deleting, and tell the partner the link ended."""
    svc = services(context)
    current = await couples.couple(svc, uid)
    removed, partners_told = await couples.forget(svc, uid)
    now = svc.clock()
    for item in removed:
        if partners.deletable(item, now):
            for message_id in item.message_ids:
                with contextlib.suppress(TelegramError):  # deleted by the receiver already, or too old
                    await context.bot.delete_message(item.receiver, message_id)
    for partner in partners_told:
        async with person(context, partner):
            await _tell(context, partner, "partner.partner_left", partner=current.my_name if current else "")
