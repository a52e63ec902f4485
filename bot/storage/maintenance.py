"""Operator work on a whole data directory: snapshot and restore, key rotation, checks, counts, import.

Used by `checkin-bot doctor|backup|restore|stats|rotate-key|import-user`. Nothing here ever
returns or logs what people wrote: problems name a file and a reason, statistics are counts.

Snapshots are taken while the bot runs. Every data file is replaced by an atomic rename, so
reading a file through one open handle gives a whole old or a whole new version. Per person
the snapshot is stronger: their directory is read, then its files are checked to be the same
inodes still; if a write came in between, the person is read again (a few times), so the
archive holds one state their directory really had at one instant. Under a write storm that
never pauses, the last reading is kept: draft first, then entries, then profile, so a finished
exercise is in the entries or still in the draft, never in neither. Derived files (shard
profile indexes, draft and pending markers) are not archived: `restore` rebuilds them.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import secrets
import tarfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.models import Entry, EntryKind, Profile
from bot.storage import files
from bot.storage.base import SCHEMA_VERSION, StorageError
from bot.storage.crypto import Cipher, DataKeyError, is_sealed
from bot.storage.files import CorruptFileError
from bot.storage.indexes import DraftMarkers, ProfileIndex
from bot.storage.layout import INVITES, KEY_CHECK, QUARANTINE_DIR, SHARD_INDEX, USERS_DIR
from bot.storage.sealing import INVITES_ROLE, KEY_CHECK_TEXT, index_role, table_role, unseal
from bot.storage.table_format import DRAFT_TABLE, PROFILE_TABLE, decode, table_month
from bot.storage.tinydb_store import TinyDBRepository

Progress = Callable[[int, int], None]
"""progress(done, total): called as long work advances."""

ROTATING_TEXT = b"checkin-bot key rotation in progress"
SNAPSHOT_TRIES = 5
_ARCHIVE_ROOT = "checkin-bot-data"
_STAMP = re.compile(r"\.\d{8}T\d{6}Z(?:\.\d+)?$")


def _no_progress(done: int, total: int) -> None:
    """Progress for callers that show none."""


class MaintenanceError(Exception):
    """An operator-facing problem in one line (never file contents)."""


# -- which files exist -------------------------------------------------------------------------


def _user_dirs(data_dir: Path) -> list[Path]:
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


# -- snapshot and restore ----------------------------------------------------------------------


def _person_order(name: str) -> tuple[int, str]:
    """Draft, then entries, then profile, then the rest (see the module docstring)."""
    table = name.removesuffix(".json")
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
                inodes[name] = os.fstat(handle.fileno()).st_ino
                held[name] = handle.read()
        now = {}
        for path in _files_under(directory):
            with contextlib.suppress(FileNotFoundError):
                now[str(path.relative_to(directory))] = path.stat().st_ino
        if now == inodes:
            break
    return held


def _files_under(directory: Path) -> list[Path]:
    try:
        return [p for p in directory.rglob("*") if p.is_file() and not files.is_temp_file(p.name)]
    except FileNotFoundError:
        return []


def snapshot(data_dir: Path, target: Path, progress: Progress = _no_progress) -> int:
    """Write a gzip tar of the data directory to `target` (0600, atomically); returns the file count.

    File bytes are archived as they are on disk: encrypted data stays encrypted.
    """
    data_dir = Path(data_dir)
    if not (data_dir / USERS_DIR).is_dir():
        raise MaintenanceError(f"{data_dir} is not a checkin-bot data directory (no {USERS_DIR}/)")
    people = _user_dirs(data_dir)
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
    archive_path: Path, data_dir: Path, cipher: Cipher | None, progress: Progress = _no_progress
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
    if check is not None and cipher is not None and _open_check(cipher, check) != KEY_CHECK_TEXT:
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
    for person in _user_dirs(data_dir):
        if (person / f"{DRAFT_TABLE}.json").exists():
            drafts.mark(int(person.name))
    for shard in index.shards():
        index.rebuild(shard)


# -- checks ------------------------------------------------------------------------------------


def check_files(data_dir: Path, cipher: Cipher | None, progress: Progress = _no_progress) -> list[str]:
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
                if _open_check(cipher, raw) != KEY_CHECK_TEXT:
                    raise CorruptFileError("the data key does not open it")
                continue
            plain = unseal(cipher, raw, role)
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


def _open_check(cipher: Cipher | None, raw: bytes) -> bytes | None:
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
        if cipher is not None and any(
            not is_sealed(path.read_bytes()) for path in data_files(Path(data_dir) / USERS_DIR)[:1]
        ):
            return "the data is not encrypted yet: run `checkin-bot encrypt-data`"
        return None
    if cipher is None:
        return "the data is encrypted but CHECKIN_BOT_DATA_KEY is not set"
    opened = _open_check(cipher, raw)
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


# -- key rotation ------------------------------------------------------------------------------


def rotate_key(data_dir: Path, old: Cipher, new: Cipher, progress: Progress = _no_progress) -> int:
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
    if _open_check(new, raw) == KEY_CHECK_TEXT:
        state = "done"
    elif _open_check(old, raw) in (KEY_CHECK_TEXT, ROTATING_TEXT):
        state = "rotating"
    else:
        raise MaintenanceError("CHECKIN_BOT_DATA_KEY is not the key this data is encrypted with")
    if state == "rotating":
        files.write_durably(check.parent, KEY_CHECK, old.seal(ROTATING_TEXT, KEY_CHECK))
    found = [path for path in data_files(Path(data_dir)) if path != check]
    changed = 0
    for done, path in enumerate(found, 1):
        role = role_of(Path(data_dir), path)
        raw = path.read_bytes()
        if role is not None and is_sealed(raw) and not _opens(new, raw, role):
            try:
                plain = old.open(raw, role)
            except DataKeyError:
                if QUARANTINE_DIR not in path.parts:
                    raise MaintenanceError(
                        f"{path.relative_to(data_dir)} opens with neither key; nothing more was changed"
                    ) from None
            else:
                files.write_durably(path.parent, path.name, new.seal(plain, role))
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


# -- statistics --------------------------------------------------------------------------------


@dataclass(slots=True)
class Stats:
    """Counts only."""

    people: int = 0
    active_7_days: int = 0
    entries: Counter[str] = field(default_factory=Counter)
    nudges_today: int = 0
    data_bytes: int = 0
    files: int = 0
    unreadable: int = 0


def stats(data_dir: Path, cipher: Cipher | None, now: datetime, progress: Progress = _no_progress) -> Stats:
    """People (from the shard indexes), activity and entries per kind (from the entry files), sizes.

    "Active" means an entry created in the last 7 days; "nudges today" counts reminders whose
    last sending date is today in the person's own zone.
    """
    result = Stats()
    index = ProfileIndex(Path(data_dir), cipher)
    for shard in index.shards():
        profiles, _ = index.read(shard)
        result.people += len(profiles)
        result.nudges_today += sum(_nudged_today(profile, now) for profile in profiles)
    since = now - timedelta(days=7)
    people = _user_dirs(Path(data_dir))
    for done, person in enumerate(people, 1):
        active = False
        for path in person.glob("entries-*.json"):
            try:
                docs = decode(path.stem, unseal(cipher, path.read_bytes(), table_role(person, path.name)))
            except (CorruptFileError, StorageError, OSError):
                result.unreadable += 1
                continue
            for doc in docs.values():
                result.entries[str(doc["kind"])] += 1
                active = active or datetime.fromisoformat(doc["created_at"]) >= since
        result.active_7_days += active
        progress(done, len(people))
    for path in data_files(Path(data_dir)):
        with contextlib.suppress(FileNotFoundError):
            result.data_bytes += path.stat().st_size
            result.files += 1
    return result


def _nudged_today(profile: Profile, now: datetime) -> int:
    try:
        today = now.astimezone(ZoneInfo(profile.timezone or "UTC")).date().isoformat()
    except (ValueError, KeyError):
        today = now.date().isoformat()
    return sum(1 for day in profile.last_nudged.values() if day == today)


# -- import ------------------------------------------------------------------------------------

_ENTRY_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(slots=True)
class Export:
    """A validated `/export` document (docs/export-schema.md)."""

    user_id: int
    profile: Profile
    entries: list[Entry]
    draft: dict[str, Any] | None


def parse_export(document: Any) -> Export:
    """Check an `/export` JSON document against schema version 1; MaintenanceError names the problem."""
    if not isinstance(document, dict):
        raise MaintenanceError("the export is not a JSON object")
    if document.get("schema") != SCHEMA_VERSION:
        schema = document.get("schema")
        raise MaintenanceError(f"the export's schema is {schema!r}, expected {SCHEMA_VERSION}")
    user_id = document.get("user_id")
    if type(user_id) is not int or user_id <= 0:
        raise MaintenanceError("the export's user_id is not a positive whole number")
    raw_profile = document.get("profile")
    if not isinstance(raw_profile, dict):
        raise MaintenanceError("the export has no profile")
    try:
        profile = Profile.from_dict(raw_profile)
        if profile.created_at.tzinfo is None:
            raise ValueError("naive time")
    except (KeyError, TypeError, ValueError, AttributeError):
        raise MaintenanceError("the export's profile does not have the expected fields") from None
    if profile.user_id != user_id:
        raise MaintenanceError("the profile's user_id differs from the export's")
    raw_entries = document.get("entries")
    if not isinstance(raw_entries, list):
        raise MaintenanceError("the export's entries are not a list")
    entries: list[Entry] = []
    kinds = {kind.value for kind in EntryKind}
    for number, raw in enumerate(raw_entries, 1):
        try:
            if not isinstance(raw, dict) or not isinstance(raw.get("data"), dict):
                raise TypeError("not an object")
            entry = Entry.from_dict(raw)
            if not _ENTRY_ID.fullmatch(entry.entry_id) or entry.kind not in kinds:
                raise ValueError("bad id or kind")
            if entry.created_at.tzinfo is None:
                raise ValueError("naive time")
            json.dumps(entry.to_dict(), allow_nan=False)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise MaintenanceError(f"entry {number} of the export lacks the expected fields") from None
        entries.append(entry)
    if len({entry.entry_id for entry in entries}) != len(entries):
        raise MaintenanceError("the export holds two entries with the same entry_id")
    draft = document.get("draft")
    if draft is not None and not isinstance(draft, dict):
        raise MaintenanceError("the export's draft is neither an object nor null")
    return Export(user_id=user_id, profile=profile, entries=entries, draft=draft)


async def import_export(repo: TinyDBRepository, export: Export, progress: Progress = _no_progress) -> int:
    """Write a person's export into the repository; returns the entries added.

    Refuses a person who already has a profile here. Entries come first (skipping ids already
    present), then the draft, the profile last: an interrupted import is rerun and resumes.
    """
    if await repo.get_profile(export.user_id) is not None:
        raise MaintenanceError(f"user {export.user_id} already has a profile in this data directory")
    present = {entry.entry_id for entry in await repo.list_entries(export.user_id)}
    added = 0
    for done, entry in enumerate(export.entries, 1):
        if entry.entry_id not in present:
            await repo.append_entry(export.user_id, entry)
            added += 1
        progress(done, len(export.entries))
    if export.draft is not None:
        await repo.save_draft(export.user_id, export.draft)
    await repo.save_profile(export.profile)
    return added
