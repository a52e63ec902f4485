"""The repository the application uses: the store, with the nudge schedule kept up to date.

Every saved profile is planned again and every deleted person forgotten, so the scheduler's
index never has to poll storage.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

from bot.domain.models import Entry, Profile
from bot.nudges import NudgeScheduler
from bot.storage import Repository


class ObservedRepository(Repository):
    """A repository that tells the scheduler about every profile change and deletion."""

    def __init__(self, inner: Repository, scheduler: NudgeScheduler) -> None:
        self.inner = inner
        self.scheduler = scheduler

    async def get_profile(self, user_id: int) -> Profile | None:
        return await self.inner.get_profile(user_id)

    async def save_profile(self, profile: Profile) -> None:
        await self.inner.save_profile(profile)
        self.scheduler.plan(profile)

    async def append_entry(self, user_id: int, entry: Entry) -> None:
        await self.inner.append_entry(user_id, entry)

    async def list_entries(
        self, user_id: int, kind: str | None = None, start: date | None = None, end: date | None = None
    ) -> list[Entry]:
        return await self.inner.list_entries(user_id, kind, start, end)

    async def day_totals(
        self, user_id: int, kind: str, field: str, start: date, end: date
    ) -> dict[date, int]:
        return await self.inner.day_totals(user_id, kind, field, start, end)

    async def delete_user(self, user_id: int) -> None:
        await self.inner.delete_user(user_id)
        self.scheduler.forget(user_id)

    async def export_user(self, user_id: int) -> dict[str, Any]:
        return await self.inner.export_user(user_id)

    async def take_damage_report(self, user_id: int) -> list[str]:
        return await self.inner.take_damage_report(user_id)

    def iter_profiles(self) -> AsyncIterator[Profile]:
        return self.inner.iter_profiles()

    async def get_draft(self, user_id: int) -> dict[str, Any] | None:
        return await self.inner.get_draft(user_id)

    async def save_draft(self, user_id: int, draft: dict[str, Any]) -> None:
        await self.inner.save_draft(user_id, draft)

    async def clear_draft(self, user_id: int) -> None:
        await self.inner.clear_draft(user_id)

    async def finish_draft(self, user_id: int, entry: Entry | None) -> None:
        await self.inner.finish_draft(user_id, entry)

    async def users_with_drafts(self) -> list[int]:
        return await self.inner.users_with_drafts()

    async def create_invite(self, code: str, expires_at: datetime) -> None:
        await self.inner.create_invite(code, expires_at)

    async def redeem_invite(self, code: str, now: datetime) -> bool:
        return await self.inner.redeem_invite(code, now)

    async def close(self) -> None:
        await self.inner.close()
