"""Start-up robustness: a bot started before Telegram can be reached keeps trying, calmly, until it can."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakeapi.process import BotProcess
from tests.fakeapi.server import FakeTelegramServer

pytestmark = pytest.mark.e2e

OUTAGE_SECONDS = 6.0  # longer than the bounded retries of a running bot (0.5 + 1 + 2 s)


async def test_bot_waits_for_telegram_at_start_then_answers(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    server.fail_connections(None, duration=OUTAGE_SECONDS)  # every call: the network is not up yet
    user = server.user(7101, "Dana")
    async with BotProcess(server, tmp_path, telegram_toml="startup_retry_max = 0.5") as bot:
        await user.send("/help")
        await user.wait_for(lambda m: "What I can do" in m.content, timeout=15)
    logs = bot.logs()
    attempts = [line for line in logs.splitlines() if "Telegram cannot be reached" in line]
    assert len(attempts) >= 3, logs
    assert all(" WARNING " in line for line in attempts)
    assert "Traceback" not in logs
