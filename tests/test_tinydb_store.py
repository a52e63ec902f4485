"""What only the on-disk back-end promises: layout, modes, caching, corruption and write failures."""

from __future__ import annotations

import asyncio
import builtins
import errno
import json
import logging
import operator
import os
import re
import stat
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.domain.models import Entry, Profile
from bot.storage import SCHEMA_VERSION, StorageError, journal, threads
from bot.storage.crypto import Cipher, is_sealed, new_key
from bot.storage.table_format import FrozenDoc
from bot.storage.table_storage import PartitionedAtomicStorage
from bot.storage.tinydb_store import TinyDBRepository

T0 = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
USER = 42
SECRET = "my secret diary text"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
async def repo(data_dir: Path) -> AsyncIterator[TinyDBRepository]:
    repository = TinyDBRepository(data_dir)
    yield repository
    await repository.close()


def entry(day: date, text: str = SECRET, kind: str = "checkin") -> Entry:
    return Entry(kind=kind, local_date=day, data={"text": text}, created_at=T0)


async def populate(repo: TinyDBRepository, user_id: int = USER) -> list[Entry]:
    """A profile and two entries in each of Jan, Feb and Mar 2024."""
    await repo.save_profile(Profile(user_id=user_id, timezone="Europe/Berlin", created_at=T0))
    written = [
        entry(date(2024, month, day), f"{SECRET} {month}/{day}") for month in (1, 2, 3) for day in (1, 15)
    ]
    for item in written:
        await repo.append_entry(user_id, item)
    return written


def snapshot(directory: Path) -> dict[str, bytes]:
    """Relative path -> bytes of every file below `directory`."""
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()
    }


def walk(directory: Path) -> Iterator[Path]:
    yield directory
    yield from directory.rglob("*")


@pytest.fixture(params=[0o000, 0o277], ids=["umask-000", "umask-277"])
def odd_umask(request: pytest.FixtureRequest) -> Iterator[None]:
    """Permissive and over-strict umasks, to prove modes are set explicitly, not inherited."""
    old = os.umask(request.param)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("odd_umask")
async def test_files_are_0600_and_directories_0700(repo: TinyDBRepository, data_dir: Path) -> None:
    await populate(repo)
    await repo.save_draft(USER, {"answers": {"text": SECRET}})  # draft.log and its marker
    (repo.user_dir(USER) / "entries-2024-01.json").write_bytes(b"garbage")
    await TinyDBRepository(data_dir).take_damage_report(USER)  # creates quarantine/
    paths = list(walk(data_dir))
    names = {p.name for p in paths}
    assert {"quarantine", "draft.log", "drafts", str(USER), "profiles-index.json", "index-pending"} <= names
    for path in paths:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if path.is_dir():
            assert mode == 0o700, path
        else:
            assert mode == 0o600, path


async def test_layout_one_file_per_table(repo: TinyDBRepository, data_dir: Path) -> None:
    await populate(repo, user_id=12345)
    user_dir = data_dir / "users" / "345" / "12345"
    assert repo.user_dir(12345) == user_dir
    assert sorted(p.name for p in user_dir.iterdir()) == [
        "entries-2024-01.json",
        "entries-2024-02.json",
        "entries-2024-03.json",
        "profile.json",
    ]


async def test_every_file_is_compact_json_with_schema(repo: TinyDBRepository) -> None:
    await populate(repo)
    await repo.append_entry(USER, entry(date(2024, 1, 20), "ünïcødé ✓"))
    files = list(repo.user_dir(USER).iterdir())
    for path in files:
        raw = path.read_bytes()
        document = json.loads(raw.decode("utf-8"))
        assert document["schema"] == SCHEMA_VERSION
        assert document["table"] == path.stem
        assert isinstance(document["docs"], dict) and document["docs"]
        assert raw == json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    assert "ünïcødé ✓".encode() in (repo.user_dir(USER) / "entries-2024-01.json").read_bytes()


async def test_data_survives_a_new_instance(repo: TinyDBRepository, data_dir: Path) -> None:
    written = await populate(repo)
    profile = await repo.get_profile(USER)
    await repo.close()

    again = TinyDBRepository(data_dir)
    assert await again.get_profile(USER) == profile
    assert await again.list_entries(USER) == written
    assert await again.take_damage_report(USER) == []


async def test_files_are_parsed_once(
    repo: TinyDBRepository, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await populate(repo)
    await repo.close()
    opened: list[str] = []
    real_open = builtins.open

    def counting_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, str | os.PathLike) and str(file).endswith(".json"):
            opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    fresh = TinyDBRepository(data_dir)
    assert len(await fresh.list_entries(USER)) == 6
    assert len(opened) == 4  # profile + three months, once each

    opened.clear()
    for _ in range(3):
        await fresh.get_profile(USER)
        await fresh.list_entries(USER, start=date(2024, 2, 1))
        await fresh.append_entry(USER, entry(date(2024, 2, 3)))
        await fresh.save_profile(Profile(user_id=USER, created_at=T0))
        await fresh.export_user(USER)
    assert opened == []


@pytest.mark.parametrize("reopen", [False, True], ids=["warm", "reloaded"])
async def test_appending_rewrites_only_its_month(
    repo: TinyDBRepository, data_dir: Path, monkeypatch: pytest.MonkeyPatch, reopen: bool
) -> None:
    await populate(repo)
    if reopen:
        await repo.close()
        repo = TinyDBRepository(data_dir)
        await repo.get_profile(USER)
    user_dir = repo.user_dir(USER)
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes()) for p in user_dir.iterdir()}
    replaced: list[str] = []
    real_replace = os.replace

    def recording_replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        replaced.append(Path(dst).name)
        real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", recording_replace)
    await repo.append_entry(USER, entry(date(2024, 2, 20)))

    assert replaced == ["entries-2024-02.json"]
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes()) for p in user_dir.iterdir()}
    assert after.keys() == before.keys()
    for name in before:
        if name == "entries-2024-02.json":
            assert after[name] != before[name]
        else:
            assert after[name] == before[name], name

    replaced.clear()
    await repo.append_entry(USER, entry(date(2025, 1, 1)))
    assert replaced == ["entries-2025-01.json"]


