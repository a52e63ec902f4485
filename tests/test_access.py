"""Invite-only mode: strangers are refused and leave no trace; an invite lets exactly one person in."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.storage.memory import InMemoryRepository
from bot.storage.tinydb_store import TinyDBRepository
from tests.conftest import Clock, Harness, send

ADMIN = 900


async def make_invite(h: Harness) -> str:
    admin = h.user(ADMIN, "Op")
    await send(h, admin, "/invite")
    message = await admin.wait_for(lambda m: "t.me/" in m.content)
    return message.content.split("?start=")[1].split()[0]


async def test_stranger_is_refused_and_nothing_is_stored(clock: Clock) -> None:
    repo = InMemoryRepository()
    async with Harness(repo, clock, access_mode="invite", admin_ids=frozenset({ADMIN})) as h:
        stranger = h.user(31, "Sam")
        await send(h, stranger, "/start")
        await send(h, stranger, "Berlin")
        await send(h, stranger, "/checkin")
        await send(h, stranger, "/start not-a-real-code")
        refusals = [m for m in stranger.all_messages() if "open only to people invited" in m.content]
        assert len(refusals) == 4
        assert len(stranger.all_messages()) == 4
        assert await h.repo.export_user(stranger.id) == {
            "schema": 1,
            "user_id": 31,
            "profile": None,
            "entries": [],
            "draft": None,
        }


async def test_invite_link_lets_one_person_in_once(clock: Clock) -> None:
    async with Harness(InMemoryRepository(), clock, access_mode="invite", admin_ids=frozenset({ADMIN})) as h:
        code = await make_invite(h)
        assert len(code) >= 16
        invited, latecomer = h.user(41, "Ina"), h.user(42, "Lev")
        await send(h, invited, f"/start {code}")
        await invited.wait_for(lambda m: "differentiation" in m.content)
        await send(h, invited, "Berlin")
        await invited.wait_for(lambda m: "Time zone set" in m.content)
        await send(h, latecomer, f"/start {code}")
        assert "open only to people invited" in (await latecomer.next_message()).content
        assert await h.repo.get_profile(latecomer.id) is None


async def test_expired_invite_and_non_admin_invite(clock: Clock) -> None:
    async with Harness(InMemoryRepository(), clock, access_mode="invite", admin_ids=frozenset({ADMIN}),
                       invite_days=2) as h:  # fmt: skip
        code = await make_invite(h)
        clock.now += timedelta(days=3)
        late = h.user(51, "Lu")
        await send(h, late, f"/start {code}")
        assert "open only to people invited" in (await late.next_message()).content
        listed = h.user(52, "Li")
        # people listed in config get in without an invite, but cannot make invites
        h.services.config = replace(h.services.config, allowed_ids=frozenset({52}))
        await send(h, listed, "/invite")
        assert "Only the operators" in (await listed.next_message()).content


async def test_open_mode_lets_everyone_in(harness: Harness) -> None:
    user = harness.user(61, "Oli")
    await send(harness, user, "/start")
    await user.wait_for(lambda m: "differentiation" in m.content)


async def test_strangers_with_junk_codes_make_the_bot_write_nothing(
    clock: Clock,
    disk_repo_factory: Callable[[], TinyDBRepository],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = disk_repo_factory()
    async with Harness(repo, clock, access_mode="invite", admin_ids=frozenset({ADMIN}), invite_days=2) as h:
        code = await make_invite(h)
        invites = tmp_path / "data" / "invites.json"
        before = invites.read_bytes(), invites.stat().st_ino, invites.stat().st_mtime_ns
        fsyncs: list[int] = []
        real_fsync = os.fsync

        def counting_fsync(fd: int) -> None:
            fsyncs.append(fd)
            real_fsync(fd)

        monkeypatch.setattr(os, "fsync", counting_fsync)
        clock.now += timedelta(days=3)
        for number, text in enumerate(["/start not-a-real-code", f"/start {code}", "/start", "hello"]):
            stranger = h.user(70 + number, "Sam")
            await send(h, stranger, text)
            assert "open only to people invited" in (await stranger.next_message()).content
        assert fsyncs == []
        assert (invites.read_bytes(), invites.stat().st_ino, invites.stat().st_mtime_ns) == before


async def test_help_is_one_tap_away_for_strangers_who_are_not_let_in(
    clock: Clock,
    disk_repo_factory: Callable[[], TinyDBRepository],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with Harness(disk_repo_factory(), clock, access_mode="invite", admin_ids=frozenset({ADMIN})) as h:
        data = tmp_path / "data"
        before = sorted(path.relative_to(data) for path in data.rglob("*"))
        fsyncs: list[int] = []
        real_fsync = os.fsync

        def counting_fsync(fd: int) -> None:
            fsyncs.append(fd)
            real_fsync(fd)

        monkeypatch.setattr(os, "fsync", counting_fsync)
        stranger = h.user(81, "Sam")
        await send(h, stranger, "I can't go on")
        refusal = await stranger.next_message()
        assert "open only to people invited" in refusal.content and "/support" in refusal.content
        await send(h, stranger, "/support")
        assert "your local emergency number" in (await stranger.next_message()).content
        await send(h, stranger, "/SUPPORT@fake_test_bot")
        assert "your local emergency number" in (await stranger.next_message()).content
        await send(h, stranger, "/privacy")
        assert "/delete" in (await stranger.next_message()).content
        await send(h, stranger, "/help")
        assert "What I can do" in (await stranger.next_message()).content
        hebrew = h.user(82, "Noa", language_code="he")
        await send(h, hebrew, "/support")
        assert "1201" in (await hebrew.next_message()).content
        # help did not let them in: everything else is still refused, and nothing was written
        for text in ("/start", "/checkin", "Berlin"):
            await send(h, stranger, text)
            assert "open only to people invited" in (await stranger.next_message()).content
        assert not stranger.pending()
        assert {81, 82}.isdisjoint(h.app.bot_data.allowed_users)
        assert fsyncs == []
        assert sorted(path.relative_to(data) for path in data.rglob("*")) == before
        assert (await h.repo.export_user(81))["profile"] is None
