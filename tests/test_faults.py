"""Faults in-process: a full or read-only disk while saving tells the person, keeps what was
there, and the bot keeps serving everyone else."""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.storage import files as storage_files
from bot.storage.tinydb_store import TinyDBRepository
from tests.conftest import Clock, Harness, send


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
async def test_full_or_read_only_disk_while_saving(
    clock: Clock,
    disk_repo_factory: Callable[[], TinyDBRepository],
    monkeypatch: pytest.MonkeyPatch,
    code: int,
) -> None:
    async with Harness(disk_repo_factory(), clock) as h:
        unlucky, other = h.user(11), h.user(12, "Oz")
        await send(h, unlucky, "/checkin")
        await send(h, unlucky, "joy")
        await unlucky.wait_for(lambda m: "Which word fits best?" in m.content)
        user_dir = h.repo.inner.user_dir(unlucky.id)  # type: ignore[attr-defined]
        before = {p.name: p.read_bytes() for p in user_dir.iterdir() if p.is_file()}
        real_write = storage_files.atomic_write

        def failing(directory: Path, filename: str, payload: bytes) -> None:
            if directory == user_dir:
                raise OSError(code, "simulated disk fault")
            real_write(directory, filename, payload)

        monkeypatch.setattr(storage_files, "atomic_write", failing)
        await send(h, unlucky, "glad")
        failure = await unlucky.wait_for(lambda m: "couldn't save" in m.content)
        assert "nothing was changed" in failure.content
        assert {p.name: p.read_bytes() for p in user_dir.iterdir() if p.is_file()} == before
        # everyone else is served as usual
        await send(h, other, "/checkin")
        await send(h, other, "calm")
        await other.wait_for(lambda m: "Which word fits best?" in m.content)
        # and once the disk recovers, the same person goes on from where the draft was
        monkeypatch.setattr(storage_files, "atomic_write", real_write)
        await send(h, unlucky, "glad")
        await unlucky.wait_for(lambda m: "How strong is it?" in m.content)
        draft = await h.repo.get_draft(unlucky.id)
        assert draft is not None and draft["answers"] == {"family": "joy", "feeling": "glad"}
