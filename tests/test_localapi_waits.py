"""Simulated people wake up when the bot's message arrives, and read a chat's outbox by index.

The waits use a ``poll_interval`` of 5 s: only a wake-up on arrival can make them return in time.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import Bot

from bot.localapi.api import FakeBotAPI
from bot.localapi.offline import RecordingRequest
from bot.localapi.user import FakeUser

SLOW_POLL = 5.0
PROMPT = 0.25  # seconds; a polling waiter would take about SLOW_POLL


def send_later(api: FakeBotAPI, chat_id: int, text: str, delay: float = 0.05) -> list[float]:
    """Send ``text`` to ``chat_id`` from another thread after ``delay`` s; the list gets the send's start."""
    started: list[float] = []

    def send() -> None:
        started.append(time.monotonic())
        api.handle("sendMessage", {"chat_id": chat_id, "text": text})

    threading.Timer(delay, send).start()
    return started


async def test_a_waiter_wakes_when_a_message_arrives_from_another_thread() -> None:
    api = FakeBotAPI()
    user = FakeUser(api, poll_interval=SLOW_POLL)
    for n in range(3):
        started = send_later(api, user.chat_id, f"hello {n}")
        message = await user.next_message()
        assert time.monotonic() - started[0] < PROMPT
        assert message.text == f"hello {n}"


async def test_a_waiter_wakes_for_an_in_process_bot_on_the_same_loop() -> None:
    request = RecordingRequest()
    user = FakeUser(request.api, poll_interval=SLOW_POLL)
    async with Bot(request.token, request=request) as bot:

        async def reply() -> float:
            await asyncio.sleep(0.05)
            started = time.monotonic()
            await bot.send_message(user.chat_id, "Welcome!")
            return started

        replying = asyncio.create_task(reply())
        message = await user.next_message()
        assert time.monotonic() - await replying < PROMPT
    assert message.text == "Welcome!"


async def test_messages_to_other_chats_do_not_end_the_wait() -> None:
    api = FakeBotAPI()
    user, other = FakeUser(api, poll_interval=SLOW_POLL), FakeUser(api, poll_interval=SLOW_POLL)
    send_later(api, other.chat_id, "not for you", delay=0.01)
    started = send_later(api, user.chat_id, "for you", delay=0.1)
    message = await user.next_message()
    assert message.text == "for you"
    assert time.monotonic() - started[0] < PROMPT
    assert [m.text for m in other.pending()] == ["not for you"]


async def test_assert_no_message_fails_as_soon_as_one_arrives() -> None:
    api = FakeBotAPI()
    user = FakeUser(api, poll_interval=SLOW_POLL)
    started = send_later(api, user.chat_id, "surprise")
    with pytest.raises(AssertionError, match="expected no new bot message within 3"):
        await user.assert_no_message(within=3)
    assert time.monotonic() - started[0] < PROMPT


async def test_a_timeout_ends_the_wait_on_time_with_the_dump() -> None:
    api = FakeBotAPI()
    user = FakeUser(api, poll_interval=SLOW_POLL)
    api.handle("sendMessage", {"chat_id": user.chat_id, "text": "an unrelated message"})
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"nothing matched 'never' within 0\.2s") as failure:
        await user.wait_for(lambda m: False, timeout=0.2, description="never")
    assert 0.2 <= time.monotonic() - started < 0.2 + PROMPT
    assert "an unrelated message" in str(failure.value)
    started = time.monotonic()
    await user.assert_no_message(within=0.2)
    assert 0.2 <= time.monotonic() - started < 0.2 + PROMPT


async def test_no_waiter_is_left_behind() -> None:
    api = FakeBotAPI()
    user = FakeUser(api, poll_interval=SLOW_POLL)
    waiting = asyncio.create_task(user.next_message())
    await asyncio.sleep(0.01)
    assert api.outbox_watchers(user.chat_id) == 1
    api.handle("sendMessage", {"chat_id": user.chat_id, "text": "hi"})
    await waiting
    assert api.outbox_watchers(user.chat_id) == 0

    with pytest.raises(AssertionError):
        await user.next_message(timeout=0.05)
    assert api.outbox_watchers(user.chat_id) == 0

    await user.assert_no_message(within=0.05)
    send_later(api, user.chat_id, "now")
    with pytest.raises(AssertionError):
        await user.assert_no_message(within=1)
    assert api.outbox_watchers(user.chat_id) == 0
    await user.next_message()

    cancelled = asyncio.create_task(user.next_message())
    await asyncio.sleep(0.01)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert api.outbox_watchers(user.chat_id) == 0


CHATS = (1, 2, 3)
#: ("send", chat) or ("edit", index of an earlier send, wrapped); each send's text is unique.
OPS = st.lists(st.tuples(st.sampled_from(["send", "edit"]), st.integers(0, 30)), max_size=25)


@settings(max_examples=60, deadline=None)
@given(OPS)
def test_a_chats_outbox_after_a_seq_is_the_same_as_filtering_all_of_it(ops: list[tuple[str, int]]) -> None:
    api = FakeBotAPI()
    sent: list[tuple[int, int]] = []  # (chat, message_id) of each send
    model: list[tuple[int, int, int, str, bool]] = []  # (seq, chat, message_id, text, edited)
    for n, (kind, pick) in enumerate(ops):
        text = f"text {n}"
        edit = kind == "edit" and bool(sent)
        if edit:
            chat, message_id = sent[pick % len(sent)]
            api.handle("editMessageText", {"chat_id": chat, "message_id": message_id, "text": text})
        else:
            chat = CHATS[pick % len(CHATS)]
            message_id = api.handle("sendMessage", {"chat_id": chat, "text": text})["message_id"]
            sent.append((chat, message_id))
        model.append((n + 1, chat, message_id, text, edit))
    for chat_id in (None, *CHATS, 4):
        for after in range(-1, len(model) + 2):
            entries = api.outbox(chat_id, after_seq=after)
            got = [(m.seq, m.chat_id, m.message_id, m.text, m.edited) for m in entries]
            assert got == [e for e in model if e[0] > after and chat_id in (None, e[1])]
    for chat_id in CHATS:
        latest: dict[int, str] = {}
        for _, chat, message_id, text, _ in model:
            if chat == chat_id:
                latest[message_id] = text
        current = api.current_bot_messages(chat_id)
        assert [(m.message_id, m.text) for m, _ in current] == list(latest.items())
