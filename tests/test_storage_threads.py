"""The store's disk work runs on its own few threads, never on asyncio's default pool."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from bot.storage import files as storage_files
from bot.storage import threads
from bot.storage.tinydb_store import TinyDBRepository


async def test_disk_work_runs_on_at_most_the_storage_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = TinyDBRepository(tmp_path)
    names: set[str] = set()
    running = peak = 0
    guard = threading.Lock()
    real = storage_files.atomic_write

    def watched(directory: Path, filename: str, payload: bytes) -> None:
        nonlocal running, peak
        with guard:
            running += 1
            peak = max(peak, running)
            names.add(threading.current_thread().name)
        time.sleep(0.02)  # a slow disk: every thread that can is busy at once
        real(directory, filename, payload)
        with guard:
            running -= 1

    monkeypatch.setattr(storage_files, "atomic_write", watched)
    await asyncio.gather(*(repo.save_draft(user_id, {"step": 1}) for user_id in range(1, 13)))
    assert peak == threads.STORAGE_THREADS
    assert names and all(name.startswith("storage") for name in names)
    assert sorted(await repo.users_with_drafts()) == list(range(1, 13))
