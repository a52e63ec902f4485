"""What a data directory holds, for the operator tools in `bot.storage.maintenance`: every
file worth keeping, each person's directory, and the role a file is sealed under."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from pathlib import Path

from bot.storage import files
from bot.storage.layout import INVITES, KEY_CHECK, QUARANTINE_DIR, SHARD_INDEX, USERS_DIR
from bot.storage.sealing import INVITES_ROLE, index_role, table_role

Progress = Callable[[int, int], None]
"""progress(done, total): called as long work advances."""

_STAMP = re.compile(r"\.\d{8}T\d{6}Z(?:\.\d+)?$")


def no_progress(done: int, total: int) -> None:
    """Progress for callers that show none."""


class MaintenanceError(Exception):
    """An operator-facing problem in one line (never file contents)."""


def user_dirs(data_dir: Path) -> list[Path]:
    """Every person's directory, shard by shard, in order."""
    found: list[Path] = []
    users = data_dir / USERS_DIR
    with contextlib.suppress(FileNotFoundError), os.scandir(users) as shards:
        for shard in sorted(shards, key=lambda item: item.name):
            if not (shard.name.isdigit() and shard.is_dir(follow_symlinks=False)):
                continue
            with os.scandir(shard.path) as people:
                found += sorted(
                    Path(person.path)
                    for person in people
                    if person.name.isdigit() and person.is_dir(follow_symlinks=False)
                )
    return found


def data_files(data_dir: Path) -> list[Path]:
    """Every file of the data directory worth keeping (no temp files, nor trees being deleted)."""
    found: list[Path] = []
    for root, dirs, names in os.walk(data_dir):
        dirs[:] = sorted(d for d in dirs if not d.endswith(".deleting"))
        found += [Path(root) / name for name in sorted(names) if not files.is_temp_file(name)]
    return found


def role_of(data_dir: Path, path: Path) -> str | None:
    """The role a file is sealed under, or None for a file that is never sealed (markers)."""
    relative = path.relative_to(data_dir).parts
    if relative == (INVITES,):
        return INVITES_ROLE
    if relative == (KEY_CHECK,):
        return KEY_CHECK
    if relative[0] != USERS_DIR:
        return None
    if len(relative) == 3 and relative[2] == SHARD_INDEX:
        return index_role(relative[1])
    if len(relative) == 4:
        return table_role(path.parent, path.name)
    if len(relative) == 5 and relative[3] == QUARANTINE_DIR:
        return table_role(path.parent.parent, _STAMP.sub("", path.name))  # set aside as it was
    return None
