"""Fake Telegram Bot API for tests: HTTP server, in-process core and user-side helpers.

- :mod:`tests.fakeapi.responses` — :class:`FakeBotAPI`, the single place with state,
  validation and response shapes (used by both transports).
- :mod:`tests.fakeapi.server` — :class:`FakeTelegramServer`, HTTP on 127.0.0.1.
- :mod:`tests.fakeapi.user` — :class:`FakeUser` / :class:`FakeChannel` for playing the user.
- ``tests.auxil.offline.RecordingRequest`` — the in-process transport.
"""

from tests.fakeapi.responses import DEFAULT_TOKEN, BotMessage, FakeBotAPI, TelegramAPIError
from tests.fakeapi.server import FakeTelegramServer
from tests.fakeapi.user import FakeChannel, FakeUser

__all__ = [
    "DEFAULT_TOKEN",
    "BotMessage",
    "FakeBotAPI",
    "FakeChannel",
    "FakeTelegramServer",
    "FakeUser",
    "TelegramAPIError",
]
