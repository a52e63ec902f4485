"""Entry point: `python -m bot` or `checkin-bot`. Validates config, then polls Telegram."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from telegram import Update

from bot import __version__
from bot.app import build_application
from bot.config import ConfigError, load_config
from bot.logs import configure_logging
from bot.services import Services
from bot.storage.tinydb_store import TinyDBRepository

EXIT_CONFIG = 2


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="checkin-bot", description=__doc__)
    parser.add_argument(
        "--config", help="path to a TOML config file (default: $CHECKIN_BOT_CONFIG or ./config.toml)"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"checkin-bot: config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(config)
    repo = TinyDBRepository(config.data_dir)
    try:
        repo.prepare()
    except OSError as exc:
        print(
            f"checkin-bot: config error: 'storage.data_dir' ({config.data_dir}) must be a writable "
            f"directory: {exc.strerror or type(exc).__name__}",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    app = build_application(Services(config=config, repo=repo))
    app.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
