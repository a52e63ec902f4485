"""Benchmark: the weekly recap push, with the chart rendered per person (before) and on request (now).

Run: python bench/weekly_push.py [--people N] [--repeats R] [--section NAME]. N people on disk (TinyDB
store), each with five check-ins this week, all due for the weekly recap at the same instant; the
real scheduler and `send_recap` send through PTB to the fake Bot API with no rate limit, so the
figure is what the process itself can push (people/s), beside the 15 people/s that Telegram's 30
msg/s allows for two messages each. Reports the longest event-loop stall during the push too.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "true")

from bench.report import write_section  # noqa: E402
from bench.scheduler import LoopProbe, services  # noqa: E402
from bot.domain.models import Entry, Profile  # noqa: E402
from bot.domain.schedule import WeeklySlot  # noqa: E402
from bot.handlers.recap import send_recap  # noqa: E402
from bot.nudges import NudgeScheduler  # noqa: E402
from bot.storage.tinydb_store import TinyDBRepository  # noqa: E402

FEELINGS = ("calm", "glad", "anxious", "hurt", "tired")


async def populate(repo: TinyDBRepository, count: int, due: datetime) -> list[Profile]:
    people = []
    for user_id in range(1, count + 1):
        profile = Profile(user_id=user_id, timezone="UTC", morning=None, evening=None, onboarded=True,
                          created_at=due - timedelta(days=30))  # fmt: skip
        await repo.save_profile(profile)
        for day in range(5):
            local = (due - timedelta(days=day)).date()
            data = {"family": "calm", "feeling": FEELINGS[day], "intensity": 1 + day, "whose": "mine"}
            await repo.append_entry(user_id, Entry(kind="diary", local_date=local, data=data))
        people.append(profile)
    return people


async def push(data_dir: Path, people: list[Profile], due: datetime, chart: bool) -> dict[str, float]:
    from telegram.ext import ExtBot

    from bot.app import rate_limiter
    from tests.fakeapi.server import FakeTelegramServer

    repo = TinyDBRepository(data_dir)  # a fresh process's view: nobody's files are open yet
    weekly = WeeklySlot(due.weekday(), due.time())
    with FakeTelegramServer() as server:
        bot = ExtBot(server.token, base_url=server.base_url, rate_limiter=rate_limiter(limit=False))
        async with bot:
            scheduler = NudgeScheduler(
                services(repo, lambda: due + timedelta(seconds=1)),  # type: ignore[arg-type]
                weekly=weekly,
                catch_up=timedelta(hours=2),
                send_recap=partial(send_recap, chart=chart),
            )
            for profile in people:
                scheduler.plan(profile, due - timedelta(minutes=1))
            scheduler.start_workers(bot)
            gc.collect()
            gc.freeze()  # as the bot does once its schedule is loaded: start-up objects are not scanned again
            probe = LoopProbe().start()
            started = time.perf_counter()
            await scheduler.enqueue_due()
            await scheduler.drain()
            elapsed = time.perf_counter() - started
            stall = await probe.stop()
            await scheduler.stop_workers()
        photos = sum(1 for c in server.calls("sendPhoto") if c.status == 200)
        messages = sum(1 for c in server.calls("sendMessage") if c.status == 200)
    await repo.close()
    return {"people_s": len(people) / elapsed, "seconds": elapsed, "stall_ms": stall, "photos": photos,
            "messages": messages, "sent": scheduler.sent}  # fmt: skip


def cell(values: list[float], fmt: str) -> str:
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}–{max(values):{fmt}})"


async def main_async(count: int, repeats: int) -> tuple[dict[str, list[dict[str, Any]]], list[float]]:
    due = datetime(2026, 11, 29, 19, 0, tzinfo=UTC)  # a Sunday
    results: dict[str, list[dict[str, Any]]] = {"chart per person (before)": [], "chart on request (now)": []}
    loads = []
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        seed = TinyDBRepository(data_dir)
        seed.prepare()
        people = await populate(seed, count, due)
        await seed.close()
        for repeat in range(repeats):
            for chart in (True, False) if repeat % 2 == 0 else (False, True):
                loads.append(os.getloadavg()[0])
                run_dir = Path(tmp) / f"run-{repeat}-{chart}"  # each push starts from nobody nudged yet
                shutil.copytree(data_dir, run_dir)
                result = await push(run_dir, people, due, chart)
                shutil.rmtree(run_dir)
                name = "chart per person (before)" if chart else "chart on request (now)"
                print(name, {k: round(v, 1) for k, v in result.items()}, flush=True)
                results[name].append(result)
    return results, loads


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--section", default="weekly-push")
    args = parser.parse_args()
    results, loads = asyncio.run(main_async(args.people, args.repeats))
    lines = [
        "## Weekly recap push",
        "",
        f"- Run: `python bench/weekly_push.py --people {args.people} --repeats {args.repeats}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {platform.machine()}, {os.cpu_count()} CPUs (shared), "
        f"Python {platform.python_version()}; load average (1 min) {statistics.median(loads):.2f} "
        f"({min(loads):.2f}–{max(loads):.2f}).",
        f"- {args.people:,} people on disk with five check-ins each this week, all due at once; real scheduler and "
        "`send_recap`, fake Bot API with no rate limit (what the process can push). Cells: median (min–max).",
        "- Telegram's 30 msg/s allows 15 people/s at two messages each (recap + weekly question; 10 people/s at "
        "three with the chart): 100,000 people need ≥ 1.85 h at best, so the process must push faster than that.",
        "",
        "| Variant | People/s | Messages + photos per person | Longest loop stall | 100,000 people at this rate |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, rows in results.items():
        rate = statistics.median(r["people_s"] for r in rows)
        per = (rows[0]["messages"] + rows[0]["photos"]) / args.people
        lines.append(
            f"| {name} | {cell([r['people_s'] for r in rows], '.0f')} | {per:.1f} | "
            f"{cell([r['stall_ms'] for r in rows], '.1f')} ms | {100_000 / rate / 3600:.2f} h |"
        )
    print("\n".join(lines))
    write_section(args.section, "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
