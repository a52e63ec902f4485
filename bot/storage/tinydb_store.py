"""Crash-safe TinyDB storage: one small database per user, one JSON file per table.

`TinyDBRepository` is the facade; the work is done by the modules next to it:

- `layout`: where every file lives;
- `files`: atomic writes, directory fsyncs, private modes, markers;
- `table_format` and `table_storage`: one user's table files, read and written by TinyDB;
- `user_tables`: profile, entries per month and draft in a user's database;
- `user_cache`: user locks and the LRU of open databases;
- `indexes`: per-shard profile indexes and draft markers (cheap start-up with 100k users);
- `sealing`: encryption at rest and the data key check;
- `invites`: single-use invite codes.

Only `bot/storage` imports tinydb.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from tinydb import TinyDB

from bot.domain.models import Entry, Profile
from bot.storage import files, threads, user_tables
from bot.storage.base import SCHEMA_VERSION, Repository, StorageError
from bot.storage.couple_backends import FileCouples
from bot.storage.crypto import Cipher
from bot.storage.files import CorruptFileError
from bot.storage.indexes import DraftMarkers, ProfileIndex, without_hints
from bot.storage.invites import InviteBook
from bot.storage.layout import USERS_DIR, user_dir
from bot.storage.sealing import DataKeys
from bot.storage.table_format import month_table, normalised
from bot.storage.table_storage import read_profile_doc
from bot.storage.user_cache import UserDatabases

logger = logging.getLogger("bot.storage")

_T = TypeVar("_T")
# A listing over at most this many entries is made on the event loop when the person's files
# are open (about 0.5 ms; three months of daily pages and check-ins).
ON_LOOP_ENTRIES = 200
ON_LOOP_TOTALS = 1000  # read in place, no copies: 1,000 entries in about 0.15 ms


class TinyDBRepository(Repository):
    """`Repository` on disk: a `PartitionedAtomicStorage` TinyDB per user.

    Every public method runs its body on a storage thread (`bot.storage.threads`) holding
    that user's lock, so the event loop never waits on the disk and one user's writes
    are serialised. Open user databases live in an LRU of `cache_size` users.
    """

    def __init__(self, data_dir: Path, *, cache_size: int = 256, cipher: Cipher | None = None) -> None:
        self._data_dir = Path(data_dir)
        self._cipher = cipher
        self._users = UserDatabases(self._data_dir, cipher, cache_size, self._drop_lost_profile)
        self._index = ProfileIndex(self._data_dir, cipher)
        self._drafts = DraftMarkers(self._data_dir)
        self._invites = InviteBook(self._data_dir, cipher)
        self._keys = DataKeys(self._data_dir, cipher)

    def prepare(self) -> None:
        """Create the data directory (0700) and prove it is writable; OSError if not.

        Called once at start so a wrong `storage.data_dir` stops the bot with a clear
        message instead of failing on the first person's first answer. Then checks the
        data key (DataKeyError), before any user's file is touched.
        """
        users = self._data_dir / USERS_DIR
        files.make_dirs(users)
        files.atomic_write(users, ".write-probe", b"")
        os.unlink(users / ".write-probe")
        self._keys.check()

    def encrypt_existing(self) -> int:
        """Seal every plaintext file with the data key (`checkin-bot encrypt-data`); see `DataKeys`."""
        return self._keys.encrypt_existing()

    def couple_store(self) -> FileCouples:
        """Couple mode's records, under the same data directory and key."""
        return FileCouples(self._data_dir, self._cipher)

    def user_dir(self, user_id: int) -> Path:
        """Where the user's files live (sharded so no directory grows past ~1000 names)."""
        return user_dir(self._data_dir, user_id)

    # -- public API -------------------------------------------------------------------

    async def get_profile(self, user_id: int) -> Profile | None:
        """The profile, or None; an unknown user leaves no trace on disk.

        Read on the event loop when the user's database is open (`UserDatabases.if_open`).
        """
        found, profile = self._users.if_open(user_id, user_tables.get_profile)
        if found:
            return profile
        return await self._run(user_id, lambda: user_tables.get_profile(self._users.database(user_id)))

    async def save_profile(self, profile: Profile) -> None:
        """Create or replace the profile; durable on return."""
        record = normalised(profile.to_dict())
        await self._run(profile.user_id, partial(self._save_profile, profile.user_id, record))

    async def append_entry(self, user_id: int, entry: Entry) -> None:
        """Add the entry to its local month's file; durable on return."""
        record = normalised(entry.to_dict())
        table = month_table(entry.local_date)
        await self._run(
            user_id, lambda: user_tables.append_entry(self._users.database(user_id), table, record)
        )

    async def list_entries(
        self,
        user_id: int,
        kind: str | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> list[Entry]:
        """Entries with start <= local_date <= end, oldest first; reads only overlapping months.

        A listing from an open database over at most `ON_LOOP_ENTRIES` entries (a few months of
        a daily practice) is made on the event loop: cheaper than a worker-thread hop, and short.
        """
        listing = partial(user_tables.list_entries, kind=kind, start=start, end=end)
        return await self._read_months(user_id, start, end, ON_LOOP_ENTRIES, listing)

    async def delete_user(self, user_id: int) -> None:
        """Remove the user's directory (quarantine included) durably; unknown users are fine."""
        await self._run(user_id, partial(self._delete_user, user_id))

    async def export_user(self, user_id: int) -> dict[str, Any]:
        """Profile and all entries, oldest first, read consistently under the user's lock."""
        return await self._run(user_id, partial(self._export_user, user_id))

    async def take_damage_report(self, user_id: int) -> list[str]:
        """Files set aside since the last call (loading the user first, so damage is found).

        Damage is found when a user's files are loaded: if they are open already, the report is
        answered from memory on the event loop, without a worker thread.
        """
        found, _ = self._users.if_open(user_id, lambda database: None)
        if found:
            return self._users.take_damage(user_id)
        return await self._run(user_id, partial(self._take_damage_report, user_id))

    async def close(self) -> None:
        """Write the profile index changes held back (`ProfileIndex.note`), drop cached databases."""
        await threads.run(self._index.flush)
        self._users.close()

    async def iter_profiles(self) -> AsyncIterator[Profile]:
        """Every profile, one shard index at a time (never opening each user's directory).

        Index files are read and parsed in a worker thread; only one shard's profiles
        (~1/1000 of all) are in memory at a time. Index entries left stale by a crash are
        repaired first.
        """
        await threads.run(self._repair_pending)
        shards = await threads.run(self._index.shards)
        for shard in shards:
            for profile in await threads.run(self._read_shard, shard):
                yield profile

    async def get_draft(self, user_id: int) -> dict[str, Any] | None:
        """The stored draft as a fresh dict, or None (dropping a stale draft marker).

        A draft of an open database is read on the event loop, and so is "none" once this process
        removed the person's marker; otherwise "none" goes to a worker thread, which may have a
        stale marker to remove.
        """
        found, draft = self._users.if_open(user_id, user_tables.get_draft)
        if found and (draft is not None or self._drafts.surely_unmarked(user_id)):
            return draft
        return await self._run(user_id, partial(self._get_draft, user_id))

    async def save_draft(self, user_id: int, draft: dict[str, Any]) -> None:
        """Durably store the draft: marker first, so a crash never hides a draft from the index.

        Appends one record to draft.log, one fsync (and creates the marker once per draft).
        """
        if not isinstance(draft, dict):
            raise TypeError("a draft must be a dict")
        record = normalised({"draft": draft})
        await self._run(user_id, partial(self._save_draft, user_id, record))

    async def clear_draft(self, user_id: int) -> None:
        """Remove the draft file, then its marker."""
        await self._run(user_id, partial(self._finish_draft, user_id, None))

    async def finish_draft(self, user_id: int, entry: Entry | None) -> None:
        """The entry's month file (unless its `entry_id` is there already) and the draft's removal in
        one write (one directory fsync), then the draft marker (a stale marker is harmless:
        `get_draft` drops it)."""
        if entry is None:
            await self.clear_draft(user_id)
            return
        record = normalised(entry.to_dict())
        await self._run(
            user_id, partial(self._finish_draft, user_id, (month_table(entry.local_date), record))
        )

    async def day_totals(
        self, user_id: int, kind: str, field: str, start: date, end: date
    ) -> dict[date, int]:
        """Per-day sums read from the cached documents in place (`user_tables.day_totals`): on the
        event loop from an open database of up to `ON_LOOP_TOTALS` entries, else on a worker thread."""
        totals = partial(user_tables.day_totals, kind=kind, field=field, start=start, end=end)
        return await self._read_months(user_id, start, end, ON_LOOP_TOTALS, totals)

    async def users_with_drafts(self) -> list[int]:
        """Users with a draft marker: one directory listing, however many users exist.

        A crash can leave a marker without a draft, so callers must accept that
        `get_draft` returns None for a listed user (that call also removes the marker).
        """
        return await threads.run(self._drafts.users)

    async def create_invite(self, code: str, expires_at: datetime) -> None:
        """Add a single-use code to `<data_dir>/invites.json` (atomic, durable on return)."""
        await threads.run(self._invites.create, code, expires_at)

    async def redeem_invite(self, code: str, now: datetime) -> bool:
        """Use the code up (and drop expired ones); True only for a valid first use.

        A code that is unknown, used up or expired changes nothing on disk.
        """
        return await threads.run(self._invites.redeem, code, now)

    # -- bodies (run in a worker thread under the user's lock) ------------------------
    #
    # Reads of what an open database holds in memory skip the thread (`UserDatabases.if_open`):
    # a worker-thread hop costs more than the read, and a check-in answer made five of them.

    async def _run(self, user_id: int, body: Callable[[], _T]) -> _T:
        return await threads.run(self._users.locked, user_id, body)

    async def _read_months(
        self, user_id: int, start: date | None, end: date | None, bound: int, read: Callable[[TinyDB], _T]
    ) -> _T:
        """`read` of the user's database: on the event loop if it is open and the months overlapping
        start..end hold at most `bound` entries, else on a storage thread under the user's lock."""

        def small(database: TinyDB) -> tuple[_T] | None:
            return None if user_tables.entries_within(database, start, end) > bound else (read(database),)

        _, found = self._users.if_open(user_id, small)
        if found is not None:
            return found[0]
        return await self._run(user_id, lambda: read(self._users.database(user_id)))

    def _save_profile(self, user_id: int, record: dict[str, Any]) -> None:
        """Profile file first, then the shard index, inside a pending marker (see `_reindex`).

        A change only to what the index may hold stale (the day of the last nudge) writes the
        profile file alone and leaves the index to catch up (`ProfileIndex.note`).
        """
        database = self._users.database(user_id)
        stored = user_tables.profile_record(database)
        if stored is not None and without_hints(stored) == without_hints(record):
            user_tables.put_profile(database, record)
            self._index.note(user_id, record)
            return
        self._reindex(user_id, record, change=partial(user_tables.put_profile, database, record))

    def _get_draft(self, user_id: int) -> dict[str, Any] | None:
        draft = user_tables.get_draft(self._users.database(user_id))
        if draft is None:
            # No draft: a marker left by a crash (or a quarantined draft) is stale. Safe under
            # the user's lock, since a save creates its marker before its draft.
            self._drafts.unmark(user_id, durable=False)
        return draft

    def _save_draft(self, user_id: int, record: dict[str, Any]) -> None:
        database = self._users.database(user_id)
        self._drafts.mark(user_id)
        user_tables.put_draft(database, record)

    def _finish_draft(self, user_id: int, entry: tuple[str, dict[str, Any]] | None) -> None:
        table, record = entry if entry is not None else (None, None)
        user_tables.finish_draft(self._users.database(user_id), table, record)
        self._drafts.unmark(user_id, durable=False)

    def _export_user(self, user_id: int) -> dict[str, Any]:
        database = self._users.database(user_id)
        profile = user_tables.get_profile(database)
        return {
            "schema": SCHEMA_VERSION,
            "user_id": user_id,
            "profile": profile.to_dict() if profile is not None else None,
            "entries": [entry.to_dict() for entry in user_tables.list_entries(database, None, None, None)],
            "draft": self._get_draft(user_id),
        }

    def _delete_user(self, user_id: int) -> None:
        """Rename the directory away (atomic) and remove it, then its index entry and draft marker.

        Each step leaves a state the next start copes with: a half-removed tree is finished
        by the next deletion in the shard, a stale index entry by its pending marker, a
        stale draft marker by `get_draft`.
        """
        self._users.forget(user_id)
        self._users.take_damage(user_id)
        directory = self.user_dir(user_id)
        if os.path.lexists(directory):
            self._reindex(user_id, None, change=partial(files.remove_dir, directory))
        elif directory.parent.is_dir():
            files.remove_dir(directory)
            self._quarantine_others(user_id, self._index.update(user_id, None))
        self._drafts.unmark(user_id, durable=True)

    def _take_damage_report(self, user_id: int) -> list[str]:
        if self.user_dir(user_id).is_dir():
            self._users.database(user_id)
        return self._users.take_damage(user_id)

    # -- keeping the profile index in step with the profile files ----------------------
    #
    # Lock order: a user's lock, then a shard lock, never backwards. Damaged profiles an
    # index rebuild finds are set aside only after the shard lock is let go.

    def _reindex(
        self, user_id: int, record: dict[str, Any] | None, change: Callable[[], None] | None = None
    ) -> None:
        """Run `change` (write or remove the user's files), then set (None: drop) the index entry.

        Under the user's lock. A pending marker is created durably before and removed after,
        so a crash in between leaves a marker that `_repair_pending` resolves from the files.
        """
        self._index.mark_pending(user_id)
        try:
            if change is not None:
                change()
            damaged = self._index.update(user_id, record)
        except BaseException:
            self._settle(user_id)
            raise
        self._index.clear_pending(user_id)
        self._quarantine_others(user_id, damaged)

    def _settle(self, user_id: int) -> None:
        """After a failed change: make the index entry match the disk, or leave the marker."""
        try:
            doc = read_profile_doc(self.user_dir(user_id), self._cipher)
            self._index.update(user_id, doc)
            self._index.clear_pending(user_id)
        except (OSError, CorruptFileError, StorageError):
            pass  # the marker stays: the next iter_profiles repairs the entry (never mask the cause)

    def _drop_lost_profile(self, user_id: int) -> None:
        """A profile file was set aside while loading the user: drop them from the index."""
        try:
            self._reindex(user_id, None)
        except OSError as exc:  # the pending marker stays: the next iter_profiles retries
            logger.warning("Could not drop user %s from the profile index: %s", user_id, exc.strerror)

    def _repair_pending(self) -> None:
        """Fix index entries a crash left stale (rare: normally there are none)."""
        for user_id in self._index.pending():
            try:
                self._users.locked(user_id, partial(self._repair_entry, user_id))
            except StorageError as exc:
                logger.warning("Profile index entry not repaired: %s", exc)

    def _repair_entry(self, user_id: int) -> None:
        try:
            doc = read_profile_doc(self.user_dir(user_id), self._cipher)
        except CorruptFileError:
            self._users.forget(user_id)
            self._users.database(user_id)  # its load sets the file aside, which drops the index entry
            doc = None
        damaged = self._index.update(user_id, doc)
        self._index.clear_pending(user_id)
        self._quarantine_others(user_id, damaged)

    def _read_shard(self, shard: Path) -> list[Profile]:
        """One shard's profiles (in a worker thread); damaged profile files are set aside."""
        profiles, damaged = self._index.read(shard)
        for user_id in damaged:
            self._quarantine_profile(user_id, blocking=True)
        return profiles

    def _quarantine_others(self, user_id: int, damaged: list[int]) -> None:
        """Set aside damaged profiles a rebuild found, skipping users busy right now.

        Called holding `user_id`'s lock, so other users' locks are only tried, never awaited.
        """
        for other in damaged:
            if other != user_id:
                self._quarantine_profile(other, blocking=False)

    def _quarantine_profile(self, user_id: int, *, blocking: bool) -> None:
        """Load the user's database if their profile file is still damaged: its load sets it aside."""
        lock = self._users.lock(user_id)
        if not lock.acquire(blocking=blocking):
            return  # busy: the user's own next load sets the file aside
        try:
            try:
                read_profile_doc(self.user_dir(user_id), self._cipher)
            except CorruptFileError:
                self._users.forget(user_id)
                self._users.database(user_id)
        except OSError as exc:
            logger.warning("Could not set aside the damaged profile of user %s: %s", user_id, exc.strerror)
        finally:
            lock.release()
