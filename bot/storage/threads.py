"""The storage's own worker threads: every disk call of the store runs on one of them.

Why not asyncio's default pool (`asyncio.to_thread`, five or more threads on two cores): a save
holds the GIL for its Python part (the TinyDB update, encoding, sealing), so more threads than
cores only queue for the GIL and the CPU, and the event loop with them. Measured at 64 people
answering at once on 2 cores, interleaved runs (docs/benchmarks.md, storage-threads): two threads
gave a median 807 round trips/s against 747 with six. An fsync releases the GIL, so two threads
still overlap one person's disk wait with another's work.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

STORAGE_THREADS = 2

_T = TypeVar("_T")
_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(STORAGE_THREADS, thread_name_prefix="storage")
        return _pool


async def run(func: Callable[..., _T], *args: Any) -> _T:
    """`func(*args)` on a storage thread, awaited from the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_executor(), partial(func, *args))
