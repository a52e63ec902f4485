"""The Telegram side of the guided exercises: one set of handlers walks every flow.

Where a person is in an exercise lives in their stored draft (`bot.domain.engine.Draft`),
saved after every answer, so restarts, timeouts and crashes lose nothing. The only
in-memory state is derived from drafts and rebuilt at start (`restore`): who has an
exercise open, when each was last touched, and the writing-window timers.
"""

from __future__ import annotations

import html
import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MaybeInaccessibleMessage,
    Message,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import Application, Job, filters

from bot.domain import engine
from bot.domain.engine import Draft, FollowUp, Invalid, Moved, Outcome
from bot.domain.flows import BOUNDARY_SHARE, DID, FLOWS, INTEREST_ADD, PAGES, Flow, Kind, Option, Step
from bot.domain.models import Entry, Profile
from bot.domain.parsing import ParseError, parse_did
from bot.handlers import setup
from bot.handlers.common import Context, button_column, lang, services, split_message, user_id
from bot.services import Services
from bot.texts import TEXTS, Html, language_for, t

logger = logging.getLogger(__name__)

RUNTIME_KEY = "flow_runtime"
MAX_INTERESTS = 12
MAX_INTEREST_NAME = 60
LATE_PAGES_WINDOW = timedelta(minutes=30)
WRITING_REACTION = "✍"
IDLE_CHECK_SECONDS = 30.0
BUTTON_DATA = re.compile(r"^f:([0-9a-f]{8}):(\d{1,2}):(\d{1,2}|use)$")
DECISION_DATA = re.compile(r"^fc:(keep|drop|cont|late_add|late_drop):([0-9a-f]{8})$")
SWITCH_DATA = re.compile(r"^fs:([0-9a-f]{8}):([a-z_]{1,20})$")
SHARE_DATA = re.compile(r"^bd:([0-9a-f]{32})$")
INTEREST_DATA = re.compile(r"^in:(add|rm:(\d{1,2}))$")


@dataclass
class FlowRuntime:
    """In-memory state derived from drafts: cheap routing and timers."""

    active: set[int] = field(default_factory=set)
    last_activity: dict[int, datetime] = field(default_factory=dict)
    writing_jobs: dict[int, Job[Any]] = field(default_factory=dict)
    recent_pages: dict[int, datetime] = field(default_factory=dict)


class InFlow(filters.MessageFilter):
    """Messages from people with an open exercise (or a late page to offer), routed to the engine."""

    def __init__(self, runtime: FlowRuntime) -> None:
        super().__init__(name="InFlow")
        self._runtime = runtime

    def filter(self, message: Message) -> bool:
        user = message.from_user
        return user is not None and (user.id in self._runtime.active or user.id in self._runtime.recent_pages)


def runtime(context: Context) -> FlowRuntime:
    found = context.bot_data[RUNTIME_KEY]
    assert isinstance(found, FlowRuntime)
    return found


# --- small helpers ----------------------------------------------------------------------------


async def _profile(svc: Services, uid: int) -> Profile | None:
    return await svc.repo.get_profile(uid)


def _zone(svc: Services, profile: Profile | None) -> ZoneInfo:
    return ZoneInfo(profile.timezone if profile and profile.timezone else svc.config.timezone)


def _today(svc: Services, profile: Profile | None) -> date:
    return svc.clock().astimezone(_zone(svc, profile)).date()


def _labels(language: str) -> dict[str, str]:
    return TEXTS.get(language, TEXTS["en"])


def _sources(svc: Services, profile: Profile | None) -> dict[str, Sequence[str]]:
    return {
        "interests": list(profile.interests) if profile else [],
        "writing_minutes": [f"{m:g}" for m in svc.config.writing_minutes],
    }


def _option_label(step: Step, option: Option, language: str) -> str:
    if step.options_source == "writing_minutes":
        return t("minutes.option", language, minutes=option.value)
    if step.options_source is not None:
        return option.value
    return t(option.label, language)


def _first_line(text: str, limit: int = 120) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


async def _say(
    context: Context,
    uid: int,
    language: str,
    key: str,
    markup: InlineKeyboardMarkup | None = None,
    **values: Any,
) -> Message:
    return await context.bot.send_message(uid, t(key, language, **values), reply_markup=markup)


async def _mark_chosen(message: MaybeInaccessibleMessage | None, choice: str) -> None:
    """Show the pressed choice under the question and drop its buttons, so it can't be pressed twice."""
    if isinstance(message, Message) and message.text_html is not None:
        await message.edit_text(f"{message.text_html}\n\n✓ <b>{html.escape(choice)}</b>", reply_markup=None)


