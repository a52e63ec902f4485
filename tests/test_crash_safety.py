"""Kill a writer process at random moments; nothing acknowledged may be lost or left unreadable."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from bot.storage import journal
from bot.storage.crypto import KEY_ENV, Cipher, is_sealed, new_key
from bot.storage.tinydb_store import TinyDBRepository

ROOT = Path(__file__).resolve().parents[1]
WRITER = ROOT / "tests" / "crash_writer.py"
USER_ID = 4242  # as in crash_writer.py
RUNS = 50
FIRST_ACK_TIMEOUT = 30.0


def run_and_kill(
    data_dir: Path, run_no: int, delay: float, log_dir: Path, key: str | None = None
) -> tuple[list[str], int]:
    """Start the writer, SIGKILL it `delay` s after its first ack.

    Returns the acknowledged ids and how many temp files the kill left behind (a sign it
    landed in the middle of a write).
    """
    lines: list[bytes] = []
    first_ack = threading.Event()
    stderr_path = log_dir / f"writer-{run_no}.stderr"
    with stderr_path.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, str(WRITER), str(data_dir), str(run_no)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            cwd=ROOT,
            env={**os.environ, **({KEY_ENV: key} if key else {})},
        )
        assert proc.stdout is not None
        stdout = proc.stdout

        def drain() -> None:
            for line in stdout:
                lines.append(line)
                first_ack.set()

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        try:
            if not first_ack.wait(FIRST_ACK_TIMEOUT):
                pytest.fail(f"writer {run_no} never acknowledged: {stderr_path.read_text()}")
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait()
            reader.join()
            stdout.close()
    assert proc.returncode == -signal.SIGKILL, stderr_path.read_text()
    user_dir = TinyDBRepository(data_dir).user_dir(USER_ID)
    torn = sum(1 for p in user_dir.iterdir() if p.name.endswith(".tmp"))
    # Only complete lines count: a torn last line was never fully acknowledged.
    return [line.decode().strip() for line in lines if line.endswith(b"\n")], torn


@pytest.mark.slow
@pytest.mark.parametrize("encrypted", [False, True], ids=["plaintext", "encrypted"])
def test_sigkill_at_random_moments_loses_no_acknowledged_entry(tmp_path: Path, encrypted: bool) -> None:
    rng = random.Random(20240601)
    data_dir = tmp_path / "data"
    key = new_key() if encrypted else None
    cipher = Cipher.from_text(key) if key else None
    acked: list[str] = []
    torn = 0
    for run_no in range(RUNS):
        ids, leftovers = run_and_kill(data_dir, run_no, rng.uniform(0.05, 0.4), tmp_path, key)
        acked += ids
        torn += leftovers

    drafts_acked = [tuple(map(int, line.split()[1:])) for line in acked if line.startswith("draft ")]
    acked = [line for line in acked if not line.startswith("draft ")]
    user_dir = TinyDBRepository(data_dir).user_dir(USER_ID)
    files = [p for p in user_dir.iterdir() if p.name.endswith((".json", ".log"))]
    assert len(files) > 12
    assert "draft.log" in {p.name for p in files}
    assert (data_dir / "drafts" / str(USER_ID)).exists()  # never a draft without its marker
    index = (user_dir.parent / "profiles-index.json").read_bytes()
    assert is_sealed(index) == encrypted
    if cipher is not None:
        index = cipher.open(index, f"index/{user_dir.parent.name}")
    assert list(json.loads(index)["profiles"]) == [str(USER_ID)]
    for path in files:  # every file parses on its own (a journal: its last whole record)
        raw = journal.current(path.name, path.read_bytes())
        assert raw is not None and is_sealed(raw) == encrypted
        if cipher is not None:
            raw = cipher.open(raw, f"{USER_ID}/{path.name}")
        document = json.loads(raw.decode("utf-8"))
        assert document["table"] == path.stem

    async def load() -> tuple[list[str], list[str], bool, dict[str, Any] | None]:
        repo = TinyDBRepository(data_dir, cipher=cipher)
        damage = await repo.take_damage_report(USER_ID)
        stored = [e.entry_id for e in await repo.list_entries(USER_ID)]
        profile = await repo.get_profile(USER_ID)
        indexed = [p async for p in repo.iter_profiles()]  # repairs what a kill left stale first
        return damage, stored, profile is not None and indexed == [profile], await repo.get_draft(USER_ID)

    damage, stored, profile_indexed, draft = asyncio.run(load())
    assert damage == []
    assert not (user_dir / "quarantine").exists()
    assert profile_indexed
    assert not list((data_dir / "index-pending").iterdir())
    assert draft is not None and (draft["run"], draft["n"]) >= max(drafts_acked)
    assert len(stored) == len(set(stored))
    missing = set(acked) - set(stored)
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged entries lost"
    assert not any(p.name.endswith(".tmp") for p in user_dir.iterdir())
    print(f"{RUNS} kills, {len(acked)} acked, {len(stored)} stored, kills left {torn} temp files mid-write")
