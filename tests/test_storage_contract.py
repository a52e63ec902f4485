"""One contract suite, run against every `Repository` back-end.

Anything the bot relies on belongs here, so the in-memory repository used by handler
tests cannot drift from the TinyDB one used in production.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.models import Entry, Profile
from bot.storage import SCHEMA_VERSION, Repository
from bot.storage.memory import InMemoryRepository
from bot.storage.tinydb_store import TinyDBRepository

T0 = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "tinydb"])
async def repo(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Repository]:
    repository: Repository = (
        InMemoryRepository() if request.param == "memory" else TinyDBRepository(tmp_path / "data")
    )
    yield repository
    await repository.close()


def entry(day: date, kind: str = "checkin", minutes: int = 0, **data: Any) -> Entry:
    """An entry on `day`, created `minutes` after noon UTC of that day."""
    created = datetime(day.year, day.month, day.day, 12, tzinfo=UTC) + timedelta(minutes=minutes)
    return Entry(kind=kind, local_date=day, data=data or {"text": f"on {day}"}, created_at=created)


def ids(entries: list[Entry]) -> list[str]:
    return [e.entry_id for e in entries]


async def test_unknown_user_is_empty(repo: Repository) -> None:
    assert await repo.get_profile(404) is None
    assert await repo.list_entries(404) == []
    assert await repo.list_entries(404, kind="checkin", start=date(2024, 1, 1), end=date(2024, 12, 31)) == []
    assert await repo.export_user(404) == {
        "schema": SCHEMA_VERSION,
        "user_id": 404,
        "profile": None,
        "entries": [],
        "draft": None,
    }
    assert await repo.take_damage_report(404) == []


async def test_profile_round_trip_and_overwrite(repo: Repository) -> None:
    profile = Profile(
        user_id=7,
        timezone="Europe/Kyiv",
        morning=time(8, 30),
        evening=time(21, 5),
        language="uk",
        active=True,
        onboarded=True,
        created_at=T0,
    )
    await repo.save_profile(profile)
    assert await repo.get_profile(7) == profile

    changed = Profile(user_id=7, timezone=None, morning=None, evening=None, active=False, created_at=T0)
    await repo.save_profile(changed)
    assert await repo.get_profile(7) == changed


async def test_append_and_list(repo: Repository) -> None:
    written = [entry(date(2024, 5, d), text=f"day {d}") for d in (1, 2, 3)]
    for item in written:
        await repo.append_entry(1, item)
    assert await repo.list_entries(1) == written


async def test_kind_filter(repo: Repository) -> None:
    checkin = entry(date(2024, 5, 1), "checkin")
    pages = entry(date(2024, 5, 1), "morning_pages", minutes=1)
    boundary = entry(date(2024, 6, 2), "boundary")
    for item in (checkin, pages, boundary):
        await repo.append_entry(1, item)
    assert await repo.list_entries(1, kind="checkin") == [checkin]
    assert await repo.list_entries(1, kind="morning_pages") == [pages]
    assert await repo.list_entries(1, kind="boundary", start=date(2024, 6, 1)) == [boundary]
    assert await repo.list_entries(1, kind="nope") == []


async def test_date_range_bounds_are_inclusive_across_months_and_years(repo: Repository) -> None:
    days = [
        date(2023, 12, 31),
        date(2024, 1, 1),
        date(2024, 1, 31),
        date(2024, 2, 1),
        date(2024, 2, 29),
        date(2024, 3, 1),
    ]
    by_day = {d: entry(d) for d in days}
    for item in by_day.values():
        await repo.append_entry(3, item)

    async def between(start: date | None, end: date | None) -> list[date]:
        return [e.local_date for e in await repo.list_entries(3, start=start, end=end)]

    assert await between(date(2024, 1, 1), date(2024, 1, 31)) == [date(2024, 1, 1), date(2024, 1, 31)]
    assert await between(date(2024, 1, 31), date(2024, 2, 1)) == [date(2024, 1, 31), date(2024, 2, 1)]
    assert await between(date(2023, 12, 31), date(2024, 1, 1)) == [date(2023, 12, 31), date(2024, 1, 1)]
    assert await between(date(2024, 2, 29), date(2024, 2, 29)) == [date(2024, 2, 29)]
    assert await between(date(2024, 2, 2), date(2024, 2, 28)) == []
    assert await between(date(2024, 3, 2), None) == []
    assert await between(None, date(2023, 12, 30)) == []
    assert await between(date(2024, 2, 1), None) == [date(2024, 2, 1), date(2024, 2, 29), date(2024, 3, 1)]
    assert await between(None, date(2024, 1, 1)) == [date(2023, 12, 31), date(2024, 1, 1)]
    assert await between(None, None) == days
    assert await between(date(2024, 3, 1), date(2024, 1, 1)) == []


async def test_entries_come_back_oldest_first(repo: Repository) -> None:
    late_evening = entry(date(2024, 2, 10), minutes=600)
    early_same_day = entry(date(2024, 2, 10), minutes=-600)
    previous_month = entry(date(2024, 1, 20), minutes=900)
    previous_year = entry(date(2023, 11, 5))
    next_day = entry(date(2024, 2, 11), minutes=-700)
    for item in (late_evening, next_day, previous_year, early_same_day, previous_month):
        await repo.append_entry(1, item)
    expected = [previous_year, previous_month, early_same_day, late_evening, next_day]
    assert ids(await repo.list_entries(1)) == ids(expected)
    exported = (await repo.export_user(1))["entries"]
    assert [raw["entry_id"] for raw in exported] == ids(expected)


_user_ids = itertools.count(10_000)
json_scalar = st.text(max_size=200) | st.integers(-(2**63), 2**63) | st.booleans() | st.none()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.text(max_size=2000),
    kind=st.text(min_size=1, max_size=30),
    extra=st.dictionaries(st.text(max_size=20), json_scalar | st.lists(json_scalar, max_size=4), max_size=4),
)
async def test_arbitrary_unicode_round_trips(
    repo: Repository, text: str, kind: str, extra: dict[str, Any]
) -> None:
    user_id = next(_user_ids)
    data = {**extra, "text": text}
    item = Entry(kind=kind, local_date=date(2024, 7, 14), data=data, created_at=T0)
    await repo.append_entry(user_id, item)
    assert await repo.list_entries(user_id) == [item]
    assert await repo.list_entries(user_id, kind=kind) == [item]


async def test_awkward_text_round_trips(repo: Repository) -> None:
    texts = [
        "",
        "\x00\x01\x1f",
        "👩‍❤️‍👨 🏳️‍🌈",
        "שלום עולם",
        'line\nbreak\ttab \\ "quote"',
        "\ud800 lone",
        "é" * 10_000,
    ]
    written = [
        Entry("note", date(2024, 1, 2), {"text": t}, created_at=T0 + timedelta(seconds=i))
        for i, t in enumerate(texts)
    ]
    for item in written:
        await repo.append_entry(5, item)
    assert await repo.list_entries(5) == written


async def test_users_are_isolated(repo: Repository) -> None:
    # 1 and 1001 share a shard directory on disk.
    for user_id in (1, 1001, 2):
        await repo.save_profile(Profile(user_id=user_id, timezone=f"Zone/{user_id}", created_at=T0))
        await repo.append_entry(user_id, entry(date(2024, 1, 1), text=f"from {user_id}"))
    for user_id in (1, 1001, 2):
        profile = await repo.get_profile(user_id)
        assert profile is not None and profile.timezone == f"Zone/{user_id}"
        assert [e.data["text"] for e in await repo.list_entries(user_id)] == [f"from {user_id}"]

    await repo.delete_user(1)
    assert await repo.get_profile(1) is None
    assert await repo.get_profile(1001) is not None
    assert len(await repo.list_entries(1001)) == 1


async def test_delete_user_removes_everything(repo: Repository) -> None:
    await repo.save_profile(Profile(user_id=9, created_at=T0))
    for month in (1, 2, 3):
        await repo.append_entry(9, entry(date(2024, month, 1)))
    await repo.delete_user(9)
    assert await repo.get_profile(9) is None
    assert await repo.list_entries(9) == []
    assert await repo.export_user(9) == {
        "schema": SCHEMA_VERSION,
        "user_id": 9,
        "profile": None,
        "entries": [],
        "draft": None,
    }

    # A deleted user can come back as a new one.
    fresh = entry(date(2024, 4, 1))
    await repo.append_entry(9, fresh)
    assert await repo.list_entries(9) == [fresh]


async def test_delete_unknown_user_is_fine(repo: Repository) -> None:
    await repo.delete_user(123456)
    await repo.delete_user(123456)
    assert await repo.get_profile(123456) is None


async def test_export_contains_profile_and_entries_oldest_first(repo: Repository) -> None:
    profile = Profile(user_id=4, timezone="Asia/Tokyo", morning=time(7, 0), created_at=T0)
    await repo.save_profile(profile)
    newer = entry(date(2024, 3, 1), text="newer")
    older = entry(date(2024, 2, 1), kind="boundary", text="older")
    await repo.append_entry(4, newer)
    await repo.append_entry(4, older)
    assert await repo.export_user(4) == {
        "schema": SCHEMA_VERSION,
        "user_id": 4,
        "profile": profile.to_dict(),
        "entries": [older.to_dict(), newer.to_dict()],
        "draft": None,
    }


async def test_concurrent_appends_for_one_user_all_land(repo: Repository) -> None:
    written = [entry(date(2024, 1 + i % 3, 1 + i % 28), minutes=i, n=i) for i in range(50)]
    await asyncio.gather(*(repo.append_entry(77, item) for item in written))
    stored = await repo.list_entries(77)
    assert sorted(ids(stored)) == sorted(ids(written))
    assert len(stored) == 50


async def test_damage_report_is_empty_by_default(repo: Repository) -> None:
    await repo.save_profile(Profile(user_id=8, created_at=T0))
    await repo.append_entry(8, entry(date(2024, 1, 1)))
    assert await repo.take_damage_report(8) == []
    assert await repo.take_damage_report(9) == []


async def test_callers_cannot_mutate_stored_state(repo: Repository) -> None:
    item = entry(date(2024, 1, 1), text="original", tags=["a"], nested={"k": [1]})
    await repo.append_entry(1, item)
    item.data["text"] = "changed after append"
    item.data["tags"].append("b")

    first = (await repo.list_entries(1))[0]
    assert first.data == {"text": "original", "tags": ["a"], "nested": {"k": [1]}}
    first.data["text"] = "changed after list"
    first.data["tags"].append("c")
    first.data["nested"]["k"].append(2)
    exported = await repo.export_user(1)
    exported["entries"][0]["data"]["tags"].append("d")

    again = (await repo.list_entries(1))[0]
    assert again.data == {"text": "original", "tags": ["a"], "nested": {"k": [1]}}

    profile = Profile(user_id=1, timezone="UTC", created_at=T0)
    await repo.save_profile(profile)
    profile.timezone = "Europe/Rome"
    got = await repo.get_profile(1)
    assert got is not None and got.timezone == "UTC"
    got.timezone = "Asia/Tokyo"
    got_again = await repo.get_profile(1)
    assert got_again is not None and got_again.timezone == "UTC"


async def test_data_that_json_cannot_hold_is_rejected_without_side_effects(repo: Repository) -> None:
    await repo.append_entry(1, entry(date(2024, 1, 1), text="kept"))
    with pytest.raises((TypeError, ValueError)):
        await repo.append_entry(1, entry(date(2024, 1, 2), text={1, 2}))
    with pytest.raises((TypeError, ValueError)):
        await repo.append_entry(1, entry(date(2024, 1, 2), value=float("nan")))
    assert [e.data["text"] for e in await repo.list_entries(1)] == ["kept"]


# --- drafts and profile iteration -----------------------------------------------------------

DRAFT = {"flow": "checkin", "answers": {"family": "fear", "happened": "אני עייפה 😴 <b>&"}, "step": "whose"}


async def test_draft_round_trip_replace_and_clear(repo: Repository) -> None:
    assert await repo.get_draft(5) is None
    assert await repo.users_with_drafts() == []
    await repo.save_draft(5, DRAFT)
    assert await repo.get_draft(5) == DRAFT
    assert await repo.users_with_drafts() == [5]
    changed = {**DRAFT, "step": "expressed"}
    await repo.save_draft(5, changed)
    assert await repo.get_draft(5) == changed
    await repo.clear_draft(5)
    await repo.clear_draft(5)
    await repo.clear_draft(6)
    assert await repo.get_draft(5) is None
    assert await repo.users_with_drafts() == []


async def test_drafts_are_isolated_copied_exported_and_deleted(repo: Repository) -> None:
    parts = ["a"]
    await repo.save_draft(1, {"flow": "pages", "answers": {"parts": parts}})
    await repo.save_draft(2, DRAFT)
    parts.append("mutated after saving")
    got = await repo.get_draft(1)
    assert got == {"flow": "pages", "answers": {"parts": ["a"]}}
    assert got is not None
    got["flow"] = "changed by the caller"
    assert (await repo.get_draft(1) or {})["flow"] == "pages"
    assert sorted(await repo.users_with_drafts()) == [1, 2]
    assert (await repo.export_user(2))["draft"] == DRAFT
    await repo.delete_user(2)
    assert await repo.get_draft(2) is None
    assert await repo.users_with_drafts() == [1]


async def test_draft_must_be_json_safe(repo: Repository) -> None:
    with pytest.raises((TypeError, ValueError)):
        await repo.save_draft(3, {"bad": {1, 2}})
    with pytest.raises((TypeError, ValueError)):
        await repo.save_draft(3, {"bad": float("inf")})
    with pytest.raises(TypeError):
        await repo.save_draft(3, ["not", "a", "dict"])  # type: ignore[arg-type]
    assert await repo.get_draft(3) is None
    assert await repo.users_with_drafts() == []
    await repo.save_draft(3, DRAFT)
    with pytest.raises((TypeError, ValueError)):
        await repo.save_draft(3, {"bad": object()})
    assert await repo.get_draft(3) == DRAFT  # a refused save keeps the previous draft


async def test_users_with_drafts_follows_saves_clears_and_deletes(repo: Repository) -> None:
    for user_id in (30, 1030, 31, 32):
        await repo.save_draft(user_id, {"n": user_id})
    await repo.save_draft(31, {"n": "again"})
    assert sorted(await repo.users_with_drafts()) == [30, 31, 32, 1030]
    await repo.clear_draft(30)
    await repo.delete_user(1030)
    await repo.delete_user(33)
    assert sorted(await repo.users_with_drafts()) == [31, 32]
    assert await repo.get_draft(31) == {"n": "again"}
    assert await repo.get_draft(1030) is None
    await repo.save_draft(1030, {"n": "back"})  # a deleted user can start over
    assert sorted(await repo.users_with_drafts()) == [31, 32, 1030]


async def test_long_draft_round_trips_and_deleting_keeps_the_rest(repo: Repository) -> None:
    long_text = "Ich schreibe 📝 " * 7_000  # ~100 KB of free text
    draft = {"flow": "pages", "answers": {"text": long_text, "parts": [long_text[:10]] * 3}, "n": 1.5}
    await repo.save_profile(Profile(user_id=40, created_at=T0))
    await repo.append_entry(40, entry(date(2024, 1, 1)))
    await repo.save_draft(40, draft)
    assert await repo.get_draft(40) == draft
    exported = await repo.export_user(40)
    assert exported["draft"] == draft and len(exported["entries"]) == 1
    await repo.clear_draft(40)
    assert (await repo.export_user(40))["draft"] is None
    assert await repo.get_profile(40) is not None
    assert len(await repo.list_entries(40)) == 1
    await repo.save_draft(40, {})
    assert await repo.get_draft(40) == {}  # an empty draft is still a draft
    assert (await repo.export_user(40))["draft"] == {}


async def test_iter_profiles_yields_each_current_profile_once(repo: Repository) -> None:
    assert [p async for p in repo.iter_profiles()] == []
    saved = {
        user_id: Profile(user_id=user_id, timezone="UTC", interests=[f"topic {user_id}"], created_at=T0)
        for user_id in (1, 1001, 2, 999, 99999)
    }
    for profile in saved.values():
        await repo.save_profile(profile)
    saved[2] = Profile(
        user_id=2,
        timezone="Asia/Kolkata",
        morning=time(6, 0),
        interests=["sleep", "שלום"],
        last_nudged={"morning": "2024-05-01"},
        created_at=T0,
    )
    await repo.save_profile(saved[2])
    await repo.delete_user(1001)
    del saved[1001]
    await repo.append_entry(5, entry(date(2024, 1, 1)))  # entries alone make no profile
    await repo.save_draft(6, DRAFT)  # nor does a draft
    found = [p async for p in repo.iter_profiles()]
    assert sorted(found, key=lambda p: p.user_id) == [saved[u] for u in sorted(saved)]

    found[0].interests.append("changed by the caller")
    assert sorted([p async for p in repo.iter_profiles()], key=lambda p: p.user_id) == [
        saved[u] for u in sorted(saved)
    ]
    for user_id in list(saved):
        await repo.delete_user(user_id)
    assert [p async for p in repo.iter_profiles()] == []


async def test_invites_are_single_use_and_expire(repo: Repository) -> None:
    await repo.create_invite("abc", T0 + timedelta(days=7))
    await repo.create_invite("old", T0 + timedelta(days=1))
    assert await repo.redeem_invite("nope", T0) is False
    assert await repo.redeem_invite("old", T0 + timedelta(days=2)) is False
    assert await repo.redeem_invite("abc", T0 + timedelta(days=2)) is True
    assert await repo.redeem_invite("abc", T0 + timedelta(days=2)) is False


async def test_finishing_a_draft_stores_its_entry_once_and_removes_the_draft(repo: Repository) -> None:
    await repo.save_draft(7, DRAFT)
    await repo.save_draft(8, DRAFT)
    await repo.finish_draft(7, entry(date(2024, 3, 2), "diary", text="done"))
    await repo.finish_draft(8, None)  # an exercise that stores no entry
    await repo.finish_draft(9, None)  # nobody's draft: nothing happens
    assert await repo.get_draft(7) is None and await repo.get_draft(8) is None
    assert await repo.users_with_drafts() == []
    assert [e.data for e in await repo.list_entries(7)] == [{"text": "done"}]
    assert await repo.list_entries(8) == []


async def test_finishing_again_with_the_same_entry_id_stores_nothing_twice(repo: Repository) -> None:
    """A crash between storing and replying, or a repeated update, finishes the same draft again."""
    done = entry(date(2024, 3, 31), "diary", text="done")
    await repo.save_draft(7, DRAFT)
    await repo.finish_draft(7, done)
    await repo.save_draft(7, DRAFT)
    await repo.finish_draft(7, done)
    other = entry(date(2024, 3, 31), "diary", text="another one")
    await repo.finish_draft(7, other)
    assert ids(await repo.list_entries(7)) == [done.entry_id, other.entry_id]
    assert await repo.get_draft(7) is None


async def test_day_totals_sum_one_field_per_day_of_one_kind_within_inclusive_bounds(repo: Repository) -> None:
    for stored in (
        entry(date(2024, 1, 31), "pages", text_words=100),  # the day before the range
        entry(date(2024, 2, 1), "pages", text_words=120),
        entry(date(2024, 2, 1), "pages", 5, text_words="30"),  # counts as stored, as a number
        entry(date(2024, 2, 1), "diary", text_words=999),  # another kind
        entry(date(2024, 2, 29), "pages", text="no count"),  # a day with an entry but no words
        entry(date(2024, 3, 1), "pages", text_words=7),  # the last day, another month
        entry(date(2024, 3, 2), "pages", text_words=50),  # after the range
    ):
        await repo.append_entry(1, stored)
    await repo.append_entry(2, entry(date(2024, 2, 1), "pages", text_words=5))

    totals = await repo.day_totals(1, "pages", "text_words", date(2024, 2, 1), date(2024, 3, 1))
    assert totals == {date(2024, 2, 1): 150, date(2024, 2, 29): 0, date(2024, 3, 1): 7}
    assert await repo.day_totals(1, "boundary", "text_words", date(2024, 1, 1), date(2024, 12, 31)) == {}
    assert await repo.day_totals(3, "pages", "text_words", date(2024, 1, 1), date(2024, 12, 31)) == {}
