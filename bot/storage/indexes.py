"""The cheap start-up indexes: per-shard profile indexes (with pending markers) and draft markers.

`iter_profiles` reads ~1000 shard indexes instead of 100k profile files, and
`users_with_drafts` lists one directory. Markers are always created (durably) before the
change they announce and removed after it, so a crash leaves at worst a stale marker,
which is harmless and cleaned up later. An index is derived data: when it is missing or
cannot be trusted it is rebuilt from the user directories of its shard.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from bot.domain.models import Profile
from bot.storage import files
from bot.storage.base import SCHEMA_VERSION
from bot.storage.crypto import Cipher
from bot.storage.files import CorruptFileError
from bot.storage.layout import DRAFTS_DIR, PENDING_DIR, SHARD_INDEX, USERS_DIR, shard_name, user_dir
from bot.storage.sealing import index_role, seal, unseal
from bot.storage.table_format import encode_json
from bot.storage.table_storage import read_profile_doc

logger = logging.getLogger("bot.storage")

HINTS = frozenset({"last_nudged"})  # profile fields the index may hold out of date (see `note`)
NOTE_FLUSH_SECONDS = 600.0  # a shard's noted changes are written at its next note after this long...
NOTE_FLUSH_COUNT = 32  # ...or once this many of its people have one (memory stays small: ~3 MB at most)


def without_hints(record: dict[str, Any]) -> dict[str, Any]:
    """The record as the index must always have it: without the fields it may hold stale."""
    return {name: value for name, value in record.items() if name not in HINTS}


class ProfileIndex:
    """user_id -> profile, one index file per shard, each guarded by a shard lock.

    Lock order: a user's lock, then a shard lock, never backwards. So a rebuild (under a
    shard lock) reads profile files without user locks (they are replaced by atomic
    renames) and only reports damaged ones: the caller sets them aside after letting go.
    """

    def __init__(self, data_dir: Path, cipher: Cipher | None) -> None:
        self._data_dir = data_dir
        self._cipher = cipher
        self._pending = data_dir / PENDING_DIR
        self._locks_lock = threading.Lock()
        self._shard_locks: dict[str, threading.Lock] = {}
        # Per shard: the `HINTS` fields (as JSON text: no objects for the gc to scan) of profiles
        # changed only in them and not written yet, and since when (under the shard's lock).
        self._noted: dict[str, dict[str, str]] = {}
        self._noted_since: dict[str, float] = {}

    # -- pending markers: the index entry may lag the user's files --------------------------

    def mark_pending(self, user_id: int) -> None:
        files.create_marker(self._pending, str(user_id))

    def clear_pending(self, user_id: int) -> None:
        """If the removal does not survive a crash, the marker only causes a no-op repair."""
        files.remove_marker(self._pending, str(user_id), durable=False)

    def pending(self) -> list[int]:
        """Users whose index entry a crash may have left stale (normally none)."""
        return files.marked(self._pending)

    # -- the index files ----------------------------------------------------------------------

    def shards(self) -> list[Path]:
        try:
            with os.scandir(self._data_dir / USERS_DIR) as items:
                return sorted(
                    Path(item.path)
                    for item in items
                    if item.name.isdigit() and item.is_dir(follow_symlinks=False)
                )
        except FileNotFoundError:
            return []

    def update(self, user_id: int, record: dict[str, Any] | None) -> list[int]:
        """Set (None: drop) one user's entry in their shard's index file, rewriting it if changed.

        Returns the users whose profile files a rebuild found damaged (for quarantine).
        """
        shard = user_dir(self._data_dir, user_id).parent
        if record is None and not shard.is_dir():
            return []
        key = str(user_id)
        damaged: list[int] = []
        with self._lock(shard):
            noted = self._noted.get(shard.name, {})
            noted.pop(key, None)  # this record (or its removal) wins over a noted one
            docs = self._load(shard)
            rebuilt = docs is None
            if docs is None:
                missing = not (shard / SHARD_INDEX).exists()
                docs, damaged = self._rebuild(shard)
                if missing and set(docs) - {key}:  # a new shard's first index is no news
                    logger.warning("Profile index of shard %s was missing; rebuilt it", shard.name)
            changed = _apply(docs, noted)
            if record is None:
                changed = docs.pop(key, None) is not None or changed
            else:
                changed = docs.get(key) != record or changed
                docs[key] = record
            if changed or (rebuilt and docs):
                self._write(shard, docs)
            self._forget_noted(shard.name)
        return damaged

    def note(self, user_id: int, record: dict[str, Any]) -> None:
        """The user's profile changed only in `HINTS` (the day a nudge was last sent): keep the new
        record in memory and write the shard's index later, with its next update (or `flush`).

        The index is derived data and these fields are a hint in it: the profile file, written
        already, is what decides whether a nudge is due. So a nudge costs the profile file's
        writes only, not a rewrite of its shard's index with a pending marker around it.
        """
        shard = user_dir(self._data_dir, user_id).parent
        hints = json.dumps({name: record[name] for name in HINTS if name in record}, separators=(",", ":"))
        with self._lock(shard):
            noted = self._noted.setdefault(shard.name, {})
            noted[str(user_id)] = hints
            since = self._noted_since.setdefault(shard.name, time.monotonic())
            if len(noted) >= NOTE_FLUSH_COUNT or time.monotonic() - since >= NOTE_FLUSH_SECONDS:
                self._flush(shard)

    def flush(self) -> None:
        """Write every shard index that has noted changes (at close)."""
        for name in list(self._noted):
            shard = self._data_dir / USERS_DIR / name
            with self._lock(shard):
                self._flush(shard)

    def _flush(self, shard: Path) -> None:
        noted = self._noted.get(shard.name)
        if noted:
            docs = self._load(shard)
            if docs is None:
                docs, _ = self._rebuild(shard)  # damaged ones are found again at the next read
            _apply(docs, noted)
            self._write(shard, docs)
        self._forget_noted(shard.name)

    def _forget_noted(self, name: str) -> None:
        self._noted.pop(name, None)
        self._noted_since.pop(name, None)

    def read(self, shard: Path) -> tuple[list[Profile], list[int]]:
        """One shard's profiles, rebuilding a missing or damaged index, and the damaged ids."""
        damaged: list[int] = []
        with self._lock(shard):
            docs = self._load(shard)
            if docs is not None:
                _apply(docs, self._noted.get(shard.name, {}))
            profiles = _profiles_of(shard.name, docs) if docs is not None else None
            if profiles is None:
                if docs is not None:
                    logger.warning("Profile index of shard %s has a bad entry; rebuilding it", shard.name)
                missing = docs is None and not (shard / SHARD_INDEX).exists()
                docs, damaged = self._rebuild(shard)
                if missing and (docs or damaged):
                    logger.warning("Profile index of shard %s was missing; rebuilt it", shard.name)
                profiles = [Profile.from_dict(doc) for doc in docs.values()]
                try:
                    self._write(shard, docs)
                    self._forget_noted(shard.name)  # the files it was rebuilt from have them
                except OSError as exc:  # still serve the rebuilt profiles; retry next time
                    logger.warning("Could not write profile index of shard %s: %s", shard.name, exc.strerror)
        return profiles, damaged

    def rebuild(self, shard: Path) -> None:
        """Write the shard's index afresh from its user directories (after a restore)."""
        with self._lock(shard):
            docs, _ = self._rebuild(shard)
            self._write(shard, docs)
            self._forget_noted(shard.name)

    def _lock(self, shard: Path) -> threading.Lock:
        with self._locks_lock:
            return self._shard_locks.setdefault(shard.name, threading.Lock())

    def _load(self, shard: Path) -> dict[str, Any] | None:
        """The index's documents, or None when it is missing or unreadable (then it is rebuilt).

        Checks only the layout; `_profiles_of` checks each profile when it is read.
        """
        try:
            raw = (shard / SHARD_INDEX).read_bytes()
        except FileNotFoundError:
            return None
        try:
            document = json.loads(unseal(self._cipher, raw, index_role(shard.name)).decode("utf-8"))
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

    def _rebuild(self, shard: Path) -> tuple[dict[str, Any], list[int]]:
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
                doc = read_profile_doc(shard / name, self._cipher)
            except CorruptFileError:
                damaged.append(int(name))
                continue
            if doc is not None and str(doc.get("user_id")) == name:
                docs[name] = doc
        return docs, damaged

    def _write(self, shard: Path, docs: dict[str, Any]) -> None:
        payload = encode_json({"schema": SCHEMA_VERSION, "shard": shard.name, "profiles": docs})
        files.make_dirs(shard)
        files.write_durably(shard, SHARD_INDEX, seal(self._cipher, payload, index_role(shard.name)))


