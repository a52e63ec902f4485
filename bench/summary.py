"""Benchmark: the weekly recap over a year of daily entries, and the chart render.

Run: python bench/summary.py [--quick]. Prints a table and rewrites the summary section of
docs/benchmarks.md. Targets: compute ≤ 20 ms, chart ≤ 300 ms (medians).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

from bench.report import write_section  # noqa: E402
from bot.charts import ChartLabels, render_week  # noqa: E402
from bot.domain.flows import FEELINGS  # noqa: E402
from bot.domain.models import Entry  # noqa: E402
from bot.domain.summary import Period, period_bounds, summarise  # noqa: E402
from bot.handlers.recap import feeling_names, recap_lines  # noqa: E402

TODAY = date(2026, 11, 28)
WORDS = [w for words in FEELINGS.values() for w in words]


def year_of_entries() -> list[Entry]:
    """A year of a committed user: a diary every day, pages most days, the rest now and then."""
    entries = []
    for n in range(365):
        day = TODAY - timedelta(days=n)
        created = datetime(day.year, day.month, day.day, 20, tzinfo=UTC)
        data = {
            "family": "fear",
            "feeling": WORDS[n % len(WORDS)],
            "intensity": 1 + n % 5,
            "happened": "x" * 200,
        }
        data.update({"whose": ("mine", "partner", "both")[n % 3], "expressed": ("yes", "no")[n % 2]})
        entries.append(Entry(kind="diary", local_date=day, created_at=created, data=data))
        if n % 7 < 5:
            entries.append(Entry(kind="pages", local_date=day, data={"text": "w " * 700, "text_words": 700}))
        if n % 14 == 0:
            entries.append(
                Entry(kind="interest_time", local_date=day, data={"interest": "piano", "minutes": 45})
            )
        if n % 30 == 0:
            entries.append(
                Entry(kind="selfexam", local_date=day, data={"q1_rating": 3, "q2_rating": 2, "q3_rating": 4})
            )
    return sorted(entries, key=lambda e: (e.local_date, e.created_at))


def median_ms(runs: int, action: object) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1 if len(samples) >= 100 else -1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    runs = 20 if args.quick else 200
    history = year_of_entries()
    start, end = period_bounds(Period.WEEK, TODAY)
    summary = summarise(history, start, end, TODAY)
    labels = ChartLabels("Your week", "Intensity (1–5)", "Feelings this period", "–", tuple("MTWTFSS"))
    names = feeling_names("en")
    render_week(summary, labels, names)  # warm up fonts and caches

    compute = median_ms(runs, lambda: summarise(history, start, end, TODAY))
    text = median_ms(runs, lambda: recap_lines(summarise(history, start, end, TODAY), Period.WEEK, "en"))
    chart = median_ms(max(10, runs // 10), lambda: render_week(summary, labels, names))
    rows = [
        (f"recap computation, 1 year of entries ({len(history)})", compute, 20.0),
        ("recap computation + text lines", text, 20.0),
        ("chart render (PNG, Agg)", chart, 300.0),
    ]
    lines = [
        "## Weekly recap",
        "",
        f"- Run: `python bench/summary.py{' --quick' if args.quick else ''}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"matplotlib {matplotlib.__version__}",
        "",
        "| Measure | Median | p99 (max below 100 runs) | Target | Result |",
        "|---|---:|---:|---|---|",
    ]
    for name, (median, p99), target in rows:
        verdict = "met" if median <= target else "missed"
        lines.append(f"| {name} | {median:.2f} ms | {p99:.2f} ms | ≤ {target:.0f} ms | {verdict} |")
    print("\n".join(lines))
    write_section("summary", "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
