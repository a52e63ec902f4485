"""Entry point: `python -m bot` or `checkin-bot`. Validates config, then polls Telegram.

Maintenance commands: `checkin-bot keygen` prints a new data key; `checkin-bot encrypt-data`
encrypts an existing plaintext data directory in place with CHECKIN_BOT_DATA_KEY.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from telegram import Update

from bot import __version__
from bot.app import build_application
from bot.config import Config, ConfigError, load_config
from bot.logs import configure_logging
from bot.services import Services
from bot.storage.crypto import KEY_ENV, Cipher, DataKeyError, new_key
from bot.storage.tinydb_store import TinyDBRepository

EXIT_CONFIG = 2


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="checkin-bot", description=__doc__)
    parser.add_argument(
        "command", nargs="?", choices=("run", "keygen", "encrypt-data"), default="run", help="default: run"
    )
    parser.add_argument(
        "--config", help="path to a TOML config file (default: $CHECKIN_BOT_CONFIG or ./config.toml)"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser.parse_args(argv)


def data_cipher() -> Cipher | None:
    """The cipher for CHECKIN_BOT_DATA_KEY, if set (ConfigError when the key is malformed)."""
    text = os.environ.get(KEY_ENV, "").strip()
    if not text:
        return None
    try:
        return Cipher.from_text(text)
    except DataKeyError as exc:
        raise ConfigError(f"{KEY_ENV}: {exc}; make one with `checkin-bot keygen`") from None


def fail(message: str) -> int:
    print(f"checkin-bot: config error: {message}", file=sys.stderr)
    return EXIT_CONFIG


def open_storage(config: Config, cipher: Cipher | None) -> TinyDBRepository:
    """The repository, checked writable and unlocked by the right key (ConfigError otherwise)."""
    repo = TinyDBRepository(config.data_dir, cipher=cipher)
    try:
        repo.prepare()
    except OSError as exc:
        raise ConfigError(
            f"'storage.data_dir' ({config.data_dir}) must be a writable directory: "
            f"{exc.strerror or type(exc).__name__}"
        ) from None
    except DataKeyError as exc:
        raise ConfigError(str(exc)) from None
    return repo


def encrypt_data(config: Config, cipher: Cipher | None) -> int:
    if cipher is None:
        return fail(f"set {KEY_ENV} to the key to encrypt with (make one with `checkin-bot keygen`)")
    try:
        count = TinyDBRepository(config.data_dir, cipher=cipher).encrypt_existing()
    except DataKeyError as exc:
        return fail(str(exc))
    print(f"Encrypted {count} files in {config.data_dir}. Keep {KEY_ENV} safe: without it the data is lost.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command == "keygen":
        print(new_key())
        return 0
    try:
        config = load_config(args.config, require_token=args.command == "run")
        cipher = data_cipher()
        if args.command == "encrypt-data":
            return encrypt_data(config, cipher)
        repo = open_storage(config, cipher)
    except ConfigError as exc:
        return fail(str(exc))
    configure_logging(config)
    app = build_application(Services(config=config, repo=repo))
    app.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
