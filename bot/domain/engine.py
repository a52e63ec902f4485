"""One engine that walks any `Flow`: pure state transitions on a JSON-safe `Draft`.

The draft is saved after every change, so it is the single source of truth for where a
person is in an exercise: a restart, a timeout or a crash resumes at the same question.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.domain.compose import CONNECTIVES, compose, lead_ins
from bot.domain.flows import FLOWS, Flow, Kind, Option, Step
from bot.domain.parsing import ParseError, is_blank, parse_duration, trim_blank
from bot.domain.wording import SHORT_ANSWER_WORDS, SHORT_ANSWERS, needs_more, phrase_fold, word_count

# What the wording and compose parts define is read through the engine too (`engine.compose`).
__all__ = [
    "CONNECTIVES",
    "DRAFT_VERSION",
    "SHORT_ANSWERS",
    "SHORT_ANSWER_WORDS",
    "Draft",
    "FollowUp",
    "Invalid",
    "Moved",
    "Outcome",
    "Writing",
    "accept_statement",
    "add_writing",
    "answer_option",
    "answer_text",
    "back",
    "close_writing",
    "compose",
    "lead_ins",
    "needs_more",
    "open_writing",
    "options_for",
    "phrase_fold",
    "skip",
    "start",
    "streak",
    "word_count",
]

DRAFT_VERSION = 1


@dataclass(slots=True)
class Writing:
    """An open timed-writing window."""

    key: str
    until: datetime
    parts: list[str] = field(default_factory=list)

    @property
    def words(self) -> int:
        return sum(word_count(part) for part in self.parts)


@dataclass(slots=True)
class Draft:
    """A flow in progress; everything needed to resume it after a restart."""

    flow: str
    local_date: date
    started_at: datetime
    updated_at: datetime
    step: str | None
    draft_id: str = field(default_factory=lambda: secrets.token_hex(4))
    answers: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    deepened: list[str] = field(default_factory=list)
    awaiting_more: str | None = None
    rewriting: bool = False
    writing: Writing | None = None
    paused: bool = False
    prompt: str | None = None  # the decision whose buttons are current: "cancel", "switch" or "late"
    switch_to: dict[str, Any] | None = None  # with "switch": the exercise asked for, {"flow", "seed"}

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": DRAFT_VERSION,
            "flow": self.flow,
            "draft_id": self.draft_id,
            "local_date": self.local_date.isoformat(),
            "started_at": self.started_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "step": self.step,
            "answers": dict(self.answers),
            "history": list(self.history),
            "deepened": list(self.deepened),
            "awaiting_more": self.awaiting_more,
            "rewriting": self.rewriting,
            "writing": (
                {
                    "key": self.writing.key,
                    "until": self.writing.until.isoformat(),
                    "parts": list(self.writing.parts),
                }
                if self.writing
                else None
            ),
            "paused": self.paused,
            "prompt": self.prompt,
            "switch_to": self.switch_to,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Draft:
        """Rebuild a stored draft; raises ValueError/KeyError/TypeError if it isn't one of ours."""
        if raw.get("version") != DRAFT_VERSION or raw["flow"] not in FLOWS:
            raise ValueError("unknown draft version or flow")
        writing = raw.get("writing")
        draft = cls(
            flow=str(raw["flow"]),
            draft_id=str(raw["draft_id"]),
            local_date=date.fromisoformat(raw["local_date"]),
            started_at=datetime.fromisoformat(raw["started_at"]),
            updated_at=datetime.fromisoformat(raw["updated_at"]),
            step=raw.get("step"),
            answers=dict(raw.get("answers") or {}),
            history=[str(k) for k in raw.get("history") or []],
            deepened=[str(k) for k in raw.get("deepened") or []],
            awaiting_more=raw.get("awaiting_more"),
            rewriting=bool(raw.get("rewriting", False)),
            writing=(
                Writing(str(writing["key"]), datetime.fromisoformat(writing["until"]), list(writing["parts"]))
                if writing
                else None
            ),
            paused=bool(raw.get("paused", False)),
            prompt=raw.get("prompt"),
            switch_to=raw.get("switch_to"),
        )
        if draft.step is not None:
            FLOWS[draft.flow].step(draft.step)  # KeyError if the flow no longer has it
        return draft


