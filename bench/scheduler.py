"""Benchmark: nudge scheduling for many people, against one PTB `run_daily` job per person.

Run: python bench/scheduler.py [--quick]. Three measurements, side by side in one run:

1. Start-up: seconds and RSS added to plan N people (our index, all three nudges of each, vs.
   the issue's anchor of one run_daily job per person in PTB's JobQueue, which covers only one
   nudge each; each measured in a fresh subprocess). Targets for 100k: ≤ 3 s, ≤ 100 MB.
2. N people over the same zones due in the same minute, driven by the real JobQueue tick job,
   a fast fake sender: every nudge delivered exactly once.
3. A fan-out against the fake Bot API enforcing Telegram's 30 msg/s (429 beyond it), through
   the real bot's AIORateLimiter: sustained rate ≥ 95% of 30/s, no message lost to 429.

Writes the scheduler section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import random
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if os.environ.get("BENCH_BOT_ROOT"):  # measure another checkout's bot (bench/nudge_limits.py --base)
    sys.path.insert(0, os.environ["BENCH_BOT_ROOT"])
os.environ.setdefault("PTB_TIMEDELTA", "true")

from bench.report import write_section  # noqa: E402
from bot.config import Config, Secret  # noqa: E402
from bot.domain.models import Profile  # noqa: E402
from bot.domain.schedule import WeeklySlot  # noqa: E402
from bot.nudges import NudgeScheduler  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.storage.memory import InMemoryRepository  # noqa: E402

ZONES = [
    ("America/New_York", 12), ("America/Los_Angeles", 8), ("America/Chicago", 6), ("America/Sao_Paulo", 6),
    ("Europe/London", 8), ("Europe/Berlin", 10), ("Europe/Paris", 6), ("Europe/Moscow", 4),
    ("Asia/Jerusalem", 4), ("Asia/Kolkata", 10), ("Asia/Tokyo", 5), ("Asia/Shanghai", 5),
    ("Australia/Sydney", 4), ("Australia/Adelaide", 1), ("Asia/Kathmandu", 1), ("Africa/Lagos", 3),
    ("America/Mexico_City", 3), ("Asia/Tehran", 1), ("Pacific/Auckland", 1), ("UTC", 2),
]  # fmt: skip
WEEKLY = WeeklySlot(6, clock_time(19, 0))
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def population(count: int, seed: int = 7) -> list[Profile]:
    """People spread over real zones, morning 06:00–09:00 and evening 20:00–23:00 in quarter hours."""
    rng = random.Random(seed)
    zones = [zone for zone, weight in ZONES for _ in range(weight)]
    people = []
    for user_id in range(1, count + 1):
        morning = clock_time(6 + rng.randrange(3), rng.choice((0, 15, 30, 45)))
        evening = clock_time(20 + rng.randrange(3), rng.choice((0, 15, 30, 45)))
        people.append(Profile(user_id=user_id, timezone=rng.choice(zones), morning=morning, evening=evening,
                              onboarded=True, created_at=NOW))  # fmt: skip
    return people


class LoopProbe:
    """The longest event-loop stall while running: sleeps 1 ms at a time, records the worst overshoot."""

    def __init__(self, interval: float = 0.001) -> None:
        self.interval = interval
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.worst = max(self.worst, time.perf_counter() - started - self.interval)

    def start(self) -> LoopProbe:
        self._task = asyncio.create_task(self._run())
        return self

    async def stop(self) -> float:
        """Stop and return the longest stall in milliseconds."""
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        return self.worst * 1000


class TextRepository(InMemoryRepository):
    """Profiles kept as JSON text, as on disk: not objects the garbage collector must scan (100k
    stored dicts rewritten by a fan-out would make the gc, not the scheduler, stall the loop)."""

    def __init__(self) -> None:
        super().__init__()
        self._texts: dict[int, str] = {}

    async def get_profile(self, user_id: int) -> Profile | None:
        text = self._texts.get(user_id)
        return Profile.from_dict(json.loads(text)) if text is not None else None

    async def save_profile(self, profile: Profile) -> None:
        self._texts[profile.user_id] = json.dumps(profile.to_dict())


def services(repo: InMemoryRepository, clock: Any, **config: Any) -> Services:
    return Services(config=Config(token=Secret("1:bench"), **config), repo=repo, clock=clock)


# --- 1. start-up, each variant in its own process ----------------------------------------------


async def child_ours(count: int) -> dict[str, float]:
    people = population(count)
    before = rss_mb()
    started = time.perf_counter()
    scheduler = NudgeScheduler(
        services(InMemoryRepository(), lambda: NOW), weekly=WEEKLY, catch_up=timedelta(hours=2)
    )

    async def stream() -> Any:
        for profile in people:
            yield profile

    await scheduler.rebuild(stream())
    return {
        "seconds": time.perf_counter() - started,
        "rss_mb": rss_mb() - before,
        "jobs": 1,
        "planned": len(scheduler),
    }


async def child_anchor(count: int) -> dict[str, float]:
    from zoneinfo import ZoneInfo

    from telegram.ext import ApplicationBuilder

    people = population(count)
    app = ApplicationBuilder().token("1:bench").build()
    assert app.job_queue is not None

    async def callback(context: Any) -> None:
        return None

    before = rss_mb()
    started = time.perf_counter()
    await app.job_queue.start()
    for profile in people:  # the anchor: one job per person (their evening nudge only)
        assert profile.evening is not None
        zone = ZoneInfo(profile.timezone or "UTC")
        app.job_queue.run_daily(callback, time=profile.evening.replace(tzinfo=zone), data=profile.user_id)
    seconds = time.perf_counter() - started
    jobs = len(app.job_queue.jobs())
    added = rss_mb() - before
    await app.job_queue.stop(wait=False)
    return {"seconds": seconds, "rss_mb": added, "jobs": jobs, "planned": count}


def run_child(kind: str, count: int) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--users", str(count)],
        capture_output=True, text=True, check=True, timeout=900,
    )  # fmt: skip
    result: dict[str, float] = json.loads(output.stdout.strip().splitlines()[-1])
    return result


# --- 2. everyone due in the same minute ----------------------------------------------------------


class FastSender:
    """Stands in for the Bot: records every message, instantly; `done` is set at `expected` sends."""

    def __init__(self, expected: int = 0) -> None:
        self.sent: Counter[int] = Counter()
        self.expected = expected
        self.total = 0
        self.done = asyncio.Event()

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> None:
        await asyncio.sleep(0)  # a real send always lets the loop run (else the workers would stall it)
        self.sent[chat_id] += 1
        self.total += 1
        if self.total >= self.expected:
            self.done.set()


async def same_minute(count: int, tick_seconds: float = 0.2) -> dict[str, float]:
    """`count` people over the real zones, every one due at the same UTC minute (each at the local
    time that minute is in their zone), driven by the real JobQueue tick job as in production."""
    from zoneinfo import ZoneInfo

    from telegram.ext import ApplicationBuilder

    due_at = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    rng = random.Random(11)
    zones = [zone for zone, weight in ZONES for _ in range(weight)]
    repo = TextRepository()
    people = []
    for n in range(1, count + 1):
        zone = rng.choice(zones)
        people.append(Profile(user_id=n, timezone=zone, morning=None, onboarded=True, created_at=NOW,
                              evening=due_at.astimezone(ZoneInfo(zone)).time()))  # fmt: skip
    for profile in people:
        await repo.save_profile(profile)
    clock = [lambda: due_at - timedelta(minutes=5)]
    scheduler = NudgeScheduler(services(repo, lambda: clock[0]()), weekly=WEEKLY, catch_up=timedelta(hours=2))

    async def stream() -> Any:
        for profile in people:
            yield profile

    scheduler.load_in_background(stream())  # as the bot starts: the loaded index is frozen out of the gc
    assert scheduler._loading is not None
    await scheduler._loading
    sender = FastSender(expected=count)
    scheduler.start_workers(sender)  # type: ignore[arg-type]
    app = ApplicationBuilder().token("1:bench").build()
    assert app.job_queue is not None
    probe = LoopProbe().start()
    started = time.perf_counter()
    clock[0] = lambda: due_at + timedelta(seconds=time.perf_counter() - started)  # the minute has come
    scheduler.start_ticking(app.job_queue, tick_seconds)
    await app.job_queue.start()
    await asyncio.wait_for(sender.done.wait(), timeout=600)
    seconds = time.perf_counter() - started
    stall = await probe.stop()
    await asyncio.sleep(10 * tick_seconds)  # more ticks: nothing may come twice
    await app.job_queue.stop(wait=True)
    await scheduler.drain()
    await scheduler.stop_workers()
    return {
        "seconds": seconds,
        "missed": sum(1 for p in people if sender.sent[p.user_id] == 0),
        "duplicated": sum(1 for p in people if sender.sent[p.user_id] > 1),
        "zones": len({p.timezone for p in people}),
        "stall_ms": stall,
    }


# --- 3. fan-out against the fake server at 30 msg/s ----------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


Send = tuple[float, int, int, bool]  # a sendMessage at the server: (time, status, chat id, paid)


def _sends(server: Any) -> list[Send]:
    return [(c.time, c.status, c.params["chat_id"], c.params.get("allow_paid_broadcast") is True)
            for c in server.calls("sendMessage")]  # fmt: skip


def _limited(server: Any, per_second: int, paid_per_second: int, latency: float) -> Any:
    server.enforce_rate(per_second=per_second, paid_per_second=paid_per_second)
    if latency:  # each send answered `latency` s after it arrives, like a distant Telegram
        server.inject_fault("sendMessage", delay=latency, times=None)
    return server


def _serve(conn: Any, per_second: int, paid_per_second: int, latency: float) -> None:
    """The fake Bot API in its own process (`fan_out(separate=True)`): its address out, then on
    "stop" the sends it saw and the CPU seconds it used."""
    from tests.fakeapi.server import FakeTelegramServer

    with FakeTelegramServer() as server:
        _limited(server, per_second, paid_per_second, latency)
        conn.send((server.token, server.base_url))
        conn.recv()
        used = os.times()
        conn.send((_sends(server), used.user + used.system))


class FakeApi:
    """The fake Bot API enforcing the limits, in this process (a thread sharing the GIL with the
    bot, as in the 30/s rows) or `separate` (its own process, like Telegram: the bot's CPU alone)."""

    def __init__(
        self, per_second: int, paid_per_second: int, *, separate: bool, latency: float = 0.0
    ) -> None:
        self.limits, self.separate = (per_second, paid_per_second, latency), separate
        self.sends: list[Send] = []
        self.server_cpu = float("nan")  # seconds, when separate

    def __enter__(self) -> tuple[str, str]:
        from tests.fakeapi.server import FakeTelegramServer

        if self.separate:
            import multiprocessing

            self._conn, child = multiprocessing.Pipe()
            self._process = multiprocessing.get_context("fork").Process(
                target=_serve, args=(child, *self.limits), daemon=True
            )
            self._process.start()
            address: tuple[str, str] = self._conn.recv()
            return address
        self._server = _limited(FakeTelegramServer().start(), *self.limits)
        return self._server.token, self._server.base_url

    def __exit__(self, *exc: object) -> None:
        if self.separate:
            self._conn.send("stop")
            self.sends, self.server_cpu = self._conn.recv()
            self._process.join(timeout=30)
        else:
            self.sends = _sends(self._server)
            self._server.stop()


async def fan_out(
    count: int, per_second: int = 30, *, paid: bool = False, separate: bool = False, latency: float = 0.0
) -> dict[str, float]:
    """`count` people due at the same instant, sent through the real bot's rate limiter to the fake
    Bot API enforcing `per_second` (429 beyond it). Lateness of the i-th message to arrive: its
    arrival at the server after the due instant; the physical limit for it is i / the rate.
    `paid`: `[telegram] paid_broadcast` on, the server also enforcing 1,000/s for paid sends;
    the rate to compare with is then the paid one. `separate`: the server in its own process;
    `latency`: seconds it takes to answer each send."""
    from telegram.ext import ExtBot
    from telegram.request import HTTPXRequest

    from bot.app import CONNECTION_POOL_SIZE, PAID_MESSAGES_PER_SECOND, rate_limiter

    limit = PAID_MESSAGES_PER_SECOND if paid else per_second

    due_at = datetime.now(UTC).replace(microsecond=0)
    repo = TextRepository()
    people = [Profile(user_id=n, timezone="UTC", morning=None, evening=clock_time(20, 0), onboarded=True,
                      created_at=NOW) for n in range(1, count + 1)]  # fmt: skip
    api = FakeApi(per_second, PAID_MESSAGES_PER_SECOND, separate=separate, latency=latency)
    with api as (token, base_url):
        request = HTTPXRequest(connection_pool_size=CONNECTION_POOL_SIZE)  # the bot's, not PTB's 256
        bot = ExtBot(token, base_url=base_url, rate_limiter=rate_limiter(), request=request)
        async with bot:
            scheduler = NudgeScheduler(
                services(repo, lambda: due_at, paid_broadcast=paid),
                weekly=WEEKLY,
                catch_up=timedelta(hours=2),
            )
            for profile in people:
                profile.evening = due_at.time().replace(second=0)
                await repo.save_profile(profile)
                scheduler.plan(profile, due_at - timedelta(minutes=1))
            gc.freeze()  # as the bot does once its schedule is loaded (NudgeScheduler.load_in_background)
            scheduler.start_workers(bot)
            probe = LoopProbe().start()
            started_wall, started, cpu = time.time(), time.perf_counter(), time.process_time()
            await scheduler.enqueue_due()
            await scheduler.drain()
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            stall = await probe.stop()
            await scheduler.stop_workers()
    delivered = sorted(at - started_wall for at, status, _, _ in api.sends if status == 200)
    lateness = delivered
    ideal = [n / limit for n in range(len(delivered))]
    return {
        "people": count,
        "limit": limit,
        "separate": separate,
        "latency_ms": latency * 1000,
        "paid_sends": sum(1 for *_, paid_send in api.sends if paid_send),
        "seconds": elapsed,
        "rate": len(delivered) / elapsed,
        # CPU per message: the bot's process (with the server's threads unless separate); the server's own
        "bot_cpu_ms": cpu * 1000 / max(len(delivered), 1),
        "server_cpu_ms": api.server_cpu * 1000 / max(len(api.sends), 1),
        "lost": count - len({chat for _, status, chat, _ in api.sends if status == 200}),
        "429s": sum(1 for _, status, _, _ in api.sends if status == 429),
        "p95_s": percentile(lateness, 0.95),
        "max_s": max(lateness),
        "ideal_p95_s": percentile(ideal, 0.95),
        "ideal_max_s": max(ideal),
        "stall_ms": stall,
    }


# --- report ---------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10k people and a 10 s fan-out")
    parser.add_argument("--child", choices=("ours", "anchor"))
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--stall", type=int, metavar="N", help="only: the longest stall, N due at once")
    parser.add_argument("--fan-out", type=int, metavar="N", help="only: lateness of N due at once, 30 msg/s")
    parser.add_argument("--paid", action="store_true", help="with --fan-out: paid broadcasts on, 1,000 msg/s")
    parser.add_argument(
        "--latency", type=float, default=0.0, metavar="MS", help="with --fan-out: server latency"
    )
    parser.add_argument(
        "--separate", action="store_true", help="with --fan-out: the fake server in its own process"
    )
    args = parser.parse_args()
    if args.child:
        runner = child_ours if args.child == "ours" else child_anchor
        print(json.dumps(asyncio.run(runner(args.users))))
        return 0
    if args.fan_out:
        print(
            json.dumps(
                asyncio.run(
                    fan_out(args.fan_out, paid=args.paid, separate=args.separate, latency=args.latency / 1000)
                )
            )
        )
        return 0
    if args.stall:
        print(json.dumps(asyncio.run(same_minute(args.stall))))
        return 0
    users = 10_000 if args.quick else 100_000
    load = os.getloadavg()[0]
    ours = run_child("ours", users)
    anchor = run_child("anchor", users)
    burst = asyncio.run(same_minute(users))
    fan = asyncio.run(fan_out(300 if args.quick else 1800))
    rate_share = fan["rate"] / 30
    lines = [
        "## Nudge scheduling",
        "",
        f"- Run: `python bench/scheduler.py{' --quick' if args.quick else ''}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {load:.2f} at the start",
        f"- {users:,} people over {len(ZONES)} zones; mornings 06:00–09:00, evenings 20:00–23:00 local.",
        "",
        "| Measure | Ours (all three nudges) | Anchor: one run_daily job per person | Anchor / ours | Target | Result |",
        "|---|---:|---:|---:|---|---|",
        f"| start-up, {users:,} people | {ours['seconds']:.2f} s | {anchor['seconds']:.2f} s | "
        f"{anchor['seconds'] / ours['seconds']:.0f}× | ≤ 3 s | {'met' if ours['seconds'] <= 3 else 'missed'} |",
        f"| RSS added | {ours['rss_mb']:.0f} MB | {anchor['rss_mb']:.0f} MB | "
        f"{anchor['rss_mb'] / max(ours['rss_mb'], 1):.1f}× | ≤ 100 MB | "
        f"{'met' if ours['rss_mb'] <= 100 else 'missed'} |",
        f"| RSS per person | {ours['rss_mb'] * 2**20 / users:.0f} B | {anchor['rss_mb'] * 2**20 / users:,.0f} B | – | – | – |",
        f"| scheduler jobs | {ours['jobs']:.0f} | {anchor['jobs']:,.0f} | – | constant | met |",
        f"| {users:,} due in one minute ({burst['zones']:.0f} zones), real tick job, fast sender | "
        f"{burst['missed']:.0f} missed, {burst['duplicated']:.0f} duplicated (all sent in {burst['seconds']:.1f} s) "
        "| – | – | 0 and 0 | "
        f"{'met' if burst['missed'] == 0 and burst['duplicated'] == 0 else 'missed'} |",
        f"| fan-out at Telegram's 30 msg/s, {fan['people']:.0f} people | {fan['rate']:.1f} msg/s "
        f"({rate_share:.0%}), {fan['lost']:.0f} lost, {fan['429s']:.0f} answered 429 then retried | – | – | "
        f"≥ 95%, 0 lost | {'met' if rate_share >= 0.95 and fan['lost'] == 0 else 'missed'} |",
    ]
    print("\n".join(lines))
    write_section("scheduler", "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
