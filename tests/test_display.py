"""What people see of their own words: full entries, the journal, recaps, reminders (issue #10)."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from bot.charts import render_week
from bot.domain import engine
from bot.domain.flows import FLOWS, Kind, Option
from bot.domain.models import Entry, Profile
from bot.handlers import recap
from bot.localapi.builders import utf16_len
from bot.localapi.constants import MAX_TEXT_LENGTH
from bot.localapi.user import FakeUser
from bot.texts import t
from tests.conftest import Clock, Harness, send

TODAY = date(2026, 11, 28)  # a Saturday


async def set_up(h: Harness, user: FakeUser, **extra: object) -> Profile:
    fields: dict[str, object] = {"morning": time(7, 30), "evening": time(21), **extra}
    profile = Profile(user_id=user.id, timezone="UTC", onboarded=True, **fields)  # type: ignore[arg-type]
    await h.repo.save_profile(profile)
    return profile


async def journal_of(h: Harness, user: FakeUser) -> str:
    await send(h, user, "/export")
    await user.wait_for(lambda m: m.method == "sendDocument")
    md_doc = await user.wait_for(lambda m: m.method == "sendDocument")
    raw = await (await h.app.bot.get_file(md_doc.message["document"]["file_id"])).download_as_bytearray()
    return bytes(raw).decode()


def long_answer() -> str:
    """10,000+ characters of what a person might write, full of markup-like characters."""
    pieces = ["I <b>wrote</b> & kept writing", "שלום, מה שלומך היום?", "👩🏽‍💻 tired 😢", "a<b&c>d", "&amp;"]
    words: list[str] = []
    n = 0
    while sum(len(w) + 1 for w in words) < 10_000:
        words.append(f"{pieces[n % len(pieces)]} #{n}")
        n += 1
        if n % 37 == 0:
            words.append("\n\n")
    return " ".join(words)


# --- the full-entry view -----------------------------------------------------------------------


async def test_full_entry_shows_every_character_of_a_long_answer(harness: Harness) -> None:
    user = harness.user()
    await set_up(harness, user)
    text = long_answer()
    await harness.repo.append_entry(
        user.id, Entry(kind="pages", local_date=TODAY, data={"text": text, "text_words": 2000})
    )
    await send(harness, user, "/history")
    listing = await user.next_message()
    before = len(user.all_messages())
    await user.press(listing, "1")
    await harness.pump()
    parts = user.all_messages()[before:]
    assert len(parts) >= 3
    assert all(utf16_len(m.content) <= MAX_TEXT_LENGTH for m in parts)
    shown = "".join(m.content for m in parts)
    assert "".join(text.split()) in "".join(shown.split())  # everything, modulo the whitespace at breaks


# --- stored codes never leak -------------------------------------------------------------------


def every_choice() -> list[tuple[str, str, Option]]:
    """(entry kind, answer key, option) for every button of every flow that stores an entry."""
    found = []
    for flow in FLOWS.values():
        if not flow.kind:
            continue
        for step in flow.steps:
            if step.kind is not Kind.CHOICE:
                continue
            options = list(step.options)
            if step.options_by is not None:
                options += [o for group in step.options_by[1].values() for o in group]
            found += [(str(flow.kind), step.key, option) for option in options]
    return found


def label_of(key: str) -> str:
    return html.unescape(t(key, "en"))


def field_of(key: str) -> str:
    return label_of(f"field.{key}")


def test_every_choice_is_walked() -> None:
    keys = {(kind, key) for kind, key, _ in every_choice()}
    assert {
        ("diary", "family"), ("diary", "feeling"), ("diary", "whose"), ("diary", "expressed"),
        ("boundary", "area"), ("encourage", "encouraged"), ("interest_time", "minutes"),
    } <= keys  # fmt: skip


@pytest.mark.parametrize(("kind", "key", "option"), every_choice(), ids=lambda v: getattr(v, "value", v))
def test_full_entry_shows_button_labels_not_codes(kind: str, key: str, option: Option) -> None:
    entry = Entry(kind=kind, local_date=TODAY, data={key: option.value})
    lines = [html.unescape(re.sub(r"<[^>]+>", "", line)) for line in recap.entry_lines(entry, "en")]
    assert f"{field_of(key)}: {label_of(option.label)}" in lines


async def test_journal_shows_button_labels_not_codes(harness: Harness) -> None:
    user = harness.user()
    await set_up(harness, user)
    choices = every_choice()
    for kind, key, option in choices:
        await harness.repo.append_entry(user.id, Entry(kind=kind, local_date=TODAY, data={key: option.value}))
    journal = await journal_of(harness, user)
    for _, key, option in choices:
        assert f"- **{field_of(key)}:** {label_of(option.label)}\n" in journal
    for code in ("not_relevant", "a_little", "alone_time", "let_down", ":** partner", ":** fear"):
        assert code not in journal


async def test_yes_no_values_and_shared_boundaries_read_as_words(harness: Harness) -> None:
    user = harness.user()
    await set_up(harness, user)
    boundary = Entry(kind="boundary", local_date=TODAY, data={"statement": "I need a quiet hour."})
    await harness.repo.append_entry(user.id, boundary)
    update = Entry(
        kind="boundary_update",
        local_date=TODAY,
        data={"boundary_id": boundary.entry_id, "shared": True, "outcome": "It went well"},
    )
    await harness.repo.append_entry(user.id, update)
    await harness.repo.append_entry(
        user.id, Entry(kind="pages", local_date=TODAY, data={"text": "late words", "late": True})
    )
    journal = await journal_of(harness, user)
    assert "True" not in journal and boundary.entry_id not in journal
    assert "- **Shared:** Yes" in journal and "I need a quiet hour." in journal
    await send(harness, user, "/history")
    listing = await user.next_message()
    await user.press(listing, "2")  # newest first: 1 pages, 2 the update, 3 the boundary
    await harness.pump()
    full = await user.next_message()
    assert "Shared: Yes" in full.content and "True" not in full.content
    assert boundary.entry_id not in full.content and "I need a quiet hour." in full.content


async def test_history_gist_uses_labels(harness: Harness) -> None:
    user = harness.user()
    await set_up(harness, user)
    await harness.repo.append_entry(
        user.id, Entry(kind="encourage", local_date=TODAY, data={"encouraged": "a_little"})
    )
    await harness.repo.append_entry(
        user.id, Entry(kind="diary", local_date=TODAY, data={"feeling": "let_down", "intensity": 3})
    )
    await send(harness, user, "/history")
    listing = (await user.next_message()).content
    assert "let down (3/5)" in listing and "A little" in listing
    assert "let_down" not in listing and "a_little" not in listing


# --- /history order ----------------------------------------------------------------------------


async def test_history_lists_newest_first(harness: Harness) -> None:
    user = harness.user()
    await set_up(harness, user)
    for n in range(4):
        await harness.repo.append_entry(
            user.id,
            Entry(kind="pages", local_date=TODAY - timedelta(days=3 - n), data={"text": f"day-{n} words"},
                  created_at=datetime(2026, 11, 25 + n, 8, tzinfo=UTC)),
        )  # fmt: skip
    await send(harness, user, "/history 3")
    listing = await user.next_message()
    lines = listing.content.splitlines()[1:]
    assert [line.split(" ", 1)[0] for line in lines] == ["1.", "2.", "3."]
    assert "2026-11-28" in lines[0] and "day-3" in lines[0]
    assert "2026-11-26" in lines[2] and "day-1" in lines[2]
    assert "day-0" not in listing.content
    assert listing.button_texts == ["1", "2", "3"]
    await user.press(listing, "1")
    await harness.pump()
    assert "day-3 words" in (await user.next_message()).content


# --- recap: caption, month chart, streak of a past period ------------------------------------


async def seed_diary(h: Harness, user: FakeUser, days: list[date]) -> None:
    for day in days:
        await h.repo.append_entry(
            user.id, Entry(kind="diary", local_date=day, data={"feeling": "calm", "intensity": 2})
        )


@pytest.mark.parametrize(
    ("args", "caption"),
    [
        ("", "Your week at a glance"),
        (" last", "Last week at a glance"),
        (" month", "Your 30 days at a glance"),
    ],
)
async def test_chart_caption_matches_the_period(harness: Harness, args: str, caption: str) -> None:
    user = harness.user()
    await set_up(harness, user)
    await seed_diary(harness, user, [TODAY - timedelta(days=n) for n in range(14)])
    await send(harness, user, f"/summary{args}")
    photo = await user.wait_for(lambda m: m.method == "sendPhoto")
    assert photo.caption == caption


async def test_month_chart_draws_every_day(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.axes import Axes

    drawn: list[int] = []
    original = Axes.bar

    def spy(self: Axes, *args: object, **kwargs: object) -> object:
        if kwargs.get("orientation", "vertical") == "vertical":  # barh() calls bar() too
            drawn.append(len(args[0]))  # type: ignore[arg-type]
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    async def in_this_process(*args: Any) -> bytes:  # where the spy can see it
        return render_week(*args)

    monkeypatch.setattr(Axes, "bar", spy)
    monkeypatch.setattr(recap, "render_elsewhere", in_this_process)
    user = harness.user()
    await set_up(harness, user)
    await seed_diary(harness, user, [TODAY - timedelta(days=n) for n in range(0, 30, 3)])
    await send(harness, user, "/summary month")
    await user.wait_for(lambda m: m.method == "sendPhoto")
    assert drawn == [30]


async def test_last_week_streak_is_as_of_its_end(harness: Harness, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 28, 12, tzinfo=UTC)  # Saturday; last week is 16-22 Nov
    user = harness.user()
    await set_up(harness, user)
    # Thu 19 to Sun 22 Nov (4 days), a gap on Monday, then every day this week.
    await seed_diary(harness, user, [date(2026, 11, d) for d in (19, 20, 21, 22, 24, 25, 26, 27, 28)])
    await send(harness, user, "/summary last")
    text = (await user.wait_for(lambda m: "Last week" in m.content and m.method == "sendMessage")).content
    assert "Check-ins on 4 of 7 days · streak 4" in text


async def test_last_week_streak_is_broken_by_an_empty_last_day(harness: Harness, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 28, 12, tzinfo=UTC)
    user = harness.user()
    await set_up(harness, user)
    await seed_diary(harness, user, [date(2026, 11, d) for d in (19, 20, 21)])  # nothing on Sunday 22nd
    await send(harness, user, "/summary last")
    text = (await user.wait_for(lambda m: "Last week" in m.content and m.method == "sendMessage")).content
    assert "streak 0" in text


# --- the boundary sentence ---------------------------------------------------------------------


BOUNDARY_CASES = [
    (
        "quiet",
        "when I come home",
        "because I'm drained",
        "I need quiet when I come home, because I'm drained.",
    ),
    (
        "quiet",
        "When, I come home",
        "Because: I'm drained.",
        "I need quiet when I come home, because I'm drained.",
    ),
    (
        "I need quiet",
        "WHENEVER we visit",
        "because   it matters",
        "I need quiet when we visit, because it matters.",
    ),
    ("quiet", "whenever", "because", "I need quiet when whenever, because because."),  # nothing else: kept
    ("quiet", "we visit", "it matters", "I need quiet when we visit, because it matters."),
    ("quiet", "whence it came", "becauseless", "I need quiet when whence it came, because becauseless."),
]


@pytest.mark.parametrize(("need", "when", "why", "expected"), BOUNDARY_CASES)
def test_boundary_sentence_does_not_double_connectives(need: str, when: str, why: str, expected: str) -> None:
    template = t("boundary.template", "en")
    assert engine.compose(template, {"need": need, "when": when, "why": why}) == expected


def test_connectives_come_from_the_template_in_any_language() -> None:
    template = "אני צריך {need} כש{when}, כי {why}."
    answers = {"need": "שקט", "when": "כשאני חוזר הביתה", "why": "כי אני עייף."}
    assert engine.compose(template, answers, connectives={}) == "אני צריך שקט כשאני חוזר הביתה, כי אני עייף."
    assert engine.lead_ins(template) == {"need": ("צריך", False), "when": ("כש", True), "why": ("כי", False)}


# --- the Markdown journal ---------------------------------------------------------------------


async def test_journal_escapes_markdown_in_user_text(harness: Harness) -> None:
    user = harness.user()
    await set_up(harness, user)
    happened = "*bold* _it_ `code` [link](http://x) <b>tag</b> a|b ~~s~~ \\ & 2*3"
    multi = "# not a heading\n> not a quote\n- not a list\n1. not a list\n+ no\n===\ntext"
    await harness.repo.append_entry(
        user.id, Entry(kind="diary", local_date=TODAY, data={"happened": happened, "need": multi})
    )
    journal = await journal_of(harness, user)
    line = next(line for line in journal.splitlines() if line.startswith("- **What happened:**"))
    body = line.removeprefix("- **What happened:** ")
    for raw in ("*bold*", "_it_", "`code`", "[link]", "<b>", "~~", "a|b"):
        assert raw not in body
    assert re.sub(r"\\(.)", r"\1", body) == happened  # unescaping gives back exactly what was written
    quoted = [line.removeprefix("> ") for line in journal.splitlines() if line.startswith("> ")]
    assert [re.sub(r"\\(.)", r"\1", q) for q in quoted] == multi.splitlines()
    for q in quoted:
        assert q[0] not in "#>-+=" and not re.match(r"\d+\.", q)


# --- reminders ---------------------------------------------------------------------------------


async def test_pause_says_when_reminders_resume(harness: Harness, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 28, 9, tzinfo=UTC)
    user = harness.user()
    await set_up(harness, user, paused_until=date(2026, 11, 30))
    await send(harness, user, "/remind")
    menu = (await user.next_message()).content
    # schedule.is_paused: the paused_until day itself is not paused, so nudges come again on the 30th.
    assert "Reminders resume on Mon 2026-11-30" in menu
    assert "until 2026-11-30" not in menu


async def test_welcome_back_after_unblocking_says_reminders_are_on(harness: Harness) -> None:
    user = harness.user()
    await set_up(harness, user, active=False)
    await send(harness, user, "/start")
    welcome = (await user.next_message()).content
    assert "Welcome back" in welcome and "reminders are on again" in welcome
    await send(harness, user, "/start")
    again = (await user.next_message()).content
    assert "Welcome back" in again and "reminders are on again" not in again
