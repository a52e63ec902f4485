"""Webhook mode's settings and pieces in-process: config rules, the generated secret, /healthz."""

from __future__ import annotations

import asyncio
import io
import json
import socket
import stat
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.config import Config, ConfigError, Secret, load_config
from bot.webhook import SECRET_FILE, health_server, webhook_secret

TOKEN = "123456:TEST-token-value"
ENV = {"TELEGRAM_BOT_TOKEN": TOKEN}


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_webhook_keys_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[telegram]
mode = "webhook"
startup_retry_max = 5
[webhook]
url = "https://bot.example.org/telegram"
listen = "0.0.0.0"
port = 8443
secret_token = "abc_DEF-123"
health_port = 9000
""",
    )
    config = load_config(path, ENV)
    assert (config.mode, config.startup_retry_max) == ("webhook", 5.0)
    assert (config.webhook_url, config.webhook_listen) == ("https://bot.example.org/telegram", "0.0.0.0")
    assert (config.webhook_port, config.health_port) == (8443, 9000)
    assert config.webhook_secret == Secret("abc_DEF-123")
    assert "abc_DEF-123" not in repr(config)


def test_url_and_secret_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, '[telegram]\nmode = "webhook"\n')
    env = {**ENV, "CHECKIN_BOT_WEBHOOK_URL": "https://x.example/hook", "CHECKIN_BOT_WEBHOOK_SECRET": "s3cret"}
    config = load_config(path, env)
    assert config.webhook_url == "https://x.example/hook"
    assert config.webhook_secret == Secret("s3cret")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('[telegram]\nmode = "hook"', '\'telegram.mode\' must be "polling" or "webhook"'),
        ('[telegram]\nmode = "webhook"', "'webhook.url' (or CHECKIN_BOT_WEBHOOK_URL) must be set"),
        ('[webhook]\nurl = "bot.example.org"', "'webhook.url' must be an http(s) URL"),
        ("[webhook]\nport = 70000", "'webhook.port' must be a TCP port"),
        ('[webhook]\nport = "80"', "'webhook.port' must be a TCP port"),
        ('[webhook]\nsecret_token = "has space"', "'webhook.secret_token' must be 1 to 256 characters"),
        ('[webhook]\nsecret_token = ""', "'webhook.secret_token' must be 1 to 256 characters"),
        (
            '[telegram]\nmode = "webhook"\n[webhook]\nurl = "https://a.b/c"\nport = 9000\nhealth_port = 9000',
            "'webhook.health_port' must differ from 'webhook.port'",
        ),
        ("[telegram]\nstartup_retry_max = 0", "'telegram.startup_retry_max' must be a number of seconds"),
        ("[webhook]\nhost = 1", "unknown config key 'webhook.host'"),
    ],
)
def test_bad_webhook_values_name_the_key(tmp_path: Path, content: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, content), ENV)
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_bad_secret_is_not_echoed(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, '[webhook]\nsecret_token = "leak me!"'), ENV)
    assert "leak me" not in str(caught.value)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_secret_generated_once_kept_0600_value_shown_only_on_a_terminal(tmp_path: Path) -> None:
    config = Config(token=Secret(TOKEN), data_dir=tmp_path)
    piped = io.StringIO()
    token = webhook_secret(config, piped)
    kept = tmp_path / SECRET_FILE
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert kept.read_text(encoding="ascii").strip() == token
    assert len(token) >= 32
    assert "Generated a webhook secret token" in piped.getvalue() and token not in piped.getvalue()
    again = io.StringIO()
    assert webhook_secret(config, again) == token
    assert again.getvalue() == ""  # announced once only

    kept.unlink()
    terminal = Terminal()
    fresh = webhook_secret(config, terminal)
    assert fresh != token and fresh in terminal.getvalue()


def test_configured_secret_wins_and_nothing_is_written(tmp_path: Path) -> None:
    config = Config(token=Secret(TOKEN), data_dir=tmp_path, webhook_secret=Secret("mine"))
    out = io.StringIO()
    assert webhook_secret(config, out) == "mine"
    assert not (tmp_path / SECRET_FILE).exists() and out.getvalue() == ""


def test_damaged_secret_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / SECRET_FILE).write_text("not a token!\n", encoding="ascii")
    with pytest.raises(ConfigError, match="damaged"):
        webhook_secret(Config(token=Secret(TOKEN), data_dir=tmp_path), io.StringIO())


def fetch(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


async def test_healthz_reports_schedule_and_storage(tmp_path: Path) -> None:
    nudges = SimpleNamespace(loaded=False)
    config = Config(token=Secret(TOKEN), data_dir=tmp_path)
    app: Any = SimpleNamespace(
        bot_data=SimpleNamespace(nudges=nudges, services=SimpleNamespace(config=config))
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = health_server(app, "127.0.0.1", port)
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        assert await asyncio.to_thread(fetch, url) == (
            503,
            {"schedule_loaded": False, "storage_writable": True},
        )
        nudges.loaded = True
        assert await asyncio.to_thread(fetch, url) == (
            200,
            {"schedule_loaded": True, "storage_writable": True},
        )
        (tmp_path / ".health-probe").mkdir()  # writing in the data directory fails now
        assert await asyncio.to_thread(fetch, url) == (
            503,
            {"schedule_loaded": True, "storage_writable": False},
        )
    finally:
        server.stop()
        await server.close_all_connections()


NO_TORNADO = """
import sys
sys.modules["tornado"] = None  # as in an install without the webhook extra
from bot.__main__ import main
sys.exit(main(["--config", sys.argv[1]]))
"""


@pytest.mark.parametrize("mode", ["webhook", "polling"])
def test_without_the_webhook_extra_webhook_mode_says_what_to_install(tmp_path: Path, mode: str) -> None:
    import subprocess
    import sys

    path = write(
        tmp_path,
        f'[telegram]\nmode = "{mode}"\nbase_url = "http://127.0.0.1:9/bot"\nstartup_retry_max = 0.1\n'
        f'[webhook]\nurl = "https://bot.example.org/hook"\n[storage]\ndata_dir = "{tmp_path / "data"}"\n',
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", NO_TORNADO, path], env={**ENV, "PATH": ""}, capture_output=True,
            text=True, timeout=8,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        assert mode == "polling"  # it started, without tornado, and keeps trying to reach Telegram
        return
    assert mode == "webhook", done.stderr
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "checkin-bot[webhook]" in done.stderr
