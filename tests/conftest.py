"""Shared fixtures: an in-process Application on the offline request, a movable clock."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from telegram import Update

from bot.app import _post_init, _post_shutdown, build_application
from bot.config import Config, Secret
from bot.localapi.constants import DEFAULT_TOKEN
from bot.localapi.offline import RecordingRequest
from bot.localapi.user import FakeUser
from bot.services import Services
from bot.storage import Repository
from bot.storage.memory import InMemoryRepository
from bot.storage.tinydb_store import TinyDBRepository
from tests.fakeapi.server import FakeTelegramServer


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 warns when RetryAfter reads seconds as int; opt into its timedelta API."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@dataclass
class Clock:
    """A clock tests can set; handlers read time only through it."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 28, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


def make_config(**overrides: Any) -> Config:
    values: dict[str, Any] = {
        "token": Secret(DEFAULT_TOKEN),
        "rate_limit": False,
        "timezone": "UTC",
        "morning": time(7, 30),
        "evening": time(21, 0),
    }
    values.update(overrides)
    return Config(**values)


class Harness:
    """A real Application fed through the offline request: updates in, recorded calls out."""

    def __init__(self, repo: Repository, clock: Callable[[], datetime], **config: Any) -> None:
        self.repo = repo
        self.clock = clock
        self.request = RecordingRequest()
        self.services = Services(config=make_config(**config), repo=repo, clock=clock)
        self.app = build_application(self.services, request=self.request, get_updates_request=self.request)
        self.repo = self.services.repo  # wrapped so profile saves reschedule nudges, as in production
        self._offset = 0

    async def __aenter__(self) -> Harness:
        await self.app.initialize()
        await _post_init(self.app)
        assert self.app.job_queue is not None
        await self.app.job_queue.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.app.job_queue is not None
        await self.app.job_queue.stop(wait=False)
        await _post_shutdown(self.app)
        await self.app.shutdown()

    async def run_job(self, name: str) -> None:
        """Run a scheduled job now, as the JobQueue would."""
        assert self.app.job_queue is not None
        (job,) = self.app.job_queue.get_jobs_by_name(name)
        await job.run(self.app)

    def user(self, user_id: int = 1001, first_name: str = "Noa", **kwargs: Any) -> FakeUser:
        return self.request.user(user_id, first_name, **kwargs)

    async def pump(self) -> int:
        """Process every update users have sent, like the poller would; returns how many."""
        updates: tuple[Update, ...] = await self.app.bot.get_updates(offset=self._offset, timeout=0)
        for update in updates:
            self._offset = update.update_id + 1
            await self.app.process_update(update)
        return len(updates)


HarnessFactory = Callable[..., Harness]


async def send(h: Harness, user: FakeUser, text: str) -> None:
    """The user sends `text`; the bot handles it."""
    await user.send(text)
    await h.pump()


async def press(h: Harness, user: FakeUser, button: str) -> None:
    """The user presses `button` on the newest message that has it; the bot handles it."""
    await user.press(None, button)
    await h.pump()


@pytest.fixture
def server() -> Iterator[FakeTelegramServer]:
    """A fake Bot API server on 127.0.0.1 for end-to-end tests."""
    with FakeTelegramServer() as fake:
        yield fake


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def harness(clock: Clock) -> AsyncIterator[Harness]:
    async with Harness(InMemoryRepository(), clock) as h:
        yield h


@pytest.fixture
def disk_repo_factory(tmp_path: Path) -> Callable[[], TinyDBRepository]:
    return lambda: TinyDBRepository(tmp_path / "data")


# In CI, property tests run the same examples every time (a failure is reproducible, never luck);
# locally they keep exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