# --- drafts ---------------------------------------------------------------------------------


async def _load(context: Context, uid: int) -> Draft | None:
    """The user's draft; one we can no longer read is kept as an entry, never dropped."""
    svc = services(context)
    raw = await svc.repo.get_draft(uid)
    if raw is None:
        _forget(context, uid)
        return None
    try:
        return Draft.from_dict(raw)
    except (KeyError, TypeError, ValueError):
        logger.warning("User %s had a draft this version cannot resume; kept it as an entry", uid)
        await svc.repo.append_entry(
            uid, Entry(kind="recovered_draft", local_date=svc.clock().date(), data=raw)
        )
        await svc.repo.clear_draft(uid)
        _forget(context, uid)
        return None


async def _save(context: Context, uid: int, draft: Draft) -> None:
    """Durably store the draft, then note the user as active (or not, when set aside)."""
    await services(context).repo.save_draft(uid, draft.to_dict())
    rt = runtime(context)
    if draft.paused:
        _forget(context, uid)
    else:
        rt.active.add(uid)
        rt.last_activity[uid] = draft.updated_at


def forget_user(context: Context, uid: int) -> None:
    """Drop every in-memory trace of the user (after /delete): routing, timers, pending pages."""
    _forget(context, uid)
    runtime(context).recent_pages.pop(uid, None)


def _forget(context: Context, uid: int) -> None:
    rt = runtime(context)
    rt.active.discard(uid)
    rt.last_activity.pop(uid, None)
    job = rt.writing_jobs.pop(uid, None)
    if job is not None:
        job.schedule_removal()


def _schedule_writing_end(context: Context, uid: int, until: datetime) -> None:
    rt = runtime(context)
    old = rt.writing_jobs.pop(uid, None)
    if old is not None:
        old.schedule_removal()
    assert context.job_queue is not None
    delay = max(0.0, (until - services(context).clock()).total_seconds())
    rt.writing_jobs[uid] = context.job_queue.run_once(
        _writing_time_up, when=delay, data=uid, name=f"writing:{uid}"
    )


# --- asking ---------------------------------------------------------------------------------


