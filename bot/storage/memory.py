"""A dict-backed `Repository` for tests and local runs; nothing survives the process.

Records are kept as JSON-normalised dicts (what `to_dict` gives, round-tripped through
`json`), so callers can never reach stored state through an object they passed in or got
back, and values behave exactly as they would after a trip to disk.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

from bot.domain.models import Entry, Profile
from bot.storage.base import SCHEMA_VERSION, Repository


def _normalised(record: dict[str, Any]) -> dict[str, Any]:
    """A deep, JSON-normalised copy; raises TypeError/ValueError for values JSON cannot hold."""
    result: dict[str, Any] = json.loads(json.dumps(record, ensure_ascii=False, allow_nan=False))
    return result


def _sort_key(entry: Entry) -> tuple[date, Any]:
    return (entry.local_date, entry.created_at)


class InMemoryRepository(Repository):
    """Profiles and entries in plain dicts.

    Every method body is synchronous (no await inside), so on one event loop each call
    is atomic and no lock is needed.
    """

    def __init__(self) -> None:
        self._profiles: dict[int, dict[str, Any]] = {}
        self._entries: dict[int, list[dict[str, Any]]] = {}
        self._drafts: dict[int, dict[str, Any]] = {}
        self._invites: dict[str, datetime] = {}

    async def get_profile(self, user_id: int) -> Profile | None:
        """The stored profile as a fresh object, or None."""
        raw = self._profiles.get(user_id)
        return Profile.from_dict(_normalised(raw)) if raw is not None else None

    async def save_profile(self, profile: Profile) -> None:
        """Create or replace the profile (a copy is stored)."""
        record = _normalised(profile.to_dict())
        self._profiles[profile.user_id] = record

    async def append_entry(self, user_id: int, entry: Entry) -> None:
        """Store a copy of the entry."""
        record = _normalised(entry.to_dict())
        self._entries.setdefault(user_id, []).append(record)

    async def list_entries(
        self,
        user_id: int,
        kind: str | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> list[Entry]:
        """Matching entries, inclusive bounds, sorted by (local_date, created_at), ties by insertion."""
        found: list[Entry] = []
        for raw in self._entries.get(user_id, []):
            local_date = date.fromisoformat(raw["local_date"])
            if kind is not None and raw["kind"] != kind:
                continue
            if start is not None and local_date < start:
                continue
            if end is not None and local_date > end:
                continue
            found.append(Entry.from_dict(_normalised(raw)))
        found.sort(key=_sort_key)
        return found

    async def delete_user(self, user_id: int) -> None:
        """Forget the user; unknown users are fine."""
        self._profiles.pop(user_id, None)
        self._entries.pop(user_id, None)
        self._drafts.pop(user_id, None)

    async def export_user(self, user_id: int) -> dict[str, Any]:
        """Profile and all entries (oldest first) as one JSON-safe dict."""
        profile = await self.get_profile(user_id)
        entries = await self.list_entries(user_id)
        return {
            "schema": SCHEMA_VERSION,
            "user_id": user_id,
            "profile": profile.to_dict() if profile is not None else None,
            "entries": [entry.to_dict() for entry in entries],
            "draft": await self.get_draft(user_id),
        }

    async def take_damage_report(self, user_id: int) -> list[str]:
        """Memory cannot be damaged: always empty."""
        return []

    async def iter_profiles(self) -> AsyncIterator[Profile]:
        """Copies of every profile (a snapshot: saves during iteration are not seen)."""
        for raw in list(self._profiles.values()):
            yield Profile.from_dict(_normalised(raw))

    async def get_draft(self, user_id: int) -> dict[str, Any] | None:
        """A fresh copy of the draft, or None."""
        raw = self._drafts.get(user_id)
        return _normalised(raw) if raw is not None else None

    async def save_draft(self, user_id: int, draft: dict[str, Any]) -> None:
        """Store a copy; non-dicts and values JSON cannot hold are refused before anything changes."""
        if not isinstance(draft, dict):
            raise TypeError("a draft must be a dict")
        self._drafts[user_id] = _normalised(draft)

    async def clear_draft(self, user_id: int) -> None:
        """Drop the draft; no error if there is none."""
        self._drafts.pop(user_id, None)

    async def users_with_drafts(self) -> list[int]:
        """Ids with a draft, ascending (never stale here, unlike on disk)."""
        return sorted(self._drafts)

    async def create_invite(self, code: str, expires_at: datetime) -> None:
        self._invites[code] = expires_at

    async def redeem_invite(self, code: str, now: datetime) -> bool:
        expires_at = self._invites.pop(code, None)
        return expires_at is not None and now < expires_at
