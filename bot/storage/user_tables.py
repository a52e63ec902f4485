"""What one user's open database holds: the profile, entries per local month, the draft.

Plain reads and writes on a user's TinyDB; the repository adds the locking, markers and the
profile index around them.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from datetime import date, datetime
from typing import Any

from tinydb import TinyDB
from tinydb.table import Document, Table

from bot.domain.models import Entry, Profile
from bot.storage.base import whole
from bot.storage.table_format import DRAFT_TABLE, PROFILE_TABLE, SINGLE_DOC_ID, json_copy, table_month
from bot.storage.table_storage import PartitionedAtomicStorage


def get_profile(database: TinyDB) -> Profile | None:
    doc = database.table(PROFILE_TABLE).get(doc_id=SINGLE_DOC_ID)
    return Profile.from_dict(dict(doc)) if isinstance(doc, Mapping) else None


def profile_record(database: TinyDB) -> dict[str, Any] | None:
    """The stored profile document as a plain dict (shared with the cache: do not change it)."""
    doc = database.table(PROFILE_TABLE).get(doc_id=SINGLE_DOC_ID)
    return dict(doc) if isinstance(doc, Mapping) else None


def put_profile(database: TinyDB, record: dict[str, Any]) -> None:
    _put_single(database.table(PROFILE_TABLE), record)


def append_entry(database: TinyDB, table: str, record: dict[str, Any]) -> None:
    database.table(table).insert(record)


def finish_draft(database: TinyDB, table: str | None, record: dict[str, Any] | None) -> None:
    """Add the finished exercise's entry (if any, and unless its `entry_id` is stored already) and
    drop the draft, in one durable write."""
    storage = database.storage
    assert isinstance(storage, PartitionedAtomicStorage)
    with storage.batch():
        if table is not None and record is not None and not _has_entry(database, table, record["entry_id"]):
            append_entry(database, table, record)
        drop_draft(database)


def _has_entry(database: TinyDB, table: str, entry_id: str) -> bool:
    docs = (database.storage.read() or {}).get(table, {})
    return any(doc["entry_id"] == entry_id for doc in docs.values())


def _months(database: TinyDB, start: date | None, end: date | None) -> list[str]:
    """The month tables that overlap start..end, oldest first."""
    low = (start.year, start.month) if start is not None else None
    high = (end.year, end.month) if end is not None else None
    months = []
    for name in database.tables():
        month = table_month(name)
        if month is None or (low is not None and month < low) or (high is not None and month > high):
            continue
        months.append(name)
    return sorted(months)


def entries_within(database: TinyDB, start: date | None, end: date | None) -> int:
    """How many entries (of any kind) the months overlapping start..end hold: the cost of a listing."""
    return sum(len(database.table(name)) for name in _months(database, start, end))


def list_entries(database: TinyDB, kind: str | None, start: date | None, end: date | None) -> list[Entry]:
    """Entries with start <= local_date <= end, oldest first; reads only overlapping months."""
    found: list[Entry] = []
    for name in _months(database, start, end):
        for doc in database.table(name).all():
            if kind is not None and doc["kind"] != kind:
                continue
            local_date = date.fromisoformat(doc["local_date"])
            if (start is not None and local_date < start) or (end is not None and local_date > end):
                continue
            found.append(_entry_from_doc(doc))
    found.sort(key=_sort_key)
    return found


def day_totals(database: TinyDB, kind: str, field: str, start: date, end: date) -> dict[date, int]:
    """Each local day in start..end with an entry of `kind`, with the sum of the entries' `field`
    (`Repository.day_totals`); reads the cached documents without copying them."""
    low, high = start.isoformat(), end.isoformat()  # ISO dates order as strings do
    tables = database.storage.read() or {}  # the storage's own cache: read, never changed here
    totals: dict[str, int] = {}
    for name in _months(database, start, end):
        for doc in tables.get(name, {}).values():
            day = doc["local_date"]
            if doc["kind"] == kind and low <= day <= high:
                totals[day] = totals.get(day, 0) + whole(doc["data"].get(field))
    return {date.fromisoformat(day): total for day, total in totals.items()}


def get_draft(database: TinyDB) -> dict[str, Any] | None:
    """The stored draft as a fresh dict, or None."""
    doc = database.table(DRAFT_TABLE).get(doc_id=SINGLE_DOC_ID)
    if not isinstance(doc, Mapping):
        return None
    draft: dict[str, Any] = json_copy(doc["draft"])
    return draft


def put_draft(database: TinyDB, record: dict[str, Any]) -> None:
    _put_single(database.table(DRAFT_TABLE), record)


def drop_draft(database: TinyDB) -> None:
    if DRAFT_TABLE in database.tables():
        database.drop_table(DRAFT_TABLE)


def _put_single(table: Table, record: dict[str, Any]) -> None:
    """Create or replace the only document of a profile or draft table."""

    def replace(doc: MutableMapping[Any, Any]) -> None:
        doc.clear()
        doc.update(record)

    if table.contains(doc_id=SINGLE_DOC_ID):
        table.update(replace, doc_ids=[SINGLE_DOC_ID])
    else:
        table.insert(Document(record, doc_id=SINGLE_DOC_ID))


def _entry_from_doc(doc: Mapping[str, Any]) -> Entry:
    """An Entry that shares nothing with the cached document."""
    return Entry.from_dict({**doc, "data": json_copy(doc["data"])})


def _sort_key(entry: Entry) -> tuple[date, datetime]:
    return (entry.local_date, entry.created_at)