async def _ask(context: Context, uid: int, language: str, flow: Flow, draft: Draft) -> None:
    """Send the current question (opening its writing window if it has one)."""
    svc = services(context)
    assert draft.step is not None
    step = flow.step(draft.step)
    index = flow.index(step.key)
    header = t(
        "flow.step_of", language, title=t(flow.title, language), number=index + 1, total=len(flow.steps)
    )
    body = "" if step.kind is Kind.COMPOSE else t(step.prompt, language, goal=svc.config.pages_goal)
    hints: list[str] = []
    rows: list[list[InlineKeyboardButton]] = []
    profile = await _profile(svc, uid)
    if step.kind is Kind.CHOICE:
        options = engine.options_for(step, draft.answers, _sources(svc, profile))
        labels = [_option_label(step, option, language) for option in options]
        per_row = 2 if all(len(label) <= 16 for label in labels) else 1
        buttons = [
            InlineKeyboardButton(label, callback_data=f"f:{draft.draft_id}:{index}:{i}")
            for i, label in enumerate(labels)
        ]
        rows = [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
    elif step.kind is Kind.SCALE:
        rows = [
            [
                InlineKeyboardButton(str(n), callback_data=f"f:{draft.draft_id}:{index}:{n}")
                for n in range(1, 6)
            ]
        ]
        hints.append(t("flow.scale_legend", language))
    elif step.kind is Kind.COMPOSE:
        assert step.template is not None
        statement = engine.compose(t(step.template, language), draft.answers)
        body = t(step.prompt, language, statement=statement)
        rows = [
            [
                InlineKeyboardButton(
                    t("boundary.button_use", language), callback_data=f"f:{draft.draft_id}:{index}:use"
                )
            ]
        ]
    elif step.kind is Kind.WRITING and step.show_previous:
        previous = await _previous_answer(svc, uid, flow, step.key)
        if previous is not None:
            hints.append(t("writing.previous", language, date=previous[0].isoformat(), line=previous[1]))
    if step.optional:
        hints.append(t("flow.optional_hint", language))
    if draft.history and step.kind is not Kind.WRITING:
        hints.append(t("flow.back_hint", language))
    text = "\n\n".join([header + "\n" + body, *hints])
    await context.bot.send_message(uid, text, reply_markup=InlineKeyboardMarkup(rows) if rows else None)
    if step.kind is Kind.WRITING:
        await _open_writing(context, uid, language, flow, draft, step)


async def _previous_answer(svc: Services, uid: int, flow: Flow, key: str) -> tuple[date, str] | None:
    entries = await svc.repo.list_entries(uid, flow.kind)
    for entry in reversed(entries):
        text = entry.data.get(key)
        if isinstance(text, str) and text.strip():
            return entry.local_date, _first_line(text)
    return None


def _writing_minutes(svc: Services, step: Step, draft: Draft) -> float:
    if step.minutes_from is not None:
        try:
            return float(draft.answers[step.minutes_from])
        except (KeyError, TypeError, ValueError):
            return svc.config.writing_minutes[0]
    return svc.config.pages_minutes


async def _open_writing(
    context: Context, uid: int, language: str, flow: Flow, draft: Draft, step: Step
) -> None:
    svc = services(context)
    now = svc.clock()
    if draft.writing is None or draft.writing.key != step.key:
        engine.open_writing(flow, draft, now, _writing_minutes(svc, step, draft))
        await _save(context, uid, draft)
    assert draft.writing is not None
    left = max(0.0, (draft.writing.until - now).total_seconds() / 60)
    await _say(
        context, uid, language, "writing.started", minutes=f"{left:.0f}" if left >= 1 else f"{left:.1f}"
    )
    _schedule_writing_end(context, uid, draft.writing.until)


async def _after(
    context: Context, uid: int, language: str, flow: Flow, draft: Draft, outcome: Outcome
) -> None:
    """Persist and say what comes next after an attempt to answer."""
    if isinstance(outcome, Invalid):
        await _say(context, uid, language, f"flow.hint.{outcome.code}")
        if draft.step is not None:
            await _ask(context, uid, language, flow, draft)
        return
    await _save(context, uid, draft)
    if isinstance(outcome, FollowUp):
        await _say(context, uid, language, "flow.follow_up")
    elif draft.step is None:
        await _complete(context, uid, language, flow, draft)
    else:
        await _ask(context, uid, language, flow, draft)


# --- completing ----------------------------------------------------------------------------


def _entry_id(draft: Draft) -> str:
    """Deterministic per draft, so finishing twice (after a crash) stores the entry once."""
    return uuid.uuid5(uuid.NAMESPACE_OID, f"{draft.flow}:{draft.draft_id}:{draft.started_at.isoformat()}").hex


async def _complete(context: Context, uid: int, language: str, flow: Flow, draft: Draft) -> None:
    """Store the finished exercise as an entry, clear the draft, and close warmly."""
    svc = services(context)
    profile = await _profile(svc, uid)
    values: dict[str, Any] = {}
    if flow is INTEREST_ADD:
        values = await _add_interest(svc, uid, profile, str(draft.answers.get("name", "")))
    elif flow.kind:
        entry_id = _entry_id(draft)
        existing = await svc.repo.list_entries(uid, flow.kind, draft.local_date, draft.local_date)
        if not any(entry.entry_id == entry_id for entry in existing):
            data = {k.removeprefix("_"): v for k, v in draft.answers.items()}
            if flow is DID:
                data["minutes"] = int(data.get("minutes") or 0)
            await svc.repo.append_entry(
                uid,
                Entry(kind=flow.kind, local_date=draft.local_date, data=data, entry_id=entry_id),
            )
        values = await _closing_values(svc, uid, profile, flow, draft, language)
    await svc.repo.clear_draft(uid)
    _forget(context, uid)
    if flow is PAGES:
        runtime(context).recent_pages[uid] = svc.clock()
    await _say(context, uid, language, flow.done, **values)
    await _boundary_follow_up(context, uid, language, profile)


async def _closing_values(
    svc: Services, uid: int, profile: Profile | None, flow: Flow, draft: Draft, language: str
) -> dict[str, Any]:
    today = _today(svc, profile)
    if flow.name in ("checkin", "pages"):
        entries = await svc.repo.list_entries(uid, flow.kind, today - timedelta(days=400), today)
        streak = t("streak", language, days=engine.streak([e.local_date for e in entries], today))
        words = sum(int(e.data.get("text_words") or 0) for e in entries if e.local_date == draft.local_date)
        return {"words": words, "goal": svc.config.pages_goal, "streak": streak}
    if flow is DID:
        interest = str(draft.answers.get("interest", ""))
        if profile is not None and interest and interest not in profile.interests:
            await _add_interest(svc, uid, profile, interest)
        week = await svc.repo.list_entries(uid, "interest_time", today - timedelta(days=6), today)
        total = sum(int(e.data.get("minutes") or 0) for e in week)
        return {"minutes": draft.answers.get("minutes"), "interest": interest, "week": total}
    return {}


async def _add_interest(svc: Services, uid: int, profile: Profile | None, name: str) -> dict[str, Any]:
    name = " ".join(name.split())[:MAX_INTEREST_NAME]
    profile = profile or Profile(user_id=uid)
    if name and name.casefold() not in (i.casefold() for i in profile.interests):
        if len(profile.interests) >= MAX_INTERESTS:
            return {"name": name}
        profile.interests.append(name)
        await svc.repo.save_profile(profile)
    return {"name": name}


async def _boundary_follow_up(context: Context, uid: int, language: str, profile: Profile | None) -> None:
    """Once per boundary, a few days after it was written, ask gently whether it was shared."""
    svc = services(context)
    today = _today(svc, profile)
    due = today - timedelta(days=svc.config.boundary_follow_up_days)
    boundaries = await svc.repo.list_entries(uid, "boundary", None, due)
    if not boundaries:
        return
    updates = await svc.repo.list_entries(uid, "boundary_update")
    handled = {u.data.get("boundary_id") for u in updates}
    for boundary in boundaries:
        if boundary.entry_id in handled:
            continue
        await svc.repo.append_entry(
            uid,
            Entry(
                kind="boundary_update",
                local_date=today,
                data={"boundary_id": boundary.entry_id, "followed_up": True, "shared": False},
            ),
        )
        await _say(
            context,
            uid,
            language,
            "boundaries.follow_up",
            InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            t("boundaries.button_share_one", language),
                            callback_data=f"bd:{boundary.entry_id}",
                        )
                    ]
                ]
            ),
            date=boundary.local_date.isoformat(),
            statement=engine.compose("{statement}", boundary.data, clip=300),
        )
        return


