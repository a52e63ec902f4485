"""Benchmark: cold start, idle RSS and the start-up loop stall with many people on disk (issue 13).

Run: python bench/startup.py [--people N] [--repeats R] [--base DIR] [--section NAME]. Writes N people
on disk once (none due for hours, so the bot stays idle), then starts the real bot process R times
against the fake Bot API and reports, per variant, the median (min–max) of:
- cold start: process start to its first getUpdates;
- RSS idle once the schedule has loaded (RSS unchanged for 3 s);
- the longest event-loop stall from start-up until then (the bot's own probe).
`--base DIR` adds a variant running an older checkout of the bot (e.g. `git archive <commit> | tar -x
-C DIR`), interleaved with this one.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "true")

from bench.e2e import Process, populate, rss_mb  # noqa: E402
from bench.report import write_section  # noqa: E402
from tests.fakeapi.server import FakeTelegramServer  # noqa: E402


async def start_once(workdir: Path, pythonpath: str) -> dict[str, float]:
    with FakeTelegramServer() as server:
        process = Process(server, workdir, echo=False, pythonpath=pythonpath)
        process.reset_probe()
        try:
            cold = await process.start()
            assert process.proc is not None
            last, steady_since, started = rss_mb(process.proc.pid), time.monotonic(), time.monotonic()
            while time.monotonic() - steady_since < 3.0 and time.monotonic() - started < 120:
                await asyncio.sleep(0.25)
                now = rss_mb(process.proc.pid)
                if abs(now - last) > 0.5:
                    last, steady_since = now, time.monotonic()
            await asyncio.sleep(1.1)  # the probe writes its figure once a second
            return {"cold_s": cold, "idle_mb": rss_mb(process.proc.pid), "stall_ms": process.loop_lag_ms()}
        finally:
            process.stop()


def install() -> str:
    """What the interpreter running the bot has installed beyond a polling install: PTB's webhook server
    (tornado) and the dev tools (rich, via import-linter) are imported at start when present."""
    extras = [name for name in ("tornado", "rich") if importlib.util.find_spec(name) is not None]
    if not extras:
        return "polling only (`pip install -e .`: no webhook extra, no test or dev tools)"
    return (
        f"with {' and '.join(extras)} (the webhook extra or the test and dev tools), which start-up imports"
    )


def cell(values: list[float], fmt: str) -> str:
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}–{max(values):{fmt}})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--base", help="an older checkout of the bot to compare with")
    parser.add_argument("--section", default="startup")
    args = parser.parse_args()
    variants = [("this branch", str(ROOT))] + ([("base", args.base)] if args.base else [])
    results: dict[str, list[dict[str, float]]] = {name: [] for name, _ in variants}
    loads = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        due = (datetime.now(UTC) + timedelta(hours=6)).time().replace(second=0, microsecond=0)
        started = time.monotonic()
        populate(workdir / "data", args.people, due)
        print(f"populated {args.people:,} in {time.monotonic() - started:.0f} s", flush=True)
        for repeat in range(args.repeats):
            order = variants[repeat % len(variants) :] + variants[: repeat % len(variants)]
            for name, path in order:
                loads.append(os.getloadavg()[0])
                result = asyncio.run(start_once(workdir, path))
                print(name, result, flush=True)
                results[name].append(result)
    lines = [
        "## Start-up with many people on disk",
        "",
        f"- Run: `python bench/startup.py --people {args.people} --repeats {args.repeats}"
        f"{' --base DIR' if args.base else ''}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {platform.machine()}, "
        f"{os.cpu_count()} CPUs (shared), Python {platform.python_version()}.",
        f"- Load average (1 min) before each start: median {statistics.median(loads):.2f}, "
        f"{min(loads):.2f}–{max(loads):.2f}. Cells: median (min–max) of {args.repeats} starts, variants interleaved.",
        f"- {args.people:,} people on disk, none due for hours; idle = RSS unchanged for 3 s (the schedule loaded).",
        f"- Install: {install()}.",
        "",
        "| Variant | Cold start to first getUpdates | RSS idle, schedule loaded | Longest loop stall, start-up |",
        "|---|---:|---:|---:|",
    ]
    for name, _ in variants:
        rows = results[name]
        lines.append(
            f"| {name} | {cell([r['cold_s'] for r in rows], '.2f')} s | {cell([r['idle_mb'] for r in rows], '.0f')} MB"
            f" | {cell([r['stall_ms'] for r in rows], '.1f')} ms |"
        )
    lines.append("| target | ≤ 0.4 s | ≤ 80 MB | ≤ 20 ms |")
    print("\n".join(lines))
    write_section(args.section, "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
