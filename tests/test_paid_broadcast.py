"""Paid broadcasts (`[telegram] paid_broadcast`): the bot-initiated fan-out goes as paid sends at up
to 1,000 a second; replies to people stay unpaid within 30 a second; the fake Bot API enforces both."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time
from types import SimpleNamespace
from typing import Any

import pytest
from telegram.error import BadRequest, RetryAfter

from bot.app import rate_limiter
from bot.domain.models import Profile
from bot.localapi import faults
from bot.localapi.api import FakeBotAPI
from bot.localapi.user import FakeUser
from bot.pacing import PacedRateLimiter
from bot.storage.memory import InMemoryRepository
from tests.conftest import Clock, Harness, send
from tests.fakeapi.server import FakeTelegramServer

# --- the fake Bot API enforces both limits ---------------------------------------------------------


def _send(api: FakeBotAPI, chat_id: int, **params: Any) -> int:
    status, _ = api.execute("sendMessage", {"chat_id": chat_id, "text": "hi", **params})
    return status


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake's clock stands still: every send below falls in the same second, however slow."""
    monkeypatch.setattr(faults, "time", SimpleNamespace(monotonic=lambda: 1000.0))


@pytest.mark.usefixtures("frozen")
def test_the_31st_unpaid_send_in_a_second_is_refused_while_1000_paid_pass() -> None:
    api = FakeBotAPI()
    api.enforce_rate(30)
    assert [_send(api, n) for n in range(1, 31)] == [200] * 30
    assert _send(api, 31) == 429
    assert _send(api, 32, allow_paid_broadcast=False) == 429  # false is an unpaid send
    paid = [_send(api, 100 + n, allow_paid_broadcast=True) for n in range(1000 - 30)]
    assert paid == [200] * (1000 - 30)  # a paid send is not held to the 30
    assert _send(api, 5000, allow_paid_broadcast=True) == 429  # but 1,000 sends in a second at most


@pytest.mark.usefixtures("frozen")
def test_the_paid_limit_can_be_set_and_none_turns_every_limit_off() -> None:
    api = FakeBotAPI()
    api.enforce_rate(30, paid_per_second=5)
    assert [_send(api, n, allow_paid_broadcast=True) for n in range(1, 7)] == [200] * 5 + [429]
    api.enforce_rate(None)
    assert [_send(api, n, allow_paid_broadcast=True) for n in range(1, 1101)] == [200] * 1100


@pytest.mark.parametrize("value", ["true", "yes", 1, 0, None, [True]])
def test_allow_paid_broadcast_must_be_a_boolean(value: object) -> None:
    api = FakeBotAPI()
    status, body = api.execute("sendMessage", {"chat_id": 1, "text": "hi", "allow_paid_broadcast": value})
    assert status == 400
    assert b"allow_paid_broadcast" in body
    assert api.outbox() == []


async def test_over_http_a_paid_send_and_a_photo_are_accepted_and_counted_apart() -> None:
    with FakeTelegramServer() as server:
        server.enforce_rate(1)
        async with server.bot() as bot:
            await bot.send_message(1, "free")
            with pytest.raises(RetryAfter):
                await bot.send_message(2, "over the free limit")
            await bot.send_message(3, "paid", allow_paid_broadcast=True)
            await bot.send_photo(4, b"\x89PNG\r\n\x1a\n" + b"0" * 64, allow_paid_broadcast=True)
            with pytest.raises(BadRequest, match="allow_paid_broadcast"):
                await bot.send_message(5, "wrong type", api_kwargs={"allow_paid_broadcast": "on"})
        paid = [c.params.get("allow_paid_broadcast") for c in server.requests if c.ok and c.method != "getMe"]
        assert paid == [None, True, True]


# --- the rate limiter: one pace for paid sends, the free one for the rest --------------------------