# --- starting, resuming, switching ---------------------------------------------------------------


async def begin(
    context: Context, uid: int, language: str, flow: Flow, seed: dict[str, Any] | None = None
) -> None:
    """Start `flow`, or resume it if it is the open one, or ask what to do with another open one."""
    svc = services(context)
    draft = await _load(context, uid)
    if draft is not None and "late_parts" in draft.answers:
        await _keep_late_pages(svc, uid, draft)
        _forget(context, uid)
        draft = None
    if draft is not None and draft.flow == flow.name and seed is None:
        draft.paused = False
        draft.updated_at = svc.clock()
        await _save(context, uid, draft)
        open_flow = FLOWS[draft.flow]
        await _say(context, uid, language, "flow.resumed", title=t(open_flow.title, language))
        if draft.step is None:
            await _complete(context, uid, language, open_flow, draft)
        else:
            await _ask(context, uid, language, open_flow, draft)
        return
    if draft is not None:
        other = FLOWS[draft.flow]
        markup = button_column(
            language,
            ("flow.button_continue", f"fc:cont:{draft.draft_id}"),
            ("flow.button_start_new", f"fs:{draft.draft_id}:{flow.name}"),
        )
        await _say(
            context, uid, language, "flow.other_open", markup,
            title=t(other.title, language), date=draft.local_date.isoformat(),
        )  # fmt: skip
        return
    profile = await _profile(svc, uid)
    draft = engine.start(flow, svc.clock(), _today(svc, profile))
    if seed:
        draft.answers.update(seed)
    await _save(context, uid, draft)
    if flow.intro:
        await _say(context, uid, language, flow.intro)
    await _ask(context, uid, language, flow, draft)


def start_command(flow: Flow) -> Any:
    """A command handler callback that starts `flow`."""

    async def callback(update: Update, context: Context) -> None:
        await begin(context, user_id(update), lang(update), flow)

    callback.__name__ = f"start_{flow.name}"
    return callback


