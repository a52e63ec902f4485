"""Many people on disk for the benchmarks, written straight to the store's files.

Going through `TinyDBRepository` costs a durable write (fsyncs) per profile and per entry: hours
for 100k people with their check-ins. Here the same files are written directly, in the store's
own format (its encoders, names and layout), without fsyncs: each user's `profile.json` and
`entries-YYYY-MM.json`, and each shard's `profiles-index.json`. tests/test_bench_populate.py
checks that the store reads them back exactly as it reads what it wrote itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bot.domain.models import Entry, Profile
from bot.storage.base import SCHEMA_VERSION
from bot.storage.files import DIR_MODE, FILE_MODE
from bot.storage.layout import SHARD_INDEX, SHARDS, USERS_DIR, shard_name, user_dir
from bot.storage.table_format import PROFILE_TABLE, encode_json, file_bytes, month_table
from bot.storage.tinydb_store import TinyDBRepository

Person = Callable[[int], tuple[Profile, Sequence[Entry]]]
"""user id -> their profile and their entries (oldest first, as they would have been appended)."""


def write_people(data_dir: Path, count: int, person: Person) -> None:
    """People 1..`count` on disk, one shard at a time (memory stays at one shard's ~1/1000)."""
    TinyDBRepository(data_dir).prepare()
    for shard in range(SHARDS):
        index: dict[str, Any] = {}
        for user_id in range(shard or SHARDS, count + 1, SHARDS):
            profile, entries = person(user_id)
            index[str(user_id)] = _write_user(data_dir, profile, entries)
        if index:
            name = shard_name(shard)
            payload = encode_json({"schema": SCHEMA_VERSION, "shard": name, "profiles": index})
            _write(data_dir / USERS_DIR / name, SHARD_INDEX, payload)


def _write_user(data_dir: Path, profile: Profile, entries: Sequence[Entry]) -> dict[str, Any]:
    """The user's table files, as `TinyDBRepository.save_profile` and `append_entry` leave them;
    returns the profile record (for the shard index)."""
    directory = user_dir(data_dir, profile.user_id)
    os.makedirs(directory, DIR_MODE, exist_ok=True)
    record = profile.to_dict()
    _write(directory, f"{PROFILE_TABLE}.json", _table(PROFILE_TABLE, [record]))
    months: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        months.setdefault(month_table(entry.local_date), []).append(entry.to_dict())
    for name, docs in months.items():
        _write(directory, f"{name}.json", _table(name, docs))
    return record


def _table(name: str, docs: list[dict[str, Any]]) -> bytes:
    """A table file whose documents have the ids TinyDB gives them: 1, 2, ... in insertion order
    (a profile table's only document is SINGLE_DOC_ID, 1)."""
    members = [encode_json(str(doc_id)) + b":" + encode_json(doc) for doc_id, doc in enumerate(docs, 1)]
    return file_bytes(name, members)


def _write(directory: Path, filename: str, payload: bytes) -> None:
    fd = os.open(directory / filename, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(payload)
