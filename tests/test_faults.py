"""Faults in-process: a full or read-only disk while saving tells the person, keeps what was
there, and the bot keeps serving everyone else; how failures are logged."""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.handlers.basic import on_error
from bot.handlers.common import Context
from bot.localapi.offline import make_callback_update
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
        real_write, real_append = storage_files.atomic_write, storage_files.append_durably

        def failing(directory: Path, filename: str, payload: bytes) -> None:
            if directory == user_dir:
                raise OSError(code, "simulated disk fault")
            real_write(directory, filename, payload)

        def failing_append(path: Path, payload: bytes) -> None:
            if path.parent == user_dir:
                with open(path, "ab") as handle:
                    handle.write(payload[: len(payload) // 2])  # the disk filled up halfway
                raise OSError(code, "simulated disk fault")
            real_append(path, payload)

        monkeypatch.setattr(storage_files, "atomic_write", failing)
        monkeypatch.setattr(storage_files, "append_durably", failing_append)
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
        monkeypatch.setattr(storage_files, "append_durably", real_append)
        await send(h, unlucky, "glad")
        await unlucky.wait_for(lambda m: "How strong is it?" in m.content)
        draft = await h.repo.get_draft(unlucky.id)
        assert draft is not None and draft["answers"] == {"family": "joy", "feeling": "glad"}


def raised(error: Exception) -> Exception:
    """``error`` with a traceback, as the error handler receives it."""
    try:
        raise error
    except Exception as exc:
        return exc


# Built inside the test: without the PTB_TIMEDELTA fixture, PTB warns on creating a RetryAfter.
POLLING_FAILURES: dict[str, Callable[[], Exception]] = {
    "NetworkError": lambda: NetworkError("Bad Gateway"),
    "TimedOut": TimedOut,
    "RetryAfter": lambda: RetryAfter(timedelta(seconds=3)),
}


@pytest.mark.parametrize("kind", POLLING_FAILURES)
async def test_a_failed_poll_is_one_warning_line(caplog: pytest.LogCaptureFixture, kind: str) -> None:
    caplog.set_level(logging.DEBUG)
    await on_error(None, cast(Context, SimpleNamespace(error=raised(POLLING_FAILURES[kind]()), job=None)))
    (record,) = caplog.records
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert record.getMessage() == f"Polling Telegram for updates failed ({kind}); retrying"


async def test_a_reply_that_cannot_reach_telegram_is_one_warning_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    update = make_callback_update(1001, "x")
    await on_error(
        update, cast(Context, SimpleNamespace(error=raised(NetworkError("Bad Gateway")), job=None))
    )
    (record,) = caplog.records
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert record.getMessage() == f"Update {update.update_id}: Telegram could not be reached (NetworkError)"


@pytest.mark.parametrize(
    ("error", "job"),
    [(ValueError("a bug"), None), (BadRequest("wrong call"), None), (NetworkError("Bad Gateway"), "nudge")],
    ids=["bug", "bad-request", "network-in-a-job"],
)
async def test_anything_else_without_an_update_is_an_error_with_its_stack(
    caplog: pytest.LogCaptureFixture, error: Exception, job: str | None
) -> None:
    caplog.set_level(logging.DEBUG)
    await on_error(None, cast(Context, SimpleNamespace(error=raised(error), job=job)))
    (record,) = caplog.records
    assert record.levelno == logging.ERROR
    assert "test_faults.py" in record.getMessage()  # the stack, for whoever fixes it
    assert str(error) not in record.getMessage()  # never the message: it may quote the user
