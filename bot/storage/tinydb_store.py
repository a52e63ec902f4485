"""Crash-safe TinyDB storage: one small database per user, one JSON file per table.

Layout::

    <data_dir>/users/<user_id % 1000:03d>/<user_id>/profile.json
                                                  /draft.json             (an unfinished flow)
                                                  /entries-YYYY-MM.json   (one per local month)
                                                  /quarantine/<file>.<UTC stamp>
    <data_dir>/users/<user_id % 1000:03d>/profiles-index.json   (user_id -> profile, per shard)
    <data_dir>/drafts/<user_id>          (empty marker: the user may have a draft)
    <data_dir>/index-pending/<user_id>   (empty marker: the shard index may lag the profile)

The two marker directories make start-up cheap with 100k users: `users_with_drafts` lists
one directory and `iter_profiles` reads ~1000 shard indexes instead of 100k profile files.
Markers are always created (durably) before the change they announce and removed after
it, so a crash leaves at worst a stale marker, which is harmless and cleaned up later.

Why not stock TinyDB: `JSONStorage` rewrites one file in place (a kill mid-write leaves it
unparsable), creates it world-readable, is not thread-safe and re-parses and re-serialises
the whole database on every call. Here each table lives in its own file, replaced
atomically (temp file, fsync, rename, fsync directory), so a write costs one month of one
user, and parsed data stays in memory for as long as the user is in the LRU cache.

This is the only module in the project that imports tinydb.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import os
import re
import secrets
import shutil
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping, MutableMapping
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any, NoReturn, Self, TypeVar

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document

from bot.domain.models import Entry, Profile
from bot.storage.base import SCHEMA_VERSION, Repository, StorageError
from bot.storage.crypto import KEY_ENV, Cipher, DataKeyError, is_sealed

logger = logging.getLogger("bot.storage")

PROFILE_TABLE = "profile"
DRAFT_TABLE = "draft"
DRAFTS_DIR = "drafts"
PENDING_DIR = "index-pending"
SHARD_INDEX = "profiles-index.json"
LOCK_STRIPES = 1024
KEY_CHECK = "key-check"
INVITES = "invites.json"
KEY_CHECK_TEXT = b"checkin-bot data key check"
QUARANTINE_DIR = "quarantine"
DIR_MODE = 0o700
FILE_MODE = 0o600
_PROFILE_DOC_ID = 1
_TABLE_NAME = re.compile(r"(?:profile|draft|entries-(\d{4})-(0[1-9]|1[0-2]))")
_DOC_ID = re.compile(r"[1-9][0-9]{0,17}")

_T = TypeVar("_T")

Tables = dict[str, dict[str, Any]]


class CorruptFileError(Exception):
    """A table file that cannot be trusted. The message describes why, never the content."""


def month_table(day: date) -> str:
    """Name of the table holding entries written on `day` (local date)."""
    return f"entries-{day.year:04d}-{day.month:02d}"


def _table_month(name: str) -> tuple[int, int] | None:
    """(year, month) of an entries table, None for any other table."""
    match = _TABLE_NAME.fullmatch(name)
    if match is None or match.group(1) is None:
        return None
    return int(match.group(1)), int(match.group(2))


def _json_copy(value: Any) -> Any:
    """Deep copy of a JSON value (dicts, lists, scalars); much cheaper than `copy.deepcopy`."""
    if isinstance(value, dict):
        return {key: _json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_copy(item) for item in value]
    return value


def _normalised(record: dict[str, Any]) -> dict[str, Any]:
    """A deep, JSON-normalised copy, so the cache holds exactly what the file will.

    Raises TypeError/ValueError for values JSON cannot hold, before anything is touched.
    """
    result: dict[str, Any] = json.loads(json.dumps(record, ensure_ascii=False, allow_nan=False))
    return result


def _encode_json(value: Any) -> bytes:
    """Compact UTF-8 JSON for one value."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates (possible from a JSON "\ud800" escape) cannot be UTF-8: escape them.
        return json.dumps(value, separators=(",", ":"), allow_nan=False).encode("ascii")


def _file_bytes(name: str, members: list[bytes]) -> bytes:
    """A table file from its encoded `"doc_id":{...}` members.

    Byte for byte what `json.dumps({"schema": ..., "table": name, "docs": docs},
    ensure_ascii=False, separators=(",", ":"))` gives, without re-encoding every document.
    """
    header = b'{"schema":%d,"table":%s,"docs":{' % (SCHEMA_VERSION, _encode_json(name))
    return header + b",".join(members) + b"}}"


class FrozenDoc(dict[str, Any]):
    """A stored entry document, which must never change in place.

    Entries are append-only and the storage re-uses each document's encoded bytes while
    the document object is unchanged, so an in-place edit would silently not be written.
    Refuse it loudly instead (store a new dict object to change a document).
    """

    __slots__ = ()

    def _refuse(self) -> NoReturn:
        raise TypeError("stored entry documents are immutable; replace the document instead")

    def __setitem__(self, key: str, value: Any) -> None:
        self._refuse()

    def __delitem__(self, key: str) -> None:
        self._refuse()

    def __ior__(self, other: Any) -> Self:  # type: ignore[override,misc]
        self._refuse()

    def clear(self) -> None:
        self._refuse()

    def pop(self, *args: Any) -> Any:
        self._refuse()

    def popitem(self) -> tuple[str, Any]:
        self._refuse()

    def setdefault(self, *args: Any) -> Any:
        self._refuse()

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._refuse()


