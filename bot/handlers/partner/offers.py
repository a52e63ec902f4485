"""Offers to send one item, made after an exercise or from a list; only the offer's own buttons,
on its message, once, act on it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import filters

from bot import callbacks
from bot.domain import engine, partners
from bot.domain.models import Entry, EntryKind
from bot.domain.partners import (
    FEELING_CODES,
    INTENSITY_RANGE,
    NOTE_MAX_CHARS,
    Share,
    ShareKind,
    ShareRefusal,
)
from bot.handlers.common import (
    Context,
    UserData,
    answer_passed,
    drop_buttons,
    feeling_label,
    lang,
    pressed,
    say,
    say_kept,
    services,
    user_data,
    user_id,
)
from bot.handlers.partner.delivery import button_row, received_text, say_refused, send_share
from bot.render import button_label
from bot.services import Services, boundaries, exercises, interests
from bot.services import partners as couples
from bot.texts import Html, plain

OFFER_BUTTON: Final = {
    "now": "share.button_now",
    "sleep": "share.button_sleep",
    "private": "share.button_private",
}


OPEN_OFFERS = 32  # offers a person can still answer; older ones have passed
STATEMENT_CLIP = 300  # characters of a boundary quoted in an offer (the share itself carries it whole)


class NoteOpen(filters.MessageFilter):
    """Text from someone typing a sentence for their partner (asked last, so it takes the text)."""

    def __init__(self, people: Mapping[int, UserData]) -> None:
        super().__init__(name="NoteOpen")
        self._people = people

    def filter(self, message: Message) -> bool:
        data = self._people.get(message.from_user.id) if message.from_user else None
        return data is not None and data.partner_note is not None and data.editing is None


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
    message = await say_kept(context, uid, language, key, InlineKeyboardMarkup(rows), **values)
    offers = context.application.user_data[uid].offers
    offers.pop(offer, None)  # a newer offer of the same item replaces the older one
    offers[offer] = message.message_id
    while len(offers) > OPEN_OFFERS:
        del offers[next(iter(offers))]  # the oldest offers have passed


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
        button_row(
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
    await _act_on_boundary(context, uid, language, boundary_id, boundary.data, action)
    await drop_buttons(query.message)  # after what was chosen is stored: a crash never loses a choice


async def _act_on_boundary(
    context: Context, uid: int, language: str, boundary_id: str, data: dict[str, Any], action: str
) -> None:
    svc = services(context)
    if action == "private":
        await say(context, uid, language, "share.private")
    elif action == "sleep":
        ask_at = await couples.sleep_on_it(svc, uid, boundary_id)
        if ask_at is None:
            await say(context, uid, language, "share.refused.not_linked")
        else:
            await say(context, uid, language, "share.sleeping")
    else:
        payload = {"boundary_id": boundary_id, "statement": engine.compose("{statement}", data)}
        if await send_share(context, uid, language, ShareKind.BOUNDARY, boundary_id, payload) is not None:
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
    if current is None:
        return
    entry = await _checkin(svc, uid, entry_id)
    if entry is None:
        return
    feeling, intensity = _feeling_code(entry.data), _intensity(entry.data)
    rows = []
    if feeling is not None:
        label = feeling_label(feeling, language)
        if intensity is not None:
            rows.append(
                button_row(
                    plain("share.button_feeling_all", language, feeling=label, n=intensity),
                    callbacks.SHARE_FEELING.data(entry_id, "all"),
                )
            )
        rows.append(
            button_row(
                plain("share.button_feeling_only", language, feeling=label),
                callbacks.SHARE_FEELING.data(entry_id, "feeling"),
            )
        )
    rows.append(
        button_row(
            plain("share.button_feeling_note", language, partner=current.partner_name),
            callbacks.SHARE_FEELING.data(entry_id, "note"),
        )
    )
    rows.append(button_row(plain("share.button_no", language), callbacks.SHARE_FEELING.data(entry_id, "no")))
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
    if entry is None or not _take_offer(update, context, f"f:{entry_id}"):
        await answer_passed(query, language)
        return
    await query.answer()
    await _act_on_feeling(context, uid, language, entry, choice)
    await drop_buttons(query.message)  # after what was chosen is stored: a crash never loses a choice


async def _act_on_feeling(context: Context, uid: int, language: str, entry: Entry, choice: str) -> None:
    svc = services(context)
    entry_id = entry.entry_id
    data = context.application.user_data[uid]
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
        await say_refused(context, uid, language, payload, current.partner_name if current else "")
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
        await say_refused(context, uid, language, payload, current.partner_name)
        return
    data.partner_notes[entry_id] = text
    preview = Share(
        share_id="preview", pairing_id="", sender=uid, receiver=uid, kind=ShareKind.FEELING,
        payload=payload, created_at=svc.clock(), deliver_at=svc.clock(),
    )  # fmt: skip
    shown = received_text(preview, current.my_name, language)
    rows = [
        button_row(plain("share.button_send", language), callbacks.SHARE_FEELING.data(entry_id, "send")),
        button_row(plain("share.button_no", language), callbacks.SHARE_FEELING.data(entry_id, "no")),
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
        button_row(
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
        button_row(
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
    day = exercises.today(svc, await svc.repo.get_profile(uid))
    names = await interests.known(svc, uid, day)
    name = next((n for n in names if interests.interest_id(n) == the_id), None)
    if name is None or not _take_offer(update, context, f"i:{the_id}"):
        await answer_passed(query, language)
        return
    await query.answer()
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
