"""What every command shares: config, the data key, storage, and the one-line failure (exit 2)."""

from __future__ import annotations

import os
import sys

from bot.config import Config, ConfigError
from bot.storage.crypto import KEY_ENV, Cipher, DataKeyError
from bot.storage.tinydb_store import TinyDBRepository

EXIT_CONFIG = 2


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
    """One line on stderr naming the problem; exit code 2."""
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