async def on_start_button(update: Update, context: Context) -> None:
    """`start:<flow>` buttons (e.g. on a nudge) start that exercise right away."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    await query.answer()
    flow = FLOWS.get(query.data.removeprefix("start:"))
    if flow is None or flow.name not in ("checkin", "selfexam", "pages", "boundary", "encourage", "did"):
        await _say(context, user_id(update), lang(update), "flow.passed")
        return
    await begin(context, user_id(update), lang(update), flow)


# --- answering --------------------------------------------------------------------------------


async def on_text(update: Update, context: Context) -> None:
    """Text from someone with an open exercise: the answer, or writing for the open window."""
    assert update.message is not None
    assert update.message.text is not None
    uid, language = user_id(update), lang(update)
    svc = services(context)
    text = update.message.text
    draft = await _load(context, uid)
    if draft is None or draft.paused:
        if draft is None and uid in runtime(context).recent_pages:
            await _offer_late_pages(context, uid, language, text)
            return
        await setup.on_text(update, context)
        return
    flow = FLOWS[draft.flow]
    now = svc.clock()
    if "late_parts" in draft.answers:
        draft.answers["late_parts"].append(text)
        await _save(context, uid, draft)
        return
    if draft.writing is not None:
        if engine.add_writing(draft, text, now):
            await _save(context, uid, draft)
            await _acknowledge(update.message)
            return
        await _close_window(context, uid, language, flow, draft, "writing.times_up")
        return
    profile = await _profile(svc, uid)
    outcome = engine.answer_text(
        flow, draft, text, now, labels=_labels(language), sources=_sources(svc, profile)
    )
    await _after(context, uid, language, flow, draft, outcome)


async def _acknowledge(message: Message) -> None:
    """A quiet ✍ on each piece of writing: kept, without interrupting the flow with replies."""
    try:
        await message.set_reaction(WRITING_REACTION)
    except TelegramError as exc:  # a missing reaction is cosmetic
        logger.debug("Could not react to a message: %s", type(exc).__name__)


async def on_button(update: Update, context: Context) -> None:
    """A pressed answer button; anything not for the current question has passed."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    uid, language = user_id(update), lang(update)
    svc = services(context)
    match = BUTTON_DATA.match(query.data)
    draft = await _load(context, uid) if match else None
    if (
        match is None
        or draft is None
        or draft.paused
        or draft.step is None
        or draft.writing is not None
        or draft.draft_id != match.group(1)
        or FLOWS[draft.flow].index(draft.step) != int(match.group(2))
    ):
        await query.answer(t("flow.passed", language))
        return
    await query.answer()
    flow = FLOWS[draft.flow]
    step = flow.step(draft.step)
    now = svc.clock()
    profile = await _profile(svc, uid)
    if match.group(3) == "use":
        assert step.template is not None
        statement = engine.compose(t(step.template, language), draft.answers)
        outcome: Outcome = engine.accept_statement(flow, draft, statement, now)
        chosen: str = t("boundary.button_use", language)
    else:
        index = int(match.group(3))
        sources = _sources(svc, profile)
        outcome = engine.answer_option(flow, draft, index, now, sources=sources)
        if step.kind is Kind.SCALE:
            chosen = str(index)
        else:
            options = engine.options_for(step, draft.answers, sources)
            chosen = _option_label(step, options[index], language) if index < len(options) else ""
    if isinstance(outcome, Moved):
        await _mark_chosen(query.message, chosen)
    await _after(context, uid, language, flow, draft, outcome)


async def on_non_text(update: Update, context: Context) -> None:
    """Stickers, photos, voice... inside an exercise: say so and repeat the question."""
    uid, language = user_id(update), lang(update)
    draft = await _load(context, uid)
    if draft is None or draft.step is None:
        await setup.on_non_text(update, context)
        return
    await _say(context, uid, language, "flow.text_only", again="")
    if draft.writing is None:
        await _ask(context, uid, language, FLOWS[draft.flow], draft)


# --- commands inside an exercise ---------------------------------------------------------------


async def _open_draft(update: Update, context: Context, action: str) -> Draft | None:
    draft = await _load(context, user_id(update))
    if draft is None or draft.paused:
        await _say(context, user_id(update), lang(update), "flow.no_flow", action=action)
        return None
    return draft


async def skip_command(update: Update, context: Context) -> None:
    draft = await _open_draft(update, context, "skip")
    if draft is None:
        return
    flow = FLOWS[draft.flow]
    if draft.writing is not None:
        await _say(context, user_id(update), lang(update), "flow.hint.back_writing")
        return
    outcome = engine.skip(flow, draft, services(context).clock())
    await _after(context, user_id(update), lang(update), flow, draft, outcome)


