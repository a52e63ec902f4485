"""Benchmark: check-in round trips beside the echo and the durability-floor anchors (issue 13).

Run: python bench/round_trips.py [--seconds S] [--repeats N] [--people 1 8 64] [--base DIR]
[--section NAME]. For each number of people, every repeat runs every variant in a rotating order:
- echo: a bare PTB echo bot (bench/echo_bot.py), sequential, no storage;
- echo + durable append: the same bot writing each message durably before replying (write, fsync,
  directory fsync, in a thread): the least a bot keeping "durable before the reply" must do;
- ours: the real bot (this checkout) answering the check-in, every answer durable before the reply;
- base (with --base DIR): an older checkout of the bot, the same way.
Reports medians with the min–max spread, the load average, and the ratios of the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "true")

from bench.e2e import throughput  # noqa: E402
from bench.report import write_section  # noqa: E402

ECHO, DURABLE, OURS, BASE = "echo", "echo + durable append", "ours", "base"


async def run(variant: str, people: int, seconds: float, base: str | None) -> dict[str, float]:
    if variant == ECHO:
        return await throughput(True, people, seconds)
    if variant == DURABLE:
        return await throughput(True, people, seconds, durable=True)
    if variant == BASE:
        assert base is not None
        return await throughput(False, people, seconds, pythonpath=base)
    return await throughput(False, people, seconds)


def cell(values: list[float], fmt: str) -> str:
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}–{max(values):{fmt}})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--people", type=int, nargs="+", default=[1, 8, 64])
    parser.add_argument("--base", help="an older checkout of the bot to compare with")
    parser.add_argument("--section", default="round-trips")
    args = parser.parse_args()
    variants = [ECHO, DURABLE, OURS, *([BASE] if args.base else [])]
    results: dict[tuple[int, str], list[dict[str, float]]] = {}
    loads: list[float] = []
    for people in args.people:
        for repeat in range(args.repeats):
            shift = repeat % len(variants)
            for variant in variants[shift:] + variants[:shift]:
                loads.append(os.getloadavg()[0])
                result = asyncio.run(run(variant, people, args.seconds, args.base))
                print(people, variant, {k: round(v, 1) for k, v in result.items()}, flush=True)
                results.setdefault((people, variant), []).append(result)
    command = " ".join(["python bench/round_trips.py", *sys.argv[1:]])
    lines = [
        "## Round trips beside the echo and durability-floor anchors",
        "",
        f"- Run: `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {platform.machine()}, {os.cpu_count()} "
        f"CPUs shared with other sessions' work, Python {platform.python_version()}; {args.seconds:.0f} s per run, "
        f"{args.repeats} repeats, variants interleaved in a rotating order; rate limiters off.",
        f"- Load average (1 min) at the start of each run: median {statistics.median(loads):.2f}, "
        f"{min(loads):.2f}–{max(loads):.2f}.",
        "- A round trip: a person sends an answer and the bot's next question arrives (ours: the check-in, each "
        "answer durable before the reply; anchors: the echo bot, `bench/echo_bot.py`, with and without one durable "
        "append before each reply). Cells: median (min–max) over the repeats; ratios: of the medians.",
        '- Longest loop stall: the longest the bot\'s event loop was late (`bot/diagnostics.py`); "busy": the '
        "longest it was late while its thread was working, i.e. not waiting for a CPU (which the benchmark's "
        "own process, the fake server and the simulated people, shares) nor for the GIL (which another "
        "thread of the bot may hold).",
        "",
        "| People | Variant | Round trips/s | p50 ms | p99 ms | Longest loop stall ms | of it busy ms | vs echo "
        "| vs echo + durable |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for people in args.people:
        echo = statistics.median(r["rps"] for r in results[(people, ECHO)])
        floor = statistics.median(r["rps"] for r in results[(people, DURABLE)])
        for variant in variants:
            rows = results[(people, variant)]
            rps = statistics.median(r["rps"] for r in rows)
            stall, busy = cell([r["lag_ms"] for r in rows], ".1f"), cell([r["busy_ms"] for r in rows], ".1f")
            lines.append(
                f"| {people} | {variant} | {cell([r['rps'] for r in rows], '.0f')} | "
                f"{cell([r['p50_ms'] for r in rows], '.1f')} | {cell([r['p99_ms'] for r in rows], '.1f')} | {stall} | "
                f"{busy} | {rps / echo:.2f}× | {rps / floor:.2f}× |"
            )
    print("\n".join(lines))
    write_section(args.section, "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
