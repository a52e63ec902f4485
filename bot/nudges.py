"""Daily nudges and the weekly recap push, for any number of people, with a fixed number of jobs.

Design: an in-memory index holding, for each person, only their next due nudge in a heap.
The index is rebuilt from the profiles at start and updated whenever a profile is saved (see
`bot.observed.ObservedRepository`), so the job count never grows with users. A waker task sleeps until the
next due instant; a repeating JobQueue job ("nudge-tick") is only a backstop (a missed wake-up,
a clock jump). A few worker tasks take due nudges straight from the heap, one at a time (no
big hand-over that would stall the loop), in an order that rotates daily among people due at
once, and send through the bot's pacing and rate limiter; one person's failure never stops the
rest.

At most once per kind and local day: the local day is recorded in the profile
(`last_nudged`) *before* sending, under the person's update lock (so a handler saving the
profile at the same moment cannot undo the record), so a crash or restart can lose a nudge
but never repeat it. While one of a person's nudges is being handled, nothing else of theirs
is taken from the index; afterwards they are planned again from the stored profile.

Late nudges: one whose time passed while the bot was down is sent late once if the bot is
back within the catch-up window, otherwise skipped. A time that passed while the bot was
running was already handled, so a settings change (finishing setup at 21:30 with the evening
nudge at 21:00, resuming, turning a nudge on) never makes it come now; the next one comes.
"""

from __future__ import annotations

import asyncio
import bisect
import gc
import heapq
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden, TelegramError
from telegram.ext import JobQueue

from bot import callbacks
from bot.domain.models import Profile
from bot.domain.schedule import (
    DONE_KIND,
    Nudge,
    WeeklySlot,
    due_on,
    local_day,
    missed,
    next_due,
    time_for,
    wall_clock,
    zone_of,
)
from bot.intmap import IntMap
from bot.pacing import paid_broadcast
from bot.services import Services
from bot.services.reminders import set_active
from bot.texts import t, voice_of

logger = logging.getLogger(__name__)

KINDS = tuple(Nudge)
TICK_JOB = "nudge-tick"
WORKERS = 8
NUDGE_TEXT = {Nudge.MORNING: "nudge.morning", Nudge.EVENING: "nudge.evening"}
NUDGE_BUTTON = {"pages": "nudge.button_pages", "checkin": "nudge.button_checkin"}
COMPACT_SLACK = 1024  # stale heap items tolerated beyond one per person before the heap is rebuilt
BATCH = 256  # heap items taken at a time before the loop gets to run other work (≈0.3 ms)
WAKE_SLACK = 0.005  # seconds after a due instant that the waker runs (the clock must have passed it)
# Who goes first among people due at the same instant changes daily (else the same people would
# always be last in a long fan-out): the heap orders them by a bijection of their id, salted by the day.
_SPREAD = 0xD1B54A32D192ED03  # odd, so multiplying by it is a bijection modulo 2**64
_UNSPREAD = pow(_SPREAD, -1, 2**64)
_DAY_SALT = 0x9E3779B97F4A7C15
_MASK = 2**64 - 1

UserLock = Callable[[int], AbstractAsyncContextManager[None]]
SendRecap = Callable[[Bot, Services, int, str], Awaitable[None]]


@asynccontextmanager
async def no_lock(user_id: int) -> AsyncIterator[None]:
    """Without the application's per-person update lock (benchmarks): nothing to wait for."""
    yield


