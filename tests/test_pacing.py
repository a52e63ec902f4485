"""Pacing at Telegram's ceiling: no second at the server ever sees more than 30 messages."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram.error import RetryAfter

from bot.app import rate_limiter
from bot.pacing import PacedRateLimiter


async def _send_all(limiter: Any, count: int, delays: list[float], arrivals: list[float]) -> None:
    """`count` sends from 8 concurrent workers; send i reaches the server `delays[i]` s after it left."""
    loop = asyncio.get_running_loop()
    numbers = iter(range(count))

    async def one(n: int) -> bool:
        await asyncio.sleep(delays[n])  # on its way to the server
        arrivals.append(loop.time())
        await asyncio.sleep(0.002)  # the answer on its way back
        return True

    async def worker() -> None:
        for n in numbers:
            await limiter.process_request(one, (n,), {}, "sendMessage", {"chat_id": n + 1}, None)

    await asyncio.gather(*(worker() for _ in range(8)))


def _busiest_second(arrivals: list[float]) -> int:
    arrivals.sort()
    return max(sum(1 for t in arrivals[i:] if t - start < 1.0) for i, start in enumerate(arrivals))


async def test_uneven_delays_on_the_way_never_put_31_messages_in_one_second_at_the_server() -> None:
    # A busy moment holds up five sends for 150 ms on their way; the ones after them are not.
    delays = [0.15 if n % 60 < 5 else 0.0 for n in range(75)]
    arrivals: list[float] = []
    loop = asyncio.get_running_loop()
    started = loop.time()
    await _send_all(rate_limiter(), 75, delays, arrivals)
    took = loop.time() - started
    assert len(arrivals) == 75
    assert _busiest_second(arrivals) <= 30
    assert took < 75 / 30 * 1.15  # and still close to the ceiling


async def test_a_429_delays_only_that_message_and_slows_the_pace_for_a_while() -> None:
    limiter = rate_limiter()
    loop = asyncio.get_running_loop()
    times: list[float] = []
    rejected = [False]

    async def flaky(n: int) -> bool:
        if n == 0 and not rejected[0]:
            rejected[0] = True
            raise RetryAfter(1)
        times.append(loop.time())
        return True

    started = loop.time()
    await asyncio.gather(
        *(
            limiter.process_request(flaky, (n,), {}, "sendMessage", {"chat_id": n + 1}, None)
            for n in range(20)
        )
    )
    assert len(times) == 20
    others = sorted(times)[:19]
    assert others[0] - started < 0.5  # the rest did not wait out the 429's second
    assert isinstance(limiter, PacedRateLimiter) and limiter.pacer is not None
    assert limiter.pacer._share < 1.0
