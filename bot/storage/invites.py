"""Single-use invite codes in `<data_dir>/invites.json`, replaced atomically on each change.

Redeeming reads and checks first and writes only for a valid code, so strangers sending
made-up, used or expired codes cannot make the bot write anything.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime
from pathlib import Path

from bot.storage import files
from bot.storage.base import SCHEMA_VERSION
from bot.storage.crypto import Cipher
from bot.storage.files import CorruptFileError
from bot.storage.layout import INVITES
from bot.storage.sealing import INVITES_ROLE, seal, unseal
from bot.storage.table_format import encode_json

logger = logging.getLogger("bot.storage")


class InviteBook:
    """The outstanding invite codes and when each expires."""

    def __init__(self, data_dir: Path, cipher: Cipher | None) -> None:
        self._dir = data_dir
        self._cipher = cipher
        self._lock = threading.Lock()

    def create(self, code: str, expires_at: datetime) -> None:
        """Add a code; durable on return."""
        with self._lock:
            invites = self._read()
            invites[code] = expires_at
            self._write(invites)

    def redeem(self, code: str, now: datetime) -> bool:
        """Use the code up (dropping expired ones) and return True, if it is outstanding.

        An unknown, used or expired code returns False without writing anything.
        """
        with self._lock:
            invites = self._read()
            expires_at = invites.pop(code, None)
            if expires_at is None or now >= expires_at:
                return False
            self._write({c: e for c, e in invites.items() if e > now})
            return True

    def _read(self) -> dict[str, datetime]:
        """The outstanding codes; none if the file is missing or cannot be trusted."""
        path = self._dir / INVITES
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return {}
        try:
            document = json.loads(unseal(self._cipher, raw, INVITES_ROLE).decode("utf-8"))
            return {code: datetime.fromisoformat(e) for code, e in dict(document["invites"]).items()}
        except (UnicodeDecodeError, ValueError, KeyError, TypeError, RecursionError, CorruptFileError):
            logger.warning("Invite file %s is unreadable; outstanding invites are void", path)
            return {}

    def _write(self, invites: dict[str, datetime]) -> None:
        document = {"schema": SCHEMA_VERSION, "invites": {c: e.isoformat() for c, e in invites.items()}}
        files.make_dirs(self._dir)
        files.write_durably(self._dir, INVITES, seal(self._cipher, encode_json(document), INVITES_ROLE))