class NudgeScheduler:
    """The next nudge of every person, and the workers that send due ones."""

    def __init__(
        self,
        svc: Services,
        *,
        weekly: WeeklySlot,
        catch_up: timedelta,
        send_recap: SendRecap | None = None,
        user_lock: UserLock = no_lock,
    ) -> None:
        self.svc = svc
        self.send_recap = send_recap  # the recap lives with /summary; `bot.app` wires it
        self.weekly = weekly
        self.catch_up = catch_up
        self.user_lock = user_lock  # the person's update lock (bot.app wires the update processor's)
        # One int per person in each (`_item`, `_plan`): a 3-tuple with a float would take 2-3 times
        # the memory, ~13 MB more for 100k people.
        self._heap: list[int] = []  # `_item(due, order key, kind index)`, earliest first
        self._next = IntMap()  # user id -> `_plan(due, kind index)` of the current heap item
        self._ticked: datetime | None = None  # every nudge due until then was taken from the index
        self._sending: set[int] = set()  # people one of whose nudges is being handled right now
        self._retry: dict[int, datetime] = {}  # people to plan again (storage failed), and since when
        self._until = float("-inf")  # heap items due at or before this timestamp are the workers' to take
        self._handed: list[float] = []  # when `_until` was moved (ascending): items' hand-over times
        self._deferred: list[int] = []  # planned already due: for the next hand-over
        self._busy = 0  # workers handling a nudge right now
        self._ready = asyncio.Event()  # set when there may be something for the workers to take
        self._idle = asyncio.Event()  # set when a worker found nothing left to take and none busy
        self._workers: list[asyncio.Task[None]] = []
        self._loading: asyncio.Task[None] | None = None
        self._taking = asyncio.Lock()  # one caller takes due items at a time (the waker, the tick job)
        self._waker: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()  # an item came in earlier than the waker's next wake-up
        self._wake_at = float("inf")
        self.loaded = False  # every stored profile was planned (the health check reports it)
        self.sent = 0
        self.failed = 0

    # -- the index -----------------------------------------------------------------------

    def plan(self, profile: Profile, now: datetime | None = None, since: datetime | None = None) -> None:
        """Recompute the person's next nudge. A passed time counts first if it is within the
        catch-up window and not before `since`: by default the last tick (times before it were
        handled already), or the start of the window before the first tick (the bot was down)."""
        current = self._next.get(profile.user_id)
        if profile.user_id in self._sending or (current is not None and current >> _KIND_BITS <= self._until):
            return  # planned again from storage once that nudge (handed over or being sent) is handled
        now = now or self.svc.clock()
        if since is None:
            since = self._ticked
        best: tuple[int, int] | None = None  # (due timestamp, whole seconds; kind index)
        try:
            for index, kind in enumerate(KINDS):
                due = missed(profile, kind, now, self.catch_up, self.weekly, not_before=since) or next_due(
                    profile, kind, now, self.weekly
                )
                if due is not None and (best is None or due.timestamp() < best[0]):
                    best = (round(due.timestamp()), index)  # due times are whole minutes
        except Exception as exc:  # a damaged profile (unknown zone...) never stops the others
            logger.error("Reminders for user %s cannot be planned: %s", profile.user_id, type(exc).__name__)
            best = None
        if best is None:
            self._next.pop(profile.user_id, None)
            return
        plan = _plan(*best)
        if self._next.get(profile.user_id) != plan:
            self._next[profile.user_id] = plan
            item = _item(best[0], _order_key(profile.user_id, best[0]), best[1])
            if best[0] <= self._until:  # not for the workers at once (a failing one would spin)
                self._deferred.append(item)
            else:
                heapq.heappush(self._heap, item)
            if len(self._heap) > 2 * len(self._next) + COMPACT_SLACK:
                self._compact()
            if best[0] < self._wake_at:
                self._wake.set()

    def _compact(self) -> None:
        """Drop superseded heap items (each settings change leaves one behind until its time)."""
        items = []
        for user_id, plan in self._next.items():
            stamp, index = plan >> _KIND_BITS, plan & _KIND_MASK
            items.append(_item(stamp, _order_key(user_id, stamp), index))
        self._heap = [item for item in items if item >> _ITEM_SHIFT > self._until]
        self._deferred = [
            item for item in items if item >> _ITEM_SHIFT <= self._until
        ]  # the next hand-over's
        heapq.heapify(self._heap)

    def forget(self, user_id: int) -> None:
        self._next.pop(user_id, None)
        self._retry.pop(user_id, None)

    def __len__(self) -> int:
        return len(self._next)

    def pop_due(self, now: datetime, limit: int | None = None) -> list[tuple[int, int, float]]:
        """Remove and return current (user, kind, due) at or before `now`, earliest first; at
        most `limit` heap items are looked at (stale ones included), so the caller can yield."""
        until = now.timestamp()
        due: list[tuple[int, int, float]] = []
        taken = 0
        while self._heap and self._heap[0] >> _ITEM_SHIFT <= until and (limit is None or taken < limit):
            stamp, key, index = _parts(heapq.heappop(self._heap))
            taken += 1
            user_id = _user_of(key, stamp)
            if self._next.get(user_id) == _plan(stamp, index):
                del self._next[user_id]
                due.append((user_id, index, stamp))
        return due

    def next_due(self) -> float | None:
        """The timestamp of the earliest heap item (possibly a superseded one), if any."""
        return self._heap[0] >> _ITEM_SHIFT if self._heap else None

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
                self.loaded = True
            except Exception as exc:  # keep who was planned; the ticks must go on for them
                planned = len(self)
                logger.error("Loading reminders stopped early (%s); restart to plan the rest",
                             type(exc).__name__)  # fmt: skip
            finally:
                gc.freeze()
                gc.enable()
            logger.info("Reminders planned for %d people", planned)

        self._loading = asyncio.create_task(load(), name="load-schedules")

    # -- sending -------------------------------------------------------------------------

    def start_ticking(self, job_queue: JobQueue[Any], interval: float) -> None:
        """Hand over what is due at each due instant (the waker), and every `interval` seconds.

        The waker sleeps until the earliest planned nudge (or until an earlier one is planned),
        so nobody waits for a tick. The one repeating job, whatever the number of people, is the
        backstop for a wake-up the waker cannot see coming (the wall clock jumped, the host was
        suspended). Its misfires are handled on purpose: a tick that runs late still finds every
        due nudge in the index, so it runs whenever it can rather than being dropped
        (`misfire_grace_time=None`), and ticks that piled up run once (`coalesce`).
        """

        async def tick(context: Any) -> None:
            await self.enqueue_due()

        job_queue.run_repeating(
            tick,
            interval=interval,
            first=0.1,
            name=TICK_JOB,
            job_kwargs={"misfire_grace_time": None, "coalesce": True},
        )
        self._waker = asyncio.create_task(self._wake_up(interval), name="nudge-waker")

    async def _wake_up(self, interval: float) -> None:
        """Run `enqueue_due` at the next due instant (at most `interval` apart), for good."""
        if self._loading is not None:
            await asyncio.shield(self._loading)
        while True:
            now = self.svc.clock().timestamp()
            upcoming = self.next_due()
            delay = interval if upcoming is None else min(interval, max(upcoming - now, 0.0) + WAKE_SLACK)
            self._wake_at = now + delay
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
                continue  # something earlier was planned: sleep until it instead
            except TimeoutError:
                pass
            self._wake_at = float("inf")  # plans made while taking wait for the next round
            try:
                await self.enqueue_due()
            except Exception as exc:  # the waker must go on; the tick job is the backstop
                logger.error("Taking due nudges failed: %s", type(exc).__name__)

    def start_workers(self, bot: Bot) -> None:
        """Workers take due nudges straight from the index, earliest first: nothing is copied into
        a queue, so handing over 100k people at once costs nothing and never stalls the loop."""
        self._workers = [
            asyncio.create_task(self._work(bot), name=f"nudge-worker-{n}") for n in range(WORKERS)
        ]

    async def stop_workers(self) -> None:
        extra = [task for task in (self._loading, self._waker) if task is not None]
        tasks = [*self._workers, *extra]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._workers, self._loading, self._waker = [], None, None

    async def enqueue_due(self) -> None:
        """Hand what is due now over to the workers (the waker and the tick job); never waits on them."""
        async with self._taking:
            if self._loading is not None:
                await self._loading  # the first tick waits for the schedule to be loaded
                self._loading = None
            for user_id, since in list(self._retry.items()):
                await self._replan(user_id, since)
            for item in self._deferred:
                heapq.heappush(self._heap, item)
            self._deferred.clear()
            now = self.svc.clock()
            if self._ticked is None or now > self._ticked:
                self._ticked = now
            stamp = now.timestamp()
            if stamp > self._until:
                self._until = stamp
                upcoming = self.next_due()
                # Hand-over times still needed: the first at or after the earliest item left.
                drop = len(self._handed) if upcoming is None else bisect.bisect_left(self._handed, upcoming)
                del self._handed[:drop]
                self._handed.append(stamp)
            if self._due_waiting():
                self._idle.clear()
                self._ready.set()

    def _due_waiting(self) -> bool:
        upcoming = self.next_due()
        return upcoming is not None and upcoming <= self._until

    def _take(self) -> tuple[int, int, float, float] | None:
        """The next handed-over (user, kind, due, handed over at), or None; a bounded number of
        superseded items is dropped on the way, so a caller yields between calls."""
        for _ in range(BATCH):
            if not self._due_waiting():
                return None
            stamp, key, index = _parts(heapq.heappop(self._heap))
            user_id = _user_of(key, stamp)
            if self._next.get(user_id) == _plan(stamp, index):
                del self._next[user_id]
                handed = self._handed[min(bisect.bisect_left(self._handed, stamp), len(self._handed) - 1)]
                return user_id, index, stamp, handed
        return None

    async def drain(self) -> None:
        """Wait until every handed-over nudge was handled (tests, benchmarks, shutdown)."""
        while self._workers and (self._busy or self._due_waiting()):
            self._idle.clear()
            await self._idle.wait()

    async def _work(self, bot: Bot) -> None:
        while True:
            item = self._take()
            if item is None:
                if self._due_waiting():  # only superseded items so far: let others run, go on
                    await asyncio.sleep(0)
                    continue
                if not self._busy:
                    self._idle.set()
                self._ready.clear()
                await self._ready.wait()
                continue
            user_id, index, stamp, handed = item
            due = datetime.fromtimestamp(stamp, UTC)
            self._busy += 1
            self._sending.add(user_id)
            try:
                await self.deliver(bot, user_id, KINDS[index], due, datetime.fromtimestamp(handed, UTC))
            except Exception as exc:  # one person's failure never stops the rest
                self.failed += 1
                logger.error("Nudge for user %s failed: %s", user_id, type(exc).__name__)
            finally:
                self._sending.discard(user_id)
                self._busy -= 1
                # From storage, whatever happened: another nudge due at the same moment, or this one
                # again if it was not recorded (storage failed) and is still within the window.
                await self._replan(user_id, due)

    async def _replan(self, user_id: int, since: datetime) -> None:
        try:
            profile = await self.svc.repo.get_profile(user_id)
        except Exception as exc:
            self._retry[user_id] = since  # tried again at the next tick
            logger.warning("Reminders for user %s not planned yet: %s", user_id, type(exc).__name__)
            return
        self._retry.pop(user_id, None)
        if profile is None:
            self.forget(user_id)
        else:
            self.plan(profile, since=since)

    async def deliver(
        self, bot: Bot, user_id: int, kind: Nudge, due: datetime, handed: datetime | None = None
    ) -> None:
        """Send one nudge if it is still wanted; record the day first so it never repeats.

        The catch-up window is judged at `handed`, when the nudge was handed over to the workers
        (default: now): a nudge waiting its turn in a long fan-out is late, not missed.
        """
        repo = self.svc.repo
        async with self.user_lock(user_id):  # between the person's own updates, never across them
            profile = await repo.get_profile(user_id)
            if profile is None or profile.timezone is None:
                return
            now = handed or self.svc.clock()
            zone = zone_of(profile.timezone)
            day = local_day(due, zone)
            at = time_for(profile, kind, self.weekly)
            if (
                now - due > self.catch_up
                or at is None
                or wall_clock(day, at, zone) != due  # time or zone changed since it was planned
                or not due_on(profile, kind, day, self.weekly)
            ):
                return
            done_kind = DONE_KIND.get(kind)
            already_done = bool(done_kind and await repo.list_entries(user_id, done_kind, day, day))
            profile.last_nudged[kind.value] = day.isoformat()
            await repo.save_profile(profile)  # before sending: at most once per day, whatever happens next
        if already_done:
            return
        language = voice_of(profile.language, profile.gender)
        try:
            with paid_broadcast(self.svc.config.paid_broadcast):  # bot.pacing: past 30/s, in Stars
                await self._send(bot, profile, kind, language)
        except Forbidden:
            async with self.user_lock(user_id):
                await set_active(repo, user_id, False)
            logger.info("User %s has blocked the bot; nudges stop until they /start again", user_id)
            return
        except TelegramError as exc:
            self.failed += 1
            logger.warning("Nudge to user %s not delivered: %s", user_id, type(exc).__name__)
            return
        self.sent += 1

    async def _send(self, bot: Bot, profile: Profile, kind: Nudge, language: str) -> None:
        if kind is Nudge.WEEKLY:
            assert self.send_recap is not None, "bot.app wires the weekly recap"
            await self.send_recap(bot, self.svc, profile.user_id, language)  # with the week's question
            return
        flow = "pages" if kind is Nudge.MORNING else "checkin"
        button = InlineKeyboardButton(
            t(NUDGE_BUTTON[flow], language), callback_data=callbacks.START.data(flow)
        )
        await bot.send_message(
            profile.user_id, t(NUDGE_TEXT[kind], language), reply_markup=InlineKeyboardMarkup([[button]])
        )


