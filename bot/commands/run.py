"""`checkin-bot run` (the default): validate the config, open storage, then serve Telegram."""

from __future__ import annotations

import argparse
from typing import Any

from telegram import Update

from bot.app import build_application
from bot.commands.common import data_cipher, fail, open_storage
from bot.config import ConfigError, load_config
from bot.logs import configure_logging
from bot.services import Services


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config, require_token=True)
        repo = open_storage(config, data_cipher())
    except ConfigError as exc:
        return fail(str(exc))
    configure_logging(config)
    app = build_application(Services(config=config, repo=repo))
    app.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


def register(commands: Any) -> None:
    commands.add_parser("run", help="run the bot (the default)").set_defaults(run=run)
