"""Starting, resuming, setting aside and switching exercises, and the decisions their buttons ask for.

A decision's buttons (keep or discard after /cancel, continue or switch, add late pages) are
valid only while the stored draft says that decision is open (`Draft.prompt`); the first press
closes it, so a second press, an old message or forged data changes nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import callbacks
from bot.domain import engine
from bot.domain.engine import Draft
from bot.domain.flows import FLOWS, PAGES, Flow
from bot.handlers.common import (
    Context,
    answer_passed,
    button_column,
    drop_buttons,
    lang,
    pressed,
    say,
    services,
    user_id,
)
from bot.handlers.practice import drafts
from bot.handlers.practice.asking import ask, finish, prepare_question
from bot.services import exercises
from bot.texts import t

LATE_PAGES_MINUTES = 30
CANCEL, SWITCH, LATE = "cancel", "switch", "late"
PROMPT_OF = {
    "keep": CANCEL,
    "drop": CANCEL,
    "cont": SWITCH,
    "switch": SWITCH,
    "late_add": LATE,
    "late_drop": LATE,
}


async def begin(
    context: Context,
    uid: int,
    language: str,
    flow: Flow,
    seed: dict[str, Any] | None = None,
    *,
    pressed: bool = False,
) -> bool:
    """Start `flow`, resume it if it is the open one, or ask what to do with another open one.

    `pressed`: started by a button, so an exercise already open and on screen is left as it is
    (a double tap never repeats the question). False if nothing was done for that reason.
    """
    svc = services(context)
    draft = await drafts.load(context, uid)
    if draft is not None and exercises.is_late_pages(draft):
        await exercises.keep_late_pages(svc, uid, draft)
        context.bot_data.flows.forget(uid)
        draft = None
    if draft is not None and draft.flow == flow.name and _same_seed(draft, seed):
        if pressed and not draft.paused:
            return False
        draft.paused = False
        draft.prompt, draft.switch_to = None, None
        draft.updated_at = svc.clock()
        await drafts.save(context, uid, draft)
        await say(context, uid, language, "flow.resumed", title=t(flow.title, language))
        if draft.step is None:
            await finish(context, uid, language, flow, draft)
        else:
            await ask(context, uid, language, flow, draft)
        return True
    if draft is not None:
        switch_to = {"flow": flow.name, "seed": seed or {}}
        if pressed and draft.prompt == SWITCH and draft.switch_to == switch_to:
            return False  # the same question is on screen already
        draft.prompt, draft.switch_to = SWITCH, switch_to
        await drafts.save(context, uid, draft)
        markup = button_column(
            language,
            ("flow.button_continue", callbacks.DECISION.data("cont", draft.draft_id)),
            ("flow.button_start_new", callbacks.SWITCH.data(draft.draft_id, flow.name)),
        )
        other = FLOWS[draft.flow]
        await say(
            context, uid, language, "flow.other_open", markup,
            title=t(other.title, language), date=draft.local_date.isoformat(),
        )  # fmt: skip
        return True
    profile = await svc.repo.get_profile(uid)
    draft = engine.start(flow, svc.clock(), exercises.today(svc, profile))
    if seed:
        draft.answers.update(seed)
    # The introduction claims nothing, so it goes out while the new draft is being stored; the
    # first question waits until the draft is durable (and is never sent if storing fails).
    intro = asyncio.ensure_future(say(context, uid, language, flow.intro)) if flow.intro else None
    try:
        first = await drafts.save_while(
            context,
            uid,
            draft,
            lambda: prepare_question(context, uid, language, flow, draft, exercises.sources(svc, profile)),
        )
    finally:
        if intro is not None:
            await intro
    await ask(context, uid, language, flow, draft, first)
    return True


def _same_seed(draft: Draft, seed: dict[str, Any] | None) -> bool:
    return seed is None or all(draft.answers.get(key) == value for key, value in seed.items())


def start_command(flow: Flow) -> Any:
    """A command handler callback that starts `flow`."""

    async def callback(update: Update, context: Context) -> None:
        await begin(context, user_id(update), lang(update, context), flow)

    callback.__name__ = f"start_{flow.name}"
    return callback


async def on_start_button(update: Update, context: Context) -> None:
    """`start:<flow>` buttons (on nudges) start that exercise, or leave the open one as it is."""
    query, parsed = pressed(update, callbacks.START)
    started = await begin(context, user_id(update), lang(update, context), FLOWS[parsed[0]], pressed=True)
    await (query.answer() if started else query.answer(t("flow.already_open", lang(update, context))))


async def cancel_command(update: Update, context: Context) -> bool:
    """/cancel inside an exercise asks whether to keep what was written. False if none is open."""
    uid, language = user_id(update), lang(update, context)
    draft = await drafts.load(context, uid)
    if draft is None or draft.paused:
        return False
    draft.prompt, draft.switch_to = CANCEL, None
    await drafts.save(context, uid, draft)
    markup = button_column(
        language,
        ("flow.button_keep", callbacks.DECISION.data("keep", draft.draft_id)),
        ("flow.button_discard", callbacks.DECISION.data("drop", draft.draft_id)),
    )
    await say(context, uid, language, "flow.cancel_ask", markup, title=t(FLOWS[draft.flow].title, language))
    return True


async def _open_decision(
    update: Update, context: Context, action: str, draft_id: str, switch_to: str | None = None
) -> Draft | None:
    """The draft if `action` answers its open decision; otherwise the press has passed (answered here)."""
    query = update.callback_query
    assert query is not None
    draft = await drafts.load(context, user_id(update))
    if (
        draft is None
        or draft.draft_id != draft_id
        or draft.prompt != PROMPT_OF[action]
        or (switch_to is not None and (draft.switch_to or {}).get("flow") != switch_to)
    ):
        await answer_passed(query, lang(update, context))
        return None
    await query.answer()
    await drop_buttons(query.message)
    return draft


async def on_decision(update: Update, context: Context) -> None:
    """Keep/discard after /cancel, continue an open exercise, or add late morning pages."""
    _, (action, draft_id) = pressed(update, callbacks.DECISION)
    uid, language = user_id(update), lang(update, context)
    draft = await _open_decision(update, context, action, draft_id)
    if draft is None:
        return
    flow = FLOWS[draft.flow]
    draft.prompt, draft.switch_to = None, None
    if action == "keep":
        draft.paused = True
        drafts.stop_timer(context, uid)
        await drafts.save(context, uid, draft)
        await say(context, uid, language, "flow.saved_draft", command=flow.name)
    elif action == "cont":
        await begin(context, uid, language, flow)
    elif action == "late_add":
        words = await exercises.keep_late_pages(services(context), uid, draft)
        context.bot_data.flows.forget(uid)
        await say(context, uid, language, "writing.added", words=words)
    else:
        await drafts.clear(context, uid)
        key = "writing.not_added" if action == "late_drop" else "flow.discarded"
        await say(context, uid, language, key, title=t(flow.title, language))


async def on_switch(update: Update, context: Context) -> None:
    """Discard the open exercise and start another one."""
    _, (draft_id, name) = pressed(update, callbacks.SWITCH)
    uid, language = user_id(update), lang(update, context)
    draft = await _open_decision(update, context, "switch", draft_id, switch_to=name)
    if draft is None or draft.switch_to is None:
        return
    await drafts.clear(context, uid)
    await begin(context, uid, language, FLOWS[name], seed=draft.switch_to.get("seed") or None)


async def offer_late_pages(context: Context, uid: int, language: str, text: str) -> bool:
    """Text right after the morning-pages window closed: keep it and offer to add it. False if too late."""
    svc = services(context)
    closed_at = context.bot_data.flows.recent_pages.pop(uid, None)
    if closed_at is None or (svc.clock() - closed_at).total_seconds() > LATE_PAGES_MINUTES * 60:
        return False
    profile = await svc.repo.get_profile(uid)
    draft = engine.start(PAGES, svc.clock(), exercises.today(svc, profile))
    draft.answers["late_parts"] = [text]
    draft.prompt = LATE
    await drafts.save(context, uid, draft)
    add = InlineKeyboardButton(
        t("writing.button_add", language), callback_data=callbacks.DECISION.data("late_add", draft.draft_id)
    )
    drop = InlineKeyboardButton(
        t("writing.button_drop", language), callback_data=callbacks.DECISION.data("late_drop", draft.draft_id)
    )
    await say(context, uid, language, "writing.late_offer", InlineKeyboardMarkup([[add, drop]]))
    return True
