"""Snapshot and restore a whole data directory while the bot runs (`checkin-bot backup|restore`).

Every data file is replaced by an atomic rename (or, the
draft's journal, appended to), so reading a file through one open handle gives a whole old or
a whole new version (a journal's cut last record is ignored when read). Per person the snapshot
is stronger: their directory is read, then its files are checked to be the same inodes of the
same lengths still; if a write came in between, the person is read again (a few times), so the
archive holds one state their directory really had at one instant. Under a write storm that
never pauses, the last reading is kept: draft first, then entries, then profile, so a finished
exercise is in the entries or still in the draft, never in neither. Derived files (shard
profile indexes, draft and pending markers) are not archived: `restore` rebuilds them.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import tarfile
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from bot.storage import files
from bot.storage.checks import check_files, open_check
from bot.storage.crypto import Cipher
from bot.storage.indexes import DraftMarkers, ProfileIndex
from bot.storage.inventory import MaintenanceError, Progress, no_progress, user_dirs
from bot.storage.layout import INVITES, KEY_CHECK, USERS_DIR
from bot.storage.sealing import KEY_CHECK_TEXT
from bot.storage.table_format import DRAFT_TABLE, PROFILE_TABLE, table_filename, table_month

SNAPSHOT_TRIES = 5
_ARCHIVE_ROOT = "checkin-bot-data"


def _person_order(name: str) -> tuple[int, str]:
    """Draft, then entries, then profile, then the rest (see the module docstring)."""
    table = name.rpartition(".")[0]
    rank = 0 if table == DRAFT_TABLE else 1 if table_month(table) else 2 if table == PROFILE_TABLE else 3
    return rank, name


def _read_person(directory: Path) -> dict[str, bytes]:
    """One consistent reading of a person's directory (relative name -> bytes), see above."""
    held: dict[str, bytes] = {}
    for _ in range(SNAPSHOT_TRIES):
        held, inodes = {}, {}
        for path in sorted(_files_under(directory), key=lambda p: _person_order(p.name)):
            name = str(path.relative_to(directory))
            with contextlib.suppress(FileNotFoundError), open(path, "rb") as handle:
                held[name] = handle.read()
                inodes[name] = (os.fstat(handle.fileno()).st_ino, len(held[name]))
        now = {}
        for path in _files_under(directory):
            with contextlib.suppress(FileNotFoundError):
                status = path.stat()
                now[str(path.relative_to(directory))] = (status.st_ino, status.st_size)
        if now == inodes:
            break
    return held


def _files_under(directory: Path) -> list[Path]:
    try:
        return [p for p in directory.rglob("*") if p.is_file() and not files.is_temp_file(p.name)]
    except FileNotFoundError:
        return []


def snapshot(data_dir: Path, target: Path, progress: Progress = no_progress) -> int:
    """Write a gzip tar of the data directory to `target` (0600, atomically); returns the file count.

    File bytes are archived as they are on disk: encrypted data stays encrypted.
    """
    data_dir = Path(data_dir)
    if not (data_dir / USERS_DIR).is_dir():
        raise MaintenanceError(f"{data_dir} is not a checkin-bot data directory (no {USERS_DIR}/)")
    people = user_dirs(data_dir)
    target = Path(target).absolute()
    tmp = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
    count = 0
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, files.FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            for name in (KEY_CHECK, INVITES):
                with contextlib.suppress(FileNotFoundError):
                    _add(archive, name, (data_dir / name).read_bytes())
                    count += 1
            for done, person in enumerate(people, 1):
                base = person.relative_to(data_dir)
                for name, payload in _read_person(person).items():
                    _add(archive, str(base / name), payload)
                    count += 1
                progress(done, len(people))
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, target)
        files.fsync_dir(target.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return count


def _add(archive: tarfile.TarFile, name: str, payload: bytes) -> None:
    info = tarfile.TarInfo(f"{_ARCHIVE_ROOT}/{name}")
    info.size = len(payload)
    info.mode = files.FILE_MODE
    info.mtime = int(datetime.now(UTC).timestamp())
    archive.addfile(info, io.BytesIO(payload))


def restore(
    archive_path: Path, data_dir: Path, cipher: Cipher | None, progress: Progress = no_progress
) -> int:
    """Unpack a snapshot into an empty (or missing) directory, check every file, rebuild the indexes.

    Needs the data key the snapshot was encrypted with (it is checked before anything is
    written). Returns the number of files restored.
    """
    data_dir = Path(data_dir)
    if data_dir.exists() and any(data_dir.iterdir()):
        raise MaintenanceError(f"{data_dir} is not empty; restore only into an empty or new directory")
    members = _read_archive(Path(archive_path))
    check = members.get(KEY_CHECK)
    if check is not None and cipher is None:
        raise MaintenanceError("the backup is encrypted: set CHECKIN_BOT_DATA_KEY to its key")
    if check is not None and cipher is not None and open_check(cipher, check) != KEY_CHECK_TEXT:
        raise MaintenanceError("CHECKIN_BOT_DATA_KEY is not the key this backup was encrypted with")
    if check is None and cipher is not None:
        raise MaintenanceError("the backup is not encrypted: unset CHECKIN_BOT_DATA_KEY to restore it")
    files.make_dirs(data_dir / USERS_DIR)
    for done, (name, payload) in enumerate(sorted(members.items()), 1):
        path = data_dir / name
        files.make_dirs(path.parent)
        files.atomic_write(path.parent, path.name, payload)
        progress(done, len(members))
    for directory in {(data_dir / name).parent for name in members}:
        files.fsync_dir(directory)
    problems = check_files(data_dir, cipher)
    if problems:
        raise MaintenanceError(f"restored, but {len(problems)} files do not read back: {problems[0]}")
    rebuild_derived(data_dir, cipher)
    return len(members)


def _read_archive(path: Path) -> dict[str, bytes]:
    """Relative name -> bytes of a snapshot, refusing anything that is not a plain data file."""
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(path, mode="r:gz") as archive:
            for member in archive:
                parts = PurePosixPath(member.name).parts
                if not member.isfile() or len(parts) < 2 or parts[0] != _ARCHIVE_ROOT:
                    raise MaintenanceError(f"{path} holds something that is not a data file: {member.name!r}")
                relative = parts[1:]
                if any(part in ("", ".", "..") for part in relative) or (
                    relative[0] not in (USERS_DIR, KEY_CHECK, INVITES)
                ):
                    raise MaintenanceError(f"{path} holds an unexpected path: {member.name!r}")
                handle = archive.extractfile(member)
                assert handle is not None
                found["/".join(relative)] = handle.read()
    except (tarfile.TarError, EOFError, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise MaintenanceError(f"{path} does not exist") from None
        raise MaintenanceError(f"{path} is not a checkin-bot backup ({type(exc).__name__})") from None
    return found


def rebuild_derived(data_dir: Path, cipher: Cipher | None) -> None:
    """Shard profile indexes and draft markers, from the user files (after a restore or import)."""
    index = ProfileIndex(data_dir, cipher)
    drafts = DraftMarkers(data_dir)
    for person in user_dirs(data_dir):
        if any((person / name).exists() for name in (table_filename(DRAFT_TABLE), f"{DRAFT_TABLE}.json")):
            drafts.mark(int(person.name))
    for shard in index.shards():
        index.rebuild(shard)
