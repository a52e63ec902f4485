"""Updates from different people are handled concurrently; one person's updates stay in order.

PTB's default handles one update at a time, so one person's disk write (fsync) makes everyone
else wait. `concurrent_updates=True` would let one person's quick messages overtake each
other (a writing window could store them out of order). This processor gives each person a
lock, taken in arrival order, and runs different people side by side.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MAX_CONCURRENT_UPDATES = 64


class PerUserUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        user = update.effective_user if isinstance(update, Update) else None
        if user is None:
            await coroutine
            return
        async with self.holding(user.id):
            await coroutine

    @asynccontextmanager
    async def holding(self, user_id: int) -> AsyncIterator[None]:
        """The person's lock, in arrival order. Work for them outside an update (a nudge that
        records itself in their profile) takes it too, so it never overwrites a handler's change."""
        lock = self._locks.setdefault(user_id, asyncio.Lock())
        self._waiting[user_id] = self._waiting.get(user_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[user_id] -= 1
            if not self._waiting[user_id]:  # nobody else queued: drop the lock, keep memory flat
                del self._waiting[user_id]
                del self._locks[user_id]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
