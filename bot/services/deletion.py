"""Erasing a person: only through a confirmation that `/delete` created, used once, before it expires."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

CONFIRMATION_TTL = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A pending "really delete everything?" question; its token is on the buttons."""

    token: str
    expires_at: datetime

    @classmethod
    def issue(cls, now: datetime, ttl: timedelta = CONFIRMATION_TTL) -> Confirmation:
        return cls(secrets.token_urlsafe(9), now + ttl)

    def matches(self, token: str, now: datetime) -> bool:
        return secrets.compare_digest(self.token, token) and now < self.expires_at