_KIND_BITS = 2  # kind index: 0..2
_KIND_MASK = 2**_KIND_BITS - 1
_ITEM_SHIFT = 64 + _KIND_BITS


def _plan(stamp: int, index: int) -> int:
    """A person's current nudge as one int: due timestamp (seconds) and kind index."""
    return stamp << _KIND_BITS | index


def _item(stamp: int, key: int, index: int) -> int:
    """A heap item as one int, ordered by due time, then order key (`_order_key`)."""
    return stamp << _ITEM_SHIFT | key << _KIND_BITS | index


def _parts(item: int) -> tuple[int, int, int]:
    """(due timestamp, order key, kind index) of a heap item."""
    return item >> _ITEM_SHIFT, item >> _KIND_BITS & _MASK, item & _KIND_MASK


def _order_key(user_id: int, stamp: float) -> int:
    """The heap's tie-breaker among people due at `stamp`: a bijection of the id, new each day."""
    salt = (int(stamp) // 86_400 * _DAY_SALT) & _MASK
    return ((user_id + salt) * _SPREAD) & _MASK


def _user_of(key: int, stamp: float) -> int:
    """The user id behind `_order_key(user_id, stamp)`."""
    salt = (int(stamp) // 86_400 * _DAY_SALT) & _MASK
    user_id = (key * _UNSPREAD - salt) & _MASK
    return user_id - 2**64 if user_id >= 2**63 else user_id
