"""Configuration: a commented TOML file, environment overrides, validated once at start.

Every problem is reported as one line naming the key and what was expected, so an
operator can fix it without reading a traceback. The token is wrapped in `Secret`
so it cannot leak through a repr or a log line by accident.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.texts import CATALOGS

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"  # noqa: S105 - the variable name, not a secret
CONFIG_ENV = "CHECKIN_BOT_CONFIG"
WEBHOOK_URL_ENV = "CHECKIN_BOT_WEBHOOK_URL"
WEBHOOK_SECRET_ENV = "CHECKIN_BOT_WEBHOOK_SECRET"  # noqa: S105 - the variable name, not a secret
MODES = ("polling", "webhook")
SECRET_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram accepts as a webhook secret
DEFAULT_CONFIG_FILE = Path("config.toml")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(Exception):
    """A configuration problem, phrased for the operator in one line."""


class Secret:
    """A string that never shows itself in repr(), str() or f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, slots=True)
class Config:
    """Validated settings; see config.example.toml for what each one means."""

    token: Secret
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    rate_limit: bool = True
    paid_broadcast: bool = False  # nudges and the weekly push may go past 30/s, paid in Telegram Stars
    data_dir: Path = Path("data")
    timezone: str = "UTC"
    morning: time = time(7, 30)
    evening: time = time(21, 0)
    log_level: str = "INFO"
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    pages_minutes: float = 10.0
    pages_goal: int = 750
    writing_minutes: tuple[float, ...] = (3.0, 5.0)
    idle_minutes: float = 30.0
    boundary_follow_up_days: int = 3
    catch_up_hours: float = 2.0
    weekly_day: int = 6  # Sunday
    weekly_time: time = time(19, 0)
    tick_seconds: float = 20.0
    access_mode: str = "open"
    allowed_ids: frozenset[int] = field(default_factory=frozenset)
    invite_days: int = 7
    mode: str = "polling"
    startup_retry_max: float = 30.0
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8080
    webhook_secret: Secret | None = None  # None: generated once and kept in the data directory
    health_port: int = 8081
    # [partners]: couple mode
    partner_invite_days: int = 7
    partner_daily_limit: int = 10
    partner_admits: bool = True  # in invite mode, an accepted partner link lets the partner in
    partner_night_start: time = time(22, 0)  # shares wait from then until the receiver's morning
    # [support]: help lines by language and by ISO country code (see bot.services.support)
    support_languages: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    support_countries: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def _expect_str(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"config key '{key}' must be a non-empty string, got {type(value).__name__}")
    return value.strip()


def _expect_bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"config key '{key}' must be true or false, got {type(value).__name__}")
    return value


def _expect_time(key: str, value: Any) -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, str):
        hours, _, minutes = value.strip().partition(":")
        if hours.isdigit() and minutes.isdigit() and len(minutes) == 2:
            h, m = int(hours), int(minutes)
            if 0 <= h < 24 and 0 <= m < 60:
                return time(h, m)
    raise ConfigError(f"config key '{key}' must be a time like \"07:30\", got {value!r}")


def _expect_zone(key: str, value: Any) -> str:
    name = _expect_str(key, value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"config key '{key}' must be an IANA time zone like \"Europe/Berlin\", got {name!r}"
        ) from None
    return name


def _expect_log_level(key: str, value: Any) -> str:
    level = _expect_str(key, value).upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"config key '{key}' must be one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return level


def _expect_ids(key: str, value: Any) -> frozenset[int]:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value
    ):
        raise ConfigError(f"config key '{key}' must be a list of Telegram user ids (positive integers)")
    return frozenset(value)


def _expect_url(key: str, value: Any) -> str:
    url = _expect_str(key, value)
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"config key '{key}' must be an http(s) URL, got {url!r}")
    return url


