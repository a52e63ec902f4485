"""Encryption at rest for the on-disk store: sealing and opening files, and the data key check.

The cipher itself is `crypto.Cipher`; here is which role each file is sealed under, what an
unsealed or foreign file means (damage), and the one-off migration of plaintext data.
"""

from __future__ import annotations

import os
from pathlib import Path

from bot.storage import files, journal
from bot.storage.base import StorageError
from bot.storage.crypto import KEY_ENV, Cipher, DataKeyError, is_sealed
from bot.storage.files import CorruptFileError
from bot.storage.layout import COUPLE_MARKERS, COUPLES_DIR, KEY_CHECK, USERS_DIR

KEY_CHECK_TEXT = b"checkin-bot data key check"
INVITES_ROLE = "invites"


def table_role(user_dir: Path, filename: str) -> str:
    """The role of a user's table file, so files can't be swapped between users."""
    return f"{user_dir.name}/{filename}"


def index_role(shard: str) -> str:
    """The role of a shard's profile index."""
    return f"index/{shard}"


def couple_role(kind: str, name: str) -> str:
    """The role of a couple-mode file (`kind`: pairings, members or invites)."""
    return f"{COUPLES_DIR}/{kind}/{name}"


def seal(cipher: Cipher | None, payload: bytes, role: str) -> bytes:
    """The bytes to write: sealed under `role` with a key, as they are without one."""
    return cipher.seal(payload, role) if cipher is not None else payload


def unseal(cipher: Cipher | None, raw: bytes, role: str) -> bytes:
    """File bytes as written; a file the key does not open counts as damaged (and is set aside).

    With a key set, an unsealed file is damage too (planted, never written by us): only
    `DataKeys.encrypt_existing` reads plaintext files then, to seal them.
    """
    if cipher is None:
        if is_sealed(raw):
            raise StorageError(f"{role} is encrypted but no data key is configured ({KEY_ENV})")
        return raw
    if not is_sealed(raw):
        raise CorruptFileError("not encrypted although a data key is set")
    try:
        return cipher.open(raw, role)
    except DataKeyError:
        raise CorruptFileError("does not decrypt with the data key") from None


class DataKeys:
    """The key check file and the in-place migration of a plaintext data directory."""

    def __init__(self, data_dir: Path, cipher: Cipher | None) -> None:
        self._data_dir = data_dir
        self._cipher = cipher

    def check(self) -> None:
        """Refuse to start with a wrong or missing key, before any file is touched (DataKeyError)."""
        check = self._data_dir / KEY_CHECK
        if self._cipher is None:
            if check.exists():
                raise DataKeyError(f"the data is encrypted: set {KEY_ENV} to its key")
            return
        if check.exists():
            self._verify(check)
            return
        if any(not is_sealed(path.read_bytes()) for path in self._data_files(journals=False)[:1]):
            raise DataKeyError(
                f"the data is not encrypted yet: run `checkin-bot encrypt-data` once with {KEY_ENV} set"
            )
        self._write_check()

    def encrypt_existing(self) -> int:
        """Encrypt every plaintext file in place, each atomically; rerun it after a crash.

        Refuses (DataKeyError) if any file is already sealed with a different key. Returns how
        many files it encrypted. The key check is written last, so until it is done the bot
        keeps refusing to start with the key and nothing is half-usable.
        """
        assert self._cipher is not None
        check = self._data_dir / KEY_CHECK
        if check.exists():
            self._verify(check)
        found = self._data_files()
        for path in found:
            raw = journal.current(path.name, path.read_bytes())
            if raw is not None and is_sealed(raw):
                self._cipher.open(raw, self._role_of(path))  # DataKeyError: another key
        count = 0
        for path in found:
            raw = journal.current(path.name, path.read_bytes())
            if raw is not None and not is_sealed(raw):
                sealed = self._cipher.seal(raw, self._role_of(path))
                files.write_durably(path.parent, path.name, journal.rewrap(path.name, sealed))
                count += 1
        self._write_check()
        return count

    def _verify(self, check: Path) -> None:
        assert self._cipher is not None
        raw = check.read_bytes()
        if not is_sealed(raw):
            raise DataKeyError(
                f"{check} is not encrypted, so checkin-bot did not write it; nothing was changed "
                "(remove it to have it written again)"
            )
        try:
            matches = self._cipher.open(raw, KEY_CHECK) == KEY_CHECK_TEXT
        except DataKeyError:
            matches = False
        if not matches:
            raise DataKeyError(f"{KEY_ENV} is not the key this data was encrypted with; nothing was changed")

    def _write_check(self) -> None:
        assert self._cipher is not None
        files.write_durably(self._data_dir, KEY_CHECK, self._cipher.seal(KEY_CHECK_TEXT, KEY_CHECK))

    def _data_files(self, *, journals: bool = True) -> list[Path]:
        """Every file holding user data (not temp files, nor directories being deleted); without
        journals, whose first bytes say nothing about sealing."""
        found = []
        for root, dirs, names in os.walk(self._data_dir / USERS_DIR):
            dirs[:] = [d for d in dirs if not d.endswith(".deleting")]
            found += [
                Path(root) / name
                for name in names
                if not files.is_temp_file(name) and (journals or not journal.is_journal(name))
            ]
        for root, dirs, names in os.walk(self._data_dir / COUPLES_DIR):
            dirs[:] = [d for d in dirs if d not in COUPLE_MARKERS]
            found += [
                Path(root) / name for name in names if name.endswith(".json") and not files.is_temp_file(name)
            ]
        return sorted(found)

    def _role_of(self, path: Path) -> str:
        couples = self._data_dir / COUPLES_DIR
        if path.is_relative_to(couples):
            parts = path.relative_to(couples).parts  # <pairing>.json, or members|invites/<name>.json
            kind, name = ("pairings", parts[0]) if len(parts) == 1 else parts
            return couple_role(kind, name.removesuffix(".json"))
        relative = path.relative_to(self._data_dir / USERS_DIR).parts  # shard, [user, ...], file
        if len(relative) == 2:
            return index_role(relative[0])
        return "/".join(relative[1:])
