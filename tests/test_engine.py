"""The flow engine, pure: walking, follow-ups, skip, back, writing windows, draft round-trips."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import engine
from bot.domain.engine import Draft, FollowUp, Invalid, Moved
from bot.domain.flows import BOUNDARY, CHECKIN, DID, FLOWS, PAGES, SELFEXAM, Flow, Kind
from bot.texts import labels

NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
TODAY = date(2026, 11, 28)
LABELS = labels("en")
SOURCES = {"interests": ["piano"], "writing_minutes": ["3", "5"]}


def text(draft: Draft, flow: Flow, value: str) -> engine.Outcome:
    return engine.answer_text(flow, draft, value, NOW, labels=LABELS, sources=SOURCES)


def test_every_step_prompt_and_option_has_english_text() -> None:
    for flow in FLOWS.values():
        for key in (flow.title, flow.done, *(s.prompt for s in flow.steps)):
            assert key in LABELS, key
        for step in flow.steps:
            options = list(step.options)
            if step.options_by:
                options += [o for group in step.options_by[1].values() for o in group]
            for option in options:
                assert option.label in LABELS, option.label
            if step.template:
                assert step.template in LABELS


def test_checkin_walk_with_follow_up_once() -> None:
    draft = engine.start(CHECKIN, NOW, TODAY)
    assert draft.step == "family"
    assert isinstance(engine.answer_option(CHECKIN, draft, 4, NOW, sources=SOURCES), Moved)  # fear
    assert draft.answers["family"] == "fear" and draft.step == "feeling"
    assert isinstance(text(draft, CHECKIN, "anxious"), Moved)
    assert isinstance(text(draft, CHECKIN, "9"), Invalid)
    assert isinstance(text(draft, CHECKIN, "4"), Moved)
    assert isinstance(text(draft, CHECKIN, "work"), FollowUp)  # too short: one follow-up
    assert draft.step == "happened"
    assert isinstance(text(draft, CHECKIN, "my boss"), Moved)  # never a second follow-up
    assert draft.answers["happened"] == "work\nmy boss"
    assert isinstance(text(draft, CHECKIN, "A reaction to my partner's mood"), Moved)  # typed label
    assert draft.answers["whose"] == "partner"
    assert isinstance(text(draft, CHECKIN, "not relevant"), Moved)
    assert draft.step == "need"  # expressed_why only when expressed
    assert isinstance(engine.skip(CHECKIN, draft, NOW), Moved)
    assert draft.step is None and draft.answers["need"] is None


def test_free_text_family_skips_specific_word() -> None:
    draft = engine.start(CHECKIN, NOW, TODAY)
    assert isinstance(text(draft, CHECKIN, "bittersweet"), Moved)
    assert draft.answers["family"] == "bittersweet" and draft.step == "intensity"


def test_skip_only_optional_and_back_redoes_previous() -> None:
    draft = engine.start(CHECKIN, NOW, TODAY)
    assert engine.skip(CHECKIN, draft, NOW) == Invalid("not_optional")
    assert engine.back(CHECKIN, draft, NOW) == Invalid("back_first")
    text(draft, CHECKIN, "joy")
    text(draft, CHECKIN, "glad")
    assert draft.step == "intensity"
    assert isinstance(engine.back(CHECKIN, draft, NOW), Moved)
    assert draft.step == "feeling" and "feeling" not in draft.answers and draft.answers["family"] == "joy"


def test_back_clears_follow_up_memory() -> None:
    draft = engine.start(BOUNDARY, NOW, TODAY)
    text(draft, BOUNDARY, "work")
    assert isinstance(text(draft, BOUNDARY, "yes"), FollowUp)
    text(draft, BOUNDARY, "an evening without email")
    engine.back(BOUNDARY, draft, NOW)
    assert draft.step == "need"
    assert isinstance(text(draft, BOUNDARY, "no"), FollowUp)  # asked again after /back: a new answer


def test_back_during_follow_up_reasks_the_same_question() -> None:
    draft = engine.start(BOUNDARY, NOW, TODAY)
    text(draft, BOUNDARY, "work")
    assert isinstance(text(draft, BOUNDARY, "yes"), FollowUp)
    assert isinstance(engine.back(BOUNDARY, draft, NOW), Moved)
    assert draft.step == "need" and "need" not in draft.answers and draft.awaiting_more is None
    assert isinstance(text(draft, BOUNDARY, "quiet evenings without screens"), Moved)


def test_boundary_compose_accept_or_rewrite() -> None:
    draft = engine.start(BOUNDARY, NOW, TODAY)
    for answer in ("Time alone", "an hour to myself after work", "I get home", "it lets me arrive as myself"):
        assert isinstance(text(draft, BOUNDARY, answer), Moved)
    assert draft.step == "statement"
    statement = engine.compose(LABELS["boundary.template"], draft.answers)
    assert (
        statement
        == "I need an hour to myself after work when I get home, because it lets me arrive as myself."
    )
    rewrite = draft.to_dict()
    assert isinstance(engine.accept_statement(BOUNDARY, draft, statement, NOW), Moved)
    assert draft.answers["statement"] == statement and draft.step is None
    other = Draft.from_dict(rewrite)
    assert isinstance(text(other, BOUNDARY, "My own words."), Moved)
    assert other.answers["statement"] == "My own words."


def test_writing_window_collects_until_closed() -> None:
    draft = engine.start(SELFEXAM, NOW, TODAY)
    assert isinstance(engine.answer_option(SELFEXAM, draft, 1, NOW, sources=SOURCES), Moved)
    assert draft.answers["minutes"] == "5" and draft.step == "q1"
    step = SELFEXAM.step("q1")
    assert step.kind is Kind.WRITING
    window = engine.open_writing(SELFEXAM, draft, NOW, 5)
    assert window.until == NOW + timedelta(minutes=5)
    assert engine.add_writing(draft, "When we argue I go quiet.", NOW + timedelta(minutes=1))
    assert engine.add_writing(draft, "Then later — I say it.", NOW + timedelta(minutes=2))
    # Sent after the time, before the window was closed: time is up, and the words are kept.
    assert not engine.add_writing(draft, "just in time", NOW + timedelta(minutes=6))
    assert engine.close_writing(SELFEXAM, draft, NOW) == 14
    assert draft.answers["q1"] == "When we argue I go quiet.\n\nThen later — I say it.\n\njust in time"
    assert draft.step == "q1_rating"


def test_word_count_and_needs_more() -> None:
    assert engine.word_count("Hello, world! It's fine.") == 4
    assert engine.word_count("שלום לך עולם") == 3
    assert engine.needs_more("Yes.")
    assert engine.needs_more("not really")
    assert not engine.needs_more("Only when I have slept well")


def test_did_duration_typed() -> None:
    draft = engine.start(DID, NOW, TODAY)
    assert isinstance(text(draft, DID, "piano"), Moved)
    assert text(draft, DID, "a while") == Invalid("duration.format")
    assert isinstance(text(draft, DID, "1h30"), Moved)
    assert draft.answers == {"interest": "piano", "minutes": "90"}


def test_streak() -> None:
    days = [TODAY - timedelta(days=n) for n in (0, 1, 2, 4)]
    assert engine.streak(days, TODAY) == 3
    assert engine.streak(days[1:], TODAY) == 2  # today not done yet: count up to yesterday
    assert engine.streak([], TODAY) == 0


def test_compose_clips_long_answers() -> None:
    statement = engine.compose("{a}", {"a": "x" * 5000}, clip=100)
    assert len(statement) == 100


def test_draft_rejects_foreign_data() -> None:
    with pytest.raises((KeyError, ValueError, TypeError)):
        Draft.from_dict({"version": 99, "flow": "checkin"})
    with pytest.raises((KeyError, ValueError, TypeError)):
        Draft.from_dict({**engine.start(PAGES, NOW, TODAY).to_dict(), "step": "no-such-step"})


ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("text"), st.text(max_size=40)),
        st.tuples(st.just("option"), st.integers(-2, 12)),
        st.tuples(st.sampled_from(["skip", "back", "write", "close", "accept"]), st.just(None)),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(flow_name=st.sampled_from(sorted(FLOWS)), actions=ACTIONS)
def test_random_sequences_never_raise_and_drafts_round_trip(
    flow_name: str, actions: list[tuple[str, object]]
) -> None:
    flow = FLOWS[flow_name]
    draft = engine.start(flow, NOW, TODAY)
    for action, value in actions:
        if draft.step is None:
            break
        step = flow.step(draft.step)
        if step.kind is Kind.WRITING and draft.writing is None:
            engine.open_writing(flow, draft, NOW, 3)
        if action == "text" and draft.writing is not None:
            engine.add_writing(draft, str(value), NOW)
        elif action == "text":
            text(draft, flow, str(value))
        elif action == "option":
            assert isinstance(value, int)
            engine.answer_option(flow, draft, value, NOW, sources=SOURCES)
        elif action == "skip":
            engine.skip(flow, draft, NOW)
        elif action == "back":
            engine.back(flow, draft, NOW)
        elif action == "close" and draft.writing is not None:
            engine.close_writing(flow, draft, NOW)
        elif action == "accept":
            engine.accept_statement(flow, draft, "statement", NOW)
        restored = Draft.from_dict(draft.to_dict())
        assert restored.to_dict() == draft.to_dict()
        assert draft.step is None or draft.step in {s.key for s in flow.steps}
