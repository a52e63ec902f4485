"""The draft's append-only journal: torn tails, damage, compaction, the cost of a save, old files."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.storage import StorageError, journal, maintenance
from bot.storage import files as storage_files
from bot.storage.crypto import Cipher, is_sealed, new_key
from bot.storage.files import CorruptFileError
from bot.storage.maintenance import restore, snapshot
from bot.storage.table_storage import COMPACT_FACTOR, COMPACT_FLOOR
from bot.storage.tinydb_store import TinyDBRepository

USER = 77
SECRET = "what-only-i-wrote"


def journal_of(*payloads: bytes) -> bytes:
    return journal.HEADER + b"".join(journal.frame(payload) for payload in payloads)


@given(st.lists(st.binary(max_size=40), min_size=1, max_size=6), st.data())
def test_a_cut_anywhere_leaves_the_last_whole_record(payloads: list[bytes], data: st.DataObject) -> None:
    raw = journal_of(*payloads)
    cut = data.draw(st.integers(0, len(raw)))
    ends = [len(journal_of(*payloads[: n + 1])) for n in range(len(payloads))]
    whole = [n for n, end in enumerate(ends) if end <= cut]
    found, end = journal.latest(raw[:cut])
    assert found == (payloads[whole[-1]] if whole else None)
    assert end == (ends[whole[-1]] if whole else 0)


def test_damage_before_the_end_is_not_taken_for_a_cut() -> None:
    raw = bytearray(journal_of(b"first answer", b"second answer"))
    raw[len(journal.HEADER) + 9] ^= 0xFF  # inside the first record's payload
    with pytest.raises(CorruptFileError):
        journal.latest(bytes(raw))
    with pytest.raises(CorruptFileError):
        journal.latest(b'{"schema": 1}')
    assert journal.latest(journal.HEADER[:5]) == (None, 0)
    last = bytearray(journal_of(b"first answer", b"second answer"))
    last[-1] ^= 0xFF  # the last record: an append that never finished
    assert journal.latest(bytes(last)) == (b"first answer", len(journal_of(b"first answer")))


def test_current_and_rewrap_are_inverse_and_leave_other_files_alone() -> None:
    assert journal.current("draft.log", journal.rewrap("draft.log", b"x")) == b"x"
    assert journal.current("profile.json", b"x") == journal.rewrap("profile.json", b"x") == b"x"


def draft_path(repo: TinyDBRepository) -> Path:
    return repo.user_dir(USER) / "draft.log"


async def test_a_torn_append_gives_the_previous_draft_and_is_cut_off(tmp_path: Path) -> None:
    repo = TinyDBRepository(tmp_path)
    await repo.save_draft(USER, {"step": 1})
    await repo.save_draft(USER, {"step": 2})
    whole = draft_path(repo).read_bytes()
    cut = journal.frame(b'{"step": 3, "answers": "half')[:20]  # killed mid-append
    draft_path(repo).write_bytes(whole + cut)
    fresh = TinyDBRepository(tmp_path)
    assert await fresh.get_draft(USER) == {"step": 2}
    assert draft_path(fresh).read_bytes() == whole
    assert await fresh.take_damage_report(USER) == []
    await fresh.save_draft(USER, {"step": 3})
    assert await TinyDBRepository(tmp_path).get_draft(USER) == {"step": 3}


async def test_a_journal_cut_in_its_first_record_holds_no_draft(tmp_path: Path) -> None:
    repo = TinyDBRepository(tmp_path)
    await repo.save_draft(USER, {"step": 1})
    draft_path(repo).write_bytes(journal_of(b"{}")[:-1])
    fresh = TinyDBRepository(tmp_path)
    assert await fresh.get_draft(USER) is None
    assert not draft_path(fresh).exists()
    assert await fresh.take_damage_report(USER) == []
    assert await fresh.users_with_drafts() == []


async def test_a_damaged_journal_is_set_aside_whole(tmp_path: Path) -> None:
    repo = TinyDBRepository(tmp_path)
    await repo.save_draft(USER, {"step": 1})
    await repo.save_draft(USER, {"step": 2})
    raw = bytearray(draft_path(repo).read_bytes())
    raw[len(journal.HEADER) + 12] ^= 0xFF
    draft_path(repo).write_bytes(bytes(raw))
    fresh = TinyDBRepository(tmp_path)
    assert await fresh.get_draft(USER) is None
    assert await fresh.take_damage_report(USER) == ["draft.log"]
    assert [p.read_bytes() for p in (repo.user_dir(USER) / "quarantine").iterdir()] == [bytes(raw)]
    assert maintenance.check_files(tmp_path, None) == []  # set aside: known damage, not reported again


async def test_saving_an_open_draft_is_one_append_and_one_fsync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = TinyDBRepository(tmp_path)
    await repo.save_draft(USER, {"step": 1})
    calls: list[str] = []
    for name in ("fsync", "replace", "rename", "unlink"):
        real = getattr(os, name)

        def recording(*args: Any, name: str = name, real: Any = real) -> Any:
            calls.append(name)
            return real(*args)

        monkeypatch.setattr(os, name, recording)
    size = draft_path(repo).stat().st_size
    await repo.save_draft(USER, {"step": 2, "text": SECRET})
    assert calls == ["fsync"]  # the file's: no new name, so no directory fsync
    assert draft_path(repo).stat().st_size > size


async def test_a_growing_journal_is_compacted_and_old_versions_go(tmp_path: Path) -> None:
    repo = TinyDBRepository(tmp_path)
    await repo.save_draft(USER, {"text": SECRET})
    sizes = []
    for n in range(200):
        await repo.save_draft(USER, {"text": f"answer {n} " + "x" * 500})
        sizes.append(draft_path(repo).stat().st_size)
    record = len(journal.frame(b"x" * 600))
    assert max(sizes) <= max(COMPACT_FLOOR, COMPACT_FACTOR * record) + len(journal.HEADER)
    assert min(sizes[100:]) < max(sizes[100:])  # it was rewritten, more than once
    assert SECRET.encode() not in draft_path(repo).read_bytes()
    assert (await TinyDBRepository(tmp_path).get_draft(USER) or {})["text"].startswith("answer 199 ")


async def test_a_draft_json_from_before_journals_is_read_then_replaced(tmp_path: Path) -> None:
    repo = TinyDBRepository(tmp_path)
    await repo.save_draft(USER, {"step": 1})
    payload = journal.current("draft.log", draft_path(repo).read_bytes())
    assert payload is not None
    legacy = repo.user_dir(USER) / "draft.json"
    legacy.write_bytes(payload)  # what an older version left: the same document, whole
    draft_path(repo).unlink()
    older = TinyDBRepository(tmp_path)
    assert await older.get_draft(USER) == {"step": 1}
    await older.save_draft(USER, {"step": 2})
    assert not legacy.exists() and draft_path(older).exists()
    assert await TinyDBRepository(tmp_path).get_draft(USER) == {"step": 2}
    legacy.write_bytes(payload)  # both: the journal is the newer one
    both = TinyDBRepository(tmp_path)
    assert await both.get_draft(USER) == {"step": 2}
    assert not legacy.exists()
    await both.clear_draft(USER)
    older_only = TinyDBRepository(tmp_path)
    legacy.write_bytes(payload)
    assert await older_only.get_draft(USER) == {"step": 1}
    await older_only.clear_draft(USER)
    assert not legacy.exists() and not draft_path(older_only).exists()


async def test_encryption_migration_rotation_and_backup_see_through_the_journal(tmp_path: Path) -> None:
    data = tmp_path / "data"
    plain = TinyDBRepository(data)
    plain.prepare()
    await plain.save_draft(USER, {"text": SECRET})
    await plain.save_draft(USER, {"text": SECRET + " again"})
    first = Cipher.from_text(new_key())
    assert TinyDBRepository(data, cipher=first).encrypt_existing() >= 1
    raw = draft_path(plain).read_bytes()
    assert SECRET.encode() not in raw and is_sealed(journal.current("draft.log", raw) or b"")
    sealed = TinyDBRepository(data, cipher=first)
    sealed.prepare()
    assert await sealed.get_draft(USER) == {"text": SECRET + " again"}
    await sealed.save_draft(USER, {"text": "third"})  # appended, sealed record by record
    assert maintenance.key_problem(data, first) is None
    assert maintenance.check_files(data, first) == []

    second = Cipher.from_text(new_key())
    assert maintenance.rotate_key(data, first, second) >= 1
    assert maintenance.check_files(data, second) == []
    assert len(maintenance.check_files(data, first)) > 0
    rotated = TinyDBRepository(data, cipher=second)
    rotated.prepare()
    assert await rotated.get_draft(USER) == {"text": "third"}

    archive = tmp_path / "backup.tar.gz"
    snapshot(data, archive)
    restore(archive, tmp_path / "restored", second)
    back = TinyDBRepository(tmp_path / "restored", cipher=second)
    back.prepare()
    assert await back.users_with_drafts() == [USER]  # the marker was rebuilt from the journal
    assert await back.get_draft(USER) == {"text": "third"}


async def test_a_failed_append_changes_nothing_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = TinyDBRepository(tmp_path)
    await repo.save_draft(USER, {"step": 1})
    before = draft_path(repo).read_bytes()

    def half_then_full(path: Path, payload: bytes) -> None:
        with open(path, "ab") as handle:
            handle.write(payload[: len(payload) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage_files, "append_durably", half_then_full)
    with pytest.raises(StorageError, match="No space"):
        await repo.save_draft(USER, {"step": 2})
    assert draft_path(repo).read_bytes() == before
    monkeypatch.undo()
    assert await repo.get_draft(USER) == {"step": 1}
    await repo.save_draft(USER, {"step": 3})
    assert json.loads(journal.current("draft.log", draft_path(repo).read_bytes()) or b"")["docs"]["1"] == {
        "draft": {"step": 3}
    }
