"""Daily nudges and the weekly recap push, for any number of people, with a fixed number of jobs.

Design: one repeating JobQueue job ("nudge-tick") and an in-memory index holding, for each
person, only their next due nudge (UTC timestamp, kind) in a heap. The index is rebuilt
from the profiles at start and updated whenever a profile is saved (see
`ObservedRepository`), so the job count never grows with users. Due nudges go through a
queue to a few worker tasks, which send through the bot's rate limiter; one person's
failure never stops the rest.

Exactly-once per kind and local day: the local day is recorded in the profile
(`last_nudged`) *before* sending, so a crash or restart can lose a nudge but never
repeat it. A nudge whose time passed while the bot was down is sent late once if the bot is
back within the catch-up window, otherwise skipped.
"""

from __future__ import annotations

import asyncio
import gc
import heapq
import logging
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden, TelegramError

from bot.domain.models import Entry, Profile
from bot.domain.schedule import DONE_KIND, Nudge, WeeklySlot, due_on, local_day, missed, next_due, zone_of
from bot.services import Services
from bot.storage import Repository
from bot.texts import language_for, t

logger = logging.getLogger(__name__)

KINDS = tuple(Nudge)
WORKERS = 8
QUEUE_LIMIT = 10_000


class NudgeScheduler:
    """The next nudge of every person, and the workers that send due ones."""

    def __init__(self, svc: Services, *, weekly: WeeklySlot, catch_up: timedelta) -> None:
        self.svc = svc
        self.weekly = weekly
        self.catch_up = catch_up
        self._heap: list[tuple[float, int, int]] = []  # (due timestamp, user id, kind index)
        self._next: dict[int, tuple[float, int]] = {}  # user id -> the heap item that is current
        self._queue: asyncio.Queue[tuple[int, int, float]] | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._loading: asyncio.Task[None] | None = None
        self.sent = 0
        self.failed = 0

    # -- the index -----------------------------------------------------------------------

    def plan(self, profile: Profile, now: datetime | None = None) -> None:
        """Recompute the person's next nudge (a missed one within the window counts first)."""
        now = now or self.svc.clock()
        best: tuple[float, int] | None = None
        for index, kind in enumerate(KINDS):
            due = missed(profile, kind, now, self.catch_up, self.weekly) or next_due(
                profile, kind, now, self.weekly
            )
            if due is not None and (best is None or due.timestamp() < best[0]):
                best = (due.timestamp(), index)
        if best is None:
            self._next.pop(profile.user_id, None)
            return
        if self._next.get(profile.user_id) != best:
            self._next[profile.user_id] = best
            heapq.heappush(self._heap, (best[0], profile.user_id, best[1]))

    def forget(self, user_id: int) -> None:
        self._next.pop(user_id, None)

    def __len__(self) -> int:
        return len(self._next)

    def pop_due(self, now: datetime) -> list[tuple[int, int, float]]:
        """Remove and return every current (user, kind, due) at or before `now`."""
        limit = now.timestamp()
        due: list[tuple[int, int, float]] = []
        while self._heap and self._heap[0][0] <= limit:
            stamp, user_id, index = heapq.heappop(self._heap)
            if self._next.get(user_id) == (stamp, index):
                del self._next[user_id]
                due.append((user_id, index, stamp))
        return due

    async def rebuild(self, profiles: AsyncIterator[Profile]) -> int:
        """Plan everyone from storage (at start). Yields to the loop so it never stalls it."""
        now = self.svc.clock()
        count = 0
        async for profile in profiles:
            self.plan(profile, now)
            count += 1
            if count % 500 == 0:
                await asyncio.sleep(0)
        return count

    def load_in_background(self, profiles: AsyncIterator[Profile]) -> None:
        """Start `rebuild` without holding up start-up: the bot answers people while the
        schedule loads, and the first tick waits for it (missed nudges are caught up)."""

        async def load() -> None:
            # No cyclic garbage is made while loading; a full collection over the growing index
            # would stall the loop for a long moment. Afterwards the index is frozen out of the
            # collector's scans for good.
            gc.disable()
            try:
                planned = await self.rebuild(profiles)
            finally:
                gc.freeze()
                gc.enable()
            logger.info("Reminders planned for %d people", planned)

        self._loading = asyncio.create_task(load(), name="load-schedules")

    # -- sending -------------------------------------------------------------------------

    def start_workers(self, bot: Bot) -> None:
        self._queue = asyncio.Queue(maxsize=QUEUE_LIMIT)
        self._workers = [
            asyncio.create_task(self._work(bot), name=f"nudge-worker-{n}") for n in range(WORKERS)
        ]

    async def stop_workers(self) -> None:
        tasks = [*self._workers, *([self._loading] if self._loading else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._workers, self._loading = [], None

    async def enqueue_due(self) -> int:
        """Move due nudges to the workers (called by the tick job)."""
        assert self._queue is not None
        if self._loading is not None:
            await self._loading  # the first tick waits for the schedule to be loaded
            self._loading = None
        items = self.pop_due(self.svc.clock())
        for item in items:
            await self._queue.put(item)
        return len(items)

    async def drain(self) -> None:
        """Wait until every queued nudge was handled (tests, benchmarks, shutdown)."""
        if self._queue is not None:
            await self._queue.join()

    async def _work(self, bot: Bot) -> None:
        assert self._queue is not None
        while True:
            user_id, index, stamp = await self._queue.get()
            try:
                await self.deliver(bot, user_id, KINDS[index], datetime.fromtimestamp(stamp, UTC))
            except Exception as exc:  # one person's failure never stops the rest
                self.failed += 1
                logger.error("Nudge for user %s failed: %s", user_id, type(exc).__name__)
            finally:
                self._queue.task_done()

    async def deliver(self, bot: Bot, user_id: int, kind: Nudge, due: datetime) -> None:
        """Send one nudge if it is still wanted; record the day first so it never repeats."""
        repo = self.svc.repo
        profile = await repo.get_profile(user_id)
        if profile is None or profile.timezone is None:
            return
        now = self.svc.clock()
        day = local_day(due, zone_of(profile.timezone))
        if now - due > self.catch_up or not due_on(profile, kind, day, self.weekly):
            self.plan(profile, now)
            return
        done_kind = DONE_KIND.get(kind)
        already_done = bool(done_kind and await repo.list_entries(user_id, done_kind, day, day))
        profile.last_nudged[kind.value] = day.isoformat()
        await repo.save_profile(profile)  # before sending: at most once per day, whatever happens next
        if already_done:
            return
        language = language_for(profile.language)
        try:
            await self._send(bot, profile, kind, language)
        except Forbidden:
            await mark_inactive(repo, user_id)
            logger.info("User %s has blocked the bot; nudges stop until they /start again", user_id)
            return
        except TelegramError as exc:
            self.failed += 1
            logger.warning("Nudge to user %s not delivered: %s", user_id, type(exc).__name__)
            return
        self.sent += 1

    async def _send(self, bot: Bot, profile: Profile, kind: Nudge, language: str) -> None:
        if kind is Nudge.WEEKLY:
            from bot.handlers.recap import send_recap  # the recap lives with its command

            await send_recap(bot, self.svc, profile.user_id, language)
            button = InlineKeyboardButton(
                t("nudge.button_encourage", language), callback_data="start:encourage"
            )
            await bot.send_message(
                profile.user_id,
                t("nudge.weekly_encourage", language),
                reply_markup=InlineKeyboardMarkup([[button]]),
            )
            return
        flow = "pages" if kind is Nudge.MORNING else "checkin"
        button = InlineKeyboardButton(t(f"nudge.button_{flow}", language), callback_data=f"start:{flow}")
        await bot.send_message(
            profile.user_id, t(f"nudge.{kind.value}", language), reply_markup=InlineKeyboardMarkup([[button]])
        )


async def mark_inactive(repo: Repository, user_id: int) -> None:
    """Someone blocked the bot: stop nudging them, keep their data."""
    profile = await repo.get_profile(user_id)
    if profile is not None and profile.active:
        profile.active = False
        await repo.save_profile(profile)


class ObservedRepository(Repository):
    """A repository that tells the scheduler about every profile change and deletion."""

    def __init__(self, inner: Repository, scheduler: NudgeScheduler) -> None:
        self.inner = inner
        self.scheduler = scheduler

    async def get_profile(self, user_id: int) -> Profile | None:
        return await self.inner.get_profile(user_id)

    async def save_profile(self, profile: Profile) -> None:
        await self.inner.save_profile(profile)
        self.scheduler.plan(profile)

    async def append_entry(self, user_id: int, entry: Entry) -> None:
        await self.inner.append_entry(user_id, entry)

    async def list_entries(
        self, user_id: int, kind: str | None = None, start: date | None = None, end: date | None = None
    ) -> list[Entry]:
        return await self.inner.list_entries(user_id, kind, start, end)

    async def delete_user(self, user_id: int) -> None:
        await self.inner.delete_user(user_id)
        self.scheduler.forget(user_id)

    async def export_user(self, user_id: int) -> dict[str, Any]:
        return await self.inner.export_user(user_id)

    async def take_damage_report(self, user_id: int) -> list[str]:
        return await self.inner.take_damage_report(user_id)

    def iter_profiles(self) -> AsyncIterator[Profile]:
        return self.inner.iter_profiles()

    async def get_draft(self, user_id: int) -> dict[str, Any] | None:
        return await self.inner.get_draft(user_id)

    async def save_draft(self, user_id: int, draft: dict[str, Any]) -> None:
        await self.inner.save_draft(user_id, draft)

    async def clear_draft(self, user_id: int) -> None:
        await self.inner.clear_draft(user_id)

    async def users_with_drafts(self) -> list[int]:
        return await self.inner.users_with_drafts()

    async def create_invite(self, code: str, expires_at: datetime) -> None:
        await self.inner.create_invite(code, expires_at)

    async def redeem_invite(self, code: str, now: datetime) -> bool:
        return await self.inner.redeem_invite(code, now)

    async def close(self) -> None:
        await self.inner.close()
