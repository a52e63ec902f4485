"""Webhook mode end to end: the fake Bot API posts updates to the real bot's webhook; only the
right secret token gets them in; /healthz says whether the bot can do its work."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import stat
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.webhook import SECRET_FILE
from tests.fakeapi.process import BotProcess
from tests.fakeapi.server import FakeTelegramServer
from tests.fakeapi.waiting import wait_until
from tests.fakeapi.webhook import deliver_updates, webhook_settings

pytestmark = pytest.mark.e2e

HELP = "What I can do"


def free_ports(count: int) -> list[int]:
    """Distinct free ports: each socket stays bound until all are chosen, so none is handed out twice."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def get(url: str) -> tuple[int, dict[str, bool]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
    except OSError:
        return 0, {}


class WebhookBot(BotProcess):
    """The bot in webhook mode on two free ports of 127.0.0.1 (updates, /healthz)."""

    def __init__(self, server: FakeTelegramServer, workdir: Path, *, secret: str | None = None) -> None:
        self.port, self.health_port = free_ports(2)
        secret_line = f'secret_token = "{secret}"' if secret else ""
        super().__init__(
            server,
            workdir,
            telegram_toml='mode = "webhook"\nstartup_retry_max = 0.5',
            extra_toml=f"""
[webhook]
url = "http://127.0.0.1:{self.port}/telegram"
listen = "127.0.0.1"
port = {self.port}
health_port = {self.health_port}
{secret_line}
""",
            ready_method="setWebhook",
        )
        self.health_url = f"http://127.0.0.1:{self.health_port}/healthz"

    async def start(self) -> None:
        await super().start()
        await wait_until(lambda: listening(self.port), "the webhook server listens", details=self.logs)


async def test_right_secret_gets_a_reply_and_a_wrong_one_is_refused(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    user = server.user(7201, "Eli")
    async with WebhookBot(server, tmp_path) as bot:
        settings = webhook_settings(server.api)
        assert settings["url"] == f"http://127.0.0.1:{bot.port}/telegram"
        assert not server.calls("getUpdates")
        await user.send("/help")
        assert await asyncio.to_thread(deliver_updates, server.api, "not-the-secret") == [403]
        assert await asyncio.to_thread(deliver_updates, server.api, None) == [403]
        await asyncio.sleep(0.5)
        assert not user.all_messages()  # refused updates never reached a handler
        assert await asyncio.to_thread(deliver_updates, server.api) == [200]
        await user.wait_for(lambda m: HELP in m.content, timeout=10)
        await bot.settle()
        await asyncio.sleep(0.3)
        assert sum(HELP in m.content for m in user.all_messages()) == 1

    # No secret was configured: one was generated, kept 0600 in the data dir, never written out.
    kept = tmp_path / "data" / SECRET_FILE
    assert kept.read_text(encoding="ascii").strip() == settings["secret_token"]
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    logs = bot.logs()
    assert settings["secret_token"] not in logs
    assert logs.count("Generated a webhook secret token") == 1
    assert "Traceback" not in logs


async def test_generated_secret_is_kept_across_restarts(server: FakeTelegramServer, tmp_path: Path) -> None:
    bot = WebhookBot(server, tmp_path)
    async with bot:
        first = webhook_settings(server.api)["secret_token"]
    async with bot:
        assert webhook_settings(server.api)["secret_token"] == first
    assert bot.logs().count("Generated a webhook secret token") == 1


async def test_configured_secret_is_used(server: FakeTelegramServer, tmp_path: Path) -> None:
    user = server.user(7202, "Fay")
    async with WebhookBot(server, tmp_path, secret="my-own_Secret-123") as bot:
        assert webhook_settings(server.api)["secret_token"] == "my-own_Secret-123"
        await user.send("/help")
        assert await asyncio.to_thread(deliver_updates, server.api, "my-own_Secret-123") == [200]
        await user.wait_for(lambda m: HELP in m.content, timeout=10)
    assert not (tmp_path / "data" / SECRET_FILE).exists()
    assert "my-own_Secret-123" not in bot.logs()


async def test_healthz_is_503_until_ready_then_200_then_503_when_storage_fails(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    server.fail_connections(None, duration=3.0)  # Telegram not reachable yet: the schedule is not loaded
    bot = WebhookBot(server, tmp_path)
    starting = asyncio.create_task(bot.start())
    try:
        await wait_until(lambda: get(bot.health_url)[0] != 0, "/healthz answers", details=bot.logs)
        assert get(bot.health_url) == (503, {"schedule_loaded": False, "storage_writable": True})
        await starting
        await wait_until(lambda: get(bot.health_url)[0] == 200, "/healthz says healthy", details=bot.logs)
        assert get(bot.health_url)[1] == {"schedule_loaded": True, "storage_writable": True}
        # The probe's file name taken by a directory: writing fails, as on a full or read-only disk
        # (permissions cannot show it: the tests may run as root).
        (tmp_path / "data" / ".health-probe").mkdir()
        assert get(bot.health_url) == (503, {"schedule_loaded": True, "storage_writable": False})
    finally:
        starting.cancel()
        bot.kill()