async def back_command(update: Update, context: Context) -> None:
    draft = await _open_draft(update, context, "go back on")
    if draft is None:
        return
    flow = FLOWS[draft.flow]
    outcome = engine.back(flow, draft, services(context).clock())
    await _after(context, user_id(update), lang(update), flow, draft, outcome)


async def done_command(update: Update, context: Context) -> None:
    """/done closes an open writing window early."""
    uid, language = user_id(update), lang(update)
    draft = await _open_draft(update, context, "finish")
    if draft is None:
        return
    if draft.writing is None:
        await _say(context, uid, language, "flow.hint.writing_closed")
        await _ask(context, uid, language, FLOWS[draft.flow], draft)
        return
    await _close_window(context, uid, language, FLOWS[draft.flow], draft, "writing.done_early")


async def _close_window(
    context: Context, uid: int, language: str, flow: Flow, draft: Draft, key: str
) -> None:
    words = engine.close_writing(flow, draft, services(context).clock())
    job = runtime(context).writing_jobs.pop(uid, None)
    if job is not None:
        job.schedule_removal()
    await _save(context, uid, draft)
    await _say(context, uid, language, key, words=words)
    if words == 0:
        await _say(context, uid, language, "writing.empty")
    if draft.step is None:
        await _complete(context, uid, language, flow, draft)
    else:
        await _ask(context, uid, language, flow, draft)


async def _writing_time_up(context: Context) -> None:
    """JobQueue callback at the end of a writing window (also restored after a restart)."""
    assert context.job is not None
    uid = context.job.data
    assert isinstance(uid, int)
    runtime(context).writing_jobs.pop(uid, None)
    draft = await _load(context, uid)
    if draft is None or draft.writing is None:
        return
    profile = await _profile(services(context), uid)
    language = language_for(profile.language if profile else None)
    await _close_window(context, uid, language, FLOWS[draft.flow], draft, "writing.times_up")


async def cancel_command(update: Update, context: Context) -> bool:
    """/cancel inside an exercise asks whether to keep what was written. False if none is open."""
    uid, language = user_id(update), lang(update)
    draft = await _load(context, uid)
    if draft is None or draft.paused:
        return False
    flow = FLOWS[draft.flow]
    markup = button_column(
        language,
        ("flow.button_keep", f"fc:keep:{draft.draft_id}"),
        ("flow.button_discard", f"fc:drop:{draft.draft_id}"),
    )
    await _say(context, uid, language, "flow.cancel_ask", markup, title=t(flow.title, language))
    return True


async def cancel(update: Update, context: Context) -> None:
    """/cancel: inside an exercise ask keep-or-discard; otherwise stop whatever setup step is open."""
    if not await cancel_command(update, context):
        await setup.cancel(update, context)


async def on_decision(update: Update, context: Context) -> None:
    """Keep/discard after /cancel, continue an open exercise, or add late morning pages."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    uid, language = user_id(update), lang(update)
    match = DECISION_DATA.match(query.data)
    draft = await _load(context, uid) if match else None
    if match is None or draft is None or draft.draft_id != match.group(2):
        await query.answer(t("flow.passed", language))
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    action = match.group(1)
    flow = FLOWS[draft.flow]
    svc = services(context)
    if action == "keep":
        draft.paused = True
        job = runtime(context).writing_jobs.pop(uid, None)
        if job is not None:
            job.schedule_removal()
        await _save(context, uid, draft)
        await _say(context, uid, language, "flow.saved_draft", command=flow.name)
    elif action == "cont":
        await begin(context, uid, language, flow)
    elif action == "late_add":
        await _keep_late_pages(svc, uid, draft)
        _forget(context, uid)
        entries = await svc.repo.list_entries(uid, "pages", draft.local_date, draft.local_date)
        await _say(
            context,
            uid,
            language,
            "writing.added",
            words=sum(int(e.data.get("text_words") or 0) for e in entries),
        )
    else:
        await svc.repo.clear_draft(uid)
        _forget(context, uid)
        key = "writing.not_added" if action == "late_drop" else "flow.discarded"
        await _say(context, uid, language, key, title=t(flow.title, language))


async def on_switch(update: Update, context: Context) -> None:
    """Discard the open exercise and start another one."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    uid, language = user_id(update), lang(update)
    match = SWITCH_DATA.match(query.data)
    draft = await _load(context, uid) if match else None
    flow = FLOWS.get(match.group(2)) if match else None
    if match is None or draft is None or flow is None or draft.draft_id != match.group(1):
        await query.answer(t("flow.passed", language))
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    await services(context).repo.clear_draft(uid)
    _forget(context, uid)
    await begin(context, uid, language, flow)