def _apply(docs: dict[str, Any], noted: dict[str, str]) -> bool:
    """Put noted hint fields into the index's documents of those people; True if any was there."""
    applied = False
    for key, hints in noted.items():
        doc = docs.get(key)
        if isinstance(doc, dict):
            doc.update(json.loads(hints))
            applied = True
    return applied


def _profiles_of(shard: str, docs: dict[str, Any]) -> list[Profile] | None:
    """Profiles from an index's docs, or None if any is malformed (then the index is rebuilt)."""
    profiles: list[Profile] = []
    try:
        for key, doc in docs.items():
            profile = Profile.from_dict(doc)
            if key != str(profile.user_id) or shard_name(profile.user_id) != shard:
                raise ValueError("index key does not match the profile")
            profiles.append(profile)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return profiles


class DraftMarkers:
    """`<data_dir>/drafts/<user_id>`: the user may have a draft (created before it, removed after).

    Remembers (a bounded number of) users whose marker this process removed, so asking whether
    such a person has a draft needs no look at the disk.
    """

    KNOWN_UNMARKED = 4096

    def __init__(self, data_dir: Path) -> None:
        self._dir = data_dir / DRAFTS_DIR
        self._unmarked: set[int] = set()

    def mark(self, user_id: int) -> None:
        self._unmarked.discard(user_id)
        files.create_marker(self._dir, str(user_id))

    def unmark(self, user_id: int, *, durable: bool) -> None:
        files.remove_marker(self._dir, str(user_id), durable=durable)
        if len(self._unmarked) >= self.KNOWN_UNMARKED:
            self._unmarked.clear()
        self._unmarked.add(user_id)

    def surely_unmarked(self, user_id: int) -> bool:
        """True only if this process removed the user's marker and has not created it since."""
        return user_id in self._unmarked

    def users(self) -> list[int]:
        return files.marked(self._dir)
