"""The storage contract every back-end implements (in-memory for tests, TinyDB on disk).

All methods are coroutines: a back-end that touches the disk does it off the event
loop, and a method that returns has made its change durable.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

from bot.domain.models import Entry, Profile

SCHEMA_VERSION = 1


def whole(value: Any) -> int:
    """A stored count (words, minutes) as a whole number; missing or empty counts 0."""
    return int(value or 0)


class StorageError(Exception):
    """A write could not be made durable (disk full, read-only, ...). Nothing was changed."""


class Repository(ABC):
    """Per-user profiles and entries."""

    @abstractmethod
    async def get_profile(self, user_id: int) -> Profile | None:
        """The user's profile, or None for someone we have never seen."""

    @abstractmethod
    async def save_profile(self, profile: Profile) -> None:
        """Create or replace the profile."""

    @abstractmethod
    async def append_entry(self, user_id: int, entry: Entry) -> None:
        """Store a new entry; durable when this returns."""

    @abstractmethod
    async def list_entries(
        self,
        user_id: int,
        kind: str | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> list[Entry]:
        """Entries with `start <= local_date <= end` (either bound optional), oldest first."""

    async def day_totals(
        self, user_id: int, kind: str, field: str, start: date, end: date
    ) -> dict[date, int]:
        """Each local day in `start..end` with an entry of `kind`, with the sum of its entries'
        numeric `field` (0 where missing): streaks, the day's words, the week's minutes, without
        copying every entry's text. Stores that can read their documents in place override this."""
        totals: dict[date, int] = {}
        for entry in await self.list_entries(user_id, kind, start, end):
            totals[entry.local_date] = totals.get(entry.local_date, 0) + whole(entry.data.get(field))
        return totals

    @abstractmethod
    async def delete_user(self, user_id: int) -> None:
        """Remove every record of the user. Deleting an unknown user is not an error."""

    @abstractmethod
    async def export_user(self, user_id: int) -> dict[str, Any]:
        """Everything stored about the user as one JSON-safe dict, with `schema` version."""

    @abstractmethod
    async def take_damage_report(self, user_id: int) -> list[str]:
        """Names of the user's files that could not be read and were set aside, since the last call.

        Lets the bot tell the user once that part of their history could not be read.
        """

    @abstractmethod
    def iter_profiles(self) -> AsyncIterator[Profile]:
        """Every stored profile, read in batches (rebuilding schedules at start).

        Must be cheap for 100k users: it may not open each user's history.
        """

    @abstractmethod
    async def get_draft(self, user_id: int) -> dict[str, Any] | None:
        """The user's unfinished guided flow (answers so far), or None."""

    @abstractmethod
    async def save_draft(self, user_id: int, draft: dict[str, Any]) -> None:
        """Create or replace the draft; durable on return, so nothing typed is lost."""

    @abstractmethod
    async def clear_draft(self, user_id: int) -> None:
        """Remove the draft (the flow completed or was discarded); no error if there is none."""

    async def finish_draft(self, user_id: int, entry: Entry | None) -> None:
        """Store a finished exercise's entry (if any, and only once: not if an entry with its
        `entry_id` is stored already) and remove the draft: durable on return. Finishing again
        after a crash or a repeated update therefore stores nothing twice. Stores that can do
        both in one write override this."""
        if entry is not None:
            day = await self.list_entries(user_id, entry.kind, entry.local_date, entry.local_date)
            if all(stored.entry_id != entry.entry_id for stored in day):
                await self.append_entry(user_id, entry)
        await self.clear_draft(user_id)

    @abstractmethod
    async def users_with_drafts(self) -> list[int]:
        """Ids of users who have a draft (restoring writing timers at start); cheap for 100k users."""

    @abstractmethod
    async def create_invite(self, code: str, expires_at: datetime) -> None:
        """Store a single-use invite code; durable on return."""

    @abstractmethod
    async def redeem_invite(self, code: str, now: datetime) -> bool:
        """Use up the code if it exists and has not expired; True only for the first use."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources; the default has none."""
