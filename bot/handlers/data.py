"""/export and /delete: the user owns their data and can take it or erase it."""

from __future__ import annotations

import json
from io import BytesIO

from telegram import Message, Update

from bot.domain.journal import markdown_journal
from bot.domain.models import Entry
from bot.handlers.access import revoke
from bot.handlers.common import Context, button_column, lang, reply, services, user_id
from bot.handlers.flows import forget_user
from bot.texts import plain, t, words_in

DELETE_YES = "delete:yes"
DELETE_NO = "delete:no"


async def export(update: Update, context: Context) -> None:
    """Send everything stored about the user: complete JSON (documented schema) and a Markdown journal."""
    svc = services(context)
    language = lang(update)
    data = await svc.repo.export_user(user_id(update))
    if data.get("profile") is None and not data.get("entries") and not data.get("draft"):
        await reply(update, "export_empty")
        return
    stamp = svc.clock().date().isoformat()
    payload = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    assert update.effective_chat is not None
    await update.effective_chat.send_document(
        BytesIO(payload),
        filename=f"checkin-export-{stamp}.json",
        caption=t("export_caption", language, count=len(data.get("entries", []))),
    )
    entries = [Entry.from_dict(raw) for raw in data.get("entries", [])]
    journal = markdown_journal(entries, plain("journal.title", language), words_in(language))
    await update.effective_chat.send_document(
        BytesIO(journal.encode("utf-8")),
        filename=f"checkin-journal-{stamp}.md",
        caption=t("export_journal_caption", language),
    )


async def delete(update: Update, context: Context) -> None:
    """Ask for confirmation with a button; nothing is removed yet."""
    keyboard = button_column(
        lang(update), ("button_delete_confirm", DELETE_YES), ("button_delete_cancel", DELETE_NO)
    )
    await reply(update, "delete_ask", reply_markup=keyboard)


async def on_delete_button(update: Update, context: Context) -> None:
    """Erase the user who pressed the button (never anyone named in the data) or keep everything."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    if query.data != DELETE_YES:
        await reply(update, "delete_cancelled")
        return
    await services(context).repo.delete_user(user_id(update))
    forget_user(context, user_id(update))
    revoke(context, user_id(update))
    if context.user_data is not None:
        context.user_data.clear()
    await reply(update, "delete_done")
