"""Operator work on a whole data directory: snapshot and restore, key rotation, checks, counts, import.

Used by `checkin-bot doctor|backup|restore|stats|rotate-key|import-user`. Nothing here ever
returns or logs what people wrote: problems name a file and a reason, statistics are counts.

The commands import it all from here; each part lives with its kin: `bot.storage.inventory`
(which files exist, `MaintenanceError`), `~.snapshots` (backup and restore while the bot runs),
`~.checks` (doctor), `~.rotation` (rotate-key), `~.counts` (stats) and `~.importing` (import-user).
"""

from __future__ import annotations

from bot.storage.checks import ROTATING_TEXT, check_files, key_problem, permission_problems
from bot.storage.counts import Stats, stats
from bot.storage.importing import Export, import_export, parse_export
from bot.storage.inventory import MaintenanceError, Progress, data_files, role_of
from bot.storage.rotation import rotate_key
from bot.storage.snapshots import SNAPSHOT_TRIES, rebuild_derived, restore, snapshot

__all__ = [
    "ROTATING_TEXT",
    "SNAPSHOT_TRIES",
    "Export",
    "MaintenanceError",
    "Progress",
    "Stats",
    "check_files",
    "data_files",
    "import_export",
    "key_problem",
    "parse_export",
    "permission_problems",
    "rebuild_derived",
    "restore",
    "role_of",
    "rotate_key",
    "snapshot",
    "stats",
]
