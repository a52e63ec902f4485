"""One user's tables on disk: a TinyDB `Storage` keeping each table in its own file.

Why not stock TinyDB's `JSONStorage`: besides rewriting one file in place, it is not
thread-safe and re-parses and re-serialises the whole database on every call. Here each
table lives in its own atomically replaced file, so a write costs one month of one user,
and parsed data stays in memory for as long as the user's database stays open. The draft,
saved on every answer, is appended to a journal instead (`bot.storage.journal`).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from bot.storage import files, journal
from bot.storage.crypto import Cipher
from bot.storage.files import CorruptFileError
from bot.storage.layout import QUARANTINE_DIR
from bot.storage.sealing import seal, table_role, unseal
from bot.storage.table_format import (
    JOURNALLED,
    PROFILE_TABLE,
    SINGLE_DOC_ID,
    TABLE_NAME,
    FrozenDoc,
    Tables,
    decode,
    encode_json,
    file_bytes,
    table_filename,
    table_month,
)

COMPACT_FLOOR = 64 * 1024
COMPACT_FACTOR = 4
"""A journal is rewritten with its last record alone once it would outgrow both: appends then
cost O(record) amortised, and old versions of a draft do not pile up on disk."""

logger = logging.getLogger("bot.storage")

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
        self._journal_sizes: dict[str, int] = {}  # journalled table -> its file's length
        self._legacy: set[str] = set()  # journalled tables still read from their `.json`
        self._batching = False

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

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """TinyDB writes made inside reach the disk together at the end: each changed file once
        and one directory fsync for all, durable when the block exits. If the block fails,
        nothing is written and the cached tables are dropped, so the next read is the truth."""
        self._batching = True
        try:
            yield
        except BaseException:
            self._forget()
            raise
        finally:
            self._batching = False
        if self._data is not None:
            self.write(self._data)

    def write(self, data: Tables) -> None:
        """Durably write the tables that changed since the last read/write (deferred in `batch`)."""
        if self._batching:
            self._data = data
            return
        changed = [name for name, docs in data.items() if self._written.get(name) is not docs]
        removed = [name for name in self._written if name not in data]
        try:
            for name in changed:
                if not TABLE_NAME.fullmatch(name):
                    raise ValueError(f"unexpected table name {name!r}")
            encoded = {name: self._encode(name, data[name]) for name in changed}
            if encoded or removed:
                files.make_dirs(self._dir)
                renamed = bool(removed)
                for name, (payload, _) in encoded.items():
                    filename = table_filename(name)
                    sealed = seal(self._cipher, payload, self._role(filename))
                    if name in JOURNALLED:
                        renamed = self._append(name, sealed) or renamed
                    else:
                        files.atomic_write(self._dir, filename, sealed)
                        renamed = True
                for name in removed:
                    self._unlink(name)
                if renamed:
                    files.fsync_dir(self._dir)
        except BaseException:
            self._forget()
            raise
        for name, (_, members) in encoded.items():
            if members is not None:
                self._members[name] = members
        for name in removed:
            self._members.pop(name, None)
        self._data = data
        self._written = dict(data)

    def _append(self, name: str, sealed: bytes) -> bool:
        """Save a journalled table as a new record; True if a name changed (a directory fsync is due).

        A new journal, or one that grew past `COMPACT_FLOOR` and `COMPACT_FACTOR` times the
        record, is replaced by one holding the record alone, so appends cost O(record) amortised.
        """
        record = journal.frame(sealed)
        size = self._journal_sizes.get(name)
        filename = table_filename(name)
        if size is not None and size + len(record) <= max(COMPACT_FLOOR, COMPACT_FACTOR * len(record)):
            path = self._dir / filename
            try:
                files.append_durably(path, record)
            except BaseException:
                with contextlib.suppress(OSError):
                    files.truncate_durably(path, size)  # else the next read cuts the partial record off
                raise
            self._journal_sizes[name] = size + len(record)
            return False
        content = journal.rewrap(filename, sealed)
        files.atomic_write(self._dir, filename, content)
        self._journal_sizes[name] = len(content)
        if name in self._legacy:
            # The `.json` of before journals goes only once the journal's name is durable.
            files.fsync_dir(self._dir)
            self._unlink_legacy(name)
        return True

    def _unlink(self, name: str) -> None:
        """Remove a dropped table's file (and a journalled table's `.json` from before journals)."""
        self._journal_sizes.pop(name, None)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._dir / table_filename(name))
        if name in self._legacy:
            self._unlink_legacy(name)

    def _unlink_legacy(self, name: str) -> None:
        self._legacy.discard(name)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._dir / f"{name}.json")

    def _forget(self) -> None:
        """TinyDB already changed the cached dict in place: forget it and re-read the truth."""
        self._data = None
        self._written = {}
        self._members = {}
        self._journal_sizes = {}
        self._legacy = set()

    def _encode(self, name: str, docs: dict[str, Any]) -> tuple[bytes, Members | None]:
        """The file bytes of a table and, for an entries table, the per-document bytes to keep.

        Entry documents are frozen and encoded once; rewriting a month encodes only the new
        ones, so the CPU cost of an append does not grow with the month's length.
        """
        if table_month(name) is None:
            plain = [encode_json(doc_id) + b":" + encode_json(doc) for doc_id, doc in docs.items()]
            return file_bytes(name, plain), None
        previous = self._members.get(name, {})
        members: Members = {}
        for doc_id, doc in docs.items():
            cached = previous.get(doc_id)
            if cached is None or cached[0] is not doc:
                frozen = doc if isinstance(doc, FrozenDoc) else FrozenDoc(doc)
                docs[doc_id] = frozen  # replacing a value keeps the dict's size: safe while iterating
                cached = (frozen, encode_json(doc_id) + b":" + encode_json(frozen))
            members[doc_id] = cached
        return file_bytes(name, [member for _, member in members.values()]), members

    def close(self) -> None:
        """Nothing to release: no file stays open between calls."""

    def _load(self) -> Tables:
        """Parse every table file; quarantine the bad ones and sweep temp files of a crash."""
        tables: Tables = {}
        try:
            items = sorted(os.scandir(self._dir), key=lambda item: item.name)
        except FileNotFoundError:
            return tables
        present = {item.name for item in items}
        swept = False
        for item in items:
            name = item.name
            table = name.rpartition(".")[0]
            superseded = table in JOURNALLED and name == f"{table}.json" and table_filename(table) in present
            if files.is_temp_file(name) or superseded:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(item.path)
                swept = True
                continue
            if not TABLE_NAME.fullmatch(table) or name not in (table_filename(table), f"{table}.json"):
                continue  # not ours: leave it alone
            if not item.is_file(follow_symlinks=False):
                continue
            with open(item.path, "rb") as handle:
                raw = handle.read()
            try:
                payload, end = journal.latest(raw) if journal.is_journal(name) else (raw, len(raw))
                if payload is None:  # cut while its first record was being written: never saved
                    os.unlink(item.path)
                    swept = True
                    continue
                docs = decode(table, unseal(self._cipher, payload, self._role(name)))
            except CorruptFileError as exc:
                self._quarantine(name, str(exc))
                continue
            if end < len(raw):
                files.truncate_durably(Path(item.path), end)  # an append cut by a crash: never saved
            if journal.is_journal(name):
                self._journal_sizes[table] = end
            elif table in JOURNALLED:
                self._legacy.add(table)
            if table_month(table) is not None:
                docs = {doc_id: FrozenDoc(doc) for doc_id, doc in docs.items()}
            tables[table] = docs
        if swept:
            files.fsync_dir(self._dir)
        return tables

    def _role(self, filename: str) -> str:
        return table_role(self._dir, filename)

    def _quarantine(self, filename: str, reason: str) -> None:
        """Move an unreadable file aside (never overwrite it) and report it."""
        target_dir = self._dir / QUARANTINE_DIR
        files.make_dirs(target_dir)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = target_dir / f"{filename}.{stamp}"
        counter = 1
        while os.path.lexists(target):
            target = target_dir / f"{filename}.{stamp}.{counter}"
            counter += 1
        os.replace(self._dir / filename, target)
        os.chmod(target, files.FILE_MODE)  # bytes untouched; only make sure it stays private
        files.fsync_dir(target_dir)
        files.fsync_dir(self._dir)
        logger.warning("Unreadable storage file moved to %s: %s", target, reason)
        if self._on_damage is not None:
            self._on_damage(filename)


def read_profile_doc(user_dir: Path, cipher: Cipher | None) -> dict[str, Any] | None:
    """The profile document straight from disk (None if absent); CorruptFileError if unreadable.

    Used outside the user's cached database (index rebuilds and repairs), so it never
    quarantines anything itself.
    """
    filename = f"{PROFILE_TABLE}.json"
    try:
        raw = (user_dir / filename).read_bytes()
    except FileNotFoundError:
        return None
    doc = decode(PROFILE_TABLE, unseal(cipher, raw, table_role(user_dir, filename))).get(str(SINGLE_DOC_ID))
    return doc if isinstance(doc, dict) else None