def _migrate(document: dict[str, Any]) -> dict[str, Any]:
    """Upgrade a file written with an older `schema` to SCHEMA_VERSION, in memory.

    No older versions exist yet. When SCHEMA_VERSION is raised, add one step per version
    here (``if document["schema"] == 1: ...; document["schema"] = 2``). The upgraded table
    is written back the next time it changes.
    """
    document["schema"] = SCHEMA_VERSION
    return document


def _decode(name: str, raw: bytes) -> dict[str, Any]:
    """Parse and validate one table file, returning its docs; CorruptFileError if untrustworthy."""
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CorruptFileError(f"not valid UTF-8 JSON ({type(exc).__name__})") from None
    if not isinstance(document, dict):
        raise CorruptFileError("top level is not an object")
    schema = document.get("schema")
    if type(schema) is not int or schema < 1:
        raise CorruptFileError("missing or invalid schema")
    if schema > SCHEMA_VERSION:
        raise CorruptFileError(f"schema {schema} is newer than this program's {SCHEMA_VERSION}")
    if document.get("table") != name:
        raise CorruptFileError("table name does not match the file name")
    if not isinstance(document.get("docs"), dict):
        raise CorruptFileError("docs is not an object")
    if schema < SCHEMA_VERSION:
        document = _migrate(document)
    docs: dict[str, Any] = document["docs"]
    parse: Callable[[dict[str, Any]], object] = Entry.from_dict
    if name == PROFILE_TABLE:
        parse = Profile.from_dict
    elif name == DRAFT_TABLE:
        parse = _check_draft_doc
    for doc_id, doc in docs.items():
        if not _DOC_ID.fullmatch(doc_id) or not isinstance(doc, dict):
            raise CorruptFileError("malformed document")
        try:
            parse(doc)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise CorruptFileError("document does not have the expected fields") from None
    return docs


def _check_draft_doc(doc: dict[str, Any]) -> object:
    if not isinstance(doc.get("draft"), dict):
        raise ValueError("draft document without a draft")
    return doc


def _seal(cipher: Cipher | None, payload: bytes, role: str) -> bytes:
    return cipher.seal(payload, role) if cipher is not None else payload


def _open(cipher: Cipher | None, raw: bytes, role: str) -> bytes:
    """File bytes as written; a file the key does not open counts as damaged (and is set aside).

    With a key set, an unsealed file is damage too (planted, never written by us): only
    `encrypt_existing` reads plaintext files then, to seal them.
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


def _fsync_dir(path: Path) -> None:
    """Make a directory's entries (new, renamed or removed names) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _make_dirs(path: Path) -> None:
    """Create `path` and missing parents as 0700, fsyncing each new directory's parent."""
    missing: list[Path] = []
    current = path
    while not current.is_dir():
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, DIR_MODE)
        except FileExistsError:
            pass  # created concurrently (another user in the same shard): still fsync below
        else:
            os.chmod(directory, DIR_MODE)  # mkdir's mode is filtered by the umask
        _fsync_dir(directory.parent)


def _remove_tree(path: str) -> None:
    """`shutil.rmtree` that tolerates another thread removing the same tree concurrently."""
    for _ in range(5):
        try:
            shutil.rmtree(path)
        except FileNotFoundError:
            if not os.path.lexists(path):
                return
        else:
            return
    shutil.rmtree(path)


def _atomic_write(directory: Path, filename: str, payload: bytes) -> None:
    """Replace `directory/filename` with `payload` so readers see old or new, never a mix.

    The caller fsyncs the directory afterwards to make the rename itself durable.
    """
    tmp = directory / f".{filename}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    try:
        try:
            os.fchmod(fd, FILE_MODE)
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, directory / filename)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _create_marker(directory: Path, name: str) -> None:
    """Durably create the empty file `directory/name` (0600); no-op if it exists.

    If the directory fsync fails the new marker is removed again, so a failed call leaves
    nothing behind.
    """
    marker = directory / name
    if os.path.lexists(marker):
        return
    _make_dirs(directory)
    fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # os.open's mode is filtered by the umask
    finally:
        os.close(fd)
    try:
        _fsync_dir(directory)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(marker)
        raise


def _remove_marker(directory: Path, name: str, *, durable: bool) -> None:
    """Remove a marker if present; `durable` also fsyncs the directory."""
    try:
        os.unlink(directory / name)
    except FileNotFoundError:
        return
    if durable:
        _fsync_dir(directory)


def _read_profile_doc(user_dir: Path, cipher: Cipher | None) -> dict[str, Any] | None:
    """The profile document straight from disk (None if absent); CorruptFileError if unreadable.

    Used outside the user's cached database (index rebuilds and repairs), so it never
    quarantines anything itself.
    """
    filename = f"{PROFILE_TABLE}.json"
    try:
        raw = (user_dir / filename).read_bytes()
    except FileNotFoundError:
        return None
    doc = _decode(PROFILE_TABLE, _open(cipher, raw, f"{user_dir.name}/{filename}")).get(str(_PROFILE_DOC_ID))
    return doc if isinstance(doc, dict) else None


