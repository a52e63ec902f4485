"""Entry point: `python -m bot` or `checkin-bot`. Validates config, then polls Telegram."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from telegram import Update

from bot import __version__
from bot.app import build_application
from bot.config import Config, ConfigError, Secret, load_config
from bot.services import Services
from bot.storage.tinydb_store import TinyDBRepository

EXIT_CONFIG = 2
# Minimum levels for libraries, whatever the configured level: httpx logs request URLs
# (which contain the token) at INFO, and PTB logs every request and update payload
# (what users wrote) at DEBUG.
LIBRARY_FLOORS = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "apscheduler": logging.WARNING,
    "telegram": logging.INFO,
}


class RedactSecrets(logging.Filter):
    """Replace the token wherever it appears in a record, including formatted tracebacks."""

    def __init__(self, secret: Secret) -> None:
        super().__init__()
        self._secret = secret.reveal()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._secret in message:
            record.msg, record.args = message.replace(self._secret, "<token>"), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self._secret in record.exc_text:
            record.exc_text = record.exc_text.replace(self._secret, "<token>")
        return True


def configure_logging(config: Config) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(config.token))
    logging.basicConfig(level=config.log_level, handlers=[handler], force=True)
    root_level = logging.getLogger().level
    for name, floor in LIBRARY_FLOORS.items():
        logging.getLogger(name).setLevel(max(floor, root_level))


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
    app = build_application(Services(config=config, repo=repo))
    app.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
