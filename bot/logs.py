"""Logging that never carries what users write, nor the bot token.

Our own code logs ids and exception types only. Libraries are held at a floor:
httpx logs request URLs (which contain the token) at INFO, and PTB logs every
request and update payload at DEBUG. A filter also scrubs the token from any
record as a last line of defence.
"""

from __future__ import annotations

import logging

from bot.config import Config, Secret

LIBRARY_FLOORS = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "aiohttp": logging.WARNING,
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


def apply_library_floors(level: int) -> None:
    """Keep chatty libraries at or above their floor, whatever `level` the operator chose."""
    for name, floor in LIBRARY_FLOORS.items():
        logging.getLogger(name).setLevel(max(floor, level))


def configure_logging(config: Config) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(config.token))
    logging.basicConfig(level=config.log_level, handlers=[handler], force=True)
    apply_library_floors(logging.getLogger().level)