def _valid_month_bytes(repo: TinyDBRepository) -> bytes:
    return (repo.user_dir(USER) / "entries-2024-01.json").read_bytes()


CORRUPTIONS: dict[str, Callable[[bytes], bytes]] = {
    "garbage bytes": lambda valid: b"\xff\xfe\x00\x13garbage\x80" * 10,
    "truncated json": lambda valid: valid[: len(valid) // 2],
    "empty file": lambda valid: b"",
    "not an object": lambda valid: b"[1, 2, 3]",
    "docs not an object": lambda valid: json.dumps(
        {"schema": SCHEMA_VERSION, "table": "entries-2024-01", "docs": []}
    ).encode(),
    "missing schema": lambda valid: json.dumps({"table": "entries-2024-01", "docs": {}}).encode(),
    "future schema": lambda valid: json.dumps(
        {**json.loads(valid), "schema": SCHEMA_VERSION + 1, "new_field": True}
    ).encode(),
    "wrong table name": lambda valid: json.dumps({**json.loads(valid), "table": "entries-1999-01"}).encode(),
    "document lacks fields": lambda valid: json.dumps(
        {"schema": SCHEMA_VERSION, "table": "entries-2024-01", "docs": {"1": {"kind": "checkin"}}}
    ).encode(),
}


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
async def test_corrupt_month_is_quarantined_and_reported_once(
    repo: TinyDBRepository,
    data_dir: Path,
    corruption: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    written = await populate(repo)
    other_written = await populate(repo, user_id=USER + 1)
    await repo.close()
    user_dir = repo.user_dir(USER)
    bad = CORRUPTIONS[corruption](_valid_month_bytes(repo))
    (user_dir / "entries-2024-01.json").write_bytes(bad)

    fresh = TinyDBRepository(data_dir)
    with caplog.at_level(logging.WARNING, logger="bot.storage"):
        remaining = await fresh.list_entries(USER)

    # The damaged month is gone from view, the other months and the profile are intact.
    assert remaining == [e for e in written if e.local_date.month != 1]
    assert await fresh.get_profile(USER) is not None
    assert not (user_dir / "entries-2024-01.json").exists()

    # Moved aside byte for byte, with a UTC timestamp.
    moved = list((user_dir / "quarantine").iterdir())
    assert len(moved) == 1
    assert re.fullmatch(r"entries-2024-01\.json\.\d{8}T\d{6}Z", moved[0].name)
    assert moved[0].read_bytes() == bad

    # One warning naming the moved path, and never the content.
    warnings = [r for r in caplog.records if r.name == "bot.storage" and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert str(moved[0]) in warnings[0].getMessage()
    assert SECRET not in caplog.text

    assert await fresh.take_damage_report(USER) == ["entries-2024-01.json"]
    assert await fresh.take_damage_report(USER) == []

    # Other users are unaffected.
    assert await fresh.list_entries(USER + 1) == other_written
    assert await fresh.take_damage_report(USER + 1) == []

    # Writing the damaged month again starts a new file and leaves the quarantined one alone.
    new = entry(date(2024, 1, 5))
    await fresh.append_entry(USER, new)
    assert new in await fresh.list_entries(USER, start=date(2024, 1, 1), end=date(2024, 1, 31))
    assert moved[0].read_bytes() == bad
    await fresh.close()

    # Nothing is reported again after a restart.
    assert await TinyDBRepository(data_dir).take_damage_report(USER) == []


async def test_damage_is_detected_by_the_report_itself(repo: TinyDBRepository, data_dir: Path) -> None:
    await populate(repo)
    (repo.user_dir(USER) / "profile.json").write_bytes(b"{not json")
    fresh = TinyDBRepository(data_dir)
    assert await fresh.take_damage_report(USER) == ["profile.json"]
    assert await fresh.get_profile(USER) is None
    assert len(await fresh.list_entries(USER)) == 6


async def test_two_quarantines_in_the_same_second_do_not_collide(
    repo: TinyDBRepository, data_dir: Path
) -> None:
    await populate(repo)
    for _ in range(2):
        (repo.user_dir(USER) / "profile.json").write_bytes(b"{not json")
        assert await TinyDBRepository(data_dir).take_damage_report(USER) == ["profile.json"]
    assert len(list((repo.user_dir(USER) / "quarantine").iterdir())) == 2


@pytest.mark.parametrize("failing", ["fsync", "replace"])
@pytest.mark.parametrize("operation", ["append_entry", "save_profile"])
async def test_failed_write_raises_and_changes_nothing(
    repo: TinyDBRepository, data_dir: Path, monkeypatch: pytest.MonkeyPatch, failing: str, operation: str
) -> None:
    written = await populate(repo)
    profile = await repo.get_profile(USER)
    before = snapshot(data_dir)

    def disk_full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, failing, disk_full)
    new_entry = entry(date(2024, 2, 20), "lost")
    new_profile = Profile(user_id=USER, timezone="Asia/Tokyo", created_at=T0)
    pending = (
        repo.append_entry(USER, new_entry) if operation == "append_entry" else repo.save_profile(new_profile)
    )
    with pytest.raises(StorageError) as caught:
        await pending
    assert isinstance(caught.value.__cause__, OSError)
    assert caught.value.__cause__.errno == errno.ENOSPC
    monkeypatch.undo()

    # Disk and what we read back are exactly the state before the failed write.
    assert snapshot(data_dir) == before
    assert await repo.list_entries(USER) == written
    assert await repo.get_profile(USER) == profile
    assert await TinyDBRepository(data_dir).list_entries(USER) == written

    # Once the fault is gone, writes work again.
    await repo.append_entry(USER, new_entry)
    await repo.save_profile(new_profile)
    assert new_entry in await repo.list_entries(USER)
    assert await repo.get_profile(USER) == new_profile
    fresh = TinyDBRepository(data_dir)
    assert new_entry in await fresh.list_entries(USER)
    assert await fresh.get_profile(USER) == new_profile


async def test_failed_first_write_of_a_new_user(
    repo: TinyDBRepository, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(StorageError):
        await repo.append_entry(USER, entry(date(2024, 1, 1)))
    monkeypatch.undo()
    assert await repo.list_entries(USER) == []
    assert snapshot(data_dir) == {}


async def test_stale_temp_files_are_ignored_and_removed(repo: TinyDBRepository, data_dir: Path) -> None:
    written = await populate(repo)
    await repo.close()
    user_dir = repo.user_dir(USER)
    stale = [user_dir / ".entries-2024-01.json.0123456789ab.tmp", user_dir / ".profile.json.deadbeef0000.tmp"]
    stale[0].write_bytes(b'{"schema":1,"table":"entries-2024-01","docs":{"1":')  # torn write
    stale[1].write_bytes(b"")

    fresh = TinyDBRepository(data_dir)
    assert await fresh.list_entries(USER) == written
    assert await fresh.take_damage_report(USER) == []
    assert not any(p.exists() for p in stale)
    assert not (user_dir / "quarantine").exists()


async def test_unknown_user_leaves_no_trace(repo: TinyDBRepository, data_dir: Path) -> None:
    assert await repo.get_profile(USER) is None
    assert await repo.list_entries(USER) == []
    assert (await repo.export_user(USER))["profile"] is None
    assert await repo.take_damage_report(USER) == []
    await repo.delete_user(USER)
    assert list(data_dir.parent.iterdir()) == []  # not even the data directory

    await populate(repo, user_id=USER + 1)  # same shard exists now, still nothing for USER
    assert await repo.get_profile(USER) is None
    assert not repo.user_dir(USER).exists()


async def test_delete_removes_the_directory(repo: TinyDBRepository, data_dir: Path) -> None:
    await populate(repo)
    await populate(repo, user_id=USER + 1000)  # same shard
    (repo.user_dir(USER) / "profile.json").write_bytes(b"junk")
    await TinyDBRepository(data_dir).take_damage_report(USER)  # now has quarantine/
    assert (repo.user_dir(USER) / "quarantine").is_dir()

    await repo.delete_user(USER)
    shard = repo.user_dir(USER).parent
    assert not repo.user_dir(USER).exists()
    assert sorted(p.name for p in shard.iterdir()) == [str(USER + 1000), "profiles-index.json"]
    assert await TinyDBRepository(data_dir).list_entries(USER) == []
    assert len(await repo.list_entries(USER + 1000)) == 6


async def test_interrupted_delete_is_finished_later(repo: TinyDBRepository) -> None:
    await populate(repo)
    shard = repo.user_dir(USER).parent
    leftover = shard / f".{USER + 1000}.0123456789ab.deleting"
    leftover.mkdir()
    (leftover / "profile.json").write_bytes(b"{}")
    await repo.delete_user(USER)
    assert [p.name for p in shard.iterdir()] == ["profiles-index.json"]


async def test_lru_eviction_keeps_data_correct(data_dir: Path) -> None:
    repo = TinyDBRepository(data_dir, cache_size=2)
    users = list(range(1, 6))
    for user_id in users:
        await repo.append_entry(user_id, entry(date(2024, 1, 1), f"user {user_id}"))
    for _ in range(2):
        for user_id in users:
            await repo.append_entry(user_id, entry(date(2024, 1, 2), f"user {user_id} again"))
    for user_id in users:
        texts = [e.data["text"] for e in await repo.list_entries(user_id)]
        assert texts == [f"user {user_id}"] + [f"user {user_id} again"] * 2


def test_cache_size_must_be_positive(data_dir: Path) -> None:
    with pytest.raises(ValueError, match="cache_size"):
        TinyDBRepository(data_dir, cache_size=0)


def _inode(path: Path) -> int:
    return path.stat().st_ino


def test_storage_finds_changed_tables_by_identity(tmp_path: Path) -> None:
    """The TinyDB write protocol: a new dict object under a name means that table changed."""
    directory = tmp_path / "user"
    storage = PartitionedAtomicStorage(directory)
    data = storage.read()
    assert data == {}
    assert not directory.exists()

    jan = entry(date(2024, 1, 1)).to_dict()
    data["entries-2024-01"] = {"1": jan}
    storage.write(data)
    first_inode = _inode(directory / "entries-2024-01.json")

    data = storage.read()
    data["profile"] = {"1": Profile(user_id=USER, created_at=T0).to_dict()}
    storage.write(data)
    assert _inode(directory / "entries-2024-01.json") == first_inode  # untouched
    assert (directory / "profile.json").exists()

    data = storage.read()
    data["entries-2024-01"] = {**data["entries-2024-01"], "2": entry(date(2024, 1, 2)).to_dict()}
    storage.write(data)
    assert _inode(directory / "entries-2024-01.json") != first_inode
    assert len(json.loads((directory / "entries-2024-01.json").read_bytes())["docs"]) == 2

    data = storage.read()
    del data["entries-2024-01"]
    storage.write(data)
    assert sorted(p.name for p in directory.iterdir()) == ["profile.json"]

    reloaded = PartitionedAtomicStorage(directory).read()
    assert reloaded == {"profile": data["profile"]}


def test_stored_entry_documents_cannot_change_in_place(tmp_path: Path) -> None:
    """Entry bytes are re-used while the document object is the same, so in-place edits must fail."""
    storage = PartitionedAtomicStorage(tmp_path / "user")
    data = storage.read()
    data["entries-2024-01"] = {"1": entry(date(2024, 1, 1)).to_dict()}
    storage.write(data)
    doc = storage.read()["entries-2024-01"]["1"]
    assert isinstance(doc, FrozenDoc)
    for mutate in (
        lambda: doc.__setitem__("kind", "x"),
        lambda: doc.__delitem__("kind"),
        lambda: doc.update(kind="x"),
        lambda: doc.pop("kind"),
        lambda: doc.popitem(),
        lambda: operator.ior(doc, {"kind": "x"}),
        lambda: doc.setdefault("new", 1),
        doc.clear,
    ):
        with pytest.raises(TypeError, match="immutable"):
            mutate()
    assert PartitionedAtomicStorage(tmp_path / "user").read()["entries-2024-01"]["1"]["kind"] == "checkin"


async def test_many_users_of_one_shard_concurrently(repo: TinyDBRepository) -> None:
    """New users sharing a shard directory are created, then deleted, all at once."""
    users = [7 + 1000 * i for i in range(20)]
    await asyncio.gather(*(repo.append_entry(u, entry(date(2024, 1, 1), f"user {u}")) for u in users))
    for user_id in users:
        assert [e.data["text"] for e in await repo.list_entries(user_id)] == [f"user {user_id}"]
    await asyncio.gather(*(repo.delete_user(u) for u in users))
    assert list(repo.user_dir(users[0]).parent.iterdir()) == []  # no profiles, so no index either


# --- drafts: marker files; profiles: per-shard index ---------------------------------------


def index_file(repo: TinyDBRepository, user_id: int) -> Path:
    return repo.user_dir(user_id).parent / "profiles-index.json"


def indexed(repo: TinyDBRepository, user_id: int) -> dict[str, Any]:
    """The profiles in `user_id`'s shard index file, read directly."""
    document = json.loads(index_file(repo, user_id).read_bytes())
    assert document["schema"] == SCHEMA_VERSION
    assert document["shard"] == repo.user_dir(user_id).parent.name
    profiles: dict[str, Any] = document["profiles"]
    return profiles


async def profiles_of(repo: TinyDBRepository) -> list[Profile]:
    return sorted([p async for p in repo.iter_profiles()], key=lambda p: p.user_id)


async def test_draft_file_marker_and_modes(
    repo: TinyDBRepository, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await populate(repo)
    before = snapshot(repo.user_dir(USER))
    await repo.save_draft(USER, {"answers": {"text": SECRET}})
    draft_file = repo.user_dir(USER) / "draft.log"
    marker = data_dir / "drafts" / str(USER)
    assert stat.S_IMODE(draft_file.stat().st_mode) == 0o600
    assert marker.read_bytes() == b"" and stat.S_IMODE(marker.stat().st_mode) == 0o600
    assert stat.S_IMODE(marker.parent.stat().st_mode) == 0o700
    document = json.loads(journal.current("draft.log", draft_file.read_bytes()) or b"")
    assert document["table"] == "draft" and document["schema"] == SCHEMA_VERSION
    assert document["docs"] == {"1": {"draft": {"answers": {"text": SECRET}}}}
    after = snapshot(repo.user_dir(USER))
    assert {k: v for k, v in after.items() if k != "draft.log"} == before  # nothing else rewritten

    replaced: list[str] = []
    real_replace = os.replace

    def recording_replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        replaced.append(Path(dst).name)
        real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", recording_replace)
    await repo.save_draft(USER, {"answers": {"text": SECRET, "more": "x" * 100_000}})
    assert replaced == []  # appended to the journal
    monkeypatch.undo()
    assert json.loads(journal.current("draft.log", draft_file.read_bytes()) or b"")["docs"]["1"]["draft"] == {
        "answers": {"text": SECRET, "more": "x" * 100_000}
    }

    assert await repo.users_with_drafts() == [USER]
    await repo.clear_draft(USER)
    assert not draft_file.exists() and not marker.exists()
    assert await repo.users_with_drafts() == []
    assert {k: v for k, v in snapshot(repo.user_dir(USER)).items()} == before


async def test_draft_survives_a_new_instance(repo: TinyDBRepository, data_dir: Path) -> None:
    await repo.save_draft(USER, {"step": 2, "answers": {"text": "ünïcødé 😀"}})
    await repo.close()
    fresh = TinyDBRepository(data_dir)
    assert await fresh.users_with_drafts() == [USER]
    assert await fresh.get_draft(USER) == {"step": 2, "answers": {"text": "ünïcødé 😀"}}


async def test_stale_marker_is_tolerated_and_cleaned_lazily(repo: TinyDBRepository, data_dir: Path) -> None:
    """A crash between marker and draft leaves a marker alone: listed once, then dropped."""
    (data_dir / "drafts").mkdir(parents=True)
    (data_dir / "drafts" / "31337").touch()
    await populate(repo)
    (data_dir / "drafts" / str(USER)).touch()
    assert await repo.users_with_drafts() == [USER, 31337]
    assert await repo.get_draft(31337) is None
    assert await repo.get_draft(USER) is None
    assert await repo.users_with_drafts() == []
    assert not repo.user_dir(31337).exists()  # noticing did not create the user


async def test_delete_removes_a_marker_without_a_directory(repo: TinyDBRepository, data_dir: Path) -> None:
    (data_dir / "drafts").mkdir(parents=True)
    (data_dir / "drafts" / str(USER)).touch()
    await repo.delete_user(USER)
    assert await repo.users_with_drafts() == []


async def test_deleting_a_user_removes_draft_marker_and_index_entry(
    repo: TinyDBRepository, data_dir: Path
) -> None:
    await populate(repo)
    await populate(repo, user_id=USER + 1000)
    await repo.save_draft(USER, {"answers": {"text": SECRET}})
    await repo.delete_user(USER)
    assert not (data_dir / "drafts" / str(USER)).exists()
    assert list(indexed(repo, USER)) == [str(USER + 1000)]
    assert list((data_dir / "index-pending").iterdir()) == []
    holding_secret = {path for path, data in snapshot(data_dir).items() if SECRET.encode() in data}
    assert {Path(path).parent.name for path in holding_secret} == {str(USER + 1000)}  # the other user


async def test_corrupt_draft_is_quarantined_and_reported(
    repo: TinyDBRepository, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await populate(repo)
    await repo.save_draft(USER, {"answers": {"text": SECRET}})
    bad = b'{"schema": 1, "table": "draft", "docs": {"1": '
    (repo.user_dir(USER) / "draft.log").write_bytes(bad)
    fresh = TinyDBRepository(data_dir)
    with caplog.at_level(logging.WARNING, logger="bot.storage"):
        assert await fresh.get_draft(USER) is None
    assert await fresh.take_damage_report(USER) == ["draft.log"]
    moved = list((repo.user_dir(USER) / "quarantine").iterdir())
    assert [p.read_bytes() for p in moved] == [bad]
    assert SECRET not in caplog.text
    assert await fresh.users_with_drafts() == []  # the stale marker went with it
    assert len(await fresh.list_entries(USER)) == 6
    await fresh.save_draft(USER, {"answers": {}})  # a new draft starts a new file
    assert await fresh.get_draft(USER) == {"answers": {}}


async def test_draft_with_a_wrong_shape_is_quarantined(repo: TinyDBRepository, data_dir: Path) -> None:
    await repo.save_draft(USER, {"answers": {}})
    payload = json.dumps({"schema": SCHEMA_VERSION, "table": "draft", "docs": {"1": {"draft": [1]}}})
    (repo.user_dir(USER) / "draft.log").write_bytes(journal.rewrap("draft.log", payload.encode()))
    fresh = TinyDBRepository(data_dir)
    assert await fresh.get_draft(USER) is None
    assert await fresh.take_damage_report(USER) == ["draft.log"]


async def test_shard_index_follows_saves_and_deletes(repo: TinyDBRepository) -> None:
    first = Profile(user_id=USER, timezone="Europe/Berlin", interests=["sleep"], created_at=T0)
    await repo.save_profile(first)
    assert stat.S_IMODE(index_file(repo, USER).stat().st_mode) == 0o600
    assert indexed(repo, USER) == {str(USER): first.to_dict()}
    second = Profile(user_id=USER + 1000, created_at=T0)
    await repo.save_profile(second)
    changed = Profile(user_id=USER, timezone="Asia/Tokyo", interests=["sleep", "work"], created_at=T0)
    await repo.save_profile(changed)
    assert indexed(repo, USER) == {str(USER): changed.to_dict(), str(USER + 1000): second.to_dict()}
    await repo.delete_user(USER + 1000)
    assert indexed(repo, USER) == {str(USER): changed.to_dict()}
    assert not (repo._data_dir / "index-pending" / str(USER)).exists()


async def test_iter_profiles_reads_only_the_shard_indexes(repo: TinyDBRepository, data_dir: Path) -> None:
    users = [1, 1001, 2, 999, 123456]
    for user_id in users:
        await repo.save_profile(Profile(user_id=user_id, timezone="UTC", created_at=T0))
        await repo.append_entry(user_id, entry(date(2024, 1, 1)))
    await repo.close()
    for user_id in users:  # iteration must not need the users' own files
        (repo.user_dir(user_id) / "profile.json").unlink()
    fresh = TinyDBRepository(data_dir)
    assert [p.user_id for p in await profiles_of(fresh)] == sorted(users)


async def test_iter_profiles_after_reopening(repo: TinyDBRepository, data_dir: Path) -> None:
    saved = {u: Profile(user_id=u, interests=[f"i{u}"], created_at=T0) for u in (3, 1003, 4, 5)}
    for profile in saved.values():
        await repo.save_profile(profile)
    saved[3] = Profile(user_id=3, timezone="Europe/Paris", morning=None, created_at=T0)
    await repo.save_profile(saved[3])
    await repo.delete_user(4)
    del saved[4]
    await repo.close()
    fresh = TinyDBRepository(data_dir)
    assert await profiles_of(fresh) == sorted(saved.values(), key=lambda p: p.user_id)
    assert await profiles_of(TinyDBRepository(data_dir / "empty")) == []


@pytest.mark.parametrize("damage", ["missing", "not json", "wrong schema", "bad entry", "wrong shard"])
async def test_shard_index_is_rebuilt_when_missing_or_damaged(
    repo: TinyDBRepository, data_dir: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    users = [USER, USER + 1000, USER + 2000]
    saved = [Profile(user_id=u, timezone="Europe/Berlin", interests=[SECRET], created_at=T0) for u in users]
    for profile in saved:
        await repo.save_profile(profile)
    await repo.save_profile(Profile(user_id=5, created_at=T0))  # another shard, left intact
    await repo.append_entry(USER + 3000, entry(date(2024, 1, 1)))  # a user without a profile
    expected = indexed(repo, USER)
    index = index_file(repo, USER)
    raw = index.read_bytes()
    damaged = {
        "missing": None,
        "not json": raw[:-3],
        "wrong schema": raw.replace(b'"schema":1', b'"schema":99'),
        "bad entry": raw.replace(b'"created_at":"2024-01-01T12:00:00+00:00"', b'"created_at":"soon"', 1),
        "wrong shard": raw.replace(b'"shard":"042"', b'"shard":"043"'),
    }[damage]
    if damaged is None:
        index.unlink()
    else:
        assert damaged != raw
        index.write_bytes(damaged)

    fresh = TinyDBRepository(data_dir)
    with caplog.at_level(logging.WARNING, logger="bot.storage"):
        found = await profiles_of(fresh)
    assert found == sorted([*saved, Profile(user_id=5, created_at=T0)], key=lambda p: p.user_id)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "shard 042" in warnings[0]
    assert SECRET not in caplog.text
    assert indexed(repo, USER) == expected  # written back
    assert stat.S_IMODE(index.stat().st_mode) == 0o600

    caplog.clear()
    assert await profiles_of(fresh) == found
    assert caplog.records == []  # rebuilt once


async def test_saving_into_a_shard_without_index_rebuilds_it(
    repo: TinyDBRepository, caplog: pytest.LogCaptureFixture
) -> None:
    await repo.save_profile(Profile(user_id=USER, created_at=T0))
    assert caplog.records == []  # a new shard's first index is not worth a warning
    index_file(repo, USER).unlink()
    with caplog.at_level(logging.WARNING, logger="bot.storage"):
        await repo.save_profile(Profile(user_id=USER + 1000, created_at=T0))
    assert sorted(map(int, indexed(repo, USER))) == [USER, USER + 1000]
    assert "shard 042" in caplog.text


async def test_encrypted_index_is_sealed_and_rebuilt_with_the_key(data_dir: Path) -> None:
    cipher = Cipher.from_text(new_key())
    repo = TinyDBRepository(data_dir, cipher=cipher)
    saved = [Profile(user_id=u, interests=[SECRET], created_at=T0) for u in (USER, USER + 1000)]
    for profile in saved:
        await repo.save_profile(profile)
    index = index_file(repo, USER)
    assert is_sealed(index.read_bytes()) and SECRET.encode() not in index.read_bytes()
    index.unlink()
    fresh = TinyDBRepository(data_dir, cipher=cipher)
    assert await profiles_of(fresh) == saved  # rebuilt from the sealed profile files
    assert is_sealed(index.read_bytes())
    assert await fresh.take_damage_report(USER) == []
    index.write_bytes(Cipher.from_text(new_key()).seal(b"{}", f"index/{index.parent.name}"))  # another key
    assert await profiles_of(TinyDBRepository(data_dir, cipher=cipher)) == saved


async def test_rebuild_quarantines_a_damaged_profile(repo: TinyDBRepository, data_dir: Path) -> None:
    await populate(repo)
    await populate(repo, user_id=USER + 1000)
    await repo.close()
    (repo.user_dir(USER) / "profile.json").write_bytes(b"{broken")
    index_file(repo, USER).unlink()
    fresh = TinyDBRepository(data_dir)
    assert [p.user_id for p in await profiles_of(fresh)] == [USER + 1000]
    assert await fresh.take_damage_report(USER) == ["profile.json"]
    assert [p.read_bytes() for p in (repo.user_dir(USER) / "quarantine").iterdir()] == [b"{broken"]
    assert await fresh.get_profile(USER) is None
    assert len(await fresh.list_entries(USER)) == 6


async def test_a_quarantined_profile_leaves_the_index(repo: TinyDBRepository, data_dir: Path) -> None:
    await populate(repo)
    await repo.close()
    (repo.user_dir(USER) / "profile.json").write_bytes(b"{broken")
    fresh = TinyDBRepository(data_dir)
    assert await fresh.get_profile(USER) is None  # its load sets the file aside ...
    assert indexed(repo, USER) == {}  # ... and the index forgets the profile
    assert await profiles_of(fresh) == []


async def test_index_entries_a_crash_left_stale_are_repaired(repo: TinyDBRepository, data_dir: Path) -> None:
    """Killed between profile file and index: the pending marker makes the next start fix it."""
    old = Profile(user_id=USER, timezone="Europe/Berlin", created_at=T0)
    new = Profile(user_id=USER, timezone="Asia/Tokyo", created_at=T0)
    await repo.save_profile(old)
    await repo.save_profile(Profile(user_id=USER + 1000, created_at=T0))
    await repo.save_profile(Profile(user_id=USER + 2000, created_at=T0))
    stale_index = index_file(repo, USER).read_bytes()
    await repo.save_profile(new)
    await repo.save_profile(Profile(user_id=USER + 3000, created_at=T0))  # a new user ...
    await repo.delete_user(USER + 1000)  # ... and a deleted one
    await repo.close()
    index_file(repo, USER).write_bytes(stale_index)  # as if each index write was lost
    pending = data_dir / "index-pending"
    for user_id in (USER, USER + 1000, USER + 3000):
        (pending / str(user_id)).touch()

    fresh = TinyDBRepository(data_dir)
    found = {p.user_id: p for p in await profiles_of(fresh)}
    assert sorted(found) == [USER, USER + 2000, USER + 3000]
    assert found[USER] == new
    assert sorted(map(int, indexed(repo, USER))) == [USER, USER + 2000, USER + 3000]
    assert list(pending.iterdir()) == []


async def test_failed_profile_save_leaves_index_and_markers_unchanged(
    repo: TinyDBRepository, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await repo.save_profile(Profile(user_id=USER, created_at=T0))
    before = snapshot(data_dir)
    real_replace = os.replace

    def index_write_fails(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if Path(dst).name == "profiles-index.json":
            raise OSError(errno.ENOSPC, "No space left on device")
        real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", index_write_fails)
    with pytest.raises(StorageError):
        await repo.save_profile(Profile(user_id=USER, timezone="Asia/Tokyo", created_at=T0))
    monkeypatch.undo()
    # The profile file did change, the index could not: the pending marker remembers that.
    assert (data_dir / "index-pending" / str(USER)).exists()
    assert snapshot(data_dir) != before
    found = await profiles_of(TinyDBRepository(data_dir))
    assert [p.timezone for p in found] == ["Asia/Tokyo"]
    assert list((data_dir / "index-pending").iterdir()) == []


async def test_concurrent_profile_saves_in_one_shard_all_indexed(
    repo: TinyDBRepository, data_dir: Path
) -> None:
    users = [42 + 1000 * i for i in range(50)]
    await asyncio.gather(
        *(repo.save_profile(Profile(user_id=u, interests=[str(u)], created_at=T0)) for u in users)
    )
    assert sorted(indexed(repo, 42), key=int) == [str(u) for u in users]
    found = await profiles_of(TinyDBRepository(data_dir))
    assert [(p.user_id, p.interests) for p in found] == [(u, [str(u)]) for u in users]
    await asyncio.gather(*(repo.delete_user(u) for u in users[::2]))
    assert sorted(indexed(repo, 42), key=int) == [str(u) for u in users[1::2]]


async def test_iter_profiles_can_be_abandoned_early(repo: TinyDBRepository) -> None:
    for user_id in range(1, 30):
        await repo.save_profile(Profile(user_id=user_id, created_at=T0))
    async for profile in repo.iter_profiles():
        assert profile.user_id == 1
        break
    assert len(await profiles_of(repo)) == 29


async def test_recording_a_nudge_writes_the_profile_file_only(
    repo: TinyDBRepository, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fan-out to 100k people must not rewrite their shard's index (and fsync it) per nudge."""
    from bot.storage import files
    from bot.storage.indexes import ProfileIndex

    profile = Profile(user_id=USER, timezone="UTC", onboarded=True, created_at=T0)
    await repo.save_profile(profile)
    written: list[str] = []
    real_write = files.atomic_write

    def recording(directory: Path, name: str, payload: bytes) -> None:
        written.append(name)
        real_write(directory, name, payload)

    monkeypatch.setattr(files, "atomic_write", recording)
    profile.last_nudged = {"evening": "2024-01-01"}
    await repo.save_profile(profile)
    assert "profiles-index.json" not in written and written  # the profile file was written
    assert [p.last_nudged async for p in repo.iter_profiles()] == [{"evening": "2024-01-01"}]
    profile.timezone = "Europe/Berlin"  # a real change: the index is written at once, with the noted day
    await repo.save_profile(profile)
    assert written.count("profiles-index.json") == 1
    on_disk = ProfileIndex(data_dir, None)
    ((stored,), _) = on_disk.read(on_disk.shards()[0])
    assert stored.last_nudged == {"evening": "2024-01-01"} and stored.timezone == "Europe/Berlin"


async def test_noted_changes_reach_the_index_at_close_and_never_bring_back_a_deleted_person(
    data_dir: Path,
) -> None:
    from bot.storage.indexes import ProfileIndex

    repo = TinyDBRepository(data_dir)
    repo.prepare()
    kept = Profile(user_id=USER, timezone="UTC", onboarded=True, created_at=T0)
    gone = Profile(user_id=USER + 1000, timezone="UTC", onboarded=True, created_at=T0)  # same shard
    for profile in (kept, gone):
        await repo.save_profile(profile)
        profile.last_nudged = {"morning": "2024-01-02"}
        await repo.save_profile(profile)
    await repo.delete_user(gone.user_id)
    await repo.close()
    index = ProfileIndex(data_dir, None)
    profiles = [p for shard in index.shards() for p in index.read(shard)[0]]
    assert [(p.user_id, p.last_nudged) for p in profiles] == [(USER, {"morning": "2024-01-02"})]


async def test_reads_of_an_open_database_need_no_worker_thread(
    repo: TinyDBRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each worker-thread hop costs more than such a read; a check-in answer made five of them."""
    profile = Profile(user_id=USER, timezone="UTC", onboarded=True, created_at=T0)
    await repo.save_profile(profile)
    await repo.save_draft(USER, {"flow": "checkin", "step": 2})

    async def no_thread(*args: object, **kwargs: object) -> object:
        raise AssertionError("a worker thread for a read of what is in memory")

    with monkeypatch.context() as patched:
        patched.setattr(threads, "run", no_thread)
        assert await repo.get_profile(USER) == profile
        assert await repo.get_draft(USER) == {"flow": "checkin", "step": 2}
        assert await repo.take_damage_report(USER) == []
    await repo.clear_draft(USER)  # this process removed the marker: "no draft" is known too
    with monkeypatch.context() as patched:
        patched.setattr(threads, "run", no_thread)
        assert await repo.get_draft(USER) is None
    await repo.save_draft(USER, {"flow": "checkin", "step": 1})
    await repo.finish_draft(USER, None)
    with monkeypatch.context() as patched:
        patched.setattr(threads, "run", no_thread)
        assert await repo.get_draft(USER) is None


async def test_a_read_waits_for_a_write_of_the_same_person_in_progress(repo: TinyDBRepository) -> None:
    profile = Profile(user_id=USER, timezone="UTC", onboarded=True, created_at=T0)
    await repo.save_profile(profile)
    held, done = threading.Event(), threading.Event()

    def writer() -> None:  # another thread is writing this person's files
        with repo._users.lock(USER):
            held.set()
            done.wait(5)

    thread = threading.Thread(target=writer)
    thread.start()
    held.wait(5)
    try:
        reading = asyncio.create_task(repo.get_profile(USER))
        await asyncio.sleep(0.05)
        assert not reading.done()
    finally:
        done.set()
        thread.join()
    assert await reading == profile


async def test_noted_nudge_days_are_written_once_a_shard_has_enough_of_them(
    repo: TinyDBRepository, data_dir: Path
) -> None:
    """Memory stays bounded in a fan-out to 100k people: a shard's notes do not pile up."""
    from bot.storage.indexes import NOTE_FLUSH_COUNT, ProfileIndex

    people = [
        Profile(user_id=USER + 1000 * n, timezone="UTC", onboarded=True, created_at=T0)
        for n in range(NOTE_FLUSH_COUNT)
    ]  # one shard
    for profile in people:
        await repo.save_profile(profile)
    for profile in people:
        profile.last_nudged = {"evening": "2024-01-01"}
        await repo.save_profile(profile)
    assert repo._index._noted == {}
    on_disk = ProfileIndex(data_dir, None)
    (profiles, _) = on_disk.read(on_disk.shards()[0])
    assert {p.user_id: p.last_nudged for p in profiles} == {
        p.user_id: {"evening": "2024-01-01"} for p in people
    }


async def test_a_short_listing_of_an_open_database_needs_no_worker_thread_and_a_long_one_does(
    repo: TinyDBRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finishing a check-in listed the person's entries four times, each through a worker thread."""
    from bot.storage import tinydb_store

    monkeypatch.setattr(tinydb_store, "ON_LOOP_ENTRIES", 3)
    for day in (1, 2, 3):
        await repo.append_entry(USER, Entry(kind="diary", local_date=date(2024, 1, day), data={"n": day}))
    await repo.append_entry(USER, Entry(kind="pages", local_date=date(2024, 2, 1), data={"n": 4}))
    hops: list[object] = []
    monkeypatch.setattr(threads, "run", _counting_run(hops))
    january = await repo.list_entries(USER, "diary", date(2024, 1, 1), date(2024, 1, 31))
    assert [e.data["n"] for e in january] == [1, 2, 3] and not hops
    everything = await repo.list_entries(USER)  # 4 entries: more than the loop may take
    assert [e.data["n"] for e in everything] == [1, 2, 3, 4] and len(hops) == 1


async def test_day_totals_read_in_place_on_the_loop_and_go_to_a_thread_past_the_bound(
    repo: TinyDBRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Totals share nothing with the cache, and a person with a long history is summed off the loop."""
    from bot.storage import tinydb_store

    monkeypatch.setattr(tinydb_store, "ON_LOOP_TOTALS", 3)
    for day, words in ((1, 10), (1, 5), (2, 7)):
        await repo.append_entry(
            USER, Entry(kind="diary", local_date=date(2024, 1, day), data={"text_words": words})
        )
    hops: list[object] = []
    monkeypatch.setattr(threads, "run", _counting_run(hops))
    january = await repo.day_totals(USER, "diary", "text_words", date(2024, 1, 1), date(2024, 1, 31))
    assert january == {date(2024, 1, 1): 15, date(2024, 1, 2): 7} and not hops
    january[date(2024, 1, 1)] = 0  # the caller's dict is its own
    await repo.append_entry(USER, Entry(kind="diary", local_date=date(2024, 1, 3), data={"text_words": 1}))
    hops.clear()
    again = await repo.day_totals(USER, "diary", "text_words", date(2024, 1, 1), date(2024, 1, 31))
    assert again == {date(2024, 1, 1): 15, date(2024, 1, 2): 7, date(2024, 1, 3): 1} and len(hops) == 1


async def test_finishing_a_draft_stores_the_entry_and_drops_the_draft_in_one_write(
    repo: TinyDBRepository, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One directory fsync for both (the entry's month file and the draft's removal), not four
    fsyncs in two worker-thread hops."""
    from bot.storage import files

    await repo.save_draft(USER, {"flow": "checkin", "step": 2})
    fsyncs: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        fsyncs.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    hops: list[object] = []
    monkeypatch.setattr(threads, "run", _counting_run(hops))
    entry = Entry(kind="diary", local_date=date(2024, 1, 5), data={"feeling": "glad"}, entry_id="c1")
    await repo.finish_draft(USER, entry)
    assert len(fsyncs) == 2 and len(hops) == 1
    assert await repo.get_draft(USER) is None
    reopened = TinyDBRepository(data_dir)
    assert [e.entry_id for e in await reopened.list_entries(USER)] == ["c1"]
    assert await reopened.get_draft(USER) is None and await reopened.users_with_drafts() == []
    assert not any(files.is_temp_file(p.name) for p in data_dir.rglob("*"))  # noqa: ASYNC240


def _counting_run(hops: list[object]) -> Callable[..., Any]:
    real = threads.run

    async def counted(*args: Any, **kwargs: Any) -> Any:
        hops.append(args[0])
        return await real(*args, **kwargs)

    return counted


def test_a_failure_inside_a_batch_writes_nothing_and_forgets_the_changed_cache(tmp_path: Path) -> None:
    from tinydb import TinyDB

    from bot.storage import user_tables
    from bot.storage.table_format import month_table, normalised

    database = TinyDB(tmp_path, storage=PartitionedAtomicStorage)
    user_tables.put_draft(database, normalised({"draft": {"step": 1}}))
    storage = database.storage
    assert isinstance(storage, PartitionedAtomicStorage)
    entry = Entry(kind="diary", local_date=date(2024, 1, 5), data={"n": 1})

    def failing() -> None:
        with storage.batch():
            user_tables.append_entry(database, month_table(entry.local_date), normalised(entry.to_dict()))
            user_tables.drop_draft(database)
            raise RuntimeError("the disk went away")

    with pytest.raises(RuntimeError):
        failing()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["draft.log"]
    assert user_tables.get_draft(database) == {"step": 1}  # the cache was dropped: the truth is re-read
    assert user_tables.list_entries(database, None, None, None) == []
