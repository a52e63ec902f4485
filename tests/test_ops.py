"""Operator tools: backup during a write storm and restore, rotate-key through kill -9, doctor's
findings, stats that count without showing content, and import-user of an /export."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.domain.models import Entry, Profile
from bot.storage import journal, maintenance, rotation, snapshots
from bot.storage.crypto import KEY_ENV, Cipher, is_sealed, new_key
from bot.storage.tinydb_store import TinyDBRepository
from tests.test_encryption import SECRET, populate

ROOT = Path(__file__).resolve().parents[1]
WRITER = ROOT / "tests" / "crash_writer.py"
STORM_USER = 4242  # as in crash_writer.py


def cli(
    tmp_path: Path, *args: str, data: Path | None = None, key: str | None = None, extra: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    """`python -m bot <args>` with a config naming `data` (default tmp_path/data)."""
    config = tmp_path / "ops.toml"
    config.write_text(f'{extra}[storage]\ndata_dir = "{data or tmp_path / "data"}"\n')
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TELEGRAM_BOT_TOKEN", KEY_ENV, "CHECKIN_BOT_NEW_DATA_KEY")
    }
    environment.update({"PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": "1:x", **env})
    if key is not None:
        environment[KEY_ENV] = key
    return subprocess.run(
        [sys.executable, "-m", "bot", *args, "--config", str(config)],
        env=environment, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


async def history(data_dir: Path, cipher: Cipher | None) -> dict[int, dict[str, Any]]:
    repo = TinyDBRepository(data_dir, cipher=cipher)
    repo.prepare()
    users = sorted([p.user_id async for p in repo.iter_profiles()])
    return {user: await repo.export_user(user) for user in users}


# -- backup and restore ------------------------------------------------------------------------


def test_backup_during_a_write_storm_restores_whole_files_and_the_same_history(tmp_path: Path) -> None:
    key = new_key()
    cipher = Cipher.from_text(key)
    data = tmp_path / "data"
    repo = TinyDBRepository(data, cipher=cipher)
    repo.prepare()
    asyncio.run(populate(repo, users=5))
    before = asyncio.run(history(data, cipher))
    writer = subprocess.Popen(
        [sys.executable, str(WRITER), str(data), "1"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ, KEY_ENV: key},
    )  # fmt: skip
    try:
        assert writer.stdout is not None
        writer.stdout.readline()  # the storm has begun
        archives = []
        for n in range(3):
            archive = tmp_path / f"backup-{n}.tar.gz"
            done = cli(tmp_path, "backup", str(archive), key=key)
            assert done.returncode == 0, done.stderr
            archives.append(archive)
        assert writer.poll() is None, "the storm must still be running during the backups"
    finally:
        writer.kill()
        writer.wait()
        if writer.stdout is not None:
            writer.stdout.close()
    for n, archive in enumerate(archives):
        assert archive.stat().st_mode & 0o777 == 0o600
        target = tmp_path / f"restored-{n}"
        restored = cli(tmp_path, "restore", str(archive), data=target, key=key)
        assert restored.returncode == 0 and restored.stderr == "", restored.stderr
        assert maintenance.check_files(target, cipher) == []
        on_disk = [p for p in target.rglob("*") if p.is_file() and p.stat().st_size]
        held = [journal.current(p.name, p.read_bytes()) for p in on_disk]  # a journal: its last record
        assert on_disk and all(raw is None or is_sealed(raw) for raw in held)
        assert not any(SECRET.encode() in p.read_bytes() for p in on_disk)
        after = asyncio.run(history(target, cipher))
        assert {user: after[user] for user in before} == before
        storm = after[STORM_USER]
        assert isinstance(storm, dict) and storm["entries"] and storm["profile"] is not None


async def test_restore_refuses_a_non_empty_directory_a_wrong_key_and_a_foreign_archive(
    tmp_path: Path,
) -> None:
    key = new_key()
    repo = TinyDBRepository(tmp_path / "data", cipher=Cipher.from_text(key))
    repo.prepare()
    await populate(repo)
    archive = tmp_path / "b.tar.gz"
    assert cli(tmp_path, "backup", str(archive), key=key).returncode == 0
    busy = cli(tmp_path, "restore", str(archive), key=key)
    assert busy.returncode == 1 and "not empty" in busy.stderr
    wrong = cli(tmp_path, "restore", str(archive), data=tmp_path / "new", key=new_key())
    assert wrong.returncode == 1 and "not the key" in wrong.stderr
    assert not (tmp_path / "new").exists()
    foreign = tmp_path / "foreign.tar.gz"
    foreign.write_bytes(b"not an archive")
    bad = cli(tmp_path, "restore", str(foreign), data=tmp_path / "new2", key=key)
    assert bad.returncode == 1 and "not a checkin-bot backup" in bad.stderr


def test_a_person_is_read_again_when_a_write_lands_mid_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = tmp_path / "person"
    person.mkdir()
    (person / "draft.json").write_bytes(b"draft-1")
    (person / "profile.json").write_bytes(b"profile-1")
    real_open = open
    writes = iter([True])

    def racing_open(path: object, *args: object, **kwargs: object) -> object:
        if str(path).endswith("profile.json") and next(writes, False):
            tmp = person / "draft.tmp-new"
            tmp.write_bytes(b"draft-2")
            os.replace(tmp, person / "draft.json")  # the bot finished a write after draft was read
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", racing_open)
    assert snapshots._read_person(person) == {"draft.json": b"draft-2", "profile.json": b"profile-1"}


# -- rotate-key --------------------------------------------------------------------------------


async def encrypted_data(tmp_path: Path, users: int) -> tuple[Path, str]:
    key = new_key()
    repo = TinyDBRepository(tmp_path / "data", cipher=Cipher.from_text(key))
    repo.prepare()
    await populate(repo, users=users)
    await repo.create_invite("code", datetime(2030, 1, 1, tzinfo=UTC))
    return tmp_path / "data", key


def rotated(data: Path, old: str, new: str) -> None:
    """Every file opens with the new key only; the old one opens nothing."""
    assert maintenance.check_files(data, Cipher.from_text(new)) == []
    stale = maintenance.check_files(data, Cipher.from_text(old))
    sealed = [p for p in maintenance.data_files(data) if maintenance.role_of(data, p) and p.stat().st_size]
    assert len(stale) == len(sealed) > 0


@pytest.mark.slow
def test_rotate_key_killed_with_sigkill_then_rerun_leaves_only_the_new_key(tmp_path: Path) -> None:
    data, old = asyncio.run(encrypted_data(tmp_path, users=150))
    new = new_key()
    config = tmp_path / "ops.toml"
    config.write_text(f'[storage]\ndata_dir = "{data}"\n')
    env = {**os.environ, "PYTHONPATH": str(ROOT), KEY_ENV: old, "CHECKIN_BOT_NEW_DATA_KEY": new}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "rotate-key", "--config", str(config)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    files = [p for p in maintenance.data_files(data) if p.name.startswith("entries-")]
    new_cipher = Cipher.from_text(new)
    deadline = time.monotonic() + 60
    while not any(
        rotation._opens(new_cipher, p.read_bytes(), maintenance.role_of(data, p) or "") for p in files
    ):
        assert proc.poll() is None and time.monotonic() < deadline, "rotation ended before the kill"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert maintenance.key_problem(data, Cipher.from_text(old)) == (
        "a key rotation was interrupted: rerun `checkin-bot rotate-key`"
    )
    start = cli(tmp_path, "run", key=old)
    assert start.returncode == 2, "the bot must not start on half-rotated data"
    rerun = cli(tmp_path, "rotate-key", key=old, CHECKIN_BOT_NEW_DATA_KEY=new)
    assert rerun.returncode == 0, rerun.stderr
    rotated(data, old, new)
    again = cli(tmp_path, "rotate-key", key=old, CHECKIN_BOT_NEW_DATA_KEY=new)
    assert again.returncode == 0 and "Re-encrypted 0 files" in again.stdout
    assert asyncio.run(history(data, new_cipher))[1]["entries"]


async def test_rotate_key_interrupted_at_every_step_resumes(tmp_path: Path) -> None:
    data, old = await encrypted_data(tmp_path, users=2)
    new = new_key()
    total = len(maintenance.data_files(data)) - 1
    for stop in range(1, total + 1):

        def crash(done: int, _total: int, stop: int = stop) -> None:
            if done == stop:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            maintenance.rotate_key(data, Cipher.from_text(old), Cipher.from_text(new), crash)
    maintenance.rotate_key(data, Cipher.from_text(old), Cipher.from_text(new))
    rotated(data, old, new)


def test_rotate_key_needs_both_keys(tmp_path: Path) -> None:
    no_new = cli(tmp_path, "rotate-key", key=new_key())
    assert no_new.returncode == 2 and "CHECKIN_BOT_NEW_DATA_KEY" in no_new.stderr
    no_old = cli(tmp_path, "rotate-key", CHECKIN_BOT_NEW_DATA_KEY=new_key())
    assert no_old.returncode == 2 and KEY_ENV in no_old.stderr


# -- doctor ------------------------------------------------------------------------------------


async def test_doctor_is_healthy_on_good_data(tmp_path: Path) -> None:
    _, key = await encrypted_data(tmp_path, users=2)
    done = cli(tmp_path, "doctor", "--offline", key=key)
    assert done.returncode == 0, done.stdout
    assert "healthy" in done.stdout and SECRET not in done.stdout + done.stderr


async def test_doctor_names_a_broken_config_an_open_file_and_a_wrong_key(tmp_path: Path) -> None:
    data, key = await encrypted_data(tmp_path, users=2)
    broken = cli(tmp_path, "doctor", "--offline", key=key, extra='[logging]\nlevel = "LOUD"\n')
    assert broken.returncode == 1 and "config: config key 'logging.level' must be one of" in broken.stdout
    profile = TinyDBRepository(data).user_dir(1) / "profile.json"
    profile.chmod(0o644)
    open_file = cli(tmp_path, "doctor", "--offline", key=key)
    assert open_file.returncode == 1 and "users/001/1/profile.json is 0644" in open_file.stdout
    profile.chmod(0o600)
    wrong = cli(tmp_path, "doctor", "--offline", key=new_key())
    assert wrong.returncode == 1 and "not the key this data was encrypted with" in wrong.stdout
    missing = cli(tmp_path, "doctor", "--offline")
    assert missing.returncode == 1 and "CHECKIN_BOT_DATA_KEY is not set" in missing.stdout


async def test_doctor_names_a_damaged_file_and_an_unreachable_telegram_is_no_problem(tmp_path: Path) -> None:
    data, key = await encrypted_data(tmp_path, users=2)
    entries = next(TinyDBRepository(data).user_dir(2).glob("entries-*.json"))
    entries.write_bytes(entries.read_bytes()[:-3])
    unreachable = '[telegram]\nbase_url = "http://127.0.0.1:9/bot"\n'
    done = cli(tmp_path, "doctor", key=key, extra=unreachable)
    assert done.returncode == 1
    assert f"unreadable: users/002/2/{entries.name}: does not decrypt with the data key" in done.stdout
    assert "getMe skipped: Telegram not reachable" in done.stdout and "1:x" not in done.stdout


# -- stats -------------------------------------------------------------------------------------


async def test_stats_counts_without_content(tmp_path: Path) -> None:
    data, key = await encrypted_data(tmp_path, users=3)
    repo = TinyDBRepository(data, cipher=Cipher.from_text(key))
    today = datetime.now(UTC).date()
    await repo.save_profile(
        Profile(user_id=9, timezone="UTC", interests=[SECRET], last_nudged={"evening": today.isoformat()})
    )
    await repo.append_entry(9, Entry(kind="pages", local_date=today, data={"text": SECRET}))
    old = datetime(2020, 1, 1, tzinfo=UTC)
    await repo.append_entry(9, Entry(kind="pages", local_date=date(2020, 1, 1), data={}, created_at=old))
    done = cli(tmp_path, "stats", "--json", key=key)
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout)
    assert counts["people"] == 4 and counts["active in the last 7 days"] == 4
    assert counts["entries: diary"] == 3 and counts["entries: pages"] == 2 and counts["entries in all"] == 5
    assert counts["nudges sent today"] == 1 and counts["data size (bytes)"] > 0
    assert SECRET not in done.stdout + done.stderr
    plain = cli(tmp_path, "stats", key=key)
    assert plain.returncode == 0 and "people" in plain.stdout


# -- import-user -------------------------------------------------------------------------------


async def test_import_user_brings_an_export_to_another_server(tmp_path: Path) -> None:
    data, key = await encrypted_data(tmp_path, users=2)
    repo = TinyDBRepository(data, cipher=Cipher.from_text(key))
    await repo.append_entry(1, Entry(kind="diary", local_date=date(2026, 12, 3), data={"need": "ü"}))
    exported = await repo.export_user(1)
    export = tmp_path / "checkin-export.json"
    export.write_text(json.dumps(exported, ensure_ascii=False))
    other = tmp_path / "other"
    done = cli(tmp_path, "import-user", str(export), data=other)
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert (await history(other, None)) == {1: exported}
    again = cli(tmp_path, "import-user", str(export), data=other)
    assert again.returncode == 1 and "already has a profile" in again.stderr
    exported["entries"][0]["kind"] = "poem"
    export.write_text(json.dumps(exported))
    invalid = cli(tmp_path, "import-user", str(export), data=tmp_path / "third")
    assert invalid.returncode == 1 and "entry 1 of the export" in invalid.stderr
    assert "poem" not in invalid.stderr


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"schema": 2}, "schema is 2"),
        ({"user_id": "1"}, "user_id"),
        ({"profile": None}, "no profile"),
        ({"entries": {}}, "not a list"),
        ({"draft": []}, "draft"),
    ],
)
def test_export_validation_names_the_problem(change: dict[str, object], named: str) -> None:
    valid = {"schema": 1, "user_id": 5, "profile": Profile(user_id=5).to_dict(), "entries": [], "draft": None}
    maintenance.parse_export(valid)
    with pytest.raises(maintenance.MaintenanceError, match=named):
        maintenance.parse_export({**valid, **change})


def test_every_tool_has_help() -> None:
    for command in ("doctor", "backup", "restore", "stats", "rotate-key", "import-user"):
        shown = subprocess.run(
            [sys.executable, "-m", "bot", command, "--help"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert shown.returncode == 0 and f"checkin-bot {command}" in shown.stdout
