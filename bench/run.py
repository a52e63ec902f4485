"""Run every benchmark and rewrite docs/benchmarks.md: `python bench/run.py [--quick]`.

Each benchmark runs in its own process, on this machine, in this run, and writes its own
section (ours beside the anchor, the ratio and the target). This script writes the header:
when, on what machine, with which package versions.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import write_section  # noqa: E402

BENCHMARKS = (
    "storage",
    "scheduler",
    "summary",
    "e2e",
    "startup",
    "round_trips",
    "weekly_push",
    "nudge_limits",
)
# How each benchmark runs in --quick mode (the older ones take --quick themselves).
QUICK_ARGS: dict[str, list[str]] = {
    "startup": ["--people", "10000", "--repeats", "1"],
    "round_trips": ["--seconds", "3", "--repeats", "1"],
    "weekly_push": ["--people", "100", "--repeats", "1"],
    "nudge_limits": ["--fan-out", "300:1", "--repeats", "1"],
}
PACKAGES = ("python-telegram-bot", "APScheduler", "tinydb", "matplotlib", "cryptography")


def header(quick: bool, seconds: dict[str, float]) -> str:
    versions = ", ".join(f"{name} {version(name)}" for name in PACKAGES)
    timings = ", ".join(f"{name} {took:.0f} s" for name, took in seconds.items())
    return "\n".join([
        f"Produced by `python bench/run.py{' --quick' if quick else ''}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        f"- Machine: {platform.machine()}, `nproc` = {os.cpu_count()}, {platform.platform()}",
        f"- Python {platform.python_version()}; {versions}",
        f"- Time per benchmark in this run: {timings}",
        "- Medians and ratios are measured side by side in the same run; the machine is shared and noisy,",
        "  so compare the ratios rather than absolute figures between runs.",
    ])  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="every benchmark in its quick mode (about 4 min)"
    )
    parser.add_argument("--only", choices=BENCHMARKS, action="append", help="run just these")
    args = parser.parse_args()
    seconds: dict[str, float] = {}
    failed = []
    for name in args.only or BENCHMARKS:
        started = time.monotonic()
        quick = QUICK_ARGS.get(name, ["--quick"]) if args.quick else []
        command = [sys.executable, str(ROOT / "bench" / f"{name}.py"), *quick]
        print(f"== {name}", flush=True)
        if subprocess.run(command, cwd=ROOT, check=False).returncode != 0:
            failed.append(name)
        seconds[name] = time.monotonic() - started
    write_section("header", header(args.quick, seconds), first=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
