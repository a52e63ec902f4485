"""End-to-end faults: the real bot process keeps serving through 429s, 5xx, dropped connections
and a Bot API outage, losing no update and answering none twice."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

import pytest

from tests.fakeapi.process import BotProcess
from tests.fakeapi.server import FakeTelegramServer

pytestmark = pytest.mark.e2e

HELP = "What I can do"


def replies(user: object, marker: str) -> int:
    return sum(1 for m in user.all_messages() if marker in m.content)  # type: ignore[attr-defined]


async def test_429_is_waited_out_and_others_are_still_served(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    first, second = server.user(7001, "Ada"), server.user(7002, "Ben")
    async with BotProcess(server, tmp_path):
        server.inject_fault("sendMessage", status=429, retry_after=1, times=1, chat_id=first.id)
        started = time.monotonic()
        await first.send("/help")
        await second.send("/help")
        await first.wait_for(lambda m: HELP in m.content, timeout=10)
        await second.wait_for(lambda m: HELP in m.content, timeout=10)
        assert time.monotonic() - started >= 1.0
        rejected = [c for c in server.calls("sendMessage") if c.status == 429]
        assert len(rejected) == 1
        assert replies(first, HELP) == 1 and replies(second, HELP) == 1


async def test_5xx_and_dropped_connections_are_retried(server: FakeTelegramServer, tmp_path: Path) -> None:
    user = server.user(7003, "Cy")
    bot = BotProcess(server, tmp_path)
    async with bot:
        server.inject_fault("sendMessage", status=502, times=2, chat_id=user.id)
        await user.send("/help")
        await user.wait_for(lambda m: HELP in m.content, timeout=15)
        server.inject_fault("sendMessage", drop_connection=True, times=1, chat_id=user.id)
        await user.send("/privacy")
        await user.wait_for(lambda m: "Your privacy" in m.content, timeout=15)
        # A send that keeps failing is given up after a bounded number of tries; the bot carries on.
        server.inject_fault("sendMessage", status=500, times=50, chat_id=user.id)
        await user.send("/help")
        deadline = time.monotonic() + 15
        while (  # noqa: ASYNC110 - polling what another process did
            sum(1 for c in server.calls("sendMessage") if c.status == 500) < 4 and time.monotonic() < deadline
        ):
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)
        failures = sum(1 for c in server.calls("sendMessage") if c.status == 500)
        assert 4 <= failures <= 12  # 1 + 3 retries for the reply, then one apology attempt, also retried
        server.clear_faults()
        await user.send("/help")
        await user.wait_for(lambda m: HELP in m.content, timeout=15)
        assert bot.proc is not None and bot.proc.poll() is None
    logs = bot.logs()
    assert "sendMessage failed (NetworkError); retrying" in logs
    assert "failed: telegram.error.NetworkError" in logs  # given up, logged without user text


async def test_send_timeout_is_retried_and_the_bot_carries_on(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    user = server.user(7007, "Gil")
    async with BotProcess(server, tmp_path) as bot:
        server.inject_fault("sendMessage", delay=6.0, times=1, chat_id=user.id)  # past PTB's 5 s read timeout
        await user.send("/help")
        await user.wait_for(lambda m: HELP in m.content, timeout=30)
        assert "sendMessage failed (TimedOut); retrying" in bot.logs()
        await user.send("/privacy")
        await user.wait_for(lambda m: "Your privacy" in m.content, timeout=15)


async def test_get_updates_outage_loses_nothing_and_repeats_nothing(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    user = server.user(7004, "Dee")
    async with BotProcess(server, tmp_path) as bot:
        await user.send("/help")
        await user.wait_for(lambda m: HELP in m.content)
        await bot.settle()
        server.inject_fault("getUpdates", status=502, times=3)
        server.fail_connections("getUpdates", duration=2.0)
        for _ in range(3):
            await user.send("/help")
        await asyncio.sleep(2.5)
        for _ in range(5):
            if replies(user, HELP) >= 4:
                break
            await asyncio.sleep(1)
        await bot.settle(timeout=20)
        await asyncio.sleep(0.5)
        assert replies(user, HELP) == 4  # every update processed exactly once
        assert bot.proc is not None and bot.proc.poll() is None


def set_immutable(path: Path, on: bool) -> bool:
    """chattr ±i: even root cannot create files in an immutable directory (a stand-in for a full
    or read-only disk that the bot process cannot tell apart)."""
    result = subprocess.run(["chattr", "+i" if on else "-i", str(path)], capture_output=True, check=False)
    return result.returncode == 0


async def test_unwritable_storage_is_reported_and_others_are_served(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    unlucky, other = server.user(7005, "Eli"), server.user(7006, "Fay")
    async with BotProcess(server, tmp_path) as bot:
        await unlucky.send("/checkin")
        await unlucky.wait_for(lambda m: "family of feelings" in m.content)
        await unlucky.send("joy")
        await unlucky.wait_for(lambda m: "Which word fits best?" in m.content and not m.edited)
        await bot.settle()
        user_dir = next((tmp_path / "data" / "users").glob(f"*/{unlucky.id}"))
        before = {p.name: p.read_bytes() for p in user_dir.iterdir() if p.is_file()}
        if not set_immutable(user_dir, True):
            pytest.skip("chattr +i is not permitted here")
        try:
            await unlucky.send("glad")
            failure = await unlucky.wait_for(lambda m: "couldn't save" in m.content, timeout=15)
            assert "nothing was changed" in failure.content
            await other.send("/checkin")
            await other.wait_for(lambda m: "family of feelings" in m.content)
            assert {p.name: p.read_bytes() for p in user_dir.iterdir() if p.is_file()} == before
        finally:
            set_immutable(user_dir, False)
        await unlucky.send("glad")
        await unlucky.wait_for(lambda m: "How strong is it?" in m.content, timeout=15)
        await bot.settle()