# --- outcomes -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Moved:
    """The answer was taken; ask `draft.step` next (or finish when it is None)."""


@dataclass(frozen=True, slots=True)
class FollowUp:
    """Ask once for more on the same question."""


@dataclass(frozen=True, slots=True)
class Invalid:
    code: str  # text key suffix of the hint


Outcome = Moved | FollowUp | Invalid


def _applies(step: Step, answers: Mapping[str, Any]) -> bool:
    return step.when is None or answers.get(step.when.key) in step.when.one_of


def _next_step(flow: Flow, after: str | None, answers: Mapping[str, Any]) -> str | None:
    start = 0 if after is None else flow.index(after) + 1
    for step in flow.steps[start:]:
        if _applies(step, answers):
            return step.key
    return None


def start(flow: Flow, now: datetime, local_date: date) -> Draft:
    return Draft(
        flow=flow.name,
        local_date=local_date,
        started_at=now,
        updated_at=now,
        step=_next_step(flow, None, {}),
    )


def options_for(step: Step, answers: Mapping[str, Any], sources: Mapping[str, Sequence[str]]) -> list[Option]:
    """The buttons of a CHOICE step, which may depend on earlier answers or the user's data."""
    if step.options_by is not None:
        key, table = step.options_by
        return list(table.get(str(answers.get(key)), ()))
    if step.options_source is not None:
        return [Option(value, "") for value in sources.get(step.options_source, ())]
    return list(step.options)


def _advance(flow: Flow, draft: Draft, now: datetime) -> Moved:
    assert draft.step is not None
    draft.history.append(draft.step)
    draft.step = _next_step(flow, draft.step, draft.answers)
    draft.awaiting_more = None
    draft.rewriting = False
    draft.updated_at = now
    return Moved()


def _match_option(text: str, options: Sequence[Option], labels: Mapping[str, str]) -> Option | None:
    wanted = text.strip().casefold()
    for option in options:
        if wanted in (option.value.casefold(), labels.get(option.label, option.value).casefold()):
            return option
    return None


def _normalise_typed(step: Step, text: str) -> str | Invalid:
    if step.max_length is not None and len(" ".join(text.split())) > step.max_length:
        return Invalid("too_long")
    if step.parse == "duration":
        try:
            return str(parse_duration(text))
        except ParseError as exc:
            return Invalid(exc.code)
    return text


def answer_text(
    flow: Flow,
    draft: Draft,
    text: str,
    now: datetime,
    *,
    labels: Mapping[str, str],
    sources: Mapping[str, Sequence[str]],
    statement: str | None = None,
) -> Outcome:
    """Take a typed answer to the current step.

    `labels` maps option label keys to the words shown (so typing a button's words works);
    `statement` is the assembled sentence of a COMPOSE step as the user saw it.
    """
    if draft.step is None:
        return Invalid("flow_done")
    step = flow.step(draft.step)
    if is_blank(text):
        return Invalid("blank")
    text = trim_blank(text)
    if step.kind is Kind.WRITING:
        return Invalid("writing_closed")
    if step.kind is Kind.SCALE:
        if text in {"1", "2", "3", "4", "5"}:
            draft.answers[step.key] = int(text)
            return _advance(flow, draft, now)
        return Invalid("scale")
    if step.kind is Kind.CHOICE:
        option = _match_option(text, options_for(step, draft.answers, sources), labels)
        if option is not None:
            draft.answers[step.key] = option.value
            return _advance(flow, draft, now)
        if not step.free_text:
            return Invalid("choice")
        value = _normalise_typed(step, text)
        if isinstance(value, Invalid):
            return value
        draft.answers[step.key] = value
        return _advance(flow, draft, now)
    if step.kind is Kind.COMPOSE:
        draft.answers[step.key] = text
        return _advance(flow, draft, now)
    # TEXT
    if isinstance(checked := _normalise_typed(step, text), Invalid):
        return checked
    if draft.awaiting_more == step.key:
        draft.answers[step.key] = f"{draft.answers.get(step.key, '')}\n{text}".strip()
        return _advance(flow, draft, now)
    draft.answers[step.key] = text
    if step.deepen and step.key not in draft.deepened and needs_more(text):
        draft.deepened.append(step.key)
        draft.awaiting_more = step.key
        draft.updated_at = now
        return FollowUp()
    return _advance(flow, draft, now)


