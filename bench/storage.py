"""Benchmark: latency of appending one diary entry, ours vs stock TinyDB.

The scenario is a user with one year of history (~1,500 entries over 12 months) on a
disk that also holds 1k or 100k other users. Our `TinyDBRepository` should not care how
many users exist or how long the history is (it rewrites one month of one user); stock
TinyDB with its single-file `JSONStorage` re-parses and re-serialises everything on each
insert, which is the anchor we compare against in the same run.

    python bench/storage.py [--quick] [--dir PARENT] [--no-write]

Prints a markdown table and replaces the `storage` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from tinydb import TinyDB

from bot.domain.models import Entry, Profile
from bot.storage.base import SCHEMA_VERSION
from bot.storage.tinydb_store import TinyDBRepository

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
START_MARKER = "<!-- storage:start -->"
END_MARKER = "<!-- storage:end -->"
HEAVY_USER = 1
HISTORY_ENTRIES = 1_500
MONTHS = [date(2025, month, 1) for month in range(1, 13)]
TEXT_ALPHABET = "abcdefghijklmnopqrstuvwxyz     äöüß éèç жщя 日本語 😀 שלום ,.!?\n"
TARGET_P50_MS = 2.0
TARGET_P99_MS = 10.0
TARGET_RATIO = 1.2


@dataclass
class Sizes:
    user_counts: tuple[int, ...]
    ours_iterations: int
    anchor_iterations: int
    warmup: int


FULL = Sizes(user_counts=(1_000, 100_000), ours_iterations=300, anchor_iterations=20, warmup=5)
QUICK = Sizes(user_counts=(1_000, 100_000), ours_iterations=60, anchor_iterations=4, warmup=2)


def make_entry(rng: random.Random, index: int) -> Entry:
    """A realistic entry: a few hundred characters of mixed-script text, spread over the year."""
    month = MONTHS[index % 12]
    day = month.replace(day=1 + rng.randrange(28))
    text = "".join(rng.choices(TEXT_ALPHABET, k=rng.randint(80, 600)))
    created = datetime(day.year, day.month, day.day, 20, tzinfo=UTC) + timedelta(seconds=index)
    return Entry(
        kind=rng.choice(["checkin", "morning_pages", "boundary"]),
        local_date=day,
        data={"text": text, "mood": rng.randint(1, 5)},
        created_at=created,
    )


def profile_dict(user_id: int) -> dict[str, object]:
    return Profile(user_id=user_id, timezone="Europe/Berlin", onboarded=True).to_dict()


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def populate_other_users(data_dir: Path, user_count: int) -> None:
    """Profile files for users 2..N written directly (no fsync): only their presence matters."""
    for user_id in range(2, user_count + 1):
        directory = data_dir / "users" / f"{user_id % 1000:03d}" / str(user_id)
        directory.mkdir(parents=True, mode=0o700)
        document = {"schema": SCHEMA_VERSION, "table": "profile", "docs": {"1": profile_dict(user_id)}}
        (directory / "profile.json").write_text(
            json.dumps(document, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
        )


async def populate_ours(data_dir: Path, user_count: int) -> None:
    """The heavy user through the repository (real files), the others written directly."""
    rng = random.Random(1)
    repo = TinyDBRepository(data_dir)
    await repo.save_profile(Profile(user_id=HEAVY_USER, timezone="Europe/Berlin", onboarded=True))
    for index in range(HISTORY_ENTRIES):
        await repo.append_entry(HEAVY_USER, make_entry(rng, index))
    await repo.close()
    populate_other_users(data_dir, user_count)


async def bench_ours(data_dirs: dict[int, Path], sizes: Sizes) -> dict[int, tuple[list[float], float]]:
    """Append latency through the public async API (thread hop, lock, one month rewrite, fsyncs).

    The user counts are measured in alternating batches on the same populated disk, so
    drift (background writeback, other load on the machine) hits both alike and the
    ratio between them reflects the number of users only.
    """
    rng = random.Random(2)
    repos = {users: TinyDBRepository(path) for users, path in data_dirs.items()}
    cold: dict[int, float] = {}
    samples: dict[int, list[float]] = {users: [] for users in repos}
    for users, repo in repos.items():
        started = time.perf_counter()
        await repo.get_profile(HEAVY_USER)  # first touch parses the user's 13 files once
        cold[users] = time.perf_counter() - started
        for _ in range(sizes.warmup):
            await repo.append_entry(HEAVY_USER, make_entry(rng, 2 * HISTORY_ENTRIES))
    batch = 10
    for round_no in range(math.ceil(sizes.ours_iterations / batch)):
        order = list(repos) if round_no % 2 == 0 else list(reversed(repos))
        for users in order:
            for index in range(batch * round_no, min(batch * (round_no + 1), sizes.ours_iterations)):
                item = make_entry(rng, 10 * HISTORY_ENTRIES + index)
                started = time.perf_counter()
                await repos[users].append_entry(HEAVY_USER, item)
                samples[users].append(time.perf_counter() - started)
    for repo in repos.values():
        total = len(await repo.list_entries(HEAVY_USER))
        assert total == HISTORY_ENTRIES + sizes.warmup + sizes.ours_iterations
        await repo.close()
    return {users: (samples[users], cold[users]) for users in repos}


def bench_anchor(path: Path, user_count: int, sizes: Sizes) -> list[float]:
    """Stock TinyDB: one JSONStorage file with every user's profile and the heavy user's entries."""
    rng = random.Random(1)
    data = {
        "profiles": {str(user_id): profile_dict(user_id) for user_id in range(1, user_count + 1)},
        "entries": {str(i + 1): make_entry(rng, i).to_dict() for i in range(HISTORY_ENTRIES)},
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    del data
    os.sync()
    samples: list[float] = []
    with TinyDB(path) as database:
        table = database.table("entries")
        for index in range(sizes.warmup + sizes.anchor_iterations):
            record = make_entry(rng, 10 * HISTORY_ENTRIES + index).to_dict()
            started = time.perf_counter()
            table.insert(record)
            if index >= sizes.warmup:
                samples.append(time.perf_counter() - started)
    return samples


def filesystem_of(path: Path) -> str:
    """Filesystem type holding `path`, from /proc/mounts (best effort)."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return "unknown"
    best, kind = "", "unknown"
    resolved = str(path.resolve())
    for line in mounts:
        fields = line.split()
        if len(fields) >= 3 and resolved.startswith(fields[1]) and len(fields[1]) > len(best):
            best, kind = fields[1], fields[2]
    return kind


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms" if seconds < 1 else f"{seconds * 1000:.0f} ms"


