"""An event-loop lag probe for benchmarks: how long the loop was ever blocked, and by what.

Enabled only when CHECKIN_BOT_LOOP_PROBE names a file. The probe sleeps 5 ms at a time and records
how late each wake-up was, together with the CPU time the loop's thread used meanwhile: a late
wake-up while the thread ran (busy) is a stall the bot caused; one while it did not run is the
operating system or another thread holding the CPU or the GIL. With CHECKIN_BOT_LOOP_PROBE_STACKS
set, a watchdog thread samples the loop thread's stack whenever the loop is late by more than
`SAMPLE_AFTER`, so a report names the code behind each stall (sampling favours lines that release
the GIL, such as system calls). The file is rewritten with the figures once a second.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
import traceback
from collections import Counter
from pathlib import Path

PROBE_ENV = "CHECKIN_BOT_LOOP_PROBE"
STACKS_ENV = "CHECKIN_BOT_LOOP_PROBE_STACKS"  # also sample stacks (a thread that costs some throughput)
INTERVAL = 0.005
SAMPLE_AFTER = 0.010
SAMPLE_EVERY = 0.002


class _Sampler(threading.Thread):
    """Samples the loop thread's innermost frames while the loop is late (diagnostics only)."""

    def __init__(self, loop_thread: int) -> None:
        super().__init__(name="loop-probe-sampler", daemon=True)
        self.loop_thread = loop_thread
        self.beat = time.monotonic()
        self.stacks: Counter[str] = Counter()

    def run(self) -> None:
        while True:
            time.sleep(SAMPLE_EVERY)
            if time.monotonic() - self.beat < SAMPLE_AFTER + INTERVAL:
                continue
            frame = sys._current_frames().get(self.loop_thread)
            if frame is None:
                continue
            innermost = reversed(traceback.extract_stack(frame)[-6:])
            self.stacks[" < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in innermost)] += 1


async def _probe(path: Path, stacks: bool) -> None:
    sampler = _Sampler(threading.get_ident())
    if stacks:
        sampler.start()
    worst = worst_busy = busy_at_worst = 0.0
    samples = 0
    last_report = time.monotonic()
    while True:
        started, cpu = time.monotonic(), time.thread_time()
        sampler.beat = started
        await asyncio.sleep(INTERVAL)
        lag = time.monotonic() - started - INTERVAL
        busy = time.thread_time() - cpu
        if lag > worst:
            worst, busy_at_worst = lag, busy
        worst_busy = max(worst_busy, min(lag, busy))
        samples += 1
        if time.monotonic() - last_report >= 1.0:
            report = json.dumps(
                {
                    "max_lag_ms": worst * 1000,
                    "busy_at_max_lag_ms": busy_at_worst * 1000,
                    "max_busy_lag_ms": worst_busy * 1000,
                    "samples": samples,
                    "late_stacks": sampler.stacks.most_common(12),
                }
            )
            await asyncio.to_thread(path.write_text, report)
            last_report = time.monotonic()


def start_loop_probe() -> asyncio.Task[None] | None:
    """Start the probe if CHECKIN_BOT_LOOP_PROBE is set (a path to write its figures to)."""
    target = os.environ.get(PROBE_ENV)
    if not target:
        return None
    return asyncio.create_task(_probe(Path(target), bool(os.environ.get(STACKS_ENV))), name="loop-probe")