def answer_option(
    flow: Flow, draft: Draft, index: int, now: datetime, *, sources: Mapping[str, Sequence[str]]
) -> Outcome:
    """A pressed button: option `index` of the current CHOICE, or the value of a SCALE."""
    if draft.step is None:
        return Invalid("flow_done")
    step = flow.step(draft.step)
    if step.kind is Kind.SCALE:
        if not 1 <= index <= 5:
            return Invalid("scale")
        draft.answers[step.key] = index
        return _advance(flow, draft, now)
    if step.kind is not Kind.CHOICE:
        return Invalid("stale")
    options = options_for(step, draft.answers, sources)
    if not 0 <= index < len(options):
        return Invalid("stale")
    draft.answers[step.key] = options[index].value
    return _advance(flow, draft, now)


def accept_statement(flow: Flow, draft: Draft, statement: str, now: datetime) -> Outcome:
    """COMPOSE: the user took the assembled sentence as it is."""
    if draft.step is None or flow.step(draft.step).kind is not Kind.COMPOSE:
        return Invalid("stale")
    draft.answers[draft.step] = statement
    return _advance(flow, draft, now)


def skip(flow: Flow, draft: Draft, now: datetime) -> Outcome:
    """/skip: only optional steps (and the follow-up question) can be skipped."""
    if draft.step is None:
        return Invalid("flow_done")
    step = flow.step(draft.step)
    if draft.awaiting_more == step.key:
        return _advance(flow, draft, now)
    if not step.optional:
        return Invalid("not_optional")
    draft.answers[step.key] = None
    return _advance(flow, draft, now)


def back(flow: Flow, draft: Draft, now: datetime) -> Outcome:
    """/back: forget the previous answer and ask that question again."""
    if draft.writing is not None:
        return Invalid("back_writing")
    if draft.step is not None and draft.awaiting_more == draft.step:
        # Inside a follow-up: "back" means answering this question afresh.
        draft.answers.pop(draft.step, None)
        draft.deepened.remove(draft.step)
        draft.awaiting_more = None
        draft.updated_at = now
        return Moved()
    if not draft.history:
        return Invalid("back_first")
    previous = draft.history.pop()
    later = flow.steps[flow.index(previous) :]
    for step in later:
        draft.answers.pop(step.key, None)
        if step.key in draft.deepened:
            draft.deepened.remove(step.key)
    draft.step = previous
    draft.awaiting_more = None
    draft.rewriting = False
    draft.updated_at = now
    return Moved()


def open_writing(flow: Flow, draft: Draft, now: datetime, minutes: float) -> Writing:
    """Start the clock of the current WRITING step."""
    assert draft.step is not None and flow.step(draft.step).kind is Kind.WRITING
    draft.writing = Writing(draft.step, now + timedelta(minutes=minutes))
    draft.updated_at = now
    return draft.writing


def add_writing(draft: Draft, text: str, now: datetime) -> bool:
    """Collect a message into the open window; False if its time is up (close it now).

    A message that arrives after the time but before the window was closed still belongs to it:
    the person wrote it in the window, so it is kept, never dropped.
    """
    if draft.writing is None:
        return False
    if not is_blank(text):
        draft.writing.parts.append(text)
    draft.updated_at = now
    return now < draft.writing.until


def close_writing(flow: Flow, draft: Draft, now: datetime) -> int:
    """Close the window (time's up or /done), store the text, move on; returns the word count."""
    assert draft.writing is not None
    writing = draft.writing
    draft.answers[writing.key] = "\n\n".join(writing.parts)
    draft.answers[f"{writing.key}_words"] = writing.words
    draft.writing = None
    _advance(flow, draft, now)
    return writing.words


def streak(days: Sequence[date], today: date) -> int:
    """Consecutive days up to today (or yesterday, if today isn't done yet) with an entry."""
    have = set(days)
    current = today if today in have else today - timedelta(days=1)
    count = 0
    while current in have:
        count += 1
        current -= timedelta(days=1)
    return count
