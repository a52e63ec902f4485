"""An answer is durable before anything answers it: the next question (and the care note, the ✍ on
writing) is worked out while the draft is being stored, but sent only once it is; if storing fails,
nothing that claims progress goes out. And what is worked out once for everyone (button labels)
still follows each person's language and gender."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from types import SimpleNamespace
from typing import Any, cast

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.handlers import common
from bot.handlers.common import Context, keyboard
from bot.localapi.records import RecordedRequest
from bot.storage import StorageError
from bot.texts import Voice, plain
from tests.conftest import Harness, press, send
from tests.test_buttons import onboarded

CARE = "you don't have to carry it alone"


class SlowSave:
    """Replaces the repository's `save_draft`: each save waits until released, or fails."""

    def __init__(self, harness: Harness, monkeypatch: pytest.MonkeyPatch, *, fail: bool = False) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.fail = fail
        self.real = harness.repo.save_draft
        monkeypatch.setattr(harness.repo, "save_draft", self)

    async def __call__(self, uid: int, draft: dict[str, Any]) -> None:
        self.started.set()
        await self.release.wait()
        if self.fail:
            raise StorageError("simulated: the disk is gone")
        await self.real(uid, draft)


def visible_calls(harness: Harness) -> list[RecordedRequest]:
    """Every Bot API call the bot made that the person could see (not its polling)."""
    return [call for call in harness.request.api.calls() if call.method.lower() != "getupdates"]


def sent_calls(harness: Harness) -> list[str]:
    return [call.method for call in visible_calls(harness)]


async def while_saving(
    harness: Harness, save: SlowSave, act: Callable[[], Coroutine[Any, Any, None]]
) -> list[str]:
    """Run `act` (one update) until its save has started and everything else it could do has run;
    what it showed meanwhile (the method, and a message's text). Then let the save finish and the
    update end."""
    before = len(visible_calls(harness))
    handling = asyncio.create_task(act())
    await asyncio.wait_for(save.started.wait(), timeout=2)
    for _ in range(50):  # everything that does not wait for the save runs now (no real time passes)
        await asyncio.sleep(0)
    early = [
        f"{call.method} {call.params.get('text', '')}".strip() for call in visible_calls(harness)[before:]
    ]
    save.release.set()
    await handling
    return early


INTRO = "sendMessage Let's take a few minutes for how you feel today. One question at a time."


@pytest.mark.parametrize(
    ("before", "answer", "meanwhile", "expected"),
    [
        ([], "/checkin", [INTRO], ["family of feelings"]),  # the introduction claims nothing
        (["/checkin", "joy"], "glad", [], ["How strong is it?"]),
        (["/checkin", "joy", "glad", "3"], "I want to die", [], [CARE, "Whose feeling"]),
    ],
    ids=["first question", "next question", "care note"],
)
async def test_the_reply_waits_for_the_answer_to_be_stored(
    harness: Harness,
    monkeypatch: pytest.MonkeyPatch,
    before: list[str],
    answer: str,
    meanwhile: list[str],
    expected: list[str],
) -> None:
    user = harness.user()
    await onboarded(harness, user)
    for text in before:
        await send(harness, user, text)
    save = SlowSave(harness, monkeypatch)
    early = await while_saving(harness, save, lambda: send(harness, user, answer))
    assert early == meanwhile
    last = [m.content for m in user.all_messages()][-len(expected) :]
    assert all(part in text for part, text in zip(expected, last, strict=True))


