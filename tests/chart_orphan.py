"""Run by tests/test_charts_i18n.py: draw a chart in the chart process, print that process's id, then
die as a crash would (SIGKILL), leaving the chart process to notice on its own."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal

from bot import charts
from tests.test_charts_i18n import ENGLISH, NAMES, summary


async def main() -> None:
    await charts.render_elsewhere(summary(), ENGLISH, NAMES)
    print(" ".join(str(child.pid) for child in multiprocessing.active_children()), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    asyncio.run(main())
