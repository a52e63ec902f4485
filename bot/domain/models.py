"""Plain data records shared by the domain, the handlers and storage.

They serialise to JSON-safe dicts so any storage back-end can keep them and
`/export` can hand them to the user unchanged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any


class EntryKind(StrEnum):
    """What an entry records; the value is what storage and `/export` keep."""

    DIARY = "diary"
    PAGES = "pages"
    SELFEXAM = "selfexam"
    BOUNDARY = "boundary"
    BOUNDARY_UPDATE = "boundary_update"
    INTEREST_TIME = "interest_time"
    ENCOURAGE = "encourage"
    RECOVERED_DRAFT = "recovered_draft"  # a draft this version could no longer resume, kept as it was


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
    gender: str | None = None  # how Hebrew addresses them: "feminine" or "masculine"; None until chosen
    active: bool = True
    onboarded: bool = False
    interests: list[str] = field(default_factory=list)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # Nudges: which are on, on which weekdays (Monday = 0), a pause, and what was sent when.
    nudges_off: list[str] = field(default_factory=list)
    weekdays: list[int] = field(default_factory=lambda: list(range(7)))
    paused_until: date | None = None  # first local day nudges come again; date.max = until resumed
    last_nudged: dict[str, str] = field(default_factory=dict)  # kind -> local date (ISO) last sent

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "timezone": self.timezone,
            "morning": self.morning.strftime("%H:%M") if self.morning else None,
            "evening": self.evening.strftime("%H:%M") if self.evening else None,
            "language": self.language,
            "gender": self.gender,
            "active": self.active,
            "onboarded": self.onboarded,
            "interests": list(self.interests),
            "created_at": self.created_at.isoformat(),
            "nudges_off": list(self.nudges_off),
            "weekdays": list(self.weekdays),
            "paused_until": self.paused_until.isoformat() if self.paused_until else None,
            "last_nudged": dict(self.last_nudged),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Profile:
        return cls(
            user_id=int(raw["user_id"]),
            timezone=raw.get("timezone"),
            morning=_parse_hhmm(raw["morning"]) if raw.get("morning") else None,
            evening=_parse_hhmm(raw["evening"]) if raw.get("evening") else None,
            language=raw.get("language", "en"),
            gender=raw.get("gender") if raw.get("gender") in ("feminine", "masculine") else None,
            active=bool(raw.get("active", True)),
            onboarded=bool(raw.get("onboarded", False)),
            interests=[str(name) for name in raw.get("interests", [])],
            created_at=datetime.fromisoformat(raw["created_at"]),
            nudges_off=[str(kind) for kind in raw.get("nudges_off", [])],
            weekdays=sorted({int(day) for day in raw.get("weekdays", range(7)) if 0 <= int(day) <= 6}),
            paused_until=date.fromisoformat(raw["paused_until"]) if raw.get("paused_until") else None,
            last_nudged={str(k): str(v) for k, v in (raw.get("last_nudged") or {}).items()},
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
