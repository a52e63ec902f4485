"""Answers inside an open exercise: typed text, pressed answer buttons, and /skip, /back, /done."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.error import TelegramError

from bot import callbacks
from bot.domain import engine
from bot.domain.engine import Draft, Outcome
from bot.domain.flows import FLOWS, Kind
from bot.handlers.common import Context, answer_passed, lang, pressed, say, services, user_id
from bot.handlers.practice import drafts
from bot.handlers.practice.asking import after, ask, care_note, close_window, hint, in_danger, option_label
from bot.handlers.practice.starting import offer_late_pages
from bot.services import exercises
from bot.texts import labels, t, template

logger = logging.getLogger(__name__)
WRITING_REACTION = "✍"


async def on_text(update: Update, context: Context) -> bool:
    """Text from someone with an open exercise: the answer, or writing for the open window.

    False if no exercise (nor a late page) is waiting for it after all.
    """
    assert update.message is not None and update.message.text is not None
    uid, language = user_id(update), lang(update, context)
    svc = services(context)
    text = update.message.text
    draft = await drafts.load(context, uid)
    if draft is None or draft.paused:
        return draft is None and await offer_late_pages(context, uid, language, text)
    flow = FLOWS[draft.flow]
    now = svc.clock()
    late = exercises.is_late_pages(draft)
    if late or draft.writing is not None:  # writing (or a late page), kept with a quiet ✍
        if late:
            draft.answers["late_parts"].append(text)
        still_open = late or engine.add_writing(draft, text, now)
        danger = await drafts.save_while(context, uid, draft, lambda: in_danger(text))
        await _acknowledge(update.message)
        if danger:
            await care_note(context, uid, language)
        if not still_open:
            await close_window(context, uid, language, flow, draft, "writing.times_up")
        return True
    sources = exercises.sources(svc, await svc.repo.get_profile(uid))
    outcome = engine.answer_text(flow, draft, text, now, labels=labels(language), sources=sources)
    await after(context, uid, language, flow, draft, outcome, typed=text, sources=sources)
    return True


async def _acknowledge(message: Message) -> None:
    """A quiet ✍ on each piece of writing: kept, without interrupting the flow with replies."""
    try:
        await message.set_reaction(WRITING_REACTION)
    except TelegramError as exc:  # a missing reaction is cosmetic
        logger.debug("Could not react to a message: %s", type(exc).__name__)


def _current(draft: Draft | None, draft_id: str, step_index: int) -> bool:
    """Whether a pressed answer button belongs to the question open right now."""
    return (
        draft is not None
        and not draft.paused
        and draft.step is not None
        and draft.writing is None
        and draft.draft_id == draft_id
        and FLOWS[draft.flow].index(draft.step) == step_index
    )


async def on_button(update: Update, context: Context) -> None:
    """A pressed answer button; anything not for the open question (old, twice, forged) has passed."""
    query, parsed = pressed(update, callbacks.ANSWER)
    uid, language = user_id(update), lang(update, context)
    svc = services(context)
    draft_id, step_index, choice = parsed
    draft = await drafts.load(context, uid)
    if draft is None or not _current(draft, draft_id, int(step_index)):
        await answer_passed(query, language)
        return
    assert draft.step is not None
    await query.answer()
    flow = FLOWS[draft.flow]
    step = flow.step(draft.step)
    now = svc.clock()
    sources = exercises.sources(svc, await svc.repo.get_profile(uid))
    if choice == "use":
        if step.kind is not Kind.COMPOSE:
            return
        assert step.template is not None
        statement = engine.compose(template(step.template, language), draft.answers)
        outcome: Outcome = engine.accept_statement(flow, draft, statement, now)
        chosen: str = t("boundary.button_use", language)
    else:
        index = int(choice)
        options = engine.options_for(step, draft.answers, sources)
        chosen = str(index) if step.kind is Kind.SCALE else ""
        if step.kind is Kind.CHOICE and index < len(options):
            chosen = option_label(step, options[index], language)
        outcome = engine.answer_option(flow, draft, index, now, sources=sources)
    await after(
        context, uid, language, flow, draft, outcome, question=query.message, chosen=chosen, sources=sources
    )


async def on_non_text(update: Update, context: Context) -> bool:
    """Stickers, photos, voice... inside an exercise: say so and repeat the question (once per burst).

    False if no exercise is open after all.
    """
    uid, language = user_id(update), lang(update, context)
    draft = await drafts.load(context, uid)
    if draft is None or draft.paused or draft.step is None:
        return False
    await hint(context, uid, language, "flow.text_only", FLOWS[draft.flow], draft)
    return True


async def _open(update: Update, context: Context, command: str) -> Draft | None:
    draft = await drafts.load(context, user_id(update))
    if draft is None or draft.paused:
        await say(context, user_id(update), lang(update, context), "flow.no_flow", command=command)
        return None
    return draft


async def skip_command(update: Update, context: Context) -> None:
    draft = await _open(update, context, "/skip")
    if draft is None:
        return
    uid, language = user_id(update), lang(update, context)
    if draft.writing is not None:
        await say(context, uid, language, "flow.hint.back_writing")
        return
    flow = FLOWS[draft.flow]
    await after(context, uid, language, flow, draft, engine.skip(flow, draft, services(context).clock()))


async def back_command(update: Update, context: Context) -> None:
    draft = await _open(update, context, "/back")
    if draft is None:
        return
    flow = FLOWS[draft.flow]
    outcome = engine.back(flow, draft, services(context).clock())
    await after(context, user_id(update), lang(update, context), flow, draft, outcome)


async def done_command(update: Update, context: Context) -> None:
    """/done closes an open writing window early."""
    uid, language = user_id(update), lang(update, context)
    draft = await _open(update, context, "/done")
    if draft is None:
        return
    if draft.writing is None:
        await say(context, uid, language, "flow.hint.writing_closed")
        await ask(context, uid, language, FLOWS[draft.flow], draft)
        return
    await close_window(context, uid, language, FLOWS[draft.flow], draft, "writing.done_early")
