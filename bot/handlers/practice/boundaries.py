"""/boundaries: the list with share buttons, and marking one as shared."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import callbacks
from bot.domain import engine
from bot.domain.flows import BOUNDARY_SHARE
from bot.handlers.common import Context, answer_passed, lang, pressed, say, services, user_id
from bot.handlers.practice.asking import STATEMENT_CLIP
from bot.handlers.practice.starting import begin
from bot.render import split_lines
from bot.services import boundaries
from bot.texts import t


async def boundaries_command(update: Update, context: Context) -> None:
    uid, language = user_id(update), lang(update, context)
    listed = await boundaries.with_status(services(context), uid)
    if not listed:
        await say(context, uid, language, "boundaries.none")
        return
    lines = [t("boundaries.header", language)]
    rows = []
    for number, (boundary, is_shared) in enumerate(listed, start=1):
        status = t("boundaries.shared" if is_shared else "boundaries.not_shared", language)
        statement = engine.compose("{statement}", boundary.data, clip=STATEMENT_CLIP)
        lines.append(t("boundaries.item", language, number=number, statement=statement, status=status))
        if not is_shared:
            label = t("boundaries.button_share", language, number=number)
            rows.append([InlineKeyboardButton(label, callback_data=callbacks.SHARE.data(boundary.entry_id))])
    chunks = split_lines(lines)
    for chunk in chunks[:-1]:
        await context.bot.send_message(uid, chunk)
    await context.bot.send_message(uid, chunks[-1], reply_markup=InlineKeyboardMarkup(rows) if rows else None)


async def on_share_button(update: Update, context: Context) -> None:
    """Mark one of the presser's own unshared boundaries as shared (asks for a short note on how it went)."""
    query, parsed = pressed(update, callbacks.SHARE)
    uid, language = user_id(update), lang(update, context)
    (boundary_id,) = parsed
    if not await boundaries.shareable(services(context), uid, boundary_id):
        await answer_passed(query, language)
        return
    started = await begin(
        context,
        uid,
        language,
        BOUNDARY_SHARE,
        seed={"_boundary_id": boundary_id, "_shared": True},
        pressed=True,
    )
    await query.answer() if started else await answer_passed(query, language)