async def test_a_failed_start_shows_the_introduction_and_the_error_but_no_question(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = harness.user()
    await onboarded(harness, user)
    shown = len(user.all_messages())
    save = SlowSave(harness, monkeypatch, fail=True)
    early = await while_saving(harness, save, lambda: send(harness, user, "/checkin"))
    assert early == [INTRO]
    after = [m.content for m in user.all_messages()[shown:]]
    assert len(after) == 2 and "couldn't save" in after[1]  # no question that could not be answered
    assert await harness.repo.get_draft(user.id) is None


async def test_writing_is_acknowledged_only_once_stored(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = harness.user()
    await onboarded(harness, user)
    await send(harness, user, "/pages")
    save = SlowSave(harness, monkeypatch)
    early = await while_saving(harness, save, lambda: send(harness, user, "I want to die, it is so heavy"))
    assert early == []
    assert sent_calls(harness)[-2:] == ["setMessageReaction", "sendMessage"]  # the ✍, then the note
    assert CARE in user.all_messages()[-1].content


@pytest.mark.parametrize("answer", ["glad", "I want to die"])
async def test_a_failed_save_sends_nothing_that_claims_progress(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, answer: str
) -> None:
    user = harness.user()
    await onboarded(harness, user)
    await send(harness, user, "/checkin")
    await send(harness, user, "joy")
    shown = len(user.all_messages())
    save = SlowSave(harness, monkeypatch, fail=True)
    early = await while_saving(harness, save, lambda: send(harness, user, answer))
    assert early == []
    after = [m.content for m in user.all_messages()[shown:]]
    assert len(after) == 1 and "couldn't save" in after[0]  # only the error handler's word
    draft = await harness.repo.get_draft(user.id)
    assert draft is not None and draft["answers"] == {"family": "joy"}


async def test_answer_buttons_follow_each_persons_language_and_gender(harness: Harness) -> None:
    """The labels of the catalog's options are worked out once per language and gender: each person
    still sees their own forms, whoever asked first."""
    people = [
        (harness.user(41, language_code="he"), Voice("he", "feminine")),
        (harness.user(42, language_code="he"), Voice("he", "masculine")),
        (harness.user(43), Voice("en")),
        (harness.user(44, language_code="he"), Voice("he", "feminine")),
    ]
    for user, voice in people:
        await onboarded(harness, user, language=str(voice), gender=voice.gender)
        await send(harness, user, "/checkin")
        await press(harness, user, plain("family.joy", voice))
        shown = [label for row in user.all_messages()[-1].buttons for label in row]
        assert plain("feeling.glad", voice) in shown
        assert plain("feeling.excited", voice) in shown
    assert plain("feeling.glad", Voice("he", "feminine")) != plain("feeling.glad", Voice("he", "masculine"))


@pytest.mark.parametrize("buttons", [False, True])
async def test_send_posts_what_send_message_posts(harness: Harness, buttons: bool) -> None:
    """`send` skips building a Message from the answer; what reaches Telegram must not differ from
    `send_message` with the bot's defaults (a new default would have to be added to `send`)."""
    user = harness.user()
    rows = [[("Yes", "f:0123abcd:1:0"), ("No", "f:0123abcd:1:1")], [("Maybe ‹b›", "f:0123abcd:1:2")]]
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )
    text = "<b>Hello</b> &amp; “welcome”"
    await harness.app.bot.send_message(user.id, text, reply_markup=markup if buttons else None)
    context = cast(Context, SimpleNamespace(bot=harness.app.bot))
    await common.send(context, user.id, text, keyboard(rows) if buttons else None)
    await common.send(context, user.id, text, markup if buttons else None)
    expected, *ours = [call.params for call in harness.request.api.calls("sendMessage")]
    assert ours == [expected, expected]


CHECKIN_TO_LAST = [
    "/checkin",
    "joy",
    "glad",
    "3",
    "We cooked <dinner> & laughed a lot",
    "Mine",
    "No",
    "It felt calm & easy",
]


async def test_the_last_answer_is_stored_once_with_the_entry(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last answer goes into the entry, stored with the draft's removal in one write: the draft
    is not saved once more before (a whole write and a worker-thread hop per exercise)."""
    user = harness.user()
    await onboarded(harness, user)
    for text in CHECKIN_TO_LAST:
        await send(harness, user, text)
    calls: list[str] = []
    real_save, real_finish = harness.repo.save_draft, harness.repo.finish_draft

    async def save_draft(uid: int, draft: dict[str, Any]) -> None:
        calls.append("save_draft")
        await real_save(uid, draft)

    async def finish_draft(uid: int, entry: Any) -> None:
        calls.append("finish_draft")
        await real_finish(uid, entry)

    monkeypatch.setattr(harness.repo, "save_draft", save_draft)
    monkeypatch.setattr(harness.repo, "finish_draft", finish_draft)
    await send(harness, user, "Nothing more, thank you <3")
    assert calls == ["finish_draft"]
    assert "Saved." in user.all_messages()[-1].content or any(
        "Saved." in m.content for m in user.all_messages()
    )
    [entry] = await harness.repo.list_entries(user.id)
    assert "Nothing more, thank you <3" in entry.data.values()
    assert await harness.repo.get_draft(user.id) is None


async def test_a_failed_finish_keeps_the_last_question_and_claims_nothing(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = harness.user()
    await onboarded(harness, user)
    for text in CHECKIN_TO_LAST:
        await send(harness, user, text)
    real_finish = harness.repo.finish_draft

    async def failing(uid: int, entry: Any) -> None:
        raise StorageError("simulated: the disk is gone")

    monkeypatch.setattr(harness.repo, "finish_draft", failing)
    shown = len(user.all_messages())
    await send(harness, user, "I need a walk, i want to die of boredom")  # care words: no note yet either
    after = [m.content for m in user.all_messages()[shown:]]
    assert len(after) == 1 and "couldn't save" in after[0]
    assert await harness.repo.list_entries(user.id) == []
    monkeypatch.setattr(harness.repo, "finish_draft", real_finish)
    await send(harness, user, "A walk")
    assert any("Saved." in m.content for m in user.all_messages()[shown:])
    [entry] = await harness.repo.list_entries(user.id)
    assert "A walk" in entry.data.values()
