"""Invites on disk: redeeming a code that is unknown, used up or expired writes nothing at all,
so strangers cannot make the bot rewrite (and fsync) the invites file."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage.crypto import Cipher, new_key
from bot.storage.tinydb_store import TinyDBRepository

T0 = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


def fingerprint(path: Path) -> tuple[bytes, int, int]:
    """Bytes, inode and modification time: any rewrite (even of equal bytes) changes one."""
    info = path.stat()
    return path.read_bytes(), info.st_ino, info.st_mtime_ns


@pytest.fixture
def disk_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the writing system calls made while the test runs (fsync, replace, open for writing)."""
    calls: list[str] = []
    real_fsync, real_replace, real_open = os.fsync, os.replace, os.open

    def fsync(fd: int) -> None:
        calls.append("fsync")
        real_fsync(fd)

    def replace(src: str | Path, dst: str | Path) -> None:
        calls.append("replace")
        real_replace(src, dst)

    def open_(path: str | Path, flags: int, *args: int, **kwargs: int) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            calls.append("open for writing")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "open", open_)
    return calls


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_bad_codes_cause_no_write(tmp_path: Path, disk_calls: list[str], encrypted: bool) -> None:
    repo = TinyDBRepository(tmp_path, cipher=Cipher.from_text(new_key()) if encrypted else None)
    repo.prepare()
    await repo.create_invite("good", T0 + timedelta(days=7))
    await repo.create_invite("old", T0 + timedelta(days=1))
    await repo.create_invite("once", T0 + timedelta(days=7))
    assert await repo.redeem_invite("once", T0) is True
    invites = tmp_path / "invites.json"
    before = fingerprint(invites)
    disk_calls.clear()
    later = T0 + timedelta(days=2)
    for code in ("junk", "", "x" * 10_000, "old", "once", "GOOD"):
        assert await repo.redeem_invite(code, later) is False
    assert disk_calls == []
    assert fingerprint(invites) == before
    # the good code still works, and its use is what finally drops the expired one
    assert await repo.redeem_invite("good", later) is True
    assert disk_calls.count("replace") == 1
    assert await repo.redeem_invite("good", later) is False
    assert b"old" not in invites.read_bytes() or encrypted


async def test_bad_code_without_an_invites_file_creates_nothing(
    tmp_path: Path, disk_calls: list[str]
) -> None:
    repo = TinyDBRepository(tmp_path)
    repo.prepare()
    disk_calls.clear()
    assert await repo.redeem_invite("junk", T0) is False
    assert disk_calls == []
    assert not (tmp_path / "invites.json").exists()


async def test_bad_code_leaves_an_unreadable_invites_file_alone(
    tmp_path: Path, disk_calls: list[str]
) -> None:
    repo = TinyDBRepository(tmp_path)
    repo.prepare()
    invites = tmp_path / "invites.json"
    invites.write_bytes(b"{not json")
    before = fingerprint(invites)
    disk_calls.clear()
    assert await repo.redeem_invite("junk", T0) is False
    assert disk_calls == []
    assert fingerprint(invites) == before
