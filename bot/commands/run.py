"""`checkin-bot run` (the default): validate the config, open storage, then serve Telegram
by long polling or, with `telegram.mode = "webhook"`, on PTB's webhook server (`bot.webhook`)."""

from __future__ import annotations

import argparse
import importlib
from types import ModuleType
from typing import Any

from telegram import Update

from bot.app import build_application
from bot.commands.common import data_cipher, fail, open_storage
from bot.config import ConfigError, load_config
from bot.logs import configure_logging
from bot.services import Services


def _webhook() -> ModuleType:
    """`bot.webhook`, which needs tornado: the `webhook` extra, so polling installs go without it."""
    try:
        return importlib.import_module("bot.webhook")
    except ImportError as exc:
        if not (exc.name or "").startswith("tornado"):
            raise
        raise ConfigError(
            "telegram.mode = \"webhook\" needs the webhook extra: pip install 'checkin-bot[webhook]'"
        ) from None


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config, require_token=True)
        repo = open_storage(config, data_cipher())
        webhook = _webhook() if config.mode == "webhook" else None
        secret = webhook.webhook_secret(config) if webhook is not None else None
    except ConfigError as exc:
        return fail(str(exc))
    configure_logging(config)
    app = build_application(Services(config=config, repo=repo, couples=repo.couple_store()))
    if webhook is None or secret is None:
        app.run_polling(allowed_updates=Update.ALL_TYPES)
        return 0
    try:
        webhook.serve(app, config, secret)
    except ConfigError as exc:
        return fail(str(exc))
    return 0


def register(commands: Any) -> None:
    commands.add_parser("run", help="run the bot (the default)").set_defaults(run=run)