def _expect_minutes(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 24 * 60:
        raise ConfigError(f"config key '{key}' must be a number of minutes between 0 and 1440, got {value!r}")
    return float(value)


def _expect_minutes_list(key: str, value: Any) -> tuple[float, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= 4:
        raise ConfigError(f"config key '{key}' must be a list of 1 to 4 numbers of minutes, like [3, 5]")
    return tuple(_expect_minutes(key, item) for item in value)


def _expect_count(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100_000:
        raise ConfigError(f"config key '{key}' must be a whole number from 1 to 100000, got {value!r}")
    return value


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _expect_weekday(key: str, value: Any) -> int:
    if isinstance(value, str) and value.strip().casefold() in WEEKDAYS:
        return WEEKDAYS.index(value.strip().casefold())
    raise ConfigError(f"config key '{key}' must be a day of the week like \"sunday\", got {value!r}")


def _expect_hours(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 24:
        raise ConfigError(f"config key '{key}' must be a number of hours from 0 to 24, got {value!r}")
    return float(value)


def _expect_seconds(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.1 <= value <= 60:
        raise ConfigError(f"config key '{key}' must be a number of seconds from 0.1 to 60, got {value!r}")
    return float(value)


def _expect_mode(key: str, value: Any) -> str:
    if value not in ("open", "invite"):
        raise ConfigError(f'config key \'{key}\' must be "open" or "invite", got {value!r}')
    return str(value)


def _expect_run_mode(key: str, value: Any) -> str:
    if value not in MODES:
        raise ConfigError(f'config key \'{key}\' must be "polling" or "webhook", got {value!r}')
    return str(value)


def _expect_port(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ConfigError(f"config key '{key}' must be a TCP port from 1 to 65535, got {value!r}")
    return value


def _expect_secret_token(key: str, value: Any) -> Secret:
    """Telegram's rule for a webhook secret: 1 to 256 of A-Z, a-z, 0-9, _ and -. Never echoed."""
    if not isinstance(value, str) or not SECRET_TOKEN_PATTERN.fullmatch(value):
        raise ConfigError(
            f"config key '{key}' must be 1 to 256 characters of A-Z, a-z, 0-9, _ and - "
            "(or leave it out to have one generated)"
        )
    return Secret(value)


SUPPORT_LINES_MAX = 10
SUPPORT_LINE_CHARS = 300
SUPPORT_BY_COUNTRY = "by_country"


@cache
def country_codes() -> frozenset[str]:
    """ISO 3166 two-letter country codes, from the tzdata package's iso3166.tab."""
    table = files("tzdata").joinpath("zoneinfo/iso3166.tab").read_text(encoding="utf-8")
    return frozenset(line.split("\t", 1)[0] for line in table.splitlines() if not line.startswith("#"))


def _expect_lines(key: str, value: Any) -> tuple[str, ...]:
    if (
        not isinstance(value, list)
        or len(value) > SUPPORT_LINES_MAX
        or not all(isinstance(v, str) and v.strip() and len(v.strip()) <= SUPPORT_LINE_CHARS for v in value)
    ):
        raise ConfigError(
            f"config key '{key}' must be a list of at most {SUPPORT_LINES_MAX} non-empty lines of text "
            f'(each at most {SUPPORT_LINE_CHARS} characters), like ["Samaritans: 116 123"]'
        )
    return tuple(v.strip() for v in value)


def _expect_table(key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"config key '{key}' must be a [{key}] table")
    return value


def _expect_support(key: str, value: Any) -> dict[str, Mapping[str, tuple[str, ...]]]:
    """[support.<language>] lines = [...] and [support.by_country] <ISO code> = [...]."""
    known = [*CATALOGS, SUPPORT_BY_COUNTRY]
    languages: dict[str, tuple[str, ...]] = {}
    countries: dict[str, tuple[str, ...]] = {}
    for name, body in _expect_table(key, value).items():
        if name not in known:
            raise ConfigError(f"unknown config key '{key}.{name}' (known: {', '.join(known)})")
        table = _expect_table(f"{key}.{name}", body)
        if name == SUPPORT_BY_COUNTRY:
            for code, lines in table.items():
                if code.upper() not in country_codes():
                    raise ConfigError(
                        f"config key '{key}.{name}.{code}' must be a two-letter ISO country code "
                        'like "US", "IL" or "GB" (the United Kingdom is "GB")'
                    )
                countries[code.upper()] = _expect_lines(f"{key}.{name}.{code}", lines)
            continue
        for field_name, lines in table.items():
            if field_name != "lines":
                raise ConfigError(f"unknown config key '{key}.{name}.{field_name}' (known: lines)")
            languages[name] = _expect_lines(f"{key}.{name}.lines", lines)
    return {"support_languages": languages, "support_countries": countries}


# Sections validated as a whole (their keys are languages and countries, not fixed names).
_WHOLE_SECTIONS: dict[str, Any] = {"support": _expect_support}

# section -> key -> (Config field, validator)
_SCHEMA: dict[str, dict[str, tuple[str, Any]]] = {
    "telegram": {
        "token": ("token", _expect_str),
        "base_url": ("base_url", _expect_url),
        "base_file_url": ("base_file_url", _expect_url),
        "rate_limit": ("rate_limit", _expect_bool),
        "paid_broadcast": ("paid_broadcast", _expect_bool),
        "mode": ("mode", _expect_run_mode),
        "startup_retry_max": ("startup_retry_max", _expect_seconds),
    },
    "webhook": {
        "url": ("webhook_url", _expect_url),
        "listen": ("webhook_listen", _expect_str),
        "port": ("webhook_port", _expect_port),
        "secret_token": ("webhook_secret", _expect_secret_token),
        "health_port": ("health_port", _expect_port),
    },
    "storage": {"data_dir": ("data_dir", _expect_str)},
    "defaults": {
        "timezone": ("timezone", _expect_zone),
        "morning": ("morning", _expect_time),
        "evening": ("evening", _expect_time),
    },
    "logging": {"level": ("log_level", _expect_log_level)},
    "admin": {"user_ids": ("admin_ids", _expect_ids)},
    "flows": {
        "pages_minutes": ("pages_minutes", _expect_minutes),
        "pages_goal": ("pages_goal", _expect_count),
        "writing_minutes": ("writing_minutes", _expect_minutes_list),
        "idle_minutes": ("idle_minutes", _expect_minutes),
        "boundary_follow_up_days": ("boundary_follow_up_days", _expect_count),
    },
    "access": {
        "mode": ("access_mode", _expect_mode),
        "user_ids": ("allowed_ids", _expect_ids),
        "invite_days": ("invite_days", _expect_count),
    },
    "partners": {
        "invite_days": ("partner_invite_days", _expect_count),
        "daily_limit": ("partner_daily_limit", _expect_count),
        "admit_in_invite_mode": ("partner_admits", _expect_bool),
        "night_start": ("partner_night_start", _expect_time),
    },
    "nudges": {
        "catch_up_hours": ("catch_up_hours", _expect_hours),
        "weekly_day": ("weekly_day", _expect_weekday),
        "weekly_time": ("weekly_time", _expect_time),
        "tick_seconds": ("tick_seconds", _expect_seconds),
    },
}

_MISSING_TOKEN = (
    f"no bot token: set {TOKEN_ENV} or 'telegram.token' in the config file "
    "(create a bot with @BotFather in Telegram, send /newbot, and copy the token it gives you), "
    "or try it without one: `checkin-bot demo`"
)


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def _flatten(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Check the file's shape against the schema and map it onto Config field names."""
    values: dict[str, Any] = {}
    for section, body in raw.items():
        if section in _WHOLE_SECTIONS:
            values.update(_WHOLE_SECTIONS[section](section, body))
            continue
        if section not in _SCHEMA:
            known = [*_SCHEMA, *_WHOLE_SECTIONS]
            raise ConfigError(f"unknown config section '{section}' (known: {', '.join(known)})")
        if not isinstance(body, dict):
            raise ConfigError(f"config key '{section}' must be a [{section}] table")
        for key, value in body.items():
            spec = _SCHEMA[section].get(key)
            if spec is None:
                raise ConfigError(
                    f"unknown config key '{section}.{key}' (known: {', '.join(_SCHEMA[section])})"
                )
            name, validate = spec
            values[name] = validate(f"{section}.{key}", value)
    return values


def resolve_path(cli_path: str | None, env: Mapping[str, str]) -> Path | None:
    """--config wins, then CHECKIN_BOT_CONFIG, then ./config.toml if present, else no file."""
    if cli_path:
        return Path(cli_path)
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV])
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None


def _webhook_from_env(values: dict[str, Any], env: Mapping[str, str]) -> None:
    """The webhook's address and secret may come from the environment (containers)."""
    if env.get(WEBHOOK_URL_ENV, "").strip():
        values["webhook_url"] = _expect_url(WEBHOOK_URL_ENV, env[WEBHOOK_URL_ENV])
    if env.get(WEBHOOK_SECRET_ENV, "").strip():
        values["webhook_secret"] = _expect_secret_token(WEBHOOK_SECRET_ENV, env[WEBHOOK_SECRET_ENV].strip())


def _checked(config: Config) -> Config:
    """Rules between keys: webhook mode needs its public address and two distinct ports."""
    if config.mode != "webhook":
        return config
    if not config.webhook_url:
        raise ConfigError(
            f"config key 'webhook.url' (or {WEBHOOK_URL_ENV}) must be set when 'telegram.mode' is "
            '"webhook": the public https address Telegram sends updates to'
        )
    if config.webhook_port == config.health_port:
        raise ConfigError("config key 'webhook.health_port' must differ from 'webhook.port'")
    return config


def load_config(
    cli_path: str | None = None, env: Mapping[str, str] | None = None, *, require_token: bool = True
) -> Config:
    """Build the validated Config, or raise ConfigError with a one-line message.

    Maintenance commands that never talk to Telegram (`encrypt-data`) need no token.
    """
    env = os.environ if env is None else env
    path = resolve_path(cli_path, env)
    values = _flatten(_read_file(path)) if path else {}
    token = env.get(TOKEN_ENV, "").strip() or values.pop("token", "")
    values.pop("token", None)
    if "data_dir" in values:
        values["data_dir"] = Path(values["data_dir"])
    _webhook_from_env(values, env)
    if not token and not require_token:
        return _checked(Config(token=Secret(""), **values))
    if not token:
        raise ConfigError(_MISSING_TOKEN)
    if any(ch.isspace() for ch in token) or ":" not in token:
        raise ConfigError(
            f"the bot token (from {TOKEN_ENV} or 'telegram.token') does not look like one from "
            "@BotFather, which is '<digits>:<letters>'"
        )
    return _checked(Config(token=Secret(token), **values))
