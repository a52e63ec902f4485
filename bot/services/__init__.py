"""What handlers need from the outside world, bundled once by `bot.app`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.config import Config
from bot.storage import Repository
from bot.storage.couple_backends import MemoryCouples
from bot.storage.couples import Couples


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class Services:
    """Configuration, storage and a clock (injectable so tests can move time)."""

    config: Config
    repo: Repository
    clock: Callable[[], datetime] = field(default=utc_now)
    couples: Couples = field(default_factory=MemoryCouples)  # couple mode's links and shares
