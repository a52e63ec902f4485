"""Config: every bad case is one line naming the key, exit code 2; the token never shows."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest

from bot.config import Config, ConfigError, Secret, load_config

TOKEN = "123456:TEST-token-value"
ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_defaults_with_token_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(None, {"TELEGRAM_BOT_TOKEN": TOKEN})
    assert config.token.reveal() == TOKEN
    assert config.data_dir == Path("data")
    assert (config.morning, config.evening) == (time(7, 30), time(21, 0))
    assert config.timezone == "UTC"
    assert config.paid_broadcast is False  # paid broadcasts cost Stars: never on unless asked for


def test_full_file_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""
[telegram]
token = "{TOKEN}"
base_url = "http://127.0.0.1:9/bot"
base_file_url = "http://127.0.0.1:9/file/bot"
rate_limit = false
paid_broadcast = true
[storage]
data_dir = "/srv/checkins"
[defaults]
timezone = "Asia/Jerusalem"
morning = "06:45"
evening = 21:30:00
[logging]
level = "debug"
[admin]
user_ids = [1, 2]
""",
    )
    config = load_config(path, {})
    assert config.base_url == "http://127.0.0.1:9/bot"
    assert config.rate_limit is False
    assert config.paid_broadcast is True
    assert config.data_dir == Path("/srv/checkins")
    assert config.timezone == "Asia/Jerusalem"
    assert (config.morning, config.evening) == (time(6, 45), time(21, 30))
    assert config.log_level == "DEBUG"
    assert config.admin_ids == frozenset({1, 2})


def test_env_token_overrides_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[telegram]\ntoken = "1:from-file"\n')
    assert load_config(path, {"TELEGRAM_BOT_TOKEN": TOKEN}).token.reveal() == TOKEN
    assert load_config(path, {}).token.reveal() == "1:from-file"


def test_path_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.toml").write_text('[defaults]\nmorning = "05:00"\n')
    (tmp_path / "env.toml").write_text('[defaults]\nmorning = "06:00"\n')
    (tmp_path / "cli.toml").write_text('[defaults]\nmorning = "07:00"\n')
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "CHECKIN_BOT_CONFIG": "env.toml"}
    assert load_config("cli.toml", env).morning == time(7, 0)
    assert load_config(None, env).morning == time(6, 0)
    del env["CHECKIN_BOT_CONFIG"]
    assert load_config(None, env).morning == time(5, 0)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[telegram]\ntokn = 'x'\n", "unknown config key 'telegram.tokn'"),
        ("[storage]\ndata_dir = 'x'\ncolour = 1\n", "unknown config key 'storage.colour'"),
        ("[extras]\na = 1\n", "unknown config section 'extras'"),
        ("[defaults]\nmorning = 730\n", "'defaults.morning' must be a time like \"07:30\""),
        ("[defaults]\nevening = '25:99'\n", "'defaults.evening' must be a time"),
        ("[defaults]\ntimezone = 'Mars/Olympus'\n", "'defaults.timezone' must be an IANA time zone"),
        ("[telegram]\nrate_limit = 'yes'\n", "'telegram.rate_limit' must be true or false"),
        ("[telegram]\npaid_broadcast = 1\n", "'telegram.paid_broadcast' must be true or false"),
        ("[telegram]\npaid_broadcast = 'false'\n", "'telegram.paid_broadcast' must be true or false"),
        ("[telegram]\nbase_url = 'ftp://x'\n", "'telegram.base_url' must be an http(s) URL"),
        ("[logging]\nlevel = 'LOUD'\n", "'logging.level' must be one of"),
        ("[admin]\nuser_ids = ['@me']\n", "'admin.user_ids' must be a list of Telegram user ids"),
        ("[storage]\ndata_dir = 5\n", "'storage.data_dir' must be a non-empty string"),
        ("defaults = 3\n", "'defaults' must be a [defaults] table"),
        ("[telegram\n", "is not valid TOML"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, content: str, expected: str) -> None:
    path = write(tmp_path, content)
    with pytest.raises(ConfigError) as info:
        load_config(path, {"TELEGRAM_BOT_TOKEN": TOKEN})
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_missing_token_explains_botfather_and_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="BotFather") as info:
        load_config(None, {})
    assert "TELEGRAM_BOT_TOKEN" in str(info.value)
    assert "`checkin-bot demo`" in str(info.value)


def test_malformed_token_rejected_without_echoing_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(None, {"TELEGRAM_BOT_TOKEN": "not a token", "CHECKIN_BOT_CONFIG": ""})
    assert "not a token" not in str(info.value)


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(str(tmp_path / "nope.toml"), {"TELEGRAM_BOT_TOKEN": TOKEN})
    with pytest.raises(ConfigError, match="cannot be read"):
        load_config(str(tmp_path), {"TELEGRAM_BOT_TOKEN": TOKEN})
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError, match=r"not UTF-8|not valid TOML"):
        load_config(str(binary), {"TELEGRAM_BOT_TOKEN": TOKEN})


def test_token_never_in_repr() -> None:
    config = Config(token=Secret(TOKEN))
    assert TOKEN not in repr(config)
    assert TOKEN not in str(config)
    assert TOKEN not in f"{config.token}"


def run_bot(tmp_path: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "CHECKIN_BOT_CONFIG")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("content", "env", "expected"),
    [
        (None, {}, "BotFather"),
        (None, {}, "checkin-bot demo"),
        ("[defaults]\ntimezone = 'Nowhere/Atlantis'\n", {"TELEGRAM_BOT_TOKEN": TOKEN}, "defaults.timezone"),
        ("[telegram]\ntokn = 'x'\n", {"TELEGRAM_BOT_TOKEN": TOKEN}, "telegram.tokn"),
        ("[defaults]\nmorning = true\n", {"TELEGRAM_BOT_TOKEN": TOKEN}, "defaults.morning"),
        ("[telegram]\npaid_broadcast = 'yes'\n", {"TELEGRAM_BOT_TOKEN": TOKEN}, "telegram.paid_broadcast"),
    ],
)
def test_process_exits_2_with_one_line(
    tmp_path: Path, content: str | None, env: dict[str, str], expected: str
) -> None:
    args: list[str] = []
    if content is not None:
        args = ["--config", write(tmp_path, content)]
    result = run_bot(tmp_path, *args, env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr
    assert TOKEN not in result.stderr + result.stdout


def test_process_unreadable_config_path(tmp_path: Path) -> None:
    result = run_bot(tmp_path, "--config", str(tmp_path / "missing.toml"), env={"TELEGRAM_BOT_TOKEN": TOKEN})
    assert result.returncode == 2
    assert "missing.toml does not exist" in result.stderr


def test_process_unusable_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data directory should be")
    config = write(tmp_path, f'[storage]\ndata_dir = "{blocker}"\n')
    result = run_bot(tmp_path, "--config", config, env={"TELEGRAM_BOT_TOKEN": TOKEN})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "'storage.data_dir'" in lines[0] and "writable directory" in lines[0]
