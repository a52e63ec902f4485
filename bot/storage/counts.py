"""Counts for the operator (`checkin-bot stats`): people, activity, entries per kind, sizes.
Counts only: nothing a person wrote."""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.domain.models import Profile
from bot.storage.base import StorageError
from bot.storage.crypto import Cipher
from bot.storage.files import CorruptFileError
from bot.storage.indexes import ProfileIndex
from bot.storage.inventory import Progress, data_files, no_progress, user_dirs
from bot.storage.sealing import table_role, unseal
from bot.storage.table_format import decode


@dataclass(slots=True)
class Stats:
    """Counts only."""

    people: int = 0
    active_7_days: int = 0
    entries: Counter[str] = field(default_factory=Counter)
    nudges_today: int = 0
    data_bytes: int = 0
    files: int = 0
    unreadable: int = 0


def stats(data_dir: Path, cipher: Cipher | None, now: datetime, progress: Progress = no_progress) -> Stats:
    """People (from the shard indexes), activity and entries per kind (from the entry files), sizes.

    "Active" means an entry created in the last 7 days; "nudges today" counts reminders whose
    last sending date is today in the person's own zone.
    """
    result = Stats()
    index = ProfileIndex(Path(data_dir), cipher)
    for shard in index.shards():
        profiles, _ = index.read(shard)
        result.people += len(profiles)
        result.nudges_today += sum(_nudged_today(profile, now) for profile in profiles)
    since = now - timedelta(days=7)
    people = user_dirs(Path(data_dir))
    for done, person in enumerate(people, 1):
        active = False
        for path in person.glob("entries-*.json"):
            try:
                docs = decode(path.stem, unseal(cipher, path.read_bytes(), table_role(person, path.name)))
            except (CorruptFileError, StorageError, OSError):
                result.unreadable += 1
                continue
            for doc in docs.values():
                result.entries[str(doc["kind"])] += 1
                active = active or datetime.fromisoformat(doc["created_at"]) >= since
        result.active_7_days += active
        progress(done, len(people))
    for path in data_files(Path(data_dir)):
        with contextlib.suppress(FileNotFoundError):
            result.data_bytes += path.stat().st_size
            result.files += 1
    return result


def _nudged_today(profile: Profile, now: datetime) -> int:
    try:
        today = now.astimezone(ZoneInfo(profile.timezone or "UTC")).date().isoformat()
    except (ValueError, KeyError):
        today = now.date().isoformat()
    return sum(1 for day in profile.last_nudged.values() if day == today)
