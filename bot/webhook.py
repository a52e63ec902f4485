"""Webhook mode: Telegram posts updates to python-telegram-bot's own webhook server, and a small
`/healthz` endpoint beside it tells a platform's probe whether the bot can do its work.

PTB's webhook server (tornado) serves only the update path and offers no public way to add a
route to it, so `/healthz` has its own port (`webhook.health_port`) on the same address and the
same event loop. It starts before Telegram is first reached, so a probe gets a 503 while the
bot is still starting rather than no answer at all.

The webhook's secret token proves that a request comes from Telegram: PTB answers 403 to any
request without it. If the operator gives none, one is generated once and kept in the data
directory (0600); it is never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import sys
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

import tornado.httpserver
import tornado.web
from telegram import Update

from bot.config import SECRET_TOKEN_PATTERN, WEBHOOK_SECRET_ENV, Config, ConfigError
from bot.handlers.common import App

logger = logging.getLogger(__name__)

SECRET_FILE = "webhook-secret"  # noqa: S105 - a file name, not a secret
PROBE_FILE = ".health-probe"
HEALTH_PATH = "/healthz"


def webhook_secret(config: Config, out: TextIO | None = None) -> str:
    """The configured secret token, else the one kept in the data directory, else a new one.

    A new one is written 0600 next to the data and announced once on `out` (stdout): its value
    only to an interactive terminal, since a supervisor's captured stdout is a log; elsewhere
    only where it is kept. Telegram receives it from the bot itself, so nobody needs to copy it.
    """
    if config.webhook_secret is not None:
        return config.webhook_secret.reveal()
    out = sys.stdout if out is None else out
    path = config.data_dir / SECRET_FILE
    token = secrets.token_urlsafe(32)  # 43 characters of A-Z, a-z, 0-9, _ and -
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)
    except OSError as exc:
        raise ConfigError(f"cannot keep the webhook secret in {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(token + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    if out.isatty():
        print(f"Generated the webhook secret token {token}; it is kept in {path}.", file=out)
    else:
        print(
            f"Generated a webhook secret token; it is kept in {path} (readable only by this user). "
            f"To choose your own, set 'webhook.secret_token' or {WEBHOOK_SECRET_ENV}.",
            file=out,
        )
    return token


def _read_secret(path: Path) -> str:
    try:
        token = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        token = ""
    if not SECRET_TOKEN_PATTERN.fullmatch(token):
        raise ConfigError(
            f"the webhook secret in {path} is unreadable or damaged; delete the file to make a new one"
        )
    return token


def storage_writable(data_dir: Path) -> bool:
    """Write and remove a small file in the data directory: the cheapest proof that saving works."""
    probe = data_dir / PROBE_FILE
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, b"ok")
        finally:
            os.close(fd)
        probe.unlink()
    except OSError:
        return False
    return True


async def health(app: App) -> dict[str, bool]:
    """What `/healthz` reports: the reminder schedule is loaded and storage takes writes."""
    config = app.bot_data.services.config
    return {
        "schedule_loaded": app.bot_data.nudges.loaded,
        "storage_writable": await asyncio.to_thread(storage_writable, config.data_dir),
    }


class HealthHandler(tornado.web.RequestHandler):
    """GET /healthz: 200 when every check holds, 503 otherwise; the body names each check."""

    def initialize(self, app: App) -> None:
        self.app = app

    async def get(self) -> None:
        try:
            checks = await health(self.app)
        except AttributeError:  # not wired yet: the services and scheduler are set at build
            checks = {"schedule_loaded": False, "storage_writable": False}
        self.set_status(200 if all(checks.values()) else 503)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(checks))


def health_server(app: App, listen: str, port: int) -> tornado.httpserver.HTTPServer:
    """The `/healthz` server, listening on `listen:port` in the running (or current) event loop."""
    web = tornado.web.Application([(HEALTH_PATH, HealthHandler, {"app": app})], log_function=_quiet)
    server = tornado.httpserver.HTTPServer(web)
    server.listen(port, address=listen)
    return server


def _quiet(handler: tornado.web.RequestHandler) -> None:
    """Probes come every few seconds; they are not worth a log line each."""


def serve(app: App, config: Config, secret: str) -> None:
    """Run the bot on PTB's webhook server until stopped, with `/healthz` beside it."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # PTB's run_webhook runs on the current loop; so does tornado
    try:
        try:
            probe = health_server(app, config.webhook_listen, config.health_port)
        except OSError as exc:
            raise ConfigError(
                f"'webhook.health_port' ({config.webhook_listen}:{config.health_port}) cannot be "
                f"listened on: {exc.strerror}"
            ) from None
        logger.info("Health checks at http://%s:%d%s", config.webhook_listen, config.health_port, HEALTH_PATH)
        app.run_webhook(
            listen=config.webhook_listen,
            port=config.webhook_port,
            url_path=urlsplit(config.webhook_url).path.lstrip("/"),
            webhook_url=config.webhook_url,
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
            close_loop=False,
        )
        probe.stop()
        loop.run_until_complete(probe.close_all_connections())
    finally:
        loop.close()