def render(results: dict[int, dict[str, float]], sizes: Sizes, quick: bool, bench_dir: Path) -> str:
    low, high = sizes.user_counts
    lines = [
        "| Metric | Ours | Stock TinyDB (anchor) | Anchor / ours | Target | Result |",
        "|---|---:|---:|---:|---|---|",
    ]
    for users in sizes.user_counts:
        r = results[users]
        for name, limit in (("p50", TARGET_P50_MS), ("p99", TARGET_P99_MS)):
            ours, anchor = r[f"ours_{name}"], r[f"anchor_{name}"]
            verdict = "met" if ours * 1000 <= limit else "**missed**"
            lines.append(
                f"| append {name}, {users:,} users | {ms(ours)} | {ms(anchor)} | {anchor / ours:.0f}× "
                f"| ≤ {limit:g} ms | {verdict} |"
            )
    ours_ratio = results[high]["ours_p50"] / results[low]["ours_p50"]
    anchor_ratio = results[high]["anchor_p50"] / results[low]["anchor_p50"]
    verdict = "met" if ours_ratio <= TARGET_RATIO else "**missed**"
    lines.append(
        f"| p50 ratio {high:,} / {low:,} users | {ours_ratio:.2f} | {anchor_ratio:.2f} | – "
        f"| ≤ {TARGET_RATIO} | {verdict} |"
    )
    facts = [
        f"- Run: `python bench/storage.py{' --quick' if quick else ''}` on "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}, "
        f"tinydb {metadata.version('tinydb')}, filesystem {filesystem_of(bench_dir)}",
        f"- Heavy user: {HISTORY_ENTRIES:,} entries over 12 months "
        f"(~{HISTORY_ENTRIES // 12} per month file), "
        "entries of 80–600 mixed-script characters; the other users each have a profile file.",
        f"- Ours: {sizes.ours_iterations} timed appends per user count (after {sizes.warmup} warm-up; "
        "both populations on disk at once, measured in alternating batches of 10) through the async "
        "API (`asyncio.to_thread`, per-user lock, one month file rewritten, file + directory fsync), "
        f"spread over the 12 months so each month grows by ~{sizes.ours_iterations // 12}.",
        f"- Anchor: stock `TinyDB(path)` (`JSONStorage`, one file: every user's profile + the heavy "
        f"user's entries), {sizes.anchor_iterations} timed `insert`s called directly (no thread hop).",
        "- Cold first access of the heavy user (parses its 13 files once per process): "
        + ", ".join(f"{ms(results[u]['cold_load'])} with {u:,} users" for u in sizes.user_counts)
        + ".",
    ]
    return "\n".join(["## Storage: appending an entry", "", *facts, "", *lines])


def write_section(section: str) -> None:
    """Replace only our marked section of docs/benchmarks.md (creating the file if needed)."""
    block = f"{START_MARKER}\n{section}\n{END_MARKER}"
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    if START_MARKER in text and END_MARKER in text:
        before = text[: text.index(START_MARKER)]
        after = text[text.index(END_MARKER) + len(END_MARKER) :]
        text = before + block + after
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    tmp = DOCS.with_name(f".{DOCS.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, DOCS)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer iterations (same user counts)")
    parser.add_argument("--dir", type=Path, default=None, help="parent directory for the scratch data")
    parser.add_argument("--no-write", action="store_true", help="print only, leave docs/benchmarks.md alone")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL

    scratch = Path(tempfile.mkdtemp(prefix="storage-bench-", dir=args.dir))
    results: dict[int, dict[str, float]] = {}
    try:
        ours_dirs = {users: scratch / f"ours-{users}" for users in sizes.user_counts}
        for users, path in ours_dirs.items():
            print(f"ours: populating {users:,} users ...", flush=True)
            asyncio.run(populate_ours(path, users))
        os.sync()  # population was not fsynced; don't bill its writeback to the measured appends
        print("ours: timing appends ...", flush=True)
        ours = asyncio.run(bench_ours(ours_dirs, sizes))
        for path in ours_dirs.values():
            shutil.rmtree(path)
        for users in sizes.user_counts:
            print(f"stock TinyDB: {users:,} users ...", flush=True)
            anchor = bench_anchor(scratch / f"anchor-{users}.json", users, sizes)
            (scratch / f"anchor-{users}.json").unlink()
            samples, cold_load = ours[users]
            results[users] = {
                "ours_p50": statistics.median(samples),
                "ours_p99": percentile(samples, 0.99),
                "anchor_p50": statistics.median(anchor),
                "anchor_p99": percentile(anchor, 0.99),
                "cold_load": cold_load,
            }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    section = render(results, sizes, args.quick, scratch.parent)
    print()
    print(section)
    if not args.no_write:
        write_section(section)
        print(f"\nwrote {DOCS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
