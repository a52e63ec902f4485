"""Walking a flow: ask the current question, take an outcome, open and close writing windows, finish.

One engine (`bot.domain.engine`) walks every flow described in `bot.domain.flows`; this module
only turns its state into messages and buttons.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache, partial
from typing import Any, Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MaybeInaccessibleMessage

from bot import callbacks
from bot.domain import care, engine
from bot.domain.engine import Draft, FollowUp, Invalid, Moved, Outcome
from bot.domain.flows import ENCOURAGE, FLOWS, PAGES, Flow, Kind, Option, Step
from bot.handlers.common import Context, keyboard, mark_chosen, person, say, send, services
from bot.handlers.practice import drafts
from bot.render import button_label
from bot.services import Services, boundaries, exercises, partners, support
from bot.texts import Voice, plain, t, template, voice_of

logger = logging.getLogger(__name__)

# What to say for each reason the engine refuses an answer (explicit keys, so every message is found).
FLOW_HINTS: Final = {
    "back_first": "flow.hint.back_first",
    "back_writing": "flow.hint.back_writing",
    "blank": "flow.hint.blank",
    "choice": "flow.hint.choice",
    "flow_done": "flow.hint.flow_done",
    "not_optional": "flow.hint.not_optional",
    "scale": "flow.hint.scale",
    "stale": "flow.hint.stale",
    "too_long": "flow.hint.too_long",
    "writing_closed": "flow.hint.writing_closed",
    "duration.format": "flow.hint.duration.format",
    "duration.range": "flow.hint.duration.range",
}
HINT_QUIET = timedelta(seconds=5)  # after a hint, further unexpected input is not answered for this long
PREVIOUS_LINE = 120
STATEMENT_CLIP = 300


def option_label(step: Step, option: Option, language: str) -> str:
    """What a choice button says (plain text)."""
    if step.options_source == "writing_minutes":
        return plain("minutes.option", language, minutes=option.value)
    if step.options_source is not None:
        return option.value
    return plain(option.label, language)


def _option_labels(step: Step, options: Sequence[Option], language: str) -> Sequence[str]:
    """The labels of a CHOICE step's buttons; those of the catalog's options are worked out once per
    language and gender (the same for everyone), others (the person's own interests) every time."""
    if step.options_source is None:
        return _catalog_labels(tuple(options), str(language), getattr(language, "gender", None))
    return [button_label(option_label(step, option, language)) for option in options]


@lru_cache(maxsize=512)
def _catalog_labels(options: tuple[Option, ...], language: str, gender: str | None) -> tuple[str, ...]:
    voice = Voice(language, gender)
    return tuple(button_label(plain(option.label, voice)) for option in options)


def _first_line(text: str, limit: int = PREVIOUS_LINE) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class Question:
    """The current question as it is sent: its text and buttons."""

    text: str
    markup: str | None  # `keyboard` JSON


async def ask(
    context: Context, uid: int, language: str, flow: Flow, draft: Draft, prepared: Question | None = None
) -> None:
    """Send the current question (opening its writing window if it has one). It is now the open question.

    `prepared`: the question as `prepare_question` built it (while the draft was being stored)."""
    data = context.application.user_data[uid]
    data.editing = data.partner_note = None  # the question asked last is the one answered
    current = prepared or await prepare_question(context, uid, language, flow, draft)
    await send(context, uid, current.text, current.markup)
    assert draft.step is not None
    step = flow.step(draft.step)
    if step.kind is Kind.WRITING:
        await _open_writing(context, uid, language, flow, draft, step)


async def prepare_question(
    context: Context,
    uid: int,
    language: str,
    flow: Flow,
    draft: Draft,
    sources: Mapping[str, Sequence[str]] | None = None,
) -> Question:
    """The current question's text and buttons; reads only. `sources`: the person's
    (`exercises.sources`), if the caller has them."""
    svc = services(context)
    assert draft.step is not None
    step = flow.step(draft.step)
    index = flow.index(step.key)
    header = t(
        "flow.step_of", language, title=t(flow.title, language), number=index + 1, total=len(flow.steps)
    )
    body = "" if step.kind is Kind.COMPOSE else t(step.prompt, language, goal=svc.config.pages_goal)
    hints: list[str] = []
    rows: list[list[tuple[str, str]]] = []
    if step.kind is Kind.CHOICE:
        if sources is None:
            sources = exercises.sources(svc, await svc.repo.get_profile(uid))
        labels = _option_labels(step, engine.options_for(step, draft.answers, sources), language)
        per_row = 2 if all(len(label) <= 16 for label in labels) else 1
        buttons = [(label, callbacks.ANSWER.data(draft.draft_id, index, i)) for i, label in enumerate(labels)]
        rows = [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
    elif step.kind is Kind.SCALE:
        rows = [[(str(n), callbacks.ANSWER.data(draft.draft_id, index, n)) for n in range(1, 6)]]
        hints.append(t("flow.scale_legend", language))
    elif step.kind is Kind.COMPOSE:
        assert step.template is not None
        statement = engine.compose(template(step.template, language), draft.answers)
        body = t(step.prompt, language, statement=statement)
        rows = [[(t("boundary.button_use", language), callbacks.ANSWER.data(draft.draft_id, index, "use"))]]
    elif step.kind is Kind.WRITING and step.show_previous:
        previous = await exercises.previous_answer(svc, uid, flow, step.key)
        if previous is not None:
            line = _first_line(previous[1])
            hints.append(t("writing.previous", language, date=previous[0].isoformat(), line=line))
    if flow is ENCOURAGE and index == 0:
        hints += await _partner_interests(svc, uid, language)
    if step.optional:
        hints.append(t("flow.optional_hint", language))
    if draft.history and step.kind is not Kind.WRITING:
        hints.append(t("flow.back_hint", language))
    text = "\n\n".join([header + "\n" + body, *hints])
    return Question(text, keyboard(rows) if rows else None)


async def _partner_interests(svc: Services, uid: int, language: str) -> list[str]:
    """The weekly question names what the partner chose to say they make time for, if anything."""
    names = await partners.partner_interests(svc, uid)
    current = await partners.couple(svc, uid) if names else None
    if current is None:
        return []
    return [
        t("encourage.partner_interests", language, partner=current.partner_name, interests=", ".join(names))
    ]


async def _open_writing(
    context: Context, uid: int, language: str, flow: Flow, draft: Draft, step: Step
) -> None:
    svc = services(context)
    now = svc.clock()
    if draft.writing is None or draft.writing.key != step.key:
        engine.open_writing(flow, draft, now, exercises.writing_minutes(svc, step, draft))
        await drafts.save(context, uid, draft)
    assert draft.writing is not None
    left = max(0.0, (draft.writing.until - now).total_seconds() / 60)
    await say(
        context, uid, language, "writing.started", minutes=f"{left:.0f}" if left >= 1 else f"{left:.1f}"
    )
    drafts.start_timer(context, uid, draft.writing.until, writing_time_up)


async def after(
    context: Context,
    uid: int,
    language: str,
    flow: Flow,
    draft: Draft,
    outcome: Outcome,
    *,
    question: MaybeInaccessibleMessage | None = None,
    chosen: str = "",
    typed: str | None = None,
    sources: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Store the answer, then say what comes next; a pressed button's `question` gets a ✓ once saved.

    What comes next (the care check of `typed`, the next question) is worked out while the answer
    is being stored, and sent once it is. `sources`: the person's (`exercises.sources`), if known."""
    if isinstance(outcome, Invalid):
        await hint(context, uid, language, FLOW_HINTS[outcome.code], flow, draft)
        return

    async def dangerous() -> bool:
        return typed is not None and await in_danger(typed)

    async def acknowledge(danger: bool) -> None:
        """What answers the answer itself, once it is stored: a care note, a ✓ on the pressed button."""
        if danger:
            await care_note(context, uid, language)
        if question is not None and isinstance(outcome, Moved):
            await mark_chosen(question, chosen)

    if not isinstance(outcome, FollowUp) and draft.step is None:
        # The last answer: finishing stores it in the entry, with the draft's removal, in one write.
        await finish(context, uid, language, flow, draft, partial(acknowledge, await dangerous()))
        return

    async def prepare() -> tuple[bool, Question | None]:
        danger = await dangerous()
        if isinstance(outcome, FollowUp):
            return danger, None
        return danger, await prepare_question(context, uid, language, flow, draft, sources)

    danger, next_question = await drafts.save_while(context, uid, draft, prepare)
    await acknowledge(danger)
    if isinstance(outcome, FollowUp):
        await say(context, uid, language, "flow.follow_up")
    else:
        await ask(context, uid, language, flow, draft, next_question)


async def in_danger(text: str) -> bool:
    """Whether what the person just wrote points to danger (`bot.domain.care`); only reads."""
    await prepare_care()
    return care.points_to_danger(text)


async def prepare_care() -> None:
    """Compile the care check's phrase lists once (`care.prepare`: ~50 ms of pure Python), on a
    worker thread so the event loop is not blocked. Start-up awaits it before the first update:
    while updates are being handled, a thread that long in Python holds the GIL in 5 ms slices
    against the loop, each of whose socket calls then waits for it (measured with 64 people
    answering: ~100 ms loop stalls at the first answer after a start, 15 ms without)."""
    if not care.prepared():
        await asyncio.to_thread(care.prepare)


async def care_note(context: Context, uid: int, language: str) -> None:
    """After text that points to danger (`in_danger`), add one calm note with help lines, at most once a
    local day. Nothing is blocked, stored or logged about it; the exercise goes on as usual."""
    svc = services(context)
    profile = await svc.repo.get_profile(uid)
    data = context.application.user_data[uid]
    today = exercises.today(svc, profile)
    if not care.note_due(data.care_noted, today):
        return
    data.care_noted = today
    lines = support.support_lines(svc.config, language, profile.timezone if profile else None)
    await say(context, uid, language, "care.note", lines=support.as_list(lines))


async def hint(context: Context, uid: int, language: str, key: str, flow: Flow, draft: Draft) -> None:
    """Say what is expected and repeat the question, once: a burst of unexpected input gets one answer."""
    data = context.application.user_data[uid]
    now = services(context).clock()
    if data.quiet_until is not None and now < data.quiet_until:
        return
    data.quiet_until = now + HINT_QUIET
    await say(context, uid, language, key)
    if draft.step is not None and draft.writing is None:
        await ask(context, uid, language, flow, draft)


async def finish(
    context: Context,
    uid: int,
    language: str,
    flow: Flow,
    draft: Draft,
    acknowledge: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Store the finished exercise, close warmly, and maybe ask about an old boundary.

    `acknowledge`: what answers the last answer (a care note, a ✓), sent once it is stored."""
    svc = services(context)
    closing = await exercises.complete(svc, uid, flow, draft)
    context.bot_data.flows.forget(uid)
    if acknowledge is not None:
        await acknowledge()
    if flow is PAGES:
        context.bot_data.flows.recent_pages[uid] = svc.clock()
    values: dict[str, Any] = {
        "words": closing.words,
        "goal": closing.goal,
        "streak": t("streak", language, n=closing.streak),
        "minutes": closing.minutes,
        "interest": closing.interest,
        "week": closing.week,
        "name": closing.name,
    }
    await say(context, uid, language, flow.done, **values)
    hooks = context.bot_data.hooks
    await hooks.finished(context, uid, language, flow.name, exercises.entry_id(draft), draft.answers)
    await offer_follow_up(context, uid, language)


async def close_window(context: Context, uid: int, language: str, flow: Flow, draft: Draft, key: str) -> None:
    """End the open writing window: store what was written, report the words, move on."""
    words = engine.close_writing(flow, draft, services(context).clock())
    drafts.stop_timer(context, uid)
    await drafts.save(context, uid, draft)
    await say(context, uid, language, key, words=words)
    if words == 0:
        await say(context, uid, language, "writing.empty")
    if draft.step is None:
        await finish(context, uid, language, flow, draft)
    else:
        await ask(context, uid, language, flow, draft)


async def writing_time_up(context: Context) -> None:
    """JobQueue callback at the end of a writing window, serialised with the person's own messages."""
    assert context.job is not None
    uid = context.job.data
    assert isinstance(uid, int)
    async with person(context, uid):
        if context.bot_data.flows.writing_jobs.get(uid) is context.job:
            del context.bot_data.flows.writing_jobs[uid]
        draft = await drafts.load(context, uid)
        if draft is None or draft.writing is None or draft.paused:
            return
        if services(context).clock() < draft.writing.until:  # a newer window (e.g. after a restart race)
            drafts.start_timer(context, uid, draft.writing.until, writing_time_up)
            return
        profile = await services(context).repo.get_profile(uid)
        language = voice_of(profile.language, profile.gender) if profile else voice_of(None)
        await close_window(context, uid, language, FLOWS[draft.flow], draft, "writing.times_up")


async def offer_follow_up(context: Context, uid: int, language: str) -> None:
    """Once per boundary, a few days after it was written, ask gently whether it was shared."""
    boundary = await boundaries.take_follow_up(services(context), uid)
    if boundary is None:
        return
    button = InlineKeyboardButton(
        t("boundaries.button_share_one", language), callback_data=callbacks.SHARE.data(boundary.entry_id)
    )
    await say(
        context,
        uid,
        language,
        "boundaries.follow_up",
        InlineKeyboardMarkup([[button]]),
        date=boundary.local_date.isoformat(),
        statement=engine.compose("{statement}", boundary.data, clip=STATEMENT_CLIP),
    )
