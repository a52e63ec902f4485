"""Checks of a data directory (`checkin-bot doctor`): files that do not read with the key, a
wrong or missing key, permissions others could use. Problems name a file and a reason only."""

from __future__ import annotations

import json
import os
from pathlib import Path

from bot.storage import journal
from bot.storage.base import StorageError
from bot.storage.crypto import Cipher, DataKeyError, is_sealed
from bot.storage.files import CorruptFileError
from bot.storage.inventory import Progress, data_files, no_progress, role_of
from bot.storage.layout import KEY_CHECK, QUARANTINE_DIR, USERS_DIR
from bot.storage.sealing import KEY_CHECK_TEXT, unseal
from bot.storage.table_format import decode

ROTATING_TEXT = b"checkin-bot key rotation in progress"


def check_files(data_dir: Path, cipher: Cipher | None, progress: Progress = no_progress) -> list[str]:
    """One line per data file that cannot be read with this key (path and reason, never content)."""
    problems: list[str] = []
    found = data_files(data_dir)
    for done, path in enumerate(found, 1):
        relative = path.relative_to(data_dir)
        role = role_of(data_dir, path)
        parts = relative.parts
        try:
            if role is None or QUARANTINE_DIR in parts:
                continue  # markers are empty; quarantined files are known damage, kept for the record
            raw = path.read_bytes()
            if parts == (KEY_CHECK,):
                if open_check(cipher, raw) != KEY_CHECK_TEXT:
                    raise CorruptFileError("the data key does not open it")
                continue
            current = journal.current(path.name, raw)
            if current is None:
                continue  # a journal cut while its first record was written: nothing was saved in it
            plain = unseal(cipher, current, role)
            if len(parts) == 4:
                decode(path.stem, plain)
            else:
                json.loads(plain.decode("utf-8"))
        except (CorruptFileError, StorageError, DataKeyError) as exc:
            problems.append(f"{relative}: {exc}")
        except (UnicodeDecodeError, ValueError):
            problems.append(f"{relative}: not valid UTF-8 JSON")
        except FileNotFoundError:
            pass  # removed by the running bot since the listing
        except OSError as exc:
            problems.append(f"{relative}: cannot be read ({exc.strerror})")
        finally:
            progress(done, len(found))
    return problems


def open_check(cipher: Cipher | None, raw: bytes) -> bytes | None:
    """What the key check file says under `cipher` (None if it does not open)."""
    if cipher is None:
        return None
    try:
        return cipher.open(raw, KEY_CHECK)
    except DataKeyError:
        return None


def key_problem(data_dir: Path, cipher: Cipher | None) -> str | None:
    """What is wrong with the data key for this directory, or None (read-only, unlike `prepare`)."""
    try:
        raw = (Path(data_dir) / KEY_CHECK).read_bytes()
    except FileNotFoundError:
        plain = [path for path in data_files(Path(data_dir) / USERS_DIR) if not journal.is_journal(path.name)]
        if cipher is not None and any(not is_sealed(path.read_bytes()) for path in plain[:1]):
            return "the data is not encrypted yet: run `checkin-bot encrypt-data`"
        return None
    if cipher is None:
        return "the data is encrypted but CHECKIN_BOT_DATA_KEY is not set"
    opened = open_check(cipher, raw)
    if opened == ROTATING_TEXT:
        return "a key rotation was interrupted: rerun `checkin-bot rotate-key`"
    if opened != KEY_CHECK_TEXT:
        return "CHECKIN_BOT_DATA_KEY is not the key this data was encrypted with"
    return None


def permission_problems(data_dir: Path) -> list[str]:
    """Files or directories that others than the owner may read or write (0600 / 0700 expected)."""
    problems: list[str] = []
    for root, dirs, names in os.walk(data_dir):
        for name in [*dirs, *names]:
            path = Path(root) / name
            try:
                mode = path.lstat().st_mode & 0o777
            except FileNotFoundError:
                continue  # replaced or removed by the running bot meanwhile
            if mode & 0o077:
                problems.append(f"{path.relative_to(data_dir)} is {mode:04o}; run chmod go-rwx on it")
    mode = data_dir.stat().st_mode & 0o777
    if mode & 0o077:
        problems.insert(0, f"{data_dir} is {mode:04o}; run chmod 700 on it")
    return problems
