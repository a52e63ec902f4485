"""The benchmarks' fast writer (bench/populate.py) leaves what the store itself would.

It writes the store's files directly (100k people through the repository would take hours), so
it must not drift from the real format: the same people written both ways read back the same
through TinyDBRepository, with the same files.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from bench.populate import write_people
from bot.domain.models import Entry, Profile
from bot.storage.tinydb_store import TinyDBRepository

PEOPLE = 5
START = datetime(2026, 10, 29, 20, 0, tzinfo=UTC)


def person(user_id: int) -> tuple[Profile, Sequence[Entry]]:
    """Varied people: other zones and settings, entries over two months, some in Hebrew; the last has none."""
    profile = Profile(
        user_id=user_id,
        timezone=("UTC", "Asia/Jerusalem", "America/New_York")[user_id % 3],
        morning=time(7, 30) if user_id % 2 else None,
        evening=time(21, 0),
        onboarded=True,
        created_at=START - timedelta(days=user_id),
        language="he" if user_id % 2 else "en",
    )
    profile.last_nudged["weekly"] = "2026-11-22"
    entries = []
    for n in range(0 if user_id == PEOPLE else 2 + user_id):
        at = START + timedelta(days=3 * n, minutes=user_id)
        data: dict[str, object] = {"family": "calm", "feeling": "glad", "intensity": 1 + n % 5}
        kind = "diary"
        if n % 3 == 2:
            kind, data = "pages", {"text": "שלום, a morning page ✨", "words": [n, {"nested": None}]}
        entries.append(Entry(kind=kind, local_date=at.date(), data=data, created_at=at,
                             entry_id=f"{user_id:016x}{n:016x}"))  # fmt: skip
    return profile, entries


async def through_repository(data_dir: Path) -> None:
    repo = TinyDBRepository(data_dir)
    repo.prepare()
    for user_id in range(1, PEOPLE + 1):
        profile, entries = person(user_id)
        await repo.save_profile(profile)
        for entry in entries:
            await repo.append_entry(user_id, entry)
    await repo.close()


async def read_back(data_dir: Path) -> dict[str, object]:
    repo = TinyDBRepository(data_dir)
    profiles = [profile async for profile in repo.iter_profiles()]
    found: dict[str, object] = {"profiles": sorted(profiles, key=lambda profile: profile.user_id)}
    for user_id in range(1, PEOPLE + 1):
        found[f"profile {user_id}"] = await repo.get_profile(user_id)
        found[f"entries {user_id}"] = await repo.list_entries(user_id)
        found[f"diary in November {user_id}"] = await repo.list_entries(
            user_id, "diary", date(2026, 11, 1), date(2026, 11, 30)
        )
        found[f"export {user_id}"] = await repo.export_user(user_id)
        found[f"damage {user_id}"] = await repo.take_damage_report(user_id)
    await repo.close()
    return found


def files_of(data_dir: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(data_dir)): path.read_bytes() for path in data_dir.rglob("*") if path.is_file()
    }


async def test_written_directly_reads_back_as_written_through_the_store(tmp_path: Path) -> None:
    direct, stored = tmp_path / "direct", tmp_path / "stored"
    write_people(direct, PEOPLE, person)
    await through_repository(stored)
    assert sum(len(entries) for _, entries in map(person, range(1, PEOPLE + 1))) == 18
    assert files_of(direct).keys() == files_of(stored).keys()
    assert any("entries-2026-10" in name for name in files_of(direct))
    assert any("entries-2026-11" in name for name in files_of(direct))
    for name, content in files_of(stored).items():
        if name.endswith("profiles-index.json"):  # the same profiles; key order may differ
            assert json.loads(files_of(direct)[name]) == json.loads(content), name
        else:
            assert files_of(direct)[name] == content, name
    assert await read_back(direct) == await read_back(stored)


async def test_a_shard_holds_many_people(tmp_path: Path) -> None:
    """Users 1 and 1001 share shard 001: both in its index, each in their own directory."""
    write_people(tmp_path, 1001, lambda user_id: (person(user_id)[0], ()))
    repo = TinyDBRepository(tmp_path)
    ids = [profile.user_id async for profile in repo.iter_profiles()]
    assert sorted(ids) == list(range(1, 1002))
    assert await repo.get_profile(1001) == person(1001)[0]
    await repo.close()
