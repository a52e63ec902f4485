"""The Dockerfile and the systemd unit say what the README promises (Docker is not run here)."""

from __future__ import annotations

import configparser
import json
import re
import shlex
import tomllib
from pathlib import Path

from bot.config import load_config

ROOT = Path(__file__).resolve().parents[1]


def dockerfile() -> dict[str, list[str]]:
    """Instruction -> its arguments, in order (continuation lines joined, comments dropped)."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    instructions: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, args = line.partition(" ")
            instructions.setdefault(name.upper(), []).append(args.strip())
    return instructions


def exec_form(args: str) -> list[str]:
    words = json.loads(args)
    assert isinstance(words, list) and all(isinstance(w, str) for w in words)
    return words


def test_dockerfile_has_slim_base_non_root_user_volume_and_healthcheck() -> None:
    docker = dockerfile()
    assert set(docker) <= {
        *("FROM", "ENV", "WORKDIR", "COPY", "RUN", "USER", "VOLUME", "EXPOSE", "HEALTHCHECK", "CMD"),
    }
    (base,) = docker["FROM"]
    assert re.fullmatch(r"python:3\.1[1-9]-slim(-\w+)?", base)
    (user,) = docker["USER"]
    assert user not in ("root", "0")
    assert re.search(rf"useradd --system .*\b{user}\b", docker["RUN"][0])
    assert exec_form(docker["VOLUME"][0]) == ["/data"]
    (health,) = docker["HEALTHCHECK"]
    probe = exec_form(health.partition("CMD")[2].strip())
    assert "http://127.0.0.1:8081/healthz" in probe[-1]
    # Secrets never baked in: no token, key or webhook secret in ENV, nor a config.toml copied.
    baked = " ".join(docker["ENV"] + docker["COPY"])
    assert not re.search(r"TOKEN|DATA_KEY|SECRET|config\.toml\b", baked)


def test_image_command_is_the_documented_one_and_its_config_is_valid() -> None:
    (cmd,) = dockerfile()["CMD"]
    command = shlex.join(exec_form(cmd))
    assert f"The image runs `{command}`" in (ROOT / "README.md").read_text(encoding="utf-8")
    config_path = exec_form(cmd)[-1].removeprefix("/app/")
    assert f"{config_path} ./{config_path}" in dockerfile()["COPY"]
    env = {"TELEGRAM_BOT_TOKEN": "1:x", "CHECKIN_BOT_WEBHOOK_URL": "https://bot.example.org/telegram"}
    config = load_config(str(ROOT / config_path), env)
    assert (config.mode, str(config.data_dir), config.webhook_listen) == ("webhook", "/data", "0.0.0.0")
    assert (config.webhook_port, config.health_port) == (8080, 8081)
    assert "pip install '.[webhook]'" in dockerfile()["RUN"][0]  # webhook mode needs the extra
    assert "8080 8081" in dockerfile()["EXPOSE"]
    assert "token" not in tomllib.loads((ROOT / config_path).read_text(encoding="utf-8")).get("telegram", {})


def test_systemd_unit_is_hardened_and_runs_the_bot() -> None:
    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    unit.read(ROOT / "deploy" / "checkin-bot.service", encoding="utf-8")
    service = unit["Service"]
    assert shlex.split(service["ExecStart"])[0].endswith("/checkin-bot")
    assert shlex.split(service["ExecStart"])[1] == "run"
    assert service["ProtectSystem"] == "strict"
    assert service["PrivateTmp"] == "true"
    assert service["NoNewPrivileges"] == "true"
    assert service["User"] not in ("root", "0")
    assert "network-online.target" in unit["Unit"]["After"]
    assert unit["Install"]["WantedBy"] == "multi-user.target"
