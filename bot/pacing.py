"""Pacing messages at Telegram's ceiling without being told "429 Too Many Requests".

Telegram allows about 30 messages a second per bot. Spacing sends evenly just under that is
not enough: a send reaches the server some time after it leaves, by a delay that varies (a
busy loop, the network), so 31 can land within one second at the server although no more than
30 left within any second here. `Pacer` counts, for each new send, every earlier send that may
still be inside the server's one-second window: those in flight and those that finished less
than a second ago. A send that finished a second before the new one leaves arrived more than a
second before it, whatever the delays; so with at most `limit - 1` others counted, no window at
the server ever holds more than `limit`. Sends are also spaced `window / limit` apart, on a grid
of absolute times while busy, so they never go in bursts.

After a 429 anyway (another process using the same bot, a stricter server), the pacer slows
down for a while instead of stopping every send: only the rejected message waits as told.

Paid broadcasts (`[telegram] paid_broadcast`): Telegram lets a send with `allow_paid_broadcast`
go past the free ~30 a second, up to 1,000, billing it in Stars. `PacedRateLimiter` keeps two
pacers of the same kind: the paid one (1,000) counts *every* send, the free one (30) only unpaid
sends. So unpaid sends never exceed 30 in a second at the server and all sends together never
exceed 1,000, whether Telegram counts paid sends apart from the free ones or together with them.
One pacer at 1,000 for everything would let replies (unpaid) past 30; one at 30 would waste what
is paid for. The sends that go paid are marked by the sender (`paid_broadcast()`: the nudge
workers), not chosen here; replies to people stay unpaid and cost nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Coroutine, Iterator
from contextvars import ContextVar
from typing import Any

from telegram._utils.types import JSONDict
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

logger = logging.getLogger(__name__)

SLOW_FACTOR = 0.8  # after a 429 the limit is cut to this share...
SLOWEST = 0.5  # ...at most down to this share after repeated ones...
SLOW_SECONDS = 30.0  # ...until this long has passed without one
# What the fan-out sends (a nudge, the weekly recap's text, its chart if ever pushed): the methods
# that take `allow_paid_broadcast` and that `paid_broadcast()` marks.
BROADCAST_METHODS = frozenset({"sendMessage", "sendPhoto"})

_paid: ContextVar[bool] = ContextVar("paid_broadcast", default=False)


@contextlib.contextmanager
def paid_broadcast(on: bool = True) -> Iterator[None]:
    """Messages sent inside (by this task) go with `allow_paid_broadcast` when `on`: the bot's
    own fan-out, whose sends happen deep in shared code (the weekly recap is /summary's)."""
    token = _paid.set(on)
    try:
        yield
    finally:
        _paid.reset(token)


class Pacer:
    """At most `limit` sends in any `window` seconds at the server, spaced evenly (see module)."""

    def __init__(self, limit: int, window: float = 1.0) -> None:
        self.limit = limit
        self.window = window
        self._share = 1.0  # below 1 for a while after a 429
        self._slow_until = 0.0
        self._next = 0.0  # loop time before which the next send may not leave
        self._in_flight = 0
        self._finished: deque[float] = deque()  # loop times at which recent sends finished, ascending
        self._turn = asyncio.Lock()  # one waiter at a time, in arrival order
        self._changed = asyncio.Event()  # a send finished

    def _allowed(self, now: float) -> int:
        if self._share < 1.0 and now >= self._slow_until:
            self._share = 1.0
        return max(1, int(self.limit * self._share))

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        async with self._turn:
            while True:
                now = loop.time()
                while self._finished and self._finished[0] <= now - self.window:
                    self._finished.popleft()
                allowed = self._allowed(now)
                if self._in_flight + len(self._finished) >= allowed:
                    self._changed.clear()
                    if self._finished:  # the oldest leaves the window then (or a send finishes)
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(
                                self._changed.wait(), self._finished[0] + self.window - now
                            )
                    else:
                        await self._changed.wait()
                    continue
                if self._next > now:
                    await asyncio.sleep(self._next - now)
                    continue
                break
            self._next = max(self._next, now - self.window / allowed) + self.window / allowed
            self._in_flight += 1

    def release(self) -> None:
        self._in_flight -= 1
        self._finished.append(asyncio.get_running_loop().time())
        self._changed.set()

    def slow_down(self) -> None:
        """A 429 came: send fewer for `SLOW_SECONDS` (cut again if another comes meanwhile)."""
        self._share = max(SLOWEST, self._share * SLOW_FACTOR)
        self._slow_until = asyncio.get_running_loop().time() + SLOW_SECONDS
        logger.warning("Telegram asked to slow down; pacing at %d messages/s for a while", self._allowed(0))

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc: object) -> None:
        self.release()


class PacedRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter (groups' 20/min, retries of 429) with messages to chats paced by
    `Pacer`s instead of its leaky buckets (whose burst puts up to twice the limit in a second),
    and a 429 answered by slowing down rather than by pausing every request. Unpaid sends are
    paced at `per_second`; every send, paid or not, at `paid_per_second` (see module)."""

    def __init__(
        self, *, per_second: int = 0, paid_per_second: int = 0, max_retries: int = 0, **kwargs: Any
    ) -> None:
        super().__init__(overall_max_rate=0, max_retries=max_retries, **kwargs)
        self.pacer = Pacer(per_second) if per_second else None
        self.paid_pacer = Pacer(paid_per_second) if paid_per_second else None

    async def _run_request(
        self,
        chat: bool,
        group: str | int | bool,
        allow_paid_broadcast: bool,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
    ) -> bool | JSONDict | list[JSONDict]:
        free = None if allow_paid_broadcast else self.pacer
        pacers = [pacer for pacer in (free, self.paid_pacer) if pacer is not None]
        if not chat or not pacers:
            return await super()._run_request(chat, group, allow_paid_broadcast, callback, args, kwargs)
        async with contextlib.AsyncExitStack() as stack:
            if group and self._group_max_rate:
                await stack.enter_async_context(self._get_group_limiter(group))
            for pacer in pacers:
                await stack.enter_async_context(pacer)
            return await callback(*args, **kwargs)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """As AIORateLimiter's, but after a 429 only this request waits (and its pacer slows
        down); inside `paid_broadcast()` a message goes as a paid broadcast."""
        retries = rate_limit_args or self._max_retries
        if _paid.get() and endpoint in BROADCAST_METHODS:
            data["allow_paid_broadcast"] = True  # `data` is what PTB posts (ExtBot._do_post's dict)
        chat_id = data.get("chat_id")
        with contextlib.suppress(ValueError, TypeError):
            chat_id = int(chat_id)  # type: ignore[arg-type]
        group: str | int | bool = chat_id if isinstance(chat_id, str) or (
            isinstance(chat_id, int) and chat_id < 0) else False  # fmt: skip
        paid = bool(data.get("allow_paid_broadcast", False))
        attempt = 0
        while True:
            try:
                return await self._run_request(chat_id is not None, group, paid, callback, args, kwargs)
            except RetryAfter as exc:
                if attempt >= retries:
                    raise
                attempt += 1
                pacer = self.paid_pacer if paid else self.pacer
                if pacer is not None:
                    pacer.slow_down()
                await asyncio.sleep(exc._retry_after.total_seconds() + 0.1)  # as PTB reads it
