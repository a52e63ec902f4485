"""Re-seal a data directory under a new key (`checkin-bot rotate-key`), resumable after a crash."""

from __future__ import annotations

from pathlib import Path

from bot.storage import files, journal
from bot.storage.checks import ROTATING_TEXT, open_check
from bot.storage.crypto import Cipher, DataKeyError, is_sealed
from bot.storage.inventory import MaintenanceError, Progress, data_files, no_progress, role_of
from bot.storage.layout import KEY_CHECK, QUARANTINE_DIR
from bot.storage.sealing import KEY_CHECK_TEXT


def rotate_key(data_dir: Path, old: Cipher, new: Cipher, progress: Progress = no_progress) -> int:
    """Re-seal every file under `new`, each atomically; rerun it after a crash. Returns files changed.

    The key check is first replaced by a rotation marker under the old key, which neither key
    accepts as the key check: the bot refuses to start until the rotation is finished. The
    key check under the new key is written last. Stop the bot before rotating.
    """
    check = Path(data_dir) / KEY_CHECK
    try:
        raw = check.read_bytes()
    except FileNotFoundError:
        raise MaintenanceError("the data is not encrypted: use `checkin-bot encrypt-data`") from None
    if open_check(new, raw) == KEY_CHECK_TEXT:
        state = "done"
    elif open_check(old, raw) in (KEY_CHECK_TEXT, ROTATING_TEXT):
        state = "rotating"
    else:
        raise MaintenanceError("CHECKIN_BOT_DATA_KEY is not the key this data is encrypted with")
    if state == "rotating":
        files.write_durably(check.parent, KEY_CHECK, old.seal(ROTATING_TEXT, KEY_CHECK))
    found = [path for path in data_files(Path(data_dir)) if path != check]
    changed = 0
    for done, path in enumerate(found, 1):
        role = role_of(Path(data_dir), path)
        raw = journal.current(path.name, path.read_bytes()) or b""
        if role is not None and is_sealed(raw) and not _opens(new, raw, role):
            try:
                plain = old.open(raw, role)
            except DataKeyError:
                if QUARANTINE_DIR not in path.parts:
                    raise MaintenanceError(
                        f"{path.relative_to(data_dir)} opens with neither key; nothing more was changed"
                    ) from None
            else:
                files.write_durably(path.parent, path.name, journal.rewrap(path.name, new.seal(plain, role)))
                changed += 1
        progress(done, len(found))
    files.write_durably(check.parent, KEY_CHECK, new.seal(KEY_CHECK_TEXT, KEY_CHECK))
    return changed


def _opens(cipher: Cipher, raw: bytes, role: str) -> bool:
    try:
        cipher.open(raw, role)
    except DataKeyError:
        return False
    return True