async def _keep_late_pages(svc: Services, uid: int, draft: Draft) -> None:
    """Store text written after a morning-pages window as more pages of that day."""
    text = "\n\n".join(draft.answers.get("late_parts", []))
    await svc.repo.append_entry(
        uid,
        Entry(
            kind="pages",
            local_date=draft.local_date,
            data={"text": text, "text_words": engine.word_count(text), "late": True},
            entry_id=_entry_id(draft),
        ),
    )
    await svc.repo.clear_draft(uid)


async def _offer_late_pages(context: Context, uid: int, language: str, text: str) -> None:
    """Text right after the morning-pages window closed: keep it and offer to add it."""
    svc = services(context)
    closed_at = runtime(context).recent_pages.pop(uid)
    if svc.clock() - closed_at > LATE_PAGES_WINDOW:
        await _say(context, uid, language, "hint.free_text")
        return
    profile = await _profile(svc, uid)
    draft = engine.start(PAGES, svc.clock(), _today(svc, profile))
    draft.answers["late_parts"] = [text]
    await _save(context, uid, draft)
    add = InlineKeyboardButton(
        t("writing.button_add", language), callback_data=f"fc:late_add:{draft.draft_id}"
    )
    drop = InlineKeyboardButton(
        t("writing.button_drop", language), callback_data=f"fc:late_drop:{draft.draft_id}"
    )
    markup = InlineKeyboardMarkup([[add, drop]])
    await _say(context, uid, language, "writing.late_offer", markup)


# --- boundaries list, interests, /did ----------------------------------------------------------


async def boundaries_command(update: Update, context: Context) -> None:
    uid, language = user_id(update), lang(update)
    repo = services(context).repo
    boundaries = await repo.list_entries(uid, "boundary")
    if not boundaries:
        await _say(context, uid, language, "boundaries.none")
        return
    shared = {
        u.data.get("boundary_id")
        for u in await repo.list_entries(uid, "boundary_update")
        if u.data.get("shared")
    }
    lines = [t("boundaries.header", language)]
    rows = []
    for number, boundary in enumerate(boundaries[-20:], start=1):
        is_shared = boundary.entry_id in shared
        status = t("boundaries.shared" if is_shared else "boundaries.not_shared", language)
        statement = engine.compose("{statement}", boundary.data, clip=300)
        lines.append(t("boundaries.item", language, number=number, statement=statement, status=status))
        if not is_shared:
            rows.append([InlineKeyboardButton(
                t("boundaries.button_share", language, number=number), callback_data=f"bd:{boundary.entry_id}"
            )])  # fmt: skip
    chunks = split_message(lines)
    for chunk in chunks[:-1]:
        await context.bot.send_message(uid, chunk)
    await context.bot.send_message(uid, chunks[-1], reply_markup=InlineKeyboardMarkup(rows) if rows else None)


async def on_share_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    uid, language = user_id(update), lang(update)
    match = SHARE_DATA.match(query.data)
    boundaries = await services(context).repo.list_entries(uid, "boundary") if match else []
    if match is None or not any(b.entry_id == match.group(1) for b in boundaries):
        await query.answer(t("flow.passed", language))
        return
    await query.answer()
    await begin(
        context, uid, language, BOUNDARY_SHARE, seed={"_boundary_id": match.group(1), "_shared": True}
    )


async def interests_command(update: Update, context: Context) -> None:
    uid, language = user_id(update), lang(update)
    await _show_interests(context, uid, language, await _profile(services(context), uid))


async def _show_interests(context: Context, uid: int, language: str, profile: Profile | None) -> None:
    interests = profile.interests if profile else []
    rows = [[InlineKeyboardButton(t("interests.button_add", language), callback_data="in:add")]]
    rows += [
        [
            InlineKeyboardButton(
                t("interests.button_remove", language, name=name)[:60], callback_data=f"in:rm:{i}"
            )
        ]
        for i, name in enumerate(interests)
    ]
    if interests:
        items = Html("\n".join(f"• {html.escape(name)}" for name in interests))
        text = t("interests.header", language, items=items)
    else:
        text = t("interests.none", language)
    await context.bot.send_message(uid, text, reply_markup=InlineKeyboardMarkup(rows))


