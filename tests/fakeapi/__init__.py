"""Fake Telegram Bot API for tests: HTTP server, in-process core and user-side helpers.

- :mod:`tests.fakeapi.api` — :class:`FakeBotAPI`, the single place with state (used by both
  transports); :mod:`~tests.fakeapi.methods` implements each Bot API method on it.
- :mod:`tests.fakeapi.errors` (errors, faults), :mod:`~tests.fakeapi.builders` (JSON of users,
  chats, messages, updates), :mod:`~tests.fakeapi.html_parser`, :mod:`~tests.fakeapi.keyboards`
  (validation like Telegram's), :mod:`~tests.fakeapi.records` (what tests read back),
  :mod:`~tests.fakeapi.wire` (PTB's parameter encoding), :mod:`~tests.fakeapi.constants` (limits).
- :mod:`tests.fakeapi.server` — :class:`FakeTelegramServer`, HTTP on 127.0.0.1.
- :mod:`tests.fakeapi.user` — :class:`FakeUser` / :class:`FakeChannel` for playing the user.
- ``tests.auxil.offline.RecordingRequest`` — the in-process transport.
"""

from tests.fakeapi.api import FakeBotAPI
from tests.fakeapi.constants import DEFAULT_TOKEN
from tests.fakeapi.errors import TelegramAPIError
from tests.fakeapi.records import BotMessage
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