def _profiles_of(shard: str, docs: dict[str, Any]) -> list[Profile] | None:
    """Profiles from an index's docs, or None if any is malformed (then the index is rebuilt)."""
    profiles: list[Profile] = []
    try:
        for key, doc in docs.items():
            profile = Profile.from_dict(doc)
            if key != str(profile.user_id) or f"{profile.user_id % 1000:03d}" != shard:
                raise ValueError("index key does not match the profile")
            profiles.append(profile)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return profiles


Members = dict[str, tuple[FrozenDoc, bytes]]
"""doc_id -> (document object, its encoded `"doc_id":{...}` bytes)."""


class PartitionedAtomicStorage(Storage):
    """TinyDB storage keeping each table in its own atomically replaced JSON file.

    Files are parsed once; `read()` then hands out the cached dict. TinyDB updates a table
    by putting a new dict object under its name and calling `write(tables)`, so a table
    whose object differs from the one last read or written has changed and is rewritten;
    a table that disappeared has its file removed. Not thread-safe: the repository
    serialises access per user.
    """

    def __init__(
        self,
        directory: Path,
        on_damage: Callable[[str], None] | None = None,
        cipher: Cipher | None = None,
    ) -> None:
        super().__init__()
        self._dir = Path(directory)
        self._on_damage = on_damage
        self._cipher = cipher
        self._data: Tables | None = None
        self._written: Tables = {}
        # entries table -> its documents' encoded bytes, for months written by this process
        self._members: dict[str, Members] = {}

    @property
    def directory(self) -> Path:
        """The user's directory (it may not exist yet)."""
        return self._dir

    def read(self) -> Tables:
        """All tables; parses the files on first use only."""
        if self._data is None:
            self._data = self._load()
            self._written = dict(self._data)
        return self._data

    def write(self, data: Tables) -> None:
        """Durably write the tables that changed since the last read/write."""
        changed = [name for name, docs in data.items() if self._written.get(name) is not docs]
        removed = [name for name in self._written if name not in data]
        try:
            for name in changed:
                if not _TABLE_NAME.fullmatch(name):
                    raise ValueError(f"unexpected table name {name!r}")
            encoded = {name: self._encode(name, data[name]) for name in changed}
            if encoded or removed:
                _make_dirs(self._dir)
                for name, (payload, _) in encoded.items():
                    filename = f"{name}.json"
                    _atomic_write(self._dir, filename, _seal(self._cipher, payload, self._role(filename)))
                for name in removed:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(self._dir / f"{name}.json")
                _fsync_dir(self._dir)
        except BaseException:
            # TinyDB already changed the cached dict in place: forget it and re-read the truth.
            self._data = None
            self._written = {}
            self._members = {}
            raise
        for name, (_, members) in encoded.items():
            if members is not None:
                self._members[name] = members
        for name in removed:
            self._members.pop(name, None)
        self._data = data
        self._written = dict(data)

    def _encode(self, name: str, docs: dict[str, Any]) -> tuple[bytes, Members | None]:
        """The file bytes of a table and, for an entries table, the per-document bytes to keep.

        Entry documents are frozen and encoded once; rewriting a month encodes only the new
        ones, so the CPU cost of an append does not grow with the month's length.
        """
        if _table_month(name) is None:
            plain = [_encode_json(doc_id) + b":" + _encode_json(doc) for doc_id, doc in docs.items()]
            return _file_bytes(name, plain), None
        previous = self._members.get(name, {})
        members: Members = {}
        for doc_id, doc in docs.items():
            cached = previous.get(doc_id)
            if cached is None or cached[0] is not doc:
                frozen = doc if isinstance(doc, FrozenDoc) else FrozenDoc(doc)
                docs[doc_id] = frozen  # replacing a value keeps the dict's size: safe while iterating
                cached = (frozen, _encode_json(doc_id) + b":" + _encode_json(frozen))
            members[doc_id] = cached
        return _file_bytes(name, [member for _, member in members.values()]), members

    def close(self) -> None:
        """Nothing to release: no file stays open between calls."""

    def _load(self) -> Tables:
        """Parse every table file; quarantine the bad ones and sweep temp files of a crash."""
        tables: Tables = {}
        try:
            items = sorted(os.scandir(self._dir), key=lambda item: item.name)
        except FileNotFoundError:
            return tables
        swept = False
        for item in items:
            name = item.name
            if name.startswith(".") and name.endswith(".tmp"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(item.path)
                swept = True
                continue
            if not name.endswith(".json") or not item.is_file(follow_symlinks=False):
                continue  # also skips quarantine/
            table = name.removesuffix(".json")
            if not _TABLE_NAME.fullmatch(table):
                continue  # not ours: leave it alone
            with open(item.path, "rb") as handle:
                raw = handle.read()
            try:
                docs = _decode(table, _open(self._cipher, raw, self._role(name)))
            except CorruptFileError as exc:
                self._quarantine(name, str(exc))
                continue
            if _table_month(table) is not None:
                docs = {doc_id: FrozenDoc(doc) for doc_id, doc in docs.items()}
            tables[table] = docs
        if swept:
            _fsync_dir(self._dir)
        return tables

    def _role(self, filename: str) -> str:
        """What a file is, bound into its encryption so files can't be swapped between users."""
        return f"{self._dir.name}/{filename}"

    def _quarantine(self, filename: str, reason: str) -> None:
        """Move an unreadable file aside (never overwrite it) and report it."""
        target_dir = self._dir / QUARANTINE_DIR
        _make_dirs(target_dir)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = target_dir / f"{filename}.{stamp}"
        counter = 1
        while os.path.lexists(target):
            target = target_dir / f"{filename}.{stamp}.{counter}"
            counter += 1
        os.replace(self._dir / filename, target)
        os.chmod(target, FILE_MODE)  # bytes untouched; only make sure it stays private
        _fsync_dir(target_dir)
        _fsync_dir(self._dir)
        logger.warning("Unreadable storage file moved to %s: %s", target, reason)
        if self._on_damage is not None:
            self._on_damage(filename)


def _entry_from_doc(doc: Mapping[str, Any]) -> Entry:
    """An Entry that shares nothing with the cached document."""
    return Entry.from_dict({**doc, "data": _json_copy(doc["data"])})


def _sort_key(entry: Entry) -> tuple[date, datetime]:
    return (entry.local_date, entry.created_at)


class TinyDBRepository(Repository):
    """`Repository` on disk: a `PartitionedAtomicStorage` TinyDB per user.

    Every public method runs its body in a worker thread (`asyncio.to_thread`) holding
    that user's lock, so the event loop never waits on the disk and one user's writes
    are serialised. Open user databases live in an LRU of `cache_size` users.
    """

    def __init__(self, data_dir: Path, *, cache_size: int = 256, cipher: Cipher | None = None) -> None:
        if cache_size < 1:
            raise ValueError("cache_size must be at least 1")
        self._cipher = cipher
        self._data_dir = Path(data_dir)
        self._cache_size = cache_size
        self._global_lock = threading.Lock()
        # Striped per-user locks: constant memory however many people there are. Re-entrant, so
        # two users sharing a stripe never deadlock a thread that touches both.
        self._user_locks = [threading.RLock() for _ in range(LOCK_STRIPES)]
        self._open: OrderedDict[int, TinyDB] = OrderedDict()
        self._damage: dict[int, list[str]] = {}
        self._shard_locks: dict[str, threading.Lock] = {}
        self._invite_lock = threading.Lock()

    def prepare(self) -> None:
        """Create the data directory (0700) and prove it is writable; OSError if not.

        Called once at start so a wrong `storage.data_dir` stops the bot with a clear
        message instead of failing on the first person's first answer.
        """
        users = self._data_dir / "users"
        _make_dirs(users)
        _atomic_write(users, ".write-probe", b"")
        os.unlink(users / ".write-probe")
        self._check_key()

    # -- encryption at rest ---------------------------------------------------------------

    def _check_key(self) -> None:
        """Refuse to start with a wrong or missing key, before any file is touched (DataKeyError)."""
        check = self._data_dir / KEY_CHECK
        if self._cipher is None:
            if check.exists():
                raise DataKeyError(f"the data is encrypted: set {KEY_ENV} to its key")
            return
        if check.exists():
            self._verify_key_check(check)
            return
        if any(not is_sealed(path.read_bytes()) for path in self._data_files()[:1]):
            raise DataKeyError(
                f"the data is not encrypted yet: run `checkin-bot encrypt-data` once with {KEY_ENV} set"
            )
        self._write_key_check()

    def _verify_key_check(self, check: Path) -> None:
        assert self._cipher is not None
        try:
            matches = self._cipher.open(check.read_bytes(), KEY_CHECK) == KEY_CHECK_TEXT
        except DataKeyError:
            matches = False
        if not matches:
            raise DataKeyError(f"{KEY_ENV} is not the key this data was encrypted with; nothing was changed")

    def _write_key_check(self) -> None:
        assert self._cipher is not None
        _atomic_write(self._data_dir, KEY_CHECK, self._cipher.seal(KEY_CHECK_TEXT, KEY_CHECK))
        _fsync_dir(self._data_dir)

    def _data_files(self) -> list[Path]:
        """Every file holding user data (not temp files, nor directories being deleted)."""
        users = self._data_dir / "users"
        found = []
        for root, dirs, files in os.walk(users):
            dirs[:] = [d for d in dirs if not d.endswith(".deleting")]
            found += [Path(root) / f for f in files if not (f.startswith(".") and f.endswith(".tmp"))]
        return sorted(found)

    def _role_of(self, path: Path) -> str:
        relative = path.relative_to(self._data_dir / "users").parts  # shard, [user, ...], file
        if len(relative) == 2:
            return f"index/{relative[0]}"
        return "/".join(relative[1:])

    def encrypt_existing(self) -> int:
        """Encrypt every plaintext file in place, each atomically; rerun it after a crash.

        Refuses (DataKeyError) if any file is already sealed with a different key. Returns how
        many files it encrypted. The key check is written last, so until it is done the bot
        keeps refusing to start with the key and nothing is half-usable.
        """
        assert self._cipher is not None
        check = self._data_dir / KEY_CHECK
        if check.exists():
            self._verify_key_check(check)
        files = self._data_files()
        for path in files:
            raw = path.read_bytes()
            if is_sealed(raw):
                self._cipher.open(raw, self._role_of(path))  # DataKeyError: another key
        count = 0
        for path in files:
            raw = path.read_bytes()
            if not is_sealed(raw):
                _atomic_write(path.parent, path.name, self._cipher.seal(raw, self._role_of(path)))
                _fsync_dir(path.parent)
                count += 1
        self._write_key_check()
        return count

    def user_dir(self, user_id: int) -> Path:
        """Where the user's files live (sharded so no directory grows past ~1000 names)."""
        return self._data_dir / "users" / f"{user_id % 1000:03d}" / str(user_id)

    # -- public API -------------------------------------------------------------------

    async def get_profile(self, user_id: int) -> Profile | None:
        """The profile, or None; an unknown user leaves no trace on disk."""
        return await self._run(user_id, partial(self._get_profile, user_id))

    async def save_profile(self, profile: Profile) -> None:
        """Create or replace the profile; durable on return."""
        record = _normalised(profile.to_dict())
        await self._run(profile.user_id, partial(self._save_profile, profile.user_id, record))

    async def append_entry(self, user_id: int, entry: Entry) -> None:
        """Add the entry to its local month's file; durable on return."""
        record = _normalised(entry.to_dict())
        table = month_table(entry.local_date)
        await self._run(user_id, partial(self._append_entry, user_id, table, record))

    async def list_entries(
        self,
        user_id: int,
        kind: str | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> list[Entry]:
        """Entries with start <= local_date <= end, oldest first; reads only overlapping months."""
        return await self._run(user_id, partial(self._list_entries, user_id, kind, start, end))

    async def delete_user(self, user_id: int) -> None:
        """Remove the user's directory (quarantine included) durably; unknown users are fine."""
        await self._run(user_id, partial(self._delete_user, user_id))

    async def export_user(self, user_id: int) -> dict[str, Any]:
        """Profile and all entries, oldest first, read consistently under the user's lock."""
        return await self._run(user_id, partial(self._export_user, user_id))

    async def take_damage_report(self, user_id: int) -> list[str]:
        """Files set aside since the last call (loading the user first, so damage is found)."""
        return await self._run(user_id, partial(self._take_damage_report, user_id))

    async def close(self) -> None:
        """Drop every cached database (all data is already on disk)."""
        with self._global_lock:
            databases = list(self._open.values())
            self._open.clear()
        for database in databases:
            database.close()

    async def iter_profiles(self) -> AsyncIterator[Profile]:
        """Every profile, one shard index at a time (never opening each user's directory).

        Index files are read and parsed in a worker thread; only one shard's profiles
        (~1/1000 of all) are in memory at a time. Index entries left stale by a crash are
        repaired first.
        """
        await asyncio.to_thread(self._repair_pending)
        shards = await asyncio.to_thread(self._shard_dirs)
        for shard in shards:
            for profile in await asyncio.to_thread(self._read_shard, shard):
                yield profile

    async def get_draft(self, user_id: int) -> dict[str, Any] | None:
        """The stored draft as a fresh dict, or None (dropping a stale draft marker)."""
        return await self._run(user_id, partial(self._get_draft, user_id))

    async def save_draft(self, user_id: int, draft: dict[str, Any]) -> None:
        """Durably store the draft: marker first, so a crash never hides a draft from the index.

        Rewrites only draft.json (and creates the marker once per draft).
        """
        if not isinstance(draft, dict):
            raise TypeError("a draft must be a dict")
        record = _normalised({"draft": draft})
        await self._run(user_id, partial(self._save_draft, user_id, record))

    async def clear_draft(self, user_id: int) -> None:
        """Remove the draft file, then its marker."""
        await self._run(user_id, partial(self._clear_draft, user_id))

    async def users_with_drafts(self) -> list[int]:
        """Users with a draft marker: one directory listing, however many users exist.

        A crash can leave a marker without a draft, so callers must accept that
        `get_draft` returns None for a listed user (that call also removes the marker).
        """
        return await asyncio.to_thread(self._users_with_drafts)

    async def create_invite(self, code: str, expires_at: datetime) -> None:
        """Add a single-use code to `<data_dir>/invites.json` (atomic, durable on return)."""
        await asyncio.to_thread(self._create_invite, code, expires_at.isoformat())

    async def redeem_invite(self, code: str, now: datetime) -> bool:
        """Use the code up (and drop expired ones); True only for a valid first use.

        A code that is unknown, used up or expired changes nothing on disk: strangers
        sending made-up codes must not be able to make the bot write.
        """
        return await asyncio.to_thread(self._redeem_invite, code, now)

    # -- invites ---------------------------------------------------------------------------

    def _create_invite(self, code: str, expires: str) -> None:
        with self._invite_lock:
            invites = self._read_invites()
            invites[code] = expires
            self._write_invites(invites)

    def _redeem_invite(self, code: str, now: datetime) -> bool:
        with self._invite_lock:
            invites = self._read_invites()
            expires = invites.pop(code, None)
            if expires is None or now >= datetime.fromisoformat(expires):
                return False
            self._write_invites({c: e for c, e in invites.items() if datetime.fromisoformat(e) > now})
            return True

    def _read_invites(self) -> dict[str, str]:
        path = self._data_dir / INVITES
        try:
            document = json.loads(_open(self._cipher, path.read_bytes(), "invites").decode("utf-8"))
            return dict(document["invites"])
        except FileNotFoundError:
            return {}
        except (UnicodeDecodeError, ValueError, KeyError, TypeError, CorruptFileError):
            logger.warning("Invite file %s is unreadable; outstanding invites are void", path)
            return {}

    def _write_invites(self, invites: dict[str, str]) -> None:
        payload = _encode_json({"schema": SCHEMA_VERSION, "invites": invites})
        _make_dirs(self._data_dir)
        _atomic_write(self._data_dir, INVITES, _seal(self._cipher, payload, "invites"))
        _fsync_dir(self._data_dir)

    # -- machinery --------------------------------------------------------------------

    async def _run(self, user_id: int, body: Callable[[], _T]) -> _T:
        return await asyncio.to_thread(self._locked, user_id, body)

    def _user_lock(self, user_id: int) -> threading.RLock:
        return self._user_locks[user_id % LOCK_STRIPES]

    def _locked(self, user_id: int, body: Callable[[], _T]) -> _T:
        """Run `body` under the user's lock; on failure forget the user's cached state."""
        with self._user_lock(user_id):
            try:
                return body()
            except OSError as exc:
                self._forget(user_id)
                reason = exc.strerror or errno.errorcode.get(exc.errno or 0, type(exc).__name__)
                raise StorageError(f"storage failed for user {user_id}: {reason}") from exc
            except BaseException:
                self._forget(user_id)
                raise

    def _database(self, user_id: int) -> TinyDB:
        """The user's open database, loading it (outside the global lock) on a cache miss."""
        with self._global_lock:
            database = self._open.get(user_id)
            if database is not None:
                self._open.move_to_end(user_id)
                return database
        database = TinyDB(
            self.user_dir(user_id),
            storage=PartitionedAtomicStorage,
            on_damage=partial(self._record_damage, user_id),
            cipher=self._cipher,
        )
        database.storage.read()
        evicted: list[TinyDB] = []
        with self._global_lock:
            self._open[user_id] = database
            while len(self._open) > self._cache_size:
                evicted.append(self._open.popitem(last=False)[1])
        for old in evicted:
            old.close()
        return database

    def _forget(self, user_id: int) -> None:
        with self._global_lock:
            database = self._open.pop(user_id, None)
        if database is not None:
            database.close()

    def _record_damage(self, user_id: int, filename: str) -> None:
        """Remember a quarantined file for the report; a lost profile also leaves the index.

        Called while the user's database loads, i.e. under the user's lock.
        """
        with self._global_lock:
            self._damage.setdefault(user_id, []).append(filename)
        if filename == f"{PROFILE_TABLE}.json":
            try:
                self._reindex(user_id, None)
            except OSError as exc:  # the pending marker stays: the next iter_profiles retries
                logger.warning("Could not drop user %s from the profile index: %s", user_id, exc.strerror)

    # -- bodies (run in a worker thread under the user's lock) ------------------------

    def _get_profile(self, user_id: int) -> Profile | None:
        doc = self._database(user_id).table(PROFILE_TABLE).get(doc_id=_PROFILE_DOC_ID)
        return Profile.from_dict(dict(doc)) if isinstance(doc, Mapping) else None

    def _save_profile(self, user_id: int, record: dict[str, Any]) -> None:
        """Profile file first, then the shard index, inside a pending marker (see `_reindex`)."""
        table = self._database(user_id).table(PROFILE_TABLE)

        def replace(doc: MutableMapping[Any, Any]) -> None:
            doc.clear()
            doc.update(record)

        def write() -> None:
            if table.contains(doc_id=_PROFILE_DOC_ID):
                table.update(replace, doc_ids=[_PROFILE_DOC_ID])
            else:
                table.insert(Document(record, doc_id=_PROFILE_DOC_ID))

        self._reindex(user_id, record, change=write)

    def _append_entry(self, user_id: int, table: str, record: dict[str, Any]) -> None:
        self._database(user_id).table(table).insert(record)

    def _list_entries(
        self, user_id: int, kind: str | None, start: date | None, end: date | None
    ) -> list[Entry]:
        database = self._database(user_id)
        low = (start.year, start.month) if start is not None else None
        high = (end.year, end.month) if end is not None else None
        months = []
        for name in database.tables():
            month = _table_month(name)
            if month is None or (low is not None and month < low) or (high is not None and month > high):
                continue
            months.append(name)
        found: list[Entry] = []
        for name in sorted(months):
            for doc in database.table(name).all():
                if kind is not None and doc["kind"] != kind:
                    continue
                local_date = date.fromisoformat(doc["local_date"])
                if (start is not None and local_date < start) or (end is not None and local_date > end):
                    continue
                found.append(_entry_from_doc(doc))
        found.sort(key=_sort_key)
        return found

    def _get_draft(self, user_id: int) -> dict[str, Any] | None:
        doc = self._database(user_id).table(DRAFT_TABLE).get(doc_id=_PROFILE_DOC_ID)
        if not isinstance(doc, Mapping):
            # No draft: a marker left by a crash (or a quarantined draft) is stale. Safe under
            # the user's lock, since a save creates its marker before its draft.
            _remove_marker(self._data_dir / DRAFTS_DIR, str(user_id), durable=False)
            return None
        draft: dict[str, Any] = _json_copy(doc["draft"])
        return draft

    def _save_draft(self, user_id: int, record: dict[str, Any]) -> None:
        database = self._database(user_id)
        _create_marker(self._data_dir / DRAFTS_DIR, str(user_id))
        table = database.table(DRAFT_TABLE)

        def replace(doc: MutableMapping[Any, Any]) -> None:
            doc.clear()
            doc.update(record)

        if table.contains(doc_id=_PROFILE_DOC_ID):
            table.update(replace, doc_ids=[_PROFILE_DOC_ID])
        else:
            table.insert(Document(record, doc_id=_PROFILE_DOC_ID))

    def _clear_draft(self, user_id: int) -> None:
        database = self._database(user_id)
        if DRAFT_TABLE in database.tables():
            database.drop_table(DRAFT_TABLE)
        _remove_marker(self._data_dir / DRAFTS_DIR, str(user_id), durable=True)

    def _users_with_drafts(self) -> list[int]:
        try:
            with os.scandir(self._data_dir / DRAFTS_DIR) as items:
                return sorted(int(item.name) for item in items if item.name.isdigit())
        except FileNotFoundError:
            return []

    # -- the per-shard profile index (so start-up never opens 100k user directories) ---
    #
    # Lock order: a user's lock, then a shard lock, then the global lock, never backwards.
    # So a rebuild (under a shard lock) reads profile files without user locks (they are
    # replaced by atomic renames) and sets damaged ones aside only after letting go.

    def _shard_lock(self, shard: Path) -> threading.Lock:
        with self._global_lock:
            return self._shard_locks.setdefault(shard.name, threading.Lock())

    def _shard_dirs(self) -> list[Path]:
        try:
            with os.scandir(self._data_dir / "users") as items:
                return sorted(
                    Path(item.path)
                    for item in items
                    if item.name.isdigit() and item.is_dir(follow_symlinks=False)
                )
        except FileNotFoundError:
            return []

    def _reindex(
        self, user_id: int, record: dict[str, Any] | None, change: Callable[[], None] | None = None
    ) -> None:
        """Run `change` (write or remove the user's files), then set (None: drop) the index entry.

        Under the user's lock. A pending marker is created durably before and removed after,
        so a crash in between leaves a marker that `_repair_pending` resolves from the files.
        """
        pending = self._data_dir / PENDING_DIR
        _create_marker(pending, str(user_id))
        try:
            if change is not None:
                change()
            damaged = self._update_shard_index(user_id, record)
        except BaseException:
            self._settle(user_id)
            raise
        _remove_marker(pending, str(user_id), durable=False)  # if it survives a crash: a no-op repair
        self._quarantine_others(user_id, damaged)

    def _settle(self, user_id: int) -> None:
        """After a failed change: make the index entry match the disk, or leave the marker."""
        try:
            doc = _read_profile_doc(self.user_dir(user_id), self._cipher)
            self._update_shard_index(user_id, doc)
            _remove_marker(self._data_dir / PENDING_DIR, str(user_id), durable=False)
        except (OSError, CorruptFileError, StorageError):
            pass  # the marker stays: the next iter_profiles repairs the entry (never mask the cause)

    def _repair_pending(self) -> None:
        """Fix index entries a crash left stale (rare: normally the directory is empty)."""
        try:
            with os.scandir(self._data_dir / PENDING_DIR) as items:
                user_ids = [int(item.name) for item in items if item.name.isdigit()]
        except FileNotFoundError:
            return
        for user_id in user_ids:
            try:
                self._locked(user_id, partial(self._repair_entry, user_id))
            except StorageError as exc:
                logger.warning("Profile index entry not repaired: %s", exc)

    def _repair_entry(self, user_id: int) -> None:
        try:
            doc = _read_profile_doc(self.user_dir(user_id), self._cipher)
        except CorruptFileError:
            self._forget(user_id)
            self._database(user_id)  # its load sets the file aside, which drops the index entry
            doc = None
        damaged = self._update_shard_index(user_id, doc)
        _remove_marker(self._data_dir / PENDING_DIR, str(user_id), durable=False)
        self._quarantine_others(user_id, damaged)

    def _update_shard_index(self, user_id: int, record: dict[str, Any] | None) -> list[int]:
        """Set (None: drop) one user's entry in their shard's index file, rewriting it if changed.

        Returns the users whose profile files a rebuild found damaged (for quarantine).
        """
        shard = self.user_dir(user_id).parent
        if record is None and not shard.is_dir():
            return []
        key = str(user_id)
        damaged: list[int] = []
        with self._shard_lock(shard):
            docs = self._load_shard_docs(shard)
            rebuilt = docs is None
            if docs is None:
                missing = not (shard / SHARD_INDEX).exists()
                docs, damaged = self._rebuild_shard_index(shard)
                if missing and set(docs) - {key}:  # a new shard's first index is no news
                    logger.warning("Profile index of shard %s was missing; rebuilt it", shard.name)
            if record is None:
                changed = docs.pop(key, None) is not None
            else:
                changed = docs.get(key) != record
                docs[key] = record
            if changed or (rebuilt and docs):
                self._write_shard_index(shard, docs)
        return damaged

    def _read_shard(self, shard: Path) -> list[Profile]:
        """One shard's profiles (in a worker thread), rebuilding a missing or damaged index."""
        damaged: list[int] = []
        with self._shard_lock(shard):
            docs = self._load_shard_docs(shard)
            profiles = _profiles_of(shard.name, docs) if docs is not None else None
            if profiles is None:
                if docs is not None:
                    logger.warning("Profile index of shard %s has a bad entry; rebuilding it", shard.name)
                missing = docs is None and not (shard / SHARD_INDEX).exists()
                docs, damaged = self._rebuild_shard_index(shard)
                if missing and (docs or damaged):
                    logger.warning("Profile index of shard %s was missing; rebuilt it", shard.name)
                profiles = [Profile.from_dict(doc) for doc in docs.values()]
                try:
                    self._write_shard_index(shard, docs)
                except OSError as exc:  # still serve the rebuilt profiles; retry next time
                    logger.warning("Could not write profile index of shard %s: %s", shard.name, exc.strerror)
        for user_id in damaged:
            self._quarantine_profile(user_id, blocking=True)
        return profiles

    def _load_shard_docs(self, shard: Path) -> dict[str, Any] | None:
        """The index's documents, or None when it is missing or unreadable (then it is rebuilt).

        Checks only the layout; `_profiles_of` checks each profile when it is read.
        """
        try:
            raw = (shard / SHARD_INDEX).read_bytes()
        except FileNotFoundError:
            return None
        try:
            document = json.loads(_open(self._cipher, raw, f"index/{shard.name}").decode("utf-8"))
            if (
                not isinstance(document, dict)
                or document.get("schema") != SCHEMA_VERSION
                or document.get("shard") != shard.name
            ):
                raise ValueError("unexpected index layout")
            docs = document["profiles"]
            if not isinstance(docs, dict) or not all(isinstance(doc, dict) for doc in docs.values()):
                raise ValueError("unexpected index layout")
        except (UnicodeDecodeError, ValueError, KeyError, RecursionError, CorruptFileError):
            logger.warning("Profile index of shard %s is unreadable; rebuilding it", shard.name)
            return None
        result: dict[str, Any] = docs
        return result

    def _rebuild_shard_index(self, shard: Path) -> tuple[dict[str, Any], list[int]]:
        """Profiles of the shard read from its user directories (rare: the index was lost).

        Returns them and the ids whose profile file is damaged.
        """
        docs: dict[str, Any] = {}
        damaged: list[int] = []
        try:
            with os.scandir(shard) as items:
                names = [item.name for item in items if item.name.isdigit() and item.is_dir()]
        except FileNotFoundError:
            return docs, damaged
        for name in names:
            try:
                doc = _read_profile_doc(shard / name, self._cipher)
            except CorruptFileError:
                damaged.append(int(name))
                continue
            if doc is not None and str(doc.get("user_id")) == name:
                docs[name] = doc
        return docs, damaged

    def _write_shard_index(self, shard: Path, docs: dict[str, Any]) -> None:
        payload = _encode_json({"schema": SCHEMA_VERSION, "shard": shard.name, "profiles": docs})
        _make_dirs(shard)
        _atomic_write(shard, SHARD_INDEX, _seal(self._cipher, payload, f"index/{shard.name}"))
        _fsync_dir(shard)

    def _quarantine_others(self, user_id: int, damaged: list[int]) -> None:
        """Set aside damaged profiles a rebuild found, skipping users busy right now.

        Called holding `user_id`'s lock, so other users' locks are only tried, never awaited.
        """
        for other in damaged:
            if other != user_id:
                self._quarantine_profile(other, blocking=False)

    def _quarantine_profile(self, user_id: int, *, blocking: bool) -> None:
        """Load the user's database if their profile file is still damaged: its load sets it aside."""
        lock = self._user_lock(user_id)
        if not lock.acquire(blocking=blocking):
            return  # busy: the user's own next load sets the file aside
        try:
            try:
                _read_profile_doc(self.user_dir(user_id), self._cipher)
            except CorruptFileError:
                self._forget(user_id)
                self._database(user_id)
        except OSError as exc:
            logger.warning("Could not set aside the damaged profile of user %s: %s", user_id, exc.strerror)
        finally:
            lock.release()

    # -- export and deletion -----------------------------------------------------------

    def _export_user(self, user_id: int) -> dict[str, Any]:
        profile = self._get_profile(user_id)
        return {
            "schema": SCHEMA_VERSION,
            "user_id": user_id,
            "profile": profile.to_dict() if profile is not None else None,
            "entries": [entry.to_dict() for entry in self._list_entries(user_id, None, None, None)],
            "draft": self._get_draft(user_id),
        }

    def _delete_user(self, user_id: int) -> None:
        """Rename the directory away (atomic) and remove it, then its index entry and draft marker.

        Each step leaves a state the next start copes with: a half-removed tree is finished
        by the next deletion in the shard, a stale index entry by its pending marker, a
        stale draft marker by `get_draft`.
        """
        self._forget(user_id)
        with self._global_lock:
            self._damage.pop(user_id, None)
        directory = self.user_dir(user_id)
        if os.path.lexists(directory):
            self._reindex(user_id, None, change=partial(self._remove_user_dir, directory))
        elif directory.parent.is_dir():
            self._remove_user_dir(directory)
            self._quarantine_others(user_id, self._update_shard_index(user_id, None))
        _remove_marker(self._data_dir / DRAFTS_DIR, str(user_id), durable=True)

    @staticmethod
    def _remove_user_dir(directory: Path) -> None:
        """Rename `directory` away and delete it, finishing deletions a crash interrupted."""
        shard = directory.parent
        if os.path.lexists(directory):
            os.replace(directory, shard / f".{directory.name}.{secrets.token_hex(6)}.deleting")
            _fsync_dir(shard)
        with os.scandir(shard) as items:
            doomed = [item.path for item in items if item.name.endswith(".deleting")]
        for path in doomed:
            _remove_tree(path)
        if doomed:
            _fsync_dir(shard)

    def _take_damage_report(self, user_id: int) -> list[str]:
        if self.user_dir(user_id).is_dir():
            self._database(user_id)
        with self._global_lock:
            return self._damage.pop(user_id, [])
