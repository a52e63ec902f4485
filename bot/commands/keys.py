"""`checkin-bot keygen` prints a new data key; `encrypt-data` encrypts a plaintext data directory in place."""

from __future__ import annotations

import argparse
from typing import Any

from bot.commands.common import data_cipher, fail
from bot.config import ConfigError, load_config
from bot.storage.crypto import KEY_ENV, DataKeyError, new_key
from bot.storage.tinydb_store import TinyDBRepository


def keygen(args: argparse.Namespace) -> int:
    print(new_key())
    return 0


def encrypt_data(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config, require_token=False)
        cipher = data_cipher()
    except ConfigError as exc:
        return fail(str(exc))
    if cipher is None:
        return fail(f"set {KEY_ENV} to the key to encrypt with (make one with `checkin-bot keygen`)")
    try:
        count = TinyDBRepository(config.data_dir, cipher=cipher).encrypt_existing()
    except DataKeyError as exc:
        return fail(str(exc))
    print(f"Encrypted {count} files in {config.data_dir}. Keep {KEY_ENV} safe: without it the data is lost.")
    return 0


def register(commands: Any) -> None:
    commands.add_parser("keygen", help="print a new data key for CHECKIN_BOT_DATA_KEY").set_defaults(
        run=keygen
    )
    commands.add_parser(
        "encrypt-data", help="encrypt an existing data directory in place (safe to rerun)"
    ).set_defaults(run=encrypt_data)
