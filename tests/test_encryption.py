"""Encryption at rest: sealed files, a wrong or missing key refused before anything is touched,
and an in-place migration of plaintext data that survives a crash halfway."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.domain.models import Entry, Profile
from bot.storage import files as storage_files
from bot.storage.crypto import Cipher, DataKeyError, is_sealed, new_key
from bot.storage.tinydb_store import TinyDBRepository
from tests.conftest import Clock, Harness, send

SECRET = "the-words-only-i-wrote"
PLANTED = "words-nobody-wrote"
ROOT = Path(__file__).resolve().parents[1]


def files(data_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(data_dir)): p.read_bytes() for p in sorted(data_dir.rglob("*")) if p.is_file()}


async def populate(repo: TinyDBRepository, users: int = 3) -> None:
    for user_id in range(1, users + 1):
        await repo.save_profile(Profile(user_id=user_id, timezone="Europe/Berlin", interests=[SECRET]))
        await repo.append_entry(
            user_id, Entry(kind="diary", local_date=date(2026, 11, 28), data={"happened": SECRET})
        )
        await repo.save_draft(user_id, {"answers": {"text": SECRET}})


async def read_back(repo: TinyDBRepository, user_id: int = 1) -> tuple[object, ...]:
    profile = await repo.get_profile(user_id)
    entries = await repo.list_entries(user_id)
    return profile.interests if profile else None, [e.data for e in entries], await repo.get_draft(user_id)


async def test_with_a_key_no_user_text_is_on_disk(tmp_path: Path) -> None:
    cipher = Cipher.from_text(new_key())
    repo = TinyDBRepository(tmp_path, cipher=cipher)
    repo.prepare()
    await populate(repo)
    on_disk = files(tmp_path)
    assert not any(SECRET.encode() in data for data in on_disk.values())
    assert all(is_sealed(data) for name, data in on_disk.items() if name.endswith((".json", "key-check")))
    fresh = TinyDBRepository(tmp_path, cipher=cipher)
    fresh.prepare()
    assert await read_back(fresh) == ([SECRET], [{"happened": SECRET}], {"answers": {"text": SECRET}})
    assert sorted([p.user_id async for p in fresh.iter_profiles()]) == [1, 2, 3]


async def test_wrong_or_missing_key_is_refused_and_nothing_touched(tmp_path: Path) -> None:
    repo = TinyDBRepository(tmp_path, cipher=Cipher.from_text(new_key()))
    repo.prepare()
    await populate(repo)
    before = files(tmp_path)
    with pytest.raises(DataKeyError, match="not the key"):
        TinyDBRepository(tmp_path, cipher=Cipher.from_text(new_key())).prepare()
    with pytest.raises(DataKeyError, match="set CHECKIN_BOT_DATA_KEY"):
        TinyDBRepository(tmp_path).prepare()
    assert files(tmp_path) == before


async def test_key_on_plaintext_data_asks_for_migration(tmp_path: Path) -> None:
    plain = TinyDBRepository(tmp_path)
    plain.prepare()
    await populate(plain)
    with pytest.raises(DataKeyError, match="encrypt-data"):
        TinyDBRepository(tmp_path, cipher=Cipher.from_text(new_key())).prepare()


async def test_migration_in_place_survives_a_crash_and_refuses_another_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = TinyDBRepository(tmp_path)
    plain.prepare()
    await populate(plain, users=5)
    expected = [await read_back(plain, n) for n in range(1, 6)]
    cipher = Cipher.from_text(new_key())

    real_write = storage_files.atomic_write
    written = 0

    def crash_after_four(directory: Path, filename: str, payload: bytes) -> None:
        nonlocal written
        if written == 4:
            raise KeyboardInterrupt("power cut")
        written += 1
        real_write(directory, filename, payload)

    monkeypatch.setattr(storage_files, "atomic_write", crash_after_four)
    with pytest.raises(KeyboardInterrupt):
        TinyDBRepository(tmp_path, cipher=cipher).encrypt_existing()
    monkeypatch.setattr(storage_files, "atomic_write", real_write)
    half = files(tmp_path)
    assert 0 < sum(is_sealed(d) for d in half.values()) < len(half)
    with pytest.raises(DataKeyError):  # a different key may not finish the job
        TinyDBRepository(tmp_path, cipher=Cipher.from_text(new_key())).encrypt_existing()
    assert files(tmp_path) == half
    assert TinyDBRepository(tmp_path, cipher=cipher).encrypt_existing() > 0
    assert TinyDBRepository(tmp_path, cipher=cipher).encrypt_existing() == 0
    assert not any(SECRET.encode() in data for data in files(tmp_path).values())
    repo = TinyDBRepository(tmp_path, cipher=cipher)
    repo.prepare()
    assert [await read_back(repo, n) for n in range(1, 6)] == expected
    assert await repo.take_damage_report(1) == []


def plant(source: Path, target: Path, relative: str) -> bytes:
    """Copy a plaintext file written by an unencrypted store into the encrypted one."""
    (target / relative).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / relative, target / relative)
    return (source / relative).read_bytes()


async def test_plaintext_user_files_planted_in_an_encrypted_store_are_damage(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data, forge = tmp_path / "data", tmp_path / "forge"
    cipher = Cipher.from_text(new_key())
    repo = TinyDBRepository(data, cipher=cipher)
    repo.prepare()
    await populate(repo, users=2)
    expected_1 = await read_back(repo, 1)
    await repo.close()
    forger = TinyDBRepository(forge)
    await forger.save_profile(Profile(user_id=2, timezone="Asia/Tokyo", interests=[PLANTED]))
    await forger.save_profile(Profile(user_id=5, timezone="Asia/Tokyo", interests=[PLANTED]))
    forged = Entry(kind="diary", local_date=date(2026, 10, 3), data={"happened": PLANTED})
    await forger.append_entry(1, forged)
    planted = {
        "users/001/1/entries-2026-10.json": plant(forge, data, "users/001/1/entries-2026-10.json"),
        "users/002/2/profile.json": plant(forge, data, "users/002/2/profile.json"),  # replaces a sealed one
        "users/005/5/profile.json": plant(forge, data, "users/005/5/profile.json"),
    }
    fresh = TinyDBRepository(data, cipher=cipher)
    fresh.prepare()
    with caplog.at_level(logging.WARNING, logger="bot.storage"):
        assert await read_back(fresh, 1) == expected_1
        assert await fresh.get_profile(2) is None
        assert [e.data for e in await fresh.list_entries(2)] == [{"happened": SECRET}]  # the rest is kept
        assert await fresh.get_draft(2) == {"answers": {"text": SECRET}}
        assert await fresh.get_profile(5) is None
        assert [p.user_id async for p in fresh.iter_profiles()] == [1]
    assert await fresh.take_damage_report(1) == ["entries-2026-10.json"]
    assert await fresh.take_damage_report(2) == ["profile.json"]
    assert await fresh.take_damage_report(5) == ["profile.json"]
    assert await fresh.take_damage_report(1) == []
    for relative, raw in planted.items():
        assert not (data / relative).exists()
        (kept,) = (data / relative).parent.glob(f"quarantine/{Path(relative).name}.*")
        assert kept.read_bytes() == raw  # set aside untouched, never read as data
    assert PLANTED not in caplog.text and SECRET not in caplog.text
    assert "quarantine" in caplog.text


async def test_a_planted_plaintext_file_is_reported_to_its_person_once(tmp_path: Path, clock: Clock) -> None:
    data, forge = tmp_path / "data", tmp_path / "forge"
    cipher = Cipher.from_text(new_key())
    repo = TinyDBRepository(data, cipher=cipher)
    repo.prepare()
    await populate(repo, users=1)
    await repo.close()
    forged = Entry(kind="diary", local_date=date(2026, 10, 3), data={"happened": PLANTED})
    await TinyDBRepository(forge).append_entry(1, forged)
    plant(forge, data, "users/001/1/entries-2026-10.json")
    async with Harness(TinyDBRepository(data, cipher=cipher), clock) as h:
        person = h.user(1)
        await send(h, person, "/help")
        notice = await person.wait_for(lambda m: "could not be read" in m.content)
        assert PLANTED not in notice.content
        await send(h, person, "/help")
        await h.pump()
        assert not [m for m in person.pending() if "could not be read" in m.content]
        assert [e.data for e in await h.repo.list_entries(1)] == [{"happened": SECRET}]


async def test_plaintext_index_and_invites_planted_in_an_encrypted_store_are_not_trusted(
    tmp_path: Path,
) -> None:
    data, forge = tmp_path / "data", tmp_path / "forge"
    cipher = Cipher.from_text(new_key())
    repo = TinyDBRepository(data, cipher=cipher)
    repo.prepare()
    await populate(repo, users=2)
    await repo.close()
    forger = TinyDBRepository(forge)
    await forger.save_profile(Profile(user_id=1, timezone="Asia/Tokyo", interests=[PLANTED]))
    await forger.save_profile(Profile(user_id=1001, timezone="Asia/Tokyo", interests=[PLANTED]))
    await forger.create_invite("planted", datetime(2100, 1, 1, tzinfo=UTC))
    plant(forge, data, "users/001/profiles-index.json")
    plant(forge, data, "invites.json")
    fresh = TinyDBRepository(data, cipher=cipher)
    fresh.prepare()
    profiles = {p.user_id: p.interests async for p in fresh.iter_profiles()}
    assert profiles == {1: [SECRET], 2: [SECRET]}  # rebuilt from the sealed profile files
    assert is_sealed((data / "users/001/profiles-index.json").read_bytes())
    assert await fresh.redeem_invite("planted", datetime(2030, 1, 1, tzinfo=UTC)) is False
    assert await fresh.take_damage_report(1) == []


async def test_plaintext_key_check_does_not_let_any_key_in(tmp_path: Path) -> None:
    cipher = Cipher.from_text(new_key())
    repo = TinyDBRepository(tmp_path, cipher=cipher)
    repo.prepare()
    await populate(repo)
    (tmp_path / "key-check").write_bytes(b"checkin-bot data key check")
    with pytest.raises(DataKeyError):
        TinyDBRepository(tmp_path, cipher=Cipher.from_text(new_key())).prepare()


def run_cli(tmp_path: Path, *args: str, key: str | None) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\ndata_dir = "{tmp_path / "data"}"\n')
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "CHECKIN_BOT_DATA_KEY")}
    env.update({"PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": "1:x"})
    if key is not None:
        env["CHECKIN_BOT_DATA_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "bot", *args, "--config", str(config)],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


async def test_cli_keygen_encrypt_and_wrong_key_start(tmp_path: Path) -> None:
    plain = TinyDBRepository(tmp_path / "data")
    plain.prepare()
    await populate(plain)
    key = run_cli(tmp_path, "keygen", key=None).stdout.strip()
    assert len(Cipher.from_text(key).seal(b"x", "r")) > 0
    missing = run_cli(tmp_path, "encrypt-data", key=None)
    assert missing.returncode == 2 and "CHECKIN_BOT_DATA_KEY" in missing.stderr
    done = run_cli(tmp_path, "encrypt-data", key=key)
    assert done.returncode == 0, done.stderr
    assert "Encrypted" in done.stdout
    wrong = run_cli(tmp_path, key=new_key())
    assert wrong.returncode == 2
    assert (
        wrong.stderr.strip().count("\n") == 0 and "not the key this data was encrypted with" in wrong.stderr
    )
    bad = run_cli(tmp_path, key="not-base64!!")
    assert bad.returncode == 2 and "keygen" in bad.stderr
