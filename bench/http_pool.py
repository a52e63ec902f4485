"""Benchmark: `sniffio` and the Bot API connection pool size, side by side in one run (issue 13).

Run: python bench/http_pool.py [--seconds S] [--repeats N] [--sniffio-dir DIR]. Runs the end-to-end
check-in round trip (bench/e2e.py) of the real bot process for 1, 8 and 64 people under each variant,
interleaved (every repeat runs every variant, in a rotating order), and reports medians with the
min–max spread and the load average. "Without sniffio" runs the bot on this venv as it is; "with"
adds DIR (a `pip install --target DIR sniffio`) to PYTHONPATH, so the venv itself must not have it.
Writes the http-pool section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import platform
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.e2e import throughput  # noqa: E402
from bench.report import write_section  # noqa: E402

PTB_DEFAULT_POOL = 256
# (label, sniffio importable, pool size); the first is today's bot.
VARIANTS = [
    ("before: no sniffio, pool 256 (PTB default)", False, PTB_DEFAULT_POOL),
    ("sniffio, pool 256 (PTB default)", True, PTB_DEFAULT_POOL),
    ("sniffio, pool 64", True, 64),
    ("sniffio, pool 16", True, 16),
    ("sniffio, pool 8", True, 8),
]
PEOPLE = (1, 8, 64)


def spread(values: list[float], digits: int = 0) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sniffio-dir", default="/tmp/perf-sniffio")
    parser.add_argument(
        "--delay", type=float, default=0.0, help="seconds the server waits before each sendMessage"
    )
    parser.add_argument("--variants", type=int, nargs="+", help="indexes into VARIANTS (default: all)")
    parser.add_argument("--people", type=int, nargs="+", default=list(PEOPLE))
    parser.add_argument("--section", default="http-pool", help="the section of docs/benchmarks.md to write")
    args = parser.parse_args()
    chosen = args.variants or list(range(len(VARIANTS)))
    if any(not VARIANTS[i][1] for i in chosen) and importlib.util.find_spec("sniffio") is not None:
        parser.error("sniffio is installed in this venv, so a 'no sniffio' variant cannot run")
    if not (Path(args.sniffio_dir) / "sniffio").is_dir():
        parser.error(f"no sniffio in {args.sniffio_dir}: pip install --target {args.sniffio_dir} sniffio")
    results: dict[tuple[int, int], list[dict[str, float]]] = {}
    loads: list[float] = []
    started = datetime.now(UTC)
    for repeat in range(args.repeats):
        for people in args.people:
            for step in range(len(chosen)):
                index = chosen[(step + repeat) % len(chosen)]
                label, with_sniffio, pool = VARIANTS[index]
                pythonpath = os.pathsep.join([str(ROOT), *([args.sniffio_dir] if with_sniffio else [])])
                launcher = [sys.executable, str(ROOT / "bench" / "pool_bot.py"), str(pool)]
                loads.append(os.getloadavg()[0])
                run = asyncio.run(throughput(False, people, args.seconds, launcher, pythonpath, args.delay))
                results.setdefault((people, index), []).append(run)
                print(f"repeat {repeat + 1} people {people:2d} {label:45s} {run['rps']:6.1f}/s "
                      f"p50 {run['p50_ms']:6.1f} p99 {run['p99_ms']:7.1f} stall {run['lag_ms']:5.1f} ms "
                      f"load {loads[-1]:.2f}", flush=True)  # fmt: skip
    command = " ".join(["python bench/http_pool.py", *sys.argv[1:]])
    lines = [
        f"## HTTP connection pool and sniffio (issue 13 quick wins): {', '.join(map(str, args.people))} people",
        "",
        f"- Run: `{command}` on {started:%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs (shared with other",
        f"  sessions' work during the run), Python {platform.python_version()}; {args.seconds:g} s per run,",
        f"  {args.repeats} repeats, the variants interleaved in a rotating order; rate limiters off.",
        f"- Load average (1 min) at the start of each run: median {statistics.median(loads):.2f},"
        f" {min(loads):.2f}–{max(loads):.2f}.",
        "- The check-in round trip of bench/e2e.py. Cells: median (min–max) over the repeats;"
        " ratio = median round trips/s over the first row's."
        + (
            f" The server waits {args.delay * 1000:.0f} ms before answering each sendMessage."
            if args.delay
            else ""
        ),
        "",
        "| People | Variant | Round trips/s | vs first row | p50 ms | p99 ms | Longest loop stall ms |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for people in args.people:
        base = statistics.median(r["rps"] for r in results[(people, chosen[0])])
        for index in chosen:
            label, runs = VARIANTS[index][0], results[(people, index)]
            rps = [r["rps"] for r in runs]
            lines.append(
                f"| {people} | {label} | {spread(rps)} | {statistics.median(rps) / base:.2f}× | "
                f"{spread([r['p50_ms'] for r in runs], 1)} | {spread([r['p99_ms'] for r in runs], 1)} | "
                f"{spread([r['lag_ms'] for r in runs], 1)} |"
            )
    print("\n".join(lines))
    write_section(args.section, "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