def _busiest_second(arrivals: list[float]) -> int:
    arrivals.sort()
    most, first = 0, 0
    for last, arrived in enumerate(arrivals):
        while arrived - arrivals[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


async def test_paid_sends_go_at_up_to_1000_a_second_and_unpaid_ones_stay_within_30() -> None:
    limiter = rate_limiter()
    loop = asyncio.get_running_loop()
    paid_arrivals: list[float] = []
    unpaid_arrivals: list[float] = []
    every: list[float] = []

    async def one(paid: bool) -> bool:
        await asyncio.sleep(0.001)  # on its way to the server
        now = loop.time()
        (paid_arrivals if paid else unpaid_arrivals).append(now)
        every.append(now)
        await asyncio.sleep(0.001)  # the answer on its way back
        return True

    async def worker(sends: list[bool]) -> None:
        for n, paid in enumerate(sends):
            data = {"chat_id": n + 1, **({"allow_paid_broadcast": True} if paid else {})}
            await limiter.process_request(one, (paid,), {}, "sendMessage", data, None)

    started = loop.time()
    await asyncio.gather(
        *(worker([True] * 250) for _ in range(8)),  # the fan-out: 2,000 paid sends
        *(worker([False] * 15) for _ in range(3)),  # replies meanwhile: 45 unpaid
    )
    took = loop.time() - started
    assert len(paid_arrivals) == 2000 and len(unpaid_arrivals) == 45
    assert _busiest_second(every) <= 1000  # PTB's own limiter lets a burst of 1,000 go at once, then more
    assert _busiest_second(unpaid_arrivals) <= 30
    assert took < 2045 / 1000 * 1.6  # close to the paid ceiling (a shared machine, real time)


async def test_a_429_on_a_paid_send_slows_only_the_paid_pace() -> None:
    limiter = rate_limiter()
    assert isinstance(limiter, PacedRateLimiter)
    assert limiter.pacer is not None and limiter.paid_pacer is not None
    rejected = [False]

    async def flaky() -> bool:
        if not rejected[0]:
            rejected[0] = True
            raise RetryAfter(1)
        return True

    data = {"chat_id": 1, "allow_paid_broadcast": True}
    assert await limiter.process_request(flaky, (), {}, "sendMessage", data, None)
    assert limiter.paid_pacer._share < 1.0
    assert limiter.pacer._share == 1.0


# --- through the real scheduler: what goes paid and what does not ---------------------------------

SUNDAY_EVENING = datetime(2026, 11, 29, 18, 0, 5, tzinfo=UTC)  # 19:00 in Berlin: the weekly push


async def _due_person(h: Harness, user: FakeUser) -> None:
    profile = Profile(user_id=user.id, timezone="Europe/Berlin", onboarded=True, morning=time(7, 30),
                      evening=time(19, 0))  # fmt: skip
    await h.repo.save_profile(profile)


async def _nudge_and_reply(paid_broadcast: bool) -> tuple[list[object], list[object]]:
    """(allow_paid_broadcast of each fan-out send, of each reply) for a person due at the weekly
    push and their evening nudge, who then writes /help; through the production rate limiter."""
    clock = Clock(datetime(2026, 11, 29, 17, 0, tzinfo=UTC))
    async with Harness(InMemoryRepository(), clock, paid_broadcast=paid_broadcast, rate_limit=True) as h:
        user = h.user()
        await _due_person(h, user)
        clock.now = SUNDAY_EVENING
        for _ in range(2):
            await h.run_job("nudge-tick")
            await h.app.bot_data.nudges.drain()
        fan_out = [c.params.get("allow_paid_broadcast") for c in h.request.calls("sendMessage")]
        assert len(fan_out) >= 2  # the recap with the week's question, and the evening nudge
        h.request.api.clear_requests()
        await send(h, user, "/help")
        replies = [c.params.get("allow_paid_broadcast") for c in h.request.calls("sendMessage")]
        assert replies
        return fan_out, replies


async def test_with_paid_broadcasts_on_nudges_and_the_weekly_push_go_paid_and_replies_do_not() -> None:
    fan_out, replies = await _nudge_and_reply(paid_broadcast=True)
    assert fan_out and all(value is True for value in fan_out)
    assert all(value is None for value in replies)


async def test_with_paid_broadcasts_off_nothing_is_sent_paid() -> None:
    fan_out, replies = await _nudge_and_reply(paid_broadcast=False)
    assert all(value is None for value in fan_out + replies)
