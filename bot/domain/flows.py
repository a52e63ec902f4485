"""The guided exercises, described as data and walked by one engine (`bot.domain.engine`).

Adding a question is a data change here plus its wording in `bot.texts`. Every text
field below is a key into `bot.texts`, never a sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.models import EntryKind


class Kind(StrEnum):
    """How a step is answered."""

    CHOICE = "choice"  # buttons; typed text also accepted when `free_text`
    SCALE = "scale"  # 1..5 buttons or a typed digit
    TEXT = "text"  # one free-text answer
    WRITING = "writing"  # a timed window collecting every message until time is up or /done
    COMPOSE = "compose"  # the bot assembles a sentence from earlier answers; accept or rewrite


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str  # text key


@dataclass(frozen=True, slots=True)
class When:
    """Ask the step only if the answer to `key` is one of `one_of`."""

    key: str
    one_of: frozenset[str]


@dataclass(frozen=True, slots=True)
class Step:
    key: str
    kind: Kind
    prompt: str  # text key
    options: tuple[Option, ...] = ()
    # CHOICE whose options depend on an earlier answer: (answer key, {answer: options}).
    options_by: tuple[str, Mapping[str, tuple[Option, ...]]] | None = None
    # CHOICE whose options come from the user's own data (e.g. "interests").
    options_source: str | None = None
    free_text: bool = False
    optional: bool = False
    deepen: bool = False  # one follow-up when a TEXT answer is yes/no or only a few words
    when: When | None = None
    minutes_from: str | None = None  # WRITING: answer key holding the chosen minutes (else pages_minutes)
    show_previous: bool = False  # remind the user what they wrote here last time
    template: str | None = None  # COMPOSE: text key with {answer keys}
    parse: str | None = None  # typed answers must parse as this ("duration": minutes)
    max_length: int | None = None  # typed answers longer than this get a hint (names, not writing)


@dataclass(frozen=True, slots=True)
class Flow:
    name: str  # the command that starts it, e.g. "checkin"
    kind: EntryKind | None  # the kind of the stored entry
    title: str  # text key
    intro: str  # text key
    steps: tuple[Step, ...]
    done: str  # text key of the closing message
    extra: Mapping[str, str] = field(default_factory=dict)

    def step(self, key: str) -> Step:
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(key)

    def index(self, key: str) -> int:
        return next(i for i, step in enumerate(self.steps) if step.key == key)


def _options(prefix: str, *values: str) -> tuple[Option, ...]:
    return tuple(Option(value, f"{prefix}.{value}") for value in values)


# --- emotion diary ---------------------------------------------------------------------

FAMILIES = ("joy", "calm", "love", "sadness", "fear", "anger", "shame", "hurt")
FEELINGS: dict[str, tuple[str, ...]] = {
    "joy": ("glad", "excited", "grateful", "proud", "playful"),
    "calm": ("relaxed", "content", "relieved", "safe", "peaceful"),
    "love": ("tender", "close", "caring", "desired", "warm"),
    "sadness": ("sad", "lonely", "disappointed", "tired", "empty"),
    "fear": ("anxious", "worried", "insecure", "overwhelmed", "tense"),
    "anger": ("irritated", "frustrated", "resentful", "angry", "jealous"),
    "shame": ("ashamed", "guilty", "embarrassed", "small", "exposed"),
    "hurt": ("hurt", "rejected", "unseen", "misunderstood", "let_down"),
}

CHECKIN = Flow(
    name="checkin",
    kind=EntryKind.DIARY,
    title="flow.checkin.title",
    intro="flow.checkin.intro",
    done="flow.checkin.done",
    steps=(
        Step("family", Kind.CHOICE, "checkin.family", _options("family", *FAMILIES), free_text=True),
        Step(
            "feeling",
            Kind.CHOICE,
            "checkin.feeling",
            options_by=("family", {f: _options("feeling", *words) for f, words in FEELINGS.items()}),
            free_text=True,
            when=When("family", frozenset(FAMILIES)),
        ),
        Step("intensity", Kind.SCALE, "checkin.intensity"),
        Step("happened", Kind.TEXT, "checkin.happened", deepen=True),
        Step("whose", Kind.CHOICE, "checkin.whose", _options("whose", "mine", "partner", "both", "unsure")),
        Step(
            "expressed",
            Kind.CHOICE,
            "checkin.expressed",
            _options("expressed", "yes", "partly", "no", "not_relevant"),
        ),
        Step(
            "expressed_why",
            Kind.TEXT,
            "checkin.expressed_why",
            deepen=True,
            when=When("expressed", frozenset({"yes", "partly", "no"})),
        ),
        Step("need", Kind.TEXT, "checkin.need", optional=True),
    ),
)

# --- self-examination --------------------------------------------------------------------


def _question(number: int, prompt: str, rating: str) -> tuple[Step, Step]:
    return (
        Step(f"q{number}", Kind.WRITING, prompt, minutes_from="minutes", show_previous=True),
        Step(f"q{number}_rating", Kind.SCALE, rating),
    )


SELFEXAM = Flow(
    name="selfexam",
    kind=EntryKind.SELFEXAM,
    title="flow.selfexam.title",
    intro="flow.selfexam.intro",
    done="flow.selfexam.done",
    steps=(
        Step("minutes", Kind.CHOICE, "selfexam.minutes", options_source="writing_minutes"),
        *_question(1, "selfexam.q1", "selfexam.q1_rating"),
        *_question(2, "selfexam.q2", "selfexam.q2_rating"),
        *_question(3, "selfexam.q3", "selfexam.q3_rating"),
    ),
)

# --- morning pages -------------------------------------------------------------------------

PAGES = Flow(
    name="pages",
    kind=EntryKind.PAGES,
    title="flow.pages.title",
    intro="flow.pages.intro",
    done="flow.pages.done",
    steps=(Step("text", Kind.WRITING, "pages.write"),),
)

# --- boundaries ----------------------------------------------------------------------------

AREAS = ("alone_time", "friends", "work", "money", "space", "phone", "family", "other")

BOUNDARY = Flow(
    name="boundary",
    kind=EntryKind.BOUNDARY,
    title="flow.boundary.title",
    intro="flow.boundary.intro",
    done="flow.boundary.done",
    steps=(
        Step("area", Kind.CHOICE, "boundary.area", _options("area", *AREAS), free_text=True),
        Step("need", Kind.TEXT, "boundary.need", deepen=True),
        Step("when", Kind.TEXT, "boundary.when"),
        Step("why", Kind.TEXT, "boundary.why", deepen=True),
        Step("statement", Kind.COMPOSE, "boundary.statement", template="boundary.template"),
    ),
)

# --- personal interests --------------------------------------------------------------------

INTEREST_NAME_MAX = 60  # characters of an interest's name: a word or two, shown on buttons

DID = Flow(
    name="did",
    kind=EntryKind.INTEREST_TIME,
    title="flow.did.title",
    intro="flow.did.intro",
    done="flow.did.done",
    steps=(
        Step(
            "interest",
            Kind.CHOICE,
            "did.interest",
            options_source="interests",
            free_text=True,
            max_length=INTEREST_NAME_MAX,
        ),
        Step(
            "minutes",
            Kind.CHOICE,
            "did.minutes",
            _options("duration", "15", "30", "45", "60", "90"),
            free_text=True,
            parse="duration",
        ),
    ),
)

BOUNDARY_SHARE = Flow(
    name="boundary_share",
    kind=EntryKind.BOUNDARY_UPDATE,
    title="flow.boundary.title",
    intro="",
    done="boundaries.marked",
    steps=(Step("outcome", Kind.TEXT, "boundaries.ask_outcome", optional=True),),
)

INTEREST_ADD = Flow(
    name="interest_add",
    kind=None,  # updates the profile's list instead of storing an entry
    title="flow.did.title",
    intro="",
    done="interests.added",
    steps=(Step("name", Kind.TEXT, "interests.ask_name", max_length=INTEREST_NAME_MAX),),
)

ENCOURAGE = Flow(
    name="encourage",
    kind=EntryKind.ENCOURAGE,
    title="flow.encourage.title",
    intro="flow.encourage.intro",
    done="flow.encourage.done",
    steps=(
        Step(
            "encouraged", Kind.CHOICE, "encourage.question", _options("encouraged", "yes", "a_little", "no")
        ),
        Step("how", Kind.TEXT, "encourage.how", optional=True),
    ),
)

FLOWS: dict[str, Flow] = {
    flow.name: flow
    for flow in (CHECKIN, SELFEXAM, PAGES, BOUNDARY, DID, ENCOURAGE, BOUNDARY_SHARE, INTEREST_ADD)
}
# Flows a person starts with a command of the same name.
COMMAND_FLOWS = ("checkin", "selfexam", "pages", "boundary", "encourage")
