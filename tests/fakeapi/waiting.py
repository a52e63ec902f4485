"""Waiting for something another thread or process does: poll a condition, fail with a message."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

DEFAULT_TIMEOUT = 10.0
POLL_INTERVAL = 0.02


async def wait_until(
    condition: Callable[[], bool],
    what: str,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - an explicit timeout is the point
    *,
    details: Callable[[], str] = str,
) -> None:
    """Return as soon as ``condition()`` holds; ``AssertionError`` naming ``what`` after ``timeout``
    seconds (with ``details()`` appended, e.g. a log). ``condition`` may raise to fail early."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting until {what}\n{details()}")
        await asyncio.sleep(POLL_INTERVAL)
