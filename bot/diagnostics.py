"""An event-loop lag probe for benchmarks: how long the loop was ever blocked.

Enabled only when CHECKIN_BOT_LOOP_PROBE names a file; the probe sleeps 5 ms at a time,
records how late each wake-up was, and rewrites the file with the maximum once a second.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

PROBE_ENV = "CHECKIN_BOT_LOOP_PROBE"
INTERVAL = 0.005


async def _probe(path: Path) -> None:
    worst = 0.0
    samples = 0
    last_report = time.monotonic()
    while True:
        started = time.monotonic()
        await asyncio.sleep(INTERVAL)
        lag = time.monotonic() - started - INTERVAL
        worst = max(worst, lag)
        samples += 1
        if time.monotonic() - last_report >= 1.0:
            report = json.dumps({"max_lag_ms": worst * 1000, "samples": samples})
            await asyncio.to_thread(path.write_text, report)
            last_report = time.monotonic()


def start_loop_probe() -> asyncio.Task[None] | None:
    """Start the probe if CHECKIN_BOT_LOOP_PROBE is set (a path to write its figures to)."""
    target = os.environ.get(PROBE_ENV)
    if not target:
        return None
    return asyncio.create_task(_probe(Path(target)), name="loop-probe")
