"""End-to-end nudges: the real bot process, the fake Bot API, a nudge time that just passed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.models import Profile
from bot.storage.tinydb_store import TinyDBRepository
from tests.fakeapi.process import BotProcess
from tests.fakeapi.server import FakeTelegramServer
from tests.fakeapi.waiting import wait_until

pytestmark = pytest.mark.e2e

NUDGE = "Two minutes for your emotion diary"
MORNING = "A few minutes of morning pages?"
PLANNED = "Reminders planned for"


async def seed(data_dir: Path, *user_ids: int) -> None:
    """People whose evening and morning nudges were due two and one minutes ago: the bot, just
    started, sends each late, once, earliest first."""
    now = datetime.now(UTC)
    evening, morning = ((now - timedelta(minutes=n)).time().replace(second=0, microsecond=0) for n in (2, 1))
    repo = TinyDBRepository(data_dir)
    for user_id in user_ids:
        await repo.save_profile(
            Profile(user_id=user_id, timezone="UTC", morning=morning, evening=evening, onboarded=True)
        )
    await repo.close()


def sends_to(server: FakeTelegramServer, chat_id: int) -> int:
    return sum(1 for call in server.calls("sendMessage") if call.params.get("chat_id") == chat_id)


async def test_nudge_arrives_blocked_user_skipped_restart_does_not_repeat(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    alice, blocked = server.user(5001, "Alice"), server.user(5002, "Bo")
    await seed(tmp_path / "data", alice.id, blocked.id)
    server.block(blocked.id)
    bot = BotProcess(server, tmp_path, extra_toml="[nudges]\ntick_seconds = 0.2\n")
    async with bot:
        nudge = await alice.wait_for(lambda m: NUDGE in m.content, timeout=15)
        await alice.wait_for(lambda m: MORNING in m.content)  # her second nudge comes too
        await alice.press(nudge, "📓 Start check-in")
        await alice.wait_for(lambda m: "family of feelings" in m.content)
        await asyncio.sleep(0.6)  # a few more ticks, in which nothing more may be tried
        assert sends_to(server, blocked.id) == 1  # the evening nudge got 403; no morning one was tried
        await bot.settle()
        bot.kill()
        planned_before = bot.logs().count(PLANNED)
        await bot.start()
        await wait_until(
            lambda: bot.logs().count(PLANNED) > planned_before, "the restarted bot planned nudges"
        )
        await asyncio.sleep(1.0)  # five ticks, in which nothing may be sent again
        assert sum(1 for m in alice.all_messages() if NUDGE in m.content) == 1
        assert sum(1 for m in alice.all_messages() if MORNING in m.content) == 1
        assert sends_to(server, blocked.id) == 1
    repo = TinyDBRepository(tmp_path / "data")
    blocked_profile = await repo.get_profile(blocked.id)
    assert blocked_profile is not None and not blocked_profile.active
    alice_profile = await repo.get_profile(alice.id)
    assert alice_profile is not None and alice_profile.active
    assert set(alice_profile.last_nudged) == {"morning", "evening"}