async def on_interest_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    uid, language = user_id(update), lang(update)
    svc = services(context)
    match = INTEREST_DATA.match(query.data)
    if match is None:
        await query.answer(t("flow.passed", language))
        return
    if match.group(1) == "add":
        await query.answer()
        profile = await _profile(svc, uid)
        if profile is not None and len(profile.interests) >= MAX_INTERESTS:
            await _say(context, uid, language, "interests.limit", limit=MAX_INTERESTS)
            return
        await begin(context, uid, language, INTEREST_ADD)
        return
    profile = await _profile(svc, uid)
    index = int(match.group(2) or 0)
    if profile is None or index >= len(profile.interests):
        await query.answer(t("flow.passed", language))
        return
    await query.answer()
    name = profile.interests.pop(index)
    await svc.repo.save_profile(profile)
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    await _say(context, uid, language, "interests.removed", name=name)
    await _show_interests(context, uid, language, profile)


async def did_command(update: Update, context: Context) -> None:
    """/did painting 40m logs time directly; /did alone asks with buttons."""
    uid, language = user_id(update), lang(update)
    svc = services(context)
    args = " ".join(context.args or [])
    if not args:
        await begin(context, uid, language, DID)
        return
    try:
        name, minutes = parse_did(args)
    except ParseError:
        await _say(context, uid, language, "did.usage")
        return
    profile = await _profile(svc, uid)
    today = _today(svc, profile)
    await svc.repo.append_entry(
        uid, Entry(kind="interest_time", local_date=today, data={"interest": name, "minutes": minutes})
    )
    if profile is not None and name.casefold() not in (i.casefold() for i in profile.interests):
        await _add_interest(svc, uid, profile, name)
    week = await svc.repo.list_entries(uid, "interest_time", today - timedelta(days=6), today)
    total = sum(int(e.data.get("minutes") or 0) for e in week)
    await _say(context, uid, language, "flow.did.done", minutes=minutes, interest=name, week=total)
    await _boundary_follow_up(context, uid, language, profile)


# --- start-up and idle sweeping -----------------------------------------------------------------


async def restore(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Rebuild routing and writing timers from stored drafts (post_init)."""
    rt = app.bot_data[RUNTIME_KEY]
    assert isinstance(rt, FlowRuntime)
    svc = app.bot_data["services"]
    assert isinstance(svc, Services)
    assert app.job_queue is not None
    now = svc.clock()
    for uid in await svc.repo.users_with_drafts():
        raw = await svc.repo.get_draft(uid)
        if raw is None:
            continue
        try:
            draft = Draft.from_dict(raw)
        except (KeyError, TypeError, ValueError):
            rt.active.add(uid)  # its owner's next message converts it safely (see _load)
            continue
        if draft.paused:
            continue
        rt.active.add(uid)
        rt.last_activity[uid] = draft.updated_at
        if draft.writing is not None:
            delay = max(0.0, (draft.writing.until - now).total_seconds())
            rt.writing_jobs[uid] = app.job_queue.run_once(
                _writing_time_up, when=delay, data=uid, name=f"writing:{uid}"
            )
    app.job_queue.run_repeating(
        _sweep_idle, interval=IDLE_CHECK_SECONDS, first=IDLE_CHECK_SECONDS, name="idle-flows"
    )
    logger.info("Restored %d open exercises", len(rt.active))


async def _sweep_idle(context: Context) -> None:
    """Set aside exercises untouched for `idle_minutes`; the draft is kept and the person told."""
    svc = services(context)
    rt = runtime(context)
    limit = svc.clock() - timedelta(minutes=svc.config.idle_minutes)
    for uid in [u for u, seen in rt.last_activity.items() if seen <= limit and u not in rt.writing_jobs]:
        await set_aside_if_idle(context, uid)


async def set_aside_if_idle(context: Context, uid: int) -> None:
    svc = services(context)
    draft = await _load(context, uid)
    if draft is None or draft.paused or draft.writing is not None:
        return
    if draft.updated_at > svc.clock() - timedelta(minutes=svc.config.idle_minutes):
        runtime(context).last_activity[uid] = draft.updated_at
        return
    draft.paused = True
    await _save(context, uid, draft)
    profile = await _profile(svc, uid)
    language = language_for(profile.language if profile else None)
    flow = FLOWS[draft.flow]
    try:
        await _say(context, uid, language, "flow.idle", title=t(flow.title, language), command=flow.name)
    except Exception as exc:  # one unreachable person must not stop the sweep
        logger.warning("Could not tell user %s their exercise was set aside: %s", uid, type(exc).__name__)
