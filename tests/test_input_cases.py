"""Small input cases: the damage notice comes first, invisible-only text, a location at a time
question, and commands addressed to another bot."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import engine
from bot.domain.engine import Invalid, Moved
from bot.domain.flows import CHECKIN, FLOWS, Kind
from bot.domain.models import Entry
from bot.domain.parsing import ParseError, is_blank, parse_time, parse_zone
from bot.localapi.builders import group_chat
from bot.storage.tinydb_store import TinyDBRepository
from bot.texts import CATALOGS, labels, plain, t
from tests.conftest import Clock, Harness, send
from tests.test_bad_input import onboard

NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
TODAY = date(2026, 11, 28)
LABELS = labels("en")
SOURCES = {"interests": ["piano"], "writing_minutes": ["3", "5"]}
PROPERTY = settings(database=None, deadline=None, max_examples=300)
DAMAGED = "could not be read"


def shown(key: str) -> str:
    """An English text as the chat shows it (HTML tags rendered away)."""
    return plain(key, "en")


# --- 1. the damage notice comes before anything else, once ---------------------------------------


@pytest.mark.parametrize(
    ("damaged", "commands"),
    [("entries", ["/history", "/start"]), ("profile", ["/start", "/history"]), ("entries", ["/checkin"])],
)
async def test_damage_notice_is_the_first_message_and_comes_once(
    clock: Clock, disk_repo_factory: Callable[[], TinyDBRepository], damaged: str, commands: list[str]
) -> None:
    async with Harness(disk_repo_factory(), clock) as first:
        user = first.user()
        await onboard(first, user)
        entry = Entry(kind="pages", local_date=date(2026, 11, 27), data={"text": "a quiet morning"})
        await first.repo.append_entry(user.id, entry)
        user_dir = first.repo.inner.user_dir(user.id)  # type: ignore[attr-defined]
    (target,) = user_dir.glob(f"{damaged}*.json")
    target.write_bytes(b'{"schema": 1, "docs": {')
    async with Harness(disk_repo_factory(), clock) as second:
        user = second.user()
        for command in commands:
            await send(second, user, command)
        sent = [m.content for m in user.history()]
    assert DAMAGED in sent[0], sent
    assert sum(DAMAGED in text for text in sent) == 1, sent
    assert len(sent) > 1  # and the command itself was still answered


async def test_damage_found_by_a_button_press_also_comes_first(
    clock: Clock, disk_repo_factory: Callable[[], TinyDBRepository]
) -> None:
    async with Harness(disk_repo_factory(), clock) as first:
        user = first.user()
        await onboard(first, user)
        user_dir = first.repo.inner.user_dir(user.id)  # type: ignore[attr-defined]
    (user_dir / "profile.json").write_bytes(b"{")
    async with Harness(disk_repo_factory(), clock) as second:
        user = second.user()
        await second.app.bot.send_message(user.id, "an earlier question")  # bears the button
        seen = len(user.history())
        await second.app.process_update(
            second.request.callback_update(user.id, "edit:zone", bot=second.app.bot)
        )
        sent = [m for m in user.history()[seen:] if not m.edited]
    assert DAMAGED in sent[0].content
    assert sum(DAMAGED in m.content for m in sent) == 1


# --- 2a. text that is only invisible characters ------------------------------------------------

INVISIBLE = [
    "\u200b",  # zero-width space
    "\u200c",  # zero-width non-joiner
    "\u200d",  # zero-width joiner
    "\ufeff",  # byte order mark
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u061c",  # Arabic letter mark
    "\u202a\u202c",  # embedding and pop
    "\u2066\u2069",  # isolate and pop
    "\u2060",  # word joiner
    "\u00ad",  # soft hyphen
    "\u3164",  # Hangul filler
    "\u115f\u1160",  # Hangul choseong and jungseong fillers
    "\uffa0",  # halfwidth Hangul filler
    "\u2800",  # braille blank
    "\u034f",  # combining grapheme joiner
    "\ufe0f",  # a variation selector alone
    "\u180e",  # Mongolian vowel separator
    "\U000e0020\U000e007f",  # tag space, cancel tag
    " \u200b\u00a0\u3000\u200d ",
]
# Characters anywhere in Unicode that show nothing: format characters and the fillers above.
invisible_char = st.one_of(
    st.characters(categories=["Cf", "Zs"]),
    st.sampled_from([c for text in INVISIBLE for c in text] + ["\n", "\t"]),
)
visible_char = st.characters(categories=["L", "N", "P", "S"]).filter(lambda c: not is_blank(c))


@pytest.mark.parametrize("text", INVISIBLE)
def test_invisible_only_text_is_blank(text: str) -> None:
    assert is_blank(text)


@pytest.mark.parametrize(
    "text",
    [
        "a",
        "می\u200cخواهم",  # Persian, ZWNJ inside a word
        "👩\u200d👩\u200d👧",  # emoji ZWJ sequence
        "❤\ufe0f",
        "\u200bה",
        "\u0301",  # a lone accent shows as a mark
        "😶",
    ],
)
def test_text_with_something_visible_is_not_blank(text: str) -> None:
    assert not is_blank(text)


@PROPERTY
@given(st.text(invisible_char, min_size=1, max_size=12))
def test_invisible_text_is_refused_by_every_typed_question(text: str) -> None:
    for flow in FLOWS.values():
        for step in flow.steps:
            if step.kind is Kind.WRITING:
                continue
            draft = engine.start(flow, NOW, TODAY)
            draft.step = step.key
            outcome = engine.answer_text(flow, draft, text, NOW, labels=LABELS, sources=SOURCES)
            assert outcome == Invalid("blank"), (flow.name, step.key)
            assert step.key not in draft.answers
    with pytest.raises(ParseError) as time_error:
        parse_time(text)
    with pytest.raises(ParseError) as zone_error:
        parse_zone(text)
    assert time_error.value.code == zone_error.value.code == "blank"


@PROPERTY
@given(
    st.text(invisible_char, max_size=3),
    st.lists(st.text(visible_char, min_size=1, max_size=4), min_size=1, max_size=3),
    st.sampled_from(["\u200c", "\u200d", "\u00ad", "\u2060"]),
    st.text(invisible_char, max_size=3),
)
def test_joiners_inside_words_survive(before: str, parts: list[str], joiner: str, after: str) -> None:
    word = joiner.join(parts)
    assert not is_blank(before + word + after)
    draft = engine.start(CHECKIN, NOW, TODAY)
    draft.step = "feeling"
    assert isinstance(engine.answer_text(CHECKIN, draft, before + word + after, NOW, labels=LABELS,
                                         sources=SOURCES), Moved)  # fmt: skip
    assert joiner.join(parts) in draft.answers["feeling"]


def test_invisible_marks_around_a_choice_still_match_it() -> None:
    draft = engine.start(CHECKIN, NOW, TODAY)
    assert isinstance(engine.answer_text(CHECKIN, draft, "\u200fjoy\u200e", NOW, labels=LABELS,
                                         sources=SOURCES), Moved)  # fmt: skip
    assert draft.answers["family"] == "joy"


def test_emoji_sequences_are_kept_whole() -> None:
    draft = engine.start(CHECKIN, NOW, TODAY)
    draft.step = "feeling"
    family = "👩\u200d👩\u200d👧 ❤\ufe0f 🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
    assert isinstance(engine.answer_text(CHECKIN, draft, family, NOW, labels=LABELS, sources=SOURCES), Moved)
    assert draft.answers["feeling"] == family


def test_times_and_zones_typed_with_direction_marks_are_read() -> None:
    assert parse_time("\u200f7:30\u200e").hour == 7
    assert parse_zone("\u2067Berlin\u2069").key == "Europe/Berlin"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("می\u200cخواهم بنویسم", 2),  # Persian with ZWNJ inside the first word
        ("नमस्ते दुनिया", 2),  # Devanagari: vowel signs and virama are part of the word
        ("שָׁלוֹם עולם", 2),  # Hebrew with vowel points
        ("Erd\u00adbeere", 1),  # soft hyphen
        ("one\u200btwo", 2),  # a zero-width space separates words
        ("don’t stop", 2),
    ],
)
def test_word_count_in_any_script(text: str, words: int) -> None:
    assert engine.word_count(text) == words


def test_a_three_word_devanagari_answer_gets_the_follow_up() -> None:
    assert engine.needs_more("मुझे अच्छा लगा")


async def test_invisible_feeling_word_gets_a_hint_and_the_question_again(harness: Harness) -> None:
    user = harness.user()
    await onboard(harness, user)
    await send(harness, user, "/checkin")
    await send(harness, user, "joy")
    seen = len(user.history())
    await send(harness, user, "\u200b\u200d")
    hint, *question = user.history()[seen:]
    assert hint.content == t("flow.hint.blank", "en")
    assert question, "the open question is asked again"
    draft = await harness.repo.get_draft(user.id)
    assert draft is not None and draft["step"] == "feeling" and "feeling" not in draft["answers"]


@pytest.mark.parametrize("answered", [[], ["Berlin"], ["Berlin", "7:00"]])
async def test_invisible_setup_answer_gets_a_hint_and_the_question(
    harness: Harness, answered: list[str]
) -> None:
    user = harness.user()
    for text in ["/start", *answered]:
        await send(harness, user, text)
    before = await harness.repo.get_profile(user.id)
    seen = len(user.history())
    await send(harness, user, "\u3164")
    hint, question = user.history()[seen:]
    assert hint.content == t("hint.blank", "en")
    assert question.content == user.history()[seen - 1].content  # the same question again
    assert await harness.repo.get_profile(user.id) == before


def test_blank_hints_exist() -> None:
    assert {"hint.blank", "flow.hint.blank"} <= CATALOGS["en"].all_keys()


# --- 2b. a location at a time question --------------------------------------------------------


@pytest.mark.parametrize("step", ["morning", "evening"])
async def test_location_at_a_time_question_explains_and_asks_again(harness: Harness, step: str) -> None:
    user = harness.user()
    await send(harness, user, "/start")
    await send(harness, user, "Berlin")
    if step == "evening":
        await send(harness, user, "7:00")
    seen = len(user.history())
    await user.send_location(48.8566, 2.3522)  # Paris
    await harness.pump()
    hint, question = user.history()[seen:]
    assert hint.content == shown("hint.location.time_question")
    assert "sticker" not in hint.content
    assert f"time:{step}:" in str(question.markup)
    profile = await harness.repo.get_profile(user.id)
    assert profile is not None and profile.timezone == "Europe/Berlin"  # the location changed nothing


async def test_location_when_no_question_is_open_says_what_locations_are_for(harness: Harness) -> None:
    user = harness.user()
    await onboard(harness, user)
    await user.send_location(48.8566, 2.3522)
    await harness.pump()
    (hint,) = user.history()
    assert hint.content == t("hint.location.idle", "en")
    profile = await harness.repo.get_profile(user.id)
    assert profile is not None and profile.timezone == "Europe/Berlin"


# --- 2c. commands addressed to another bot ------------------------------------------------------


@pytest.mark.parametrize("command", ["/checkin@OtherBot", "/frobnicate@OtherBot", "/start@other_bot hi"])
async def test_a_command_for_another_bot_is_ignored_in_a_private_chat(harness: Harness, command: str) -> None:
    user = harness.user()
    await onboard(harness, user)
    await send(harness, user, command)
    assert user.pending() == []
    assert await harness.repo.get_draft(user.id) is None


async def test_a_command_for_another_bot_is_not_taken_as_an_answer(harness: Harness) -> None:
    user = harness.user()
    await onboard(harness, user)
    await send(harness, user, "/checkin")
    await send(harness, user, "joy")
    seen = len(user.history())
    await send(harness, user, "/checkin@OtherBot")
    assert len(user.history()) == seen
    draft = await harness.repo.get_draft(user.id)
    assert draft is not None and "feeling" not in draft["answers"]


@pytest.mark.parametrize("command", ["/checkin@OtherBot", "/frobnicate@OtherBot"])
async def test_a_command_for_another_bot_is_ignored_in_a_group(harness: Harness, command: str) -> None:
    member = harness.user().in_chat(group_chat(-100777, "Friends"))
    await send(harness, member, command)
    assert member.pending() == []


async def test_a_command_for_us_in_a_group_still_points_to_a_private_chat(harness: Harness) -> None:
    member = harness.user().in_chat(group_chat(-100777, "Friends"))
    await send(harness, member, f"/checkin@{harness.app.bot.username}")
    (reply,) = member.pending()
    assert reply.content == t("hint.private_only", "en")


async def test_commands_addressed_to_us_work(harness: Harness) -> None:
    user = harness.user()
    await onboard(harness, user)
    name = harness.app.bot.username
    await send(harness, user, f"/checkin@{name.upper()}")
    assert await harness.repo.get_draft(user.id) is not None
    await send(harness, user, "/cancel")
    seen = len(user.history())
    await send(harness, user, f"/frobnicate@{name}")
    (reply,) = user.history()[seen:]
    assert reply.content == t("hint.unknown_command", "en", command="/frobnicate")
