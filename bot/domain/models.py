"""Plain data records shared by the domain, the handlers and storage.

They serialise to JSON-safe dicts so any storage back-end can keep them and
`/export` can hand them to the user unchanged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any


def _parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


@dataclass(slots=True)
class Profile:
    """One person's settings. `timezone` is an IANA name; times are local wall-clock times."""

    user_id: int
    timezone: str | None = None
    morning: time | None = None
    evening: time | None = None
    language: str = "en"
    active: bool = True
    onboarded: bool = False
    interests: list[str] = field(default_factory=list)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "timezone": self.timezone,
            "morning": self.morning.strftime("%H:%M") if self.morning else None,
            "evening": self.evening.strftime("%H:%M") if self.evening else None,
            "language": self.language,
            "active": self.active,
            "onboarded": self.onboarded,
            "interests": list(self.interests),
            "created_at": self.created_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Profile:
        return cls(
            user_id=int(raw["user_id"]),
            timezone=raw.get("timezone"),
            morning=_parse_hhmm(raw["morning"]) if raw.get("morning") else None,
            evening=_parse_hhmm(raw["evening"]) if raw.get("evening") else None,
            language=raw.get("language", "en"),
            active=bool(raw.get("active", True)),
            onboarded=bool(raw.get("onboarded", False)),
            interests=[str(name) for name in raw.get("interests", [])],
            created_at=datetime.fromisoformat(raw["created_at"]),
        )


@dataclass(slots=True)
class Entry:
    """Something the user wrote: a diary check-in, morning pages, a boundary...

    `local_date` is the date in the user's zone when it was written, so a week
    is counted the way the user lived it; `created_at` is the exact UTC instant.
    """

    kind: str
    local_date: date
    data: dict[str, Any]
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    entry_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def to_dict(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry_id,
            "kind": self.kind,
            "local_date": self.local_date.isoformat(),
            "created_at": self.created_at.isoformat(),
            "data": self.data,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Entry:
        return cls(
            entry_id=str(raw["entry_id"]),
            kind=str(raw["kind"]),
            local_date=date.fromisoformat(raw["local_date"]),
            created_at=datetime.fromisoformat(raw["created_at"]),
            data=dict(raw["data"]),
        )
