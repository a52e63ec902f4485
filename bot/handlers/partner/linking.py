"""/partner, invite links, accepting or declining, the delivery hours, unlinking, and leaving."""

from __future__ import annotations

from typing import Final

from telegram import InlineKeyboardMarkup, Update

from bot import callbacks
from bot.domain.models import Profile
from bot.domain.partners import (
    INVITE_PREFIX,
    InviteRefusal,
    Pairing,
)
from bot.formatting import format_date_long
from bot.handlers.common import (
    Context,
    drop_buttons,
    first_name,
    lang,
    menu_press,
    remember_menu,
    say,
    say_kept,
    services,
    user_id,
)
from bot.handlers.partner.delivery import button_row, delete_delivered, tell
from bot.services import partners as couples
from bot.texts import plain, t

INVITE_REFUSED: Final = {
    InviteRefusal.FORGED: "partner.refused.forged",
    InviteRefusal.SELF: "partner.refused.self",
    InviteRefusal.USED: "partner.refused.used",
    InviteRefusal.EXPIRED: "partner.refused.expired",
    InviteRefusal.PRESSER_LINKED: "partner.refused.presser_linked",
    InviteRefusal.INVITER_LINKED: "partner.refused.inviter_linked",
}


async def partner_command(update: Update, context: Context) -> None:
    """The link state: how to invite a partner, or who the partner is and what they can see."""
    uid, language = user_id(update), lang(update, context)
    await _show(context, uid, language)


async def _show(context: Context, uid: int, language: str) -> None:
    svc = services(context)
    current = await couples.couple(svc, uid)
    if current is None:
        markup = InlineKeyboardMarkup(
            [button_row(plain("partner.button_invite", language), callbacks.PARTNER_INVITE.data("new"))]
        )
        remember_menu(context, await say_kept(context, uid, language, "partner.none", markup))
        return
    hours = "off" if current.immediate else "on"
    rows = [
        button_row(
            plain("partner.button_hours_day" if current.immediate else "partner.button_hours_any", language),
            callbacks.PARTNER_HOURS.data(hours, current.pairing_id),
        ),
        button_row(
            plain("partner.button_unlink", language), callbacks.PARTNER_UNLINK.data("ask", current.pairing_id)
        ),
    ]
    message = await say_kept(
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
        button_row(plain("partner.button_accept", language), callbacks.PARTNER_JOIN.data("yes", code)),
        button_row(plain("partner.button_decline", language), callbacks.PARTNER_JOIN.data("no", code)),
    ]
    markup = InlineKeyboardMarkup(rows)
    remember_menu(
        context,
        await say_kept(
            context, uid, language, "partner.invite_intro", markup, name=invite.inviter_first_name
        ),
    )


async def on_join_button(update: Update, context: Context) -> None:
    """Accept or decline an invite, once, from the invite's own message; checked against the stored
    invite and both people's links."""
    fields = await menu_press(update, context, callbacks.PARTNER_JOIN)
    if fields is None:
        return
    choice, code = fields
    assert update.callback_query is not None
    message = update.callback_query.message
    uid, language = user_id(update), lang(update, context)
    svc = services(context)
    await drop_buttons(message)
    if choice == "no":
        await say(context, uid, language, "partner.declined")
        return
    outcome = await couples.accept(svc, code, uid, first_name(update))
    if isinstance(outcome, InviteRefusal):  # used, expired or linked meanwhile
        await say(context, uid, language, INVITE_REFUSED[outcome])
        return
    invite, _pairing = outcome
    profile = await svc.repo.get_profile(uid)
    if profile is None:  # someone new: the link lets them in (see access.gate); setup comes next
        await svc.repo.save_profile(Profile(user_id=uid, language=str(language)))
        context.bot_data.allowed_users.add(uid)
    await say(context, uid, language, "partner.accepted", partner=invite.inviter_first_name)
    if profile is None or not profile.onboarded:
        await say(context, uid, language, "partner.accepted_setup")
    inviter = invite.inviter_id
    await tell(context, inviter, "partner.accepted_inviter", partner=first_name(update))


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
            button_row(
                plain(key, language, partner=current.partner_name),
                callbacks.PARTNER_UNLINK.data(action, pairing_id),
            )
            for key, action in choices
        ]
        markup = InlineKeyboardMarkup(rows)
        asked = await say_kept(
            context, uid, language, "partner.unlink_ask", markup, partner=current.partner_name
        )
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
    await tell(context, current.partner, "partner.ended_by_partner", partner=current.my_name)


async def forget(context: Context, uid: int) -> None:
    """Part of /delete: end the link, remove what the person sent from the partner's record, delete
    the delivered messages Telegram still allows deleting, and tell the partner the link ended."""
    svc = services(context)
    current = await couples.couple(svc, uid)
    removed, partners_told = await couples.forget(svc, uid)
    for item in removed:
        await delete_delivered(context, item)
    for partner in partners_told:
        await tell(context, partner, "partner.partner_left", partner=current.my_name if current else "")
