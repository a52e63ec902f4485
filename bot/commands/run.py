"""`checkin-bot run` (the default): validate the config, open storage, then serve Telegram
by long polling or, with `telegram.mode = "webhook"`, on PTB's webhook server (`bot.webhook`)."""

from __future__ import annotations

import argparse
from typing import Any

from telegram import Update

from bot.app import build_application
from bot.commands.common import data_cipher, fail, open_storage
from bot.config import ConfigError, load_config
from bot.logs import configure_logging
from bot.services import Services
from bot.webhook import serve, webhook_secret


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config, require_token=True)
        repo = open_storage(config, data_cipher())
        secret = webhook_secret(config) if config.mode == "webhook" else None
    except ConfigError as exc:
        return fail(str(exc))
    configure_logging(config)
    app = build_application(Services(config=config, repo=repo, couples=repo.couple_store()))
    if secret is None:
        app.run_polling(allowed_updates=Update.ALL_TYPES)
        return 0
    try:
        serve(app, config, secret)
    except ConfigError as exc:
        return fail(str(exc))
    return 0


def register(commands: Any) -> None:
    commands.add_parser("run", help="run the bot (the default)").set_defaults(run=run)
