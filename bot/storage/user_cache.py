"""Per-user access: striped user locks, an LRU of open user databases, and damage records."""

from __future__ import annotations

import errno
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

from tinydb import TinyDB

from bot.storage.base import StorageError
from bot.storage.crypto import Cipher
from bot.storage.layout import user_dir
from bot.storage.table_format import PROFILE_TABLE
from bot.storage.table_storage import PartitionedAtomicStorage

LOCK_STRIPES = 1024

_T = TypeVar("_T")


class UserDatabases:
    """Open user databases, each used only under its user's lock.

    `on_lost_profile(user_id)` runs when loading a user set their profile file aside (under
    that user's lock), so the caller can drop them from the profile index.
    """

    def __init__(
        self,
        data_dir: Path,
        cipher: Cipher | None,
        cache_size: int,
        on_lost_profile: Callable[[int], None],
    ) -> None:
        if cache_size < 1:
            raise ValueError("cache_size must be at least 1")
        self._data_dir = data_dir
        self._cipher = cipher
        self._cache_size = cache_size
        self._on_lost_profile = on_lost_profile
        self._global_lock = threading.Lock()
        # Striped per-user locks: constant memory however many people there are. Re-entrant, so
        # two users sharing a stripe never deadlock a thread that touches both.
        self._user_locks = [threading.RLock() for _ in range(LOCK_STRIPES)]
        self._open: OrderedDict[int, TinyDB] = OrderedDict()
        self._damage: dict[int, list[str]] = {}

    def lock(self, user_id: int) -> threading.RLock:
        return self._user_locks[user_id % LOCK_STRIPES]

    def locked(self, user_id: int, body: Callable[[], _T]) -> _T:
        """Run `body` under the user's lock; on failure forget the user's cached state.

        An OSError becomes a StorageError that names the user and the reason, never a path.
        """
        with self.lock(user_id):
            try:
                return body()
            except OSError as exc:
                self.forget(user_id)
                reason = exc.strerror or errno.errorcode.get(exc.errno or 0, type(exc).__name__)
                raise StorageError(f"storage failed for user {user_id}: {reason}") from exc
            except BaseException:
                self.forget(user_id)
                raise

    def database(self, user_id: int) -> TinyDB:
        """The user's open database, loading it (outside the global lock) on a cache miss."""
        with self._global_lock:
            database = self._open.get(user_id)
            if database is not None:
                self._open.move_to_end(user_id)
                return database
        database = TinyDB(
            user_dir(self._data_dir, user_id),
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

    def if_open(self, user_id: int, body: Callable[[TinyDB], _T]) -> tuple[bool, _T | None]:
        """`(True, body(database))` if the user's database is open and their lock free right now,
        else `(False, None)` at once: never waits and never touches the disk, so the event loop
        may call it for reads of what is already in memory."""
        lock = self.lock(user_id)
        if not lock.acquire(blocking=False):
            return False, None
        try:
            with self._global_lock:
                database = self._open.get(user_id)
                if database is None:
                    return False, None
                self._open.move_to_end(user_id)
            return True, body(database)
        finally:
            lock.release()

    def forget(self, user_id: int) -> None:
        """Drop the user's open database (the next use reads the files again)."""
        with self._global_lock:
            database = self._open.pop(user_id, None)
        if database is not None:
            database.close()

    def close(self) -> None:
        """Drop every open database (all data is already on disk)."""
        with self._global_lock:
            databases = list(self._open.values())
            self._open.clear()
        for database in databases:
            database.close()

    def take_damage(self, user_id: int) -> list[str]:
        """Files of the user set aside since the last call."""
        with self._global_lock:
            return self._damage.pop(user_id, [])

    def _record_damage(self, user_id: int, filename: str) -> None:
        """Remember a quarantined file for the report; a lost profile also leaves the index.

        Called while the user's database loads, i.e. under the user's lock.
        """
        with self._global_lock:
            self._damage.setdefault(user_id, []).append(filename)
        if filename == f"{PROFILE_TABLE}.json":
            self._on_lost_profile(user_id)
