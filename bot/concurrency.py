"""All work on one person's data is serialised; different people are served side by side.

PTB's default handles one update at a time, so one person's disk write (fsync) makes everyone
else wait. `concurrent_updates=True` would let one person's quick messages overtake each
other (a writing window could store them out of order). Here each person has a lock, taken in
arrival order, by their updates and by every job that touches their data (writing-window
timers, the idle sweep, nudges): `PersonLocks.holding` is the one place that serialises them.

A person's queued updates wait for their lock *before* taking one of the limited processing
slots, so one busy person (thirty quick messages) never holds up everyone else.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Hashable
from contextlib import asynccontextmanager
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MAX_CONCURRENT_UPDATES = 64
# PTB's own semaphore is taken before `do_process_update`; ours is taken after the person's lock.
_UNBOUNDED = 1 << 30


class PersonLocks:
    """One asyncio lock per person with work in progress; dropped when nobody waits, so memory stays flat.

    Keyed by anything hashable: couple mode also keeps one per shared item (`BotData.share_locks`).
    """

    def __init__(self) -> None:
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self._waiting: dict[Hashable, int] = {}

    @asynccontextmanager
    async def holding(self, user_id: Hashable) -> AsyncIterator[None]:
        """The person's (or the key's) lock, in arrival order."""
        lock = self._locks.setdefault(user_id, asyncio.Lock())
        self._waiting[user_id] = self._waiting.get(user_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[user_id] -= 1
            if not self._waiting[user_id]:
                del self._waiting[user_id]
                del self._locks[user_id]


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Updates in arrival order per person, at most `max_concurrent_updates` people at a time."""

    def __init__(
        self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES, locks: PersonLocks | None = None
    ) -> None:
        super().__init__(_UNBOUNDED)
        self.locks = locks or PersonLocks()
        self._slots = asyncio.BoundedSemaphore(max_concurrent_updates)
        self.slots = max_concurrent_updates

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        user = update.effective_user if isinstance(update, Update) else None
        if user is None:
            async with self._slots:
                await coroutine
            return
        async with self.locks.holding(user.id), self._slots:
            await coroutine

    def holding(self, user_id: int) -> Any:
        """The person's lock (for work outside an update)."""
        return self.locks.holding(user_id)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
