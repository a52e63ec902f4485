"""/export and /delete: the user owns their data and can take it or erase it."""

from __future__ import annotations

import json
from io import BytesIO

from telegram import Update

from bot import callbacks
from bot.domain.journal import markdown_journal
from bot.domain.models import Entry
from bot.handlers.common import (
    Context,
    answer_passed,
    button_column,
    drop_buttons,
    lang,
    pressed,
    reply,
    services,
    user_data,
    user_id,
)
from bot.services.deletion import Confirmation
from bot.texts import plain, t, words_in


async def export(update: Update, context: Context) -> None:
    """Send everything stored about the user: complete JSON (documented schema) and a Markdown journal."""
    svc = services(context)
    language = lang(update, context)
    data = await svc.repo.export_user(user_id(update))
    couple = await svc.couples.export(user_id(update))
    if couple["links"]:
        data["partner"] = couple  # links, what the person sent and what reached them
    if (
        data.get("profile") is None
        and not data.get("entries")
        and not data.get("draft")
        and "partner" not in data
    ):
        await reply(update, context, "export_empty")
        return
    stamp = svc.clock().date().isoformat()
    payload = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    assert update.effective_chat is not None
    await update.effective_chat.send_document(
        BytesIO(payload),
        filename=f"checkin-export-{stamp}.json",
        caption=t("export_caption", language, n=len(data.get("entries", []))),
    )
    entries = [Entry.from_dict(raw) for raw in data.get("entries", [])]
    journal = markdown_journal(entries, plain("journal.title", language), words_in(language))
    await update.effective_chat.send_document(
        BytesIO(journal.encode("utf-8")),
        filename=f"checkin-journal-{stamp}.md",
        caption=t("export_journal_caption", language),
    )


async def delete(update: Update, context: Context) -> None:
    """Ask for confirmation; only this question's buttons, once and for a few minutes, can erase anything."""
    pending = Confirmation.issue(services(context).clock())
    user_data(context).pending_delete = pending
    keyboard = button_column(
        lang(update, context),
        ("button_delete_confirm", callbacks.DELETE.data("yes", pending.token)),
        ("button_delete_cancel", callbacks.DELETE.data("no", pending.token)),
    )
    await reply(update, context, "delete_ask", reply_markup=keyboard)


async def on_delete_button(update: Update, context: Context) -> None:
    """Erase the presser's data (never anyone named in the data) or keep it, if the question is pending."""
    query, parsed = pressed(update, callbacks.DELETE)
    choice, token = parsed
    data = user_data(context)
    pending = data.pending_delete
    if pending is None or not pending.matches(token, services(context).clock()):
        await answer_passed(query, lang(update, context))
        return
    data.pending_delete = None  # used once, whichever button
    await query.answer()
    await drop_buttons(query.message)
    if choice != "yes":
        await reply(update, context, "delete_cancelled")
        return
    uid = user_id(update)
    await context.bot_data.hooks.deleting(context, uid)
    await services(context).repo.delete_user(uid)
    context.bot_data.flows.forget(uid)
    context.bot_data.flows.recent_pages.pop(uid, None)
    context.bot_data.allowed_users.discard(uid)
    context.application.drop_user_data(uid)
    await reply(update, context, "delete_done")
