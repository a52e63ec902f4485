"""/interests (the list, with add and remove buttons) and /did (time made for an interest)."""

from __future__ import annotations

import html
import uuid

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import callbacks
from bot.domain.flows import DID, INTEREST_ADD
from bot.domain.parsing import ParseError, parse_did
from bot.handlers.common import Context, answer_passed, drop_buttons, lang, pressed, say, services, user_id
from bot.handlers.practice.asking import offer_follow_up
from bot.handlers.practice.starting import begin
from bot.render import button_label
from bot.services import exercises, interests
from bot.texts import Html, plain, t


async def interests_command(update: Update, context: Context) -> None:
    await _show(context, user_id(update), lang(update, context))


async def _show(context: Context, uid: int, language: str) -> None:
    profile = await services(context).repo.get_profile(uid)
    names = profile.interests if profile else []
    rows = [
        [
            InlineKeyboardButton(
                t("interests.button_add", language), callback_data=callbacks.INTEREST_ADD.data("add")
            )
        ]
    ]
    rows += [
        [
            InlineKeyboardButton(
                button_label(plain("interests.button_remove", language, name=name)),
                callback_data=callbacks.INTEREST_REMOVE.data(interests.interest_id(name)),
            )
        ]
        for name in names
    ]
    hooks = context.bot_data.hooks
    rows += await hooks.interest_rows(context, uid, language, names)
    if names:
        text = t(
            "interests.header", language, items=Html("\n".join(f"• {html.escape(name)}" for name in names))
        )
    else:
        text = t("interests.none", language)
    message = await context.bot.send_message(uid, text, reply_markup=InlineKeyboardMarkup(rows))
    hooks.interest_offers(context, uid, message.message_id, names)


async def on_add_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    uid, language = user_id(update), lang(update, context)
    if await interests.is_full(services(context), uid):
        await query.answer()
        await say(context, uid, language, "interests.limit", limit=interests.MAX_INTERESTS)
        return
    started = await begin(context, uid, language, INTEREST_ADD, pressed=True)
    await (query.answer() if started else query.answer(t("flow.already_open", language)))


async def on_remove_button(update: Update, context: Context) -> None:
    """Remove the interest the button names (by a stable id: a second press finds nothing more to remove)."""
    query, parsed = pressed(update, callbacks.INTEREST_REMOVE)
    uid, language = user_id(update), lang(update, context)
    name = await interests.remove_interest(services(context), uid, parsed[0])
    if name is None:
        await answer_passed(query, language)
        return
    await query.answer()
    await drop_buttons(query.message)
    await say(context, uid, language, "interests.removed", name=name)
    await _show(context, uid, language)


async def did_command(update: Update, context: Context) -> None:
    """/did painting 40m logs time directly; /did alone asks with buttons."""
    uid, language = user_id(update), lang(update, context)
    svc = services(context)
    args = " ".join(context.args or [])
    if not args:
        await begin(context, uid, language, DID)
        return
    try:
        name, minutes = parse_did(args)
    except ParseError:
        await say(context, uid, language, "did.usage")
        return
    assert update.message is not None
    day = exercises.today(svc, await svc.repo.get_profile(uid))
    once = uuid.uuid5(
        uuid.NAMESPACE_OID, f"did:{uid}:{update.message.message_id}"
    ).hex  # a redelivered update logs once
    week = await interests.log_time(svc, uid, name, minutes, day, entry_id=once)
    await say(
        context,
        uid,
        language,
        "flow.did.done",
        minutes=minutes,
        interest=interests.clean_name(name),
        week=week,
    )
    await context.bot_data.hooks.finished(context, uid, language, DID.name, once, {"interest": name})
    await offer_follow_up(context, uid, language)
