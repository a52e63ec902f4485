"""Bring a person's `/export` document into a data directory (`checkin-bot import-user`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.domain.models import Entry, EntryKind, Profile
from bot.storage.base import SCHEMA_VERSION
from bot.storage.inventory import MaintenanceError, Progress, no_progress
from bot.storage.tinydb_store import TinyDBRepository

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


async def import_export(repo: TinyDBRepository, export: Export, progress: Progress = no_progress) -> int:
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
