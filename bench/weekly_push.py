"""Benchmark: the weekly recap push, with the chart rendered per person (before) and on request (now).

Run: python bench/weekly_push.py [--people N] [--repeats R] [--now-only] [--rate-limit]
[--results FILE [--report-only]] [--scratch DIR] [--section NAME].

N people on disk (written directly by bench/populate.py, in the store's format), each with five
check-ins this week, all due for the weekly recap at the same instant. Each push runs in its own
process, as the bot would: the real scheduler plans everyone from the store's profile index, and
the real `send_recap` sends through PTB to the fake Bot API, which runs in this (the parent)
process so that its records are neither in the push's memory nor holding its GIL. The push's
clock runs from the due instant, so the 2 h catch-up window is judged as in production.

Without `--rate-limit` the bot's rate limiter is off: the figure is what the process itself can
push (people/s), beside what Telegram's 30 msg/s allows. With it, the fake server answers 429
beyond 30 msg/s and the bot's own `rate_limiter()` paces the push: duration beside the ideal
(messages / 30 s), 429s, and whether everyone was reached within the catch-up window.
Reports who was missed or reached twice, the longest event-loop stall and the push's RSS.

`--results FILE` keeps each run (JSON lines) and reports all runs kept there, so runs made with
different options (100k without a limit, fewer at 30 msg/s) share one section.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "true")

from bench.populate import write_people  # noqa: E402
from bench.report import write_section  # noqa: E402
from bench.scheduler import LoopProbe, services  # noqa: E402
from bot.domain.models import Entry, Profile  # noqa: E402
from bot.domain.schedule import WeeklySlot  # noqa: E402
from bot.handlers.recap import send_recap  # noqa: E402
from bot.nudges import NudgeScheduler  # noqa: E402
from bot.storage.tinydb_store import TinyDBRepository  # noqa: E402

FEELINGS = ("calm", "glad", "anxious", "hurt", "tired")
DUE = datetime(2026, 11, 29, 19, 0, tzinfo=UTC)  # a Sunday
CATCH_UP = timedelta(hours=2)  # the default `catch_up_hours`
TELEGRAM_RATE = 30  # messages per second, overall
SENDS = ("sendMessage", "sendPhoto")
CHART = "chart per person (before)"
Key = tuple[int, bool, str, str]  # people, rate limit, variant, invocation
NOW = "chart on request (now)"


def person(user_id: int) -> tuple[Profile, Sequence[Entry]]:
    """Someone in UTC with a check-in on each of the five days before the weekly recap."""
    profile = Profile(user_id=user_id, timezone="UTC", morning=None, evening=None, onboarded=True,
                      created_at=DUE - timedelta(days=30))  # fmt: skip
    entries = []
    for day in range(4, -1, -1):
        at = DUE - timedelta(days=day, hours=1)
        data = {"family": "calm", "feeling": FEELINGS[day], "intensity": 1 + day, "whose": "mine"}
        entries.append(Entry(kind="diary", local_date=at.date(), data=data, created_at=at,
                             entry_id=f"{user_id:028x}{day:04x}"))  # fmt: skip
    return profile, entries


# --- the push, in its own process -----------------------------------------------------------------


class StallLog(LoopProbe):
    """The loop probe, also noting every stall over `over` seconds and the longest pause of the
    garbage collector, to tell what a long stall was. Each stall is noted as (seconds into the
    push, wall ms, CPU ms of the loop's thread, CPU ms of the whole process): a stall the loop's
    own work made has its wall time in the loop thread's CPU; one where the process hardly ran was
    the machine's (other processes had the cores)."""

    def __init__(self, over: float = 0.020) -> None:
        super().__init__()
        self.over = over
        self.stalls: list[tuple[float, float, float, float]] = []
        self.worst_cpu = 0.0  # the loop thread's longest run of CPU between two wake-ups
        self.gc_ms = 0.0
        self.collections = 0
        self._gc_started = 0.0

    async def _run(self) -> None:
        origin = time.perf_counter()
        gc.callbacks.append(self._on_gc)
        try:
            while True:
                started, cpu, process = time.perf_counter(), time.thread_time(), time.process_time()
                await asyncio.sleep(self.interval)
                stall = time.perf_counter() - started - self.interval
                used = time.thread_time() - cpu
                self.worst = max(self.worst, stall)
                self.worst_cpu = max(self.worst_cpu, used)
                if stall > self.over:
                    ms = (
                        round(stall * 1000, 1),
                        round(used * 1000, 1),
                        round((time.process_time() - process) * 1000, 1),
                    )
                    self.stalls.append((round(started - origin, 1), *ms))
        finally:
            gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif info["generation"] == 2:
            self.collections += 1
            self.gc_ms = max(self.gc_ms, (time.perf_counter() - self._gc_started) * 1000)


async def push(data_dir: Path, base_url: str, token: str, chart: bool, limit: bool) -> dict[str, Any]:
    """Plan everyone from the store as the bot does at start, then push the recap due to all."""
    from telegram.ext import ExtBot

    from bot.app import rate_limiter

    repo = TinyDBRepository(data_dir)
    started: list[float] = []

    def clock() -> datetime:  # a minute before the recap until the push starts, then real time from it
        if not started:
            return DUE - timedelta(minutes=1)
        return DUE + timedelta(seconds=time.perf_counter() - started[0])

    scheduler = NudgeScheduler(
        services(repo, clock),  # type: ignore[arg-type]
        weekly=WeeklySlot(DUE.weekday(), DUE.time()),
        catch_up=CATCH_UP,
        send_recap=partial(send_recap, chart=chart),
    )
    bot = ExtBot(token, base_url=base_url, rate_limiter=rate_limiter(limit=limit))
    async with bot:
        planned = await scheduler.rebuild(repo.iter_profiles())
        gc.collect()
        gc.freeze()  # as the bot does once its schedule is loaded: start-up objects are not scanned again
        loaded_mb = memory_mb("VmRSS")
        scheduler.start_workers(bot)
        progress = asyncio.create_task(report_progress(scheduler))
        probe = StallLog()
        probe.start()
        started.append(time.perf_counter())
        started_wall = time.time()
        await scheduler.enqueue_due()
        await scheduler.drain()
        elapsed = time.perf_counter() - started[0]
        stall = await probe.stop()
        after_mb = memory_mb("VmRSS")
        progress.cancel()
        await scheduler.stop_workers()
    await repo.close()
    return {
        "planned": planned, "sent": scheduler.sent, "failed": scheduler.failed, "seconds": elapsed,
        "started_wall": started_wall, "stall_ms": stall, "stalls_over_20ms": len(probe.stalls),
        "stalls": sorted(probe.stalls, key=lambda stall: -stall[1])[:50], "gc_full": probe.collections,
        "gc_ms": probe.gc_ms, "loop_cpu_ms": probe.worst_cpu * 1000,
        "loaded_mb": loaded_mb, "after_mb": after_mb, "peak_mb": memory_mb("VmHWM"),
    }  # fmt: skip


def memory_mb(field: str) -> float:
    """This process's resident memory (VmRSS) or its peak so far (VmHWM), in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def report_progress(scheduler: NudgeScheduler, every: float = 60.0) -> None:
    """A line on stderr now and then, for a long push run in the background."""
    started = time.monotonic()
    while True:
        await asyncio.sleep(every)
        print(f"[{time.monotonic() - started:.0f} s] {scheduler.sent:,} sent", file=sys.stderr, flush=True)


# --- the parent: data, fake server, tally, report -------------------------------------------------


def run(data_dir: Path, chart: bool, limit: bool) -> dict[str, Any]:
    """One push in a child process against a fake Bot API served from here; what the server saw."""
    from tests.fakeapi.server import FakeTelegramServer

    with FakeTelegramServer() as server:
        if limit:
            server.enforce_rate(per_second=TELEGRAM_RATE)
        args = [sys.executable, __file__, "--child", str(data_dir), "--base-url", server.base_url,
                "--token", server.token, *(["--chart"] if chart else []), *(["--rate-limit"] if limit else [])]  # fmt: skip
        output = subprocess.run(args, stdout=subprocess.PIPE, text=True, check=True)
        result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
        per_person: Counter[int] = Counter()
        arrivals: list[float] = []
        rejected = 0
        for call in server.requests:
            if call.method in SENDS and call.status == 200:
                per_person[int(call.params["chat_id"])] += 1
                arrivals.append(call.time)
            elif call.method in SENDS and call.status == 429:
                rejected += 1
    return {**result, "per_person": dict(Counter(per_person.values())), "reached": len(per_person),
            "messages": len(arrivals), "429s": rejected,
            "last_s": max(arrivals) - result["started_wall"] if arrivals else float("nan")}  # fmt: skip


def tally(result: dict[str, Any], people: int) -> tuple[int, int, int]:
    """(usual messages per person, people missed or short of it, people sent more than it)."""
    counts = {int(k): v for k, v in result["per_person"].items()}
    usual = max(counts, key=lambda k: counts[k]) if counts else 0
    short = people - result["reached"] + sum(v for k, v in counts.items() if k < usual)
    return usual, short, sum(v for k, v in counts.items() if k > usual)


def measure(args: argparse.Namespace, scratch: Path) -> list[dict[str, Any]]:
    data_dir = scratch / "data"
    started = time.monotonic()
    write_people(data_dir, args.people, person)
    print(f"populated {args.people:,} people in {time.monotonic() - started:.0f} s", flush=True)
    variants = [False] if args.now_only else [True, False]
    plan = [v for repeat in range(args.repeats) for v in (variants if repeat % 2 == 0 else variants[::-1])]
    rows = []
    batch = f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S}"  # the runs of this invocation, reported together
    for number, chart in enumerate(plan):
        run_dir = data_dir
        if number < len(plan) - 1:  # each push starts from nobody reached yet; the last uses the original
            run_dir = scratch / f"run-{number}"
            shutil.copytree(data_dir, run_dir)
        load = os.getloadavg()[0]
        result = run(run_dir, chart, args.rate_limit)
        if run_dir != data_dir:
            shutil.rmtree(run_dir)
        row = {**result, "variant": CHART if chart else NOW, "people": args.people, "limit": args.rate_limit,
               "load": load, "command": command(), "at": f"{datetime.now(UTC):%Y-%m-%d %H:%M}", "batch": batch}  # fmt: skip
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def command() -> str:
    return " ".join(["python bench/weekly_push.py", *sys.argv[1:]])


def cell(values: list[float], fmt: str) -> str:
    if len(values) == 1:
        return f"{values[0]:{fmt}}"
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}–{max(values):{fmt}})"


def hours(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min"


def report(rows: list[dict[str, Any]]) -> str:
    """The section: one table row per invocation and variant, then the targets of issue 13."""
    groups: dict[Key, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(
            (row["people"], row["limit"], row["variant"], row.get("batch", row["at"])), []
        ).append(row)
    commands = dict.fromkeys(f"`{row['command']}` ({row['at']} UTC)" for row in rows)
    loads = [row["load"] for row in rows]
    lines = [
        f"## Weekly recap push: {max(row['people'] for row in rows):,} people",
        "",
        f"- Run: {'; '.join(commands)}. {platform.machine()}, {os.cpu_count()} CPUs shared with other sessions' "
        f"work, Python {platform.python_version()}; load average (1 min) at the start of each push "
        f"{cell(loads, '.2f')}.",
        "- People on disk (written by `bench/populate.py` in the store's format) with five check-ins each this week, "
        "all due for the recap at the same instant. Each push runs in its own process: the real scheduler plans "
        "everyone from the store's profile index (as at start), the real `send_recap` sends through PTB; the fake "
        "Bot API runs in the parent process (its records are not in the push's RSS). The push's clock runs from "
        "the due instant, so the 2 h catch-up window is judged as in production (at hand-over to the workers).",
        "- Rate limit off: what the process itself can push. 30 msg/s: the fake server answers 429 beyond it and "
        "the bot's own `rate_limiter()` paces the push. Ideal: messages / 30 s. Cells: median (min–max) over runs.",
        "- Load is the 1-min load average when a push started; other sessions' benchmarks start and stop meanwhile. "
        "A stall during which the loop thread ran for much less CPU time than the stall lasted was not the loop's "
        "own work: the process was waiting for a core (or for the GIL held by its storage threads).",
        "",
        "| People | Rate limit | Variant | Runs | Load (1 min) | People/s | Messages per person | Missed / twice | Duration | "
        "Ideal at 30 msg/s | msg/s | 429s | Longest loop stall | RSS after push (peak) |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (people, limit, variant, _), group in groups.items():
        usual = [tally(r, people) for r in group]
        per = "/".join(sorted({str(u[0]) for u in usual}))
        lines.append(
            f"| {people:,} | {'30 msg/s' if limit else 'off'} | {variant} | {len(group)} | {cell([r['load'] for r in group], '.2f')} | "
            f"{cell([people / r['seconds'] for r in group], '.0f')} | {per} | "
            f"{sum(u[1] for u in usual)} / {sum(u[2] for u in usual)} | "
            f"{cell([r['seconds'] for r in group], '.1f')} s | {group[0]['messages'] / TELEGRAM_RATE:.0f} s | "
            f"{cell([r['messages'] / r['seconds'] for r in group], '.1f')} | {cell([r['429s'] for r in group], '.0f')} | "
            f"{cell([r['stall_ms'] for r in group], '.1f')} ms | {cell([r['after_mb'] for r in group], '.0f')} "
            f"({cell([r['peak_mb'] for r in group], '.0f')}) MB |"
        )
    lines += targets(groups)
    return "\n".join(lines)


def targets(groups: dict[Key, list[dict[str, Any]]]) -> list[str]:
    """Issue 13's targets for the variant the bot uses; the window of a push larger than any run at
    30 msg/s is projected from the rate measured there, and says so."""
    now = {(key[0], key[1], key[3]): group for key, group in sorted(groups.items()) if key[2] == NOW}
    if not now:
        return []
    people = max(count for count, _, _ in now)
    window = CATCH_UP.total_seconds()
    lines = ["", f"Targets (issue 13), {NOW}:", "", "| Target | Measured | Result |", "|---|---|---|"]
    for (count, limit, _), group in now.items():
        load = f"load {cell([r['load'] for r in group], '.2f')}"
        short = sum(tally(r, count)[1] + tally(r, count)[2] for r in group)
        if limit:
            last = max(r["last_s"] for r in group)
            ideal = max(r["messages"] for r in group) / TELEGRAM_RATE
            lines.append(
                f"| {count:,} people at 30 msg/s ({load}): everyone reached once within the 2 h window | last message "
                f"{hours(last)} after the due instant (ideal {hours(ideal)}); {short} missed or twice | "
                f"{'met' if short == 0 and last <= window else 'missed'} |"
            )
        else:
            rate = statistics.median(r["messages"] / r["seconds"] for r in group)
            lines.append(
                f"| {count:,} people, limiter off ({load}): the process is not the bottleneck (faster than 30 msg/s), "
                f"everyone reached once | {rate:.0f} msg/s ({rate / TELEGRAM_RATE:.1f}× 30/s); {short} missed or "
                f"twice | {'met' if short == 0 and rate > TELEGRAM_RATE else 'missed'} |"
            )
    if not any(count == people and limit for count, limit, _ in now):
        messages = max(
            r["messages"] for (count, _, _), group in now.items() if count == people for r in group
        )
        limited = [r for (_, limit, _), group in now.items() if limit for r in group]
        rate = statistics.median(r["messages"] / r["seconds"] for r in limited) if limited else TELEGRAM_RATE
        projected = messages / rate
        basis = f"the {rate:.2f} msg/s measured at 30 msg/s above" if limited else "exactly 30 msg/s"
        lines.append(
            f"| {people:,} people at 30 msg/s: everyone reached within the 2 h window | not run (it takes about "
            f"{hours(messages / TELEGRAM_RATE)}); projected: {messages:,} messages at {basis} take "
            f"{hours(projected)}, {projected / window:.0%} of the window | "
            f"{'projected met' if projected <= window else 'projected missed'} |"
        )
    for (count, limit, _), group in now.items():
        stall = max(r["stall_ms"] for r in group)
        noted = [r for r in group if "stalls" in r]
        detail = ""
        if noted:
            longest = max(
                (item for r in noted for item in r["stalls"]), key=lambda item: item[1], default=None
            )
            detail = f"; {sum(r['stalls_over_20ms'] for r in noted)} stalls over 20 ms"
            if longest and len(longest) == 4:  # older runs noted only the first stalls, without CPU
                detail += (
                    f", the longest {longest[0]:.0f} s into the push (CPU meanwhile: loop thread "
                    f"{longest[2]:.0f} ms, whole process {longest[3]:.0f} ms)"
                )
            if all("loop_cpu_ms" in r for r in noted):
                detail += f"; the loop thread's longest CPU run {max(r['loop_cpu_ms'] for r in noted):.1f} ms"
            detail += f"; longest full gc {max(r['gc_ms'] for r in noted):.1f} ms"
        lines.append(
            f"| longest event-loop stall, {count:,} people, limiter {'on, 30 msg/s' if limit else 'off'} "
            f"(load {cell([r['load'] for r in group], '.2f')}) | "
            f"{stall:.1f} ms{detail} | {'met' if stall <= 20 else 'missed'} (≤ 20 ms) |"
        )
    after = max(r["after_mb"] for (count, _, _), group in now.items() if count == people for r in group)
    lines += [
        f"| RSS after the push, {people:,} people | {after:.0f} MB | {'met' if after <= 150 else 'missed'} "
        "(≤ 150 MB) |",
    ]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--now-only", action="store_true", help=f"only the variant the bot uses: {NOW}")
    parser.add_argument(
        "--rate-limit", action="store_true", help="30 msg/s at the server, the bot's limiter on"
    )
    parser.add_argument("--results", type=Path, help="keep runs here (JSON lines) and report all kept")
    parser.add_argument("--report-only", action="store_true", help="only write the section from --results")
    parser.add_argument("--scratch", type=Path, help="where to put the data (default: a temporary directory)")
    parser.add_argument("--section", default="weekly-push")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--chart", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = asyncio.run(push(args.child, args.base_url, args.token, args.chart, args.rate_limit))
        print(json.dumps(result))
        return 0
    if args.report_only and not args.results:
        parser.error("--report-only reports the runs kept in --results")
    rows = []
    if not args.report_only:
        with tempfile.TemporaryDirectory(dir=args.scratch) as scratch:
            rows = measure(args, Path(scratch))
    if args.results:
        with args.results.open("a", encoding="utf-8") as kept:
            kept.writelines(json.dumps(row) + "\n" for row in rows)
        rows = [json.loads(line) for line in args.results.read_text(encoding="utf-8").splitlines() if line]
    text = report(rows)
    print(text)
    write_section(args.section, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
