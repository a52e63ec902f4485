"""End-to-end faults: the real bot process keeps serving through 429s, 5xx, dropped connections
and a Bot API outage, losing no update and answering none twice."""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
from pathlib import Path

import pytest

from bot.localapi.user import FakeUser
from tests.fakeapi.process import BotProcess
from tests.fakeapi.server import FakeTelegramServer
from tests.fakeapi.waiting import wait_until

pytestmark = pytest.mark.e2e

HELP = "What I can do"


def replies(user: FakeUser, marker: str) -> int:
    return sum(1 for m in user.all_messages() if marker in m.content)


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
        await wait_until(
            lambda: "Telegram could not be reached (NetworkError)" in bot.logs(),
            "the bot gave up on the reply",
            timeout=20,
            details=bot.logs,
        )
        failures = sum(1 for c in server.calls("sendMessage") if c.status == 500)
        assert failures == 4  # 1 + 3 retries for the reply; no apology into an outage
        server.clear_faults()
        await user.send("/help")
        await user.wait_for(lambda m: HELP in m.content, timeout=15)
        assert bot.proc is not None and bot.proc.poll() is None
    logs = bot.logs()
    assert "sendMessage failed (NetworkError); retrying" in logs
    assert "ERROR" not in logs and "Traceback" not in logs  # an outage is one warning line, not a bug


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
        for _ in range(3):
            await user.wait_for(lambda m: HELP in m.content, timeout=20)
        await bot.settle(timeout=20)
        await user.assert_no_message(within=0.5)  # nothing processed twice
        assert replies(user, HELP) == 4  # every update processed exactly once
        assert bot.proc is not None and bot.proc.poll() is None


def set_immutable(path: Path, on: bool) -> bool:
    """chattr ±i on a directory and its files: even root can then neither create files there nor
    append to one (a stand-in for a full or read-only disk that the bot process cannot tell apart)."""
    paths = [str(path), *(str(p) for p in path.iterdir() if p.is_file())]
    result = subprocess.run(["chattr", "+i" if on else "-i", *paths], capture_output=True, check=False)
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


LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")


def failed_polls(server: FakeTelegramServer, status: int) -> int:
    return sum(1 for call in server.calls("getUpdates") if call.status == status)


async def test_routine_polling_failures_are_one_warning_line_each(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    """A Bot API outage (connection refused) and getUpdates 502s are routine: one WARNING line per
    failed poll, no ERROR and no stack dump, and the bot serves again as soon as Telegram does."""
    user = server.user(7008, "Hal")
    async with BotProcess(server, tmp_path) as bot:
        await user.send("/help")
        await user.wait_for(lambda m: HELP in m.content)
        await bot.settle()

        outage_start = len(bot.logs())
        server.stop()  # every poll is refused until the server is back
        await wait_until(
            lambda: len(bot.logs()) > outage_start, "the bot noticed the outage", details=bot.logs
        )
        await asyncio.sleep(1.0)  # the outage lasts a little longer: the bot retries into it
        polls_before = len(server.calls("getUpdates"))
        server.start()
        await wait_until(lambda: len(server.calls("getUpdates")) > polls_before, "the bot polled again")

        bad_gateway_start = len(bot.logs())
        server.inject_fault("getUpdates", status=502, times=3)
        await user.send("/help")
        await wait_until(lambda: failed_polls(server, 502) == 3, "three polls got 502")
        await user.send("/privacy")
        await user.wait_for(lambda m: "Your privacy" in m.content, timeout=20)
        await bot.settle()
        logs = bot.logs()

    outage, bad_gateway = logs[outage_start:bad_gateway_start], logs[bad_gateway_start:]
    for phase in (outage, bad_gateway):
        assert "Traceback" not in phase
        assert [line for line in phase.splitlines() if not LOG_LINE.match(line)] == []  # no stack dumps
        assert [line for line in phase.splitlines() if " ERROR " in line or " CRITICAL " in line] == []
    assert len([line for line in outage.splitlines() if " WARNING " in line]) >= 1
    assert len([line for line in bad_gateway.splitlines() if " WARNING " in line]) == 3
    assert replies(user, HELP) == 2
