"""One engine that walks any `Flow`: pure state transitions on a JSON-safe `Draft`.

The draft is saved after every change, so it is the single source of truth for where a
person is in an exercise: a restart, a timeout or a crash resumes at the same question.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.domain.flows import FLOWS, Flow, Kind, Option, Step
from bot.domain.parsing import ParseError, is_blank, parse_duration, trim_blank

DRAFT_VERSION = 1
SHORT_ANSWER_WORDS = 4
#: Answers that say yes, no or "I don't know" without saying more, per language. `needs_more`
#: checks every language at once, since people mix them; spelling variants are folded there
#: (case, punctuation, Hebrew points and final letters), so each phrase is written once.
SHORT_ANSWERS: Mapping[str, frozenset[str]] = {
    "en": frozenset(
        {
            "yes", "no", "yeah", "yep", "yup", "nope", "nah", "sure", "ok", "okay", "maybe",
            "not really", "i don't know", "i dont know", "idk", "dunno", "fine", "good", "bad",
            "a bit", "kind of", "sort of", "of course", "definitely", "never", "always", "sometimes",
            "no idea", "i have no idea", "not sure", "i'm not sure", "im not sure", "i don't really know",
            "i dont really know", "i'm not really sure", "im not really sure", "i really don't know",
            "i really dont know",
        }
    ),
    "he": frozenset(
        {
            "כן", "לא", "אולי", "לא יודעת", "לא יודע", "אני לא יודעת", "אני לא יודע", "בסדר", "סבבה",
            "אחלה", "אוקיי", "אוקי", "טוב", "רע", "ככה ככה", "לפעמים", "נכון", "לא נכון", "ממש לא",
            "בטח", "ברור", "בהחלט", "לגמרי", "קצת", "די", "לא ממש", "לא באמת", "לא כל כך",
            "כנראה", "כנראה שכן", "כנראה שלא", "נראה לי", "נראה לי שכן", "נראה לי שלא", "תמיד",
            "אף פעם", "אף פעם לא", "סוג של", "פחות או יותר", "כן ולא", "לא משנה", "לא בטוחה",
            "לא בטוח", "אני לא בטוחה", "אני לא בטוח", "לא זוכרת", "לא זוכר", "אין לי מושג",
            "אין לי מושג בכלל", "אני לא כל כך יודעת", "אני לא כל כך יודע", "אני באמת לא יודעת",
            "אני באמת לא יודע", "לא יודעת מה להגיד", "לא יודע מה להגיד", "אין לי מה להגיד",
            "אין לי תשובה",
        }
    ),
}  # fmt: skip
# A geresh or gershayim inside a Hebrew word ("צ׳יפס", "צה״ל", typed as ' " ׳ ״ or a phone's
# smart quote) keeps it one word; an apostrophe does the same in any script ("don't").
_WORD = re.compile(r"\w+(?:(?:['’׳]|(?<=[\u05d0-\u05ea])[\"״”](?=[\u05d0-\u05ea]))\w+)*")
_ZERO_WIDTH_SPACE = "\u200b"
_INSIDE_WORDS = frozenset({"Mn", "Mc", "Me", "Cf"})  # marks and format characters
_FINAL_LETTERS = str.maketrans("ךםןףץ׳’", "כמנפצ''")
_NOT_IN_PHRASE = re.compile(r"[^\w\s']+")


def _letters_only(text: str) -> str:
    """Drop what sits inside words without being a letter to `\\w`: vowel signs and viramas
    (Devanagari), points (Hebrew), ZWNJ/ZWJ (Persian), soft hyphens. A zero-width space
    still separates words."""
    if text.isascii():
        return text
    return "".join(
        " " if ch == _ZERO_WIDTH_SPACE else "" if unicodedata.category(ch) in _INSIDE_WORDS else ch
        for ch in text
    )


def word_count(text: str) -> int:
    """Words as a person would count them, in any script that separates words with spaces.

    A Hebrew maqaf joins two words the way a hyphen does, and counts as two like a hyphen
    ("בית־ספר" = "בית-ספר" = "בית ספר" = 2), so the count does not depend on which dash a
    keyboard offers. Geresh and gershayim stay inside their word ("צ׳יפס", "צה״ל" = 1).
    """
    return len(_WORD.findall(_letters_only(text)))


def phrase_fold(text: str) -> str:
    """Fold typed text for comparing with phrase lists (`SHORT_ANSWERS`, `bot.domain.care`): case,
    points, final letters, punctuation and spacing ("לא-יודעת!" = "לא יודעת")."""
    folded = _letters_only(text).casefold().translate(_FINAL_LETTERS)
    return " ".join(_NOT_IN_PHRASE.sub(" ", folded).split())


_KNOWN_SHORT = frozenset(phrase_fold(phrase) for phrases in SHORT_ANSWERS.values() for phrase in phrases)


def needs_more(text: str) -> bool:
    """A yes/no or a few-word answer, in any language, which deserves one gentle follow-up."""
    return word_count(text) < SHORT_ANSWER_WORDS or phrase_fold(text) in _KNOWN_SHORT


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


# Per language, slot → words meaning the same as a template's own lead-in to that slot, so an
# answer "whenever we visit" does not become "when whenever we visit". The lead-in itself is
# read from the template (`lead_ins`), so any language's template works; these add synonyms.
CONNECTIVES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "need": ("I need",),
        "when": ("whenever",),
        "why": ("cause", "'cause", "because of the fact that"),
    },
}
_SLOT = re.compile(r"\{(\w+)\}")
_AFTER_CONNECTIVE = r"[\s,:;.\-–—]*"  # the punctuation people type after one
_CLOSING = ".,;:"


def lead_ins(template: str) -> dict[str, tuple[str, bool]]:
    """Slot → (the word the template puts right before it, whether glued to it): "when" in
    "… when {when}, …", ("כש", glued) in "…כש{when}…". An answer must not repeat it."""
    found = {}
    previous = 0
    for match in _SLOT.finditer(template):
        lead = re.search(r"([^\W\d_]+)(\s*)$", template[previous : match.start()])
        if lead:
            found[match.group(1)] = (lead.group(1), not lead.group(2))
        previous = match.end()
    return found


def _drop_connective(text: str, connectives: Sequence[tuple[str, bool]]) -> str:
    """`text` without a leading connective (any case, with the punctuation after it), unless
    nothing would be left. A connective matches a whole word only, unless the template glues
    it to the answer (a Hebrew prefix like "כש")."""
    for word, glued in sorted(connectives, key=lambda c: len(c[0]), reverse=True):
        boundary = "" if glued else r"(?![\w'’])"
        match = re.match(re.escape(word) + boundary + _AFTER_CONNECTIVE, text, re.IGNORECASE)
        if match and any(ch.isalnum() for ch in text[match.end() :]):
            return text[match.end() :]
    return text


def compose(
    template: str,
    answers: Mapping[str, Any],
    clip: int = 600,
    connectives: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """Fill a COMPOSE template with earlier answers, each shortened so the message stays small.

    An answer starting with the connective the template already has before its slot ("when",
    "because", or a synonym from `connectives`, default `CONNECTIVES["en"]`) loses it, and one
    ending with the punctuation the template puts after it loses that, so the sentence reads
    as a person would say it.
    """
    extra = CONNECTIVES["en"] if connectives is None else connectives
    leads = lead_ins(template)

    def short(key: str, value: Any) -> str:
        text = " ".join(str(value or "").split())
        words = [(word, False) for word in extra.get(key, ())] + ([leads[key]] if key in leads else [])
        text = _drop_connective(text, words)
        after = template.split("{" + key + "}", 1)[-1][:1]
        if after and after in _CLOSING and text.rstrip(_CLOSING):
            text = text.rstrip(_CLOSING)
        return text if len(text) <= clip else text[: clip - 1] + "…"

    return template.format(**{key: short(key, value) for key, value in answers.items()})


def streak(days: Sequence[date], today: date) -> int:
    """Consecutive days up to today (or yesterday, if today isn't done yet) with an entry."""
    have = set(days)
    current = today if today in have else today - timedelta(days=1)
    count = 0
    while current in have:
        count += 1
        current -= timedelta(days=1)
    return count
