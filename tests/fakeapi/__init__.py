"""Fake Telegram Bot API for tests: the HTTP server here, the core from :mod:`bot.localapi`.

- :mod:`bot.localapi.api` — :class:`FakeBotAPI`, the single place with state (used by both
  transports); :mod:`~bot.localapi.methods` implements each Bot API method on it.
- :mod:`bot.localapi.errors` (errors, faults), :mod:`~bot.localapi.builders` (JSON of users,
  chats, messages, updates), :mod:`~bot.localapi.html_parser`, :mod:`~bot.localapi.keyboards`
  (validation like Telegram's), :mod:`~bot.localapi.records` (what tests read back),
  :mod:`~bot.localapi.wire` (PTB's parameter encoding), :mod:`~bot.localapi.constants` (limits).
- :mod:`tests.fakeapi.server` — :class:`FakeTelegramServer`, HTTP on 127.0.0.1.
- :mod:`bot.localapi.user` — :class:`FakeUser` / :class:`FakeChannel` for playing the user.
- ``bot.localapi.offline.RecordingRequest`` — the in-process transport.
"""

from bot.localapi.api import FakeBotAPI
from bot.localapi.constants import DEFAULT_TOKEN
from bot.localapi.errors import TelegramAPIError
from bot.localapi.records import BotMessage
from bot.localapi.user import FakeChannel, FakeUser
from tests.fakeapi.server import FakeTelegramServer

__all__ = [
    "DEFAULT_TOKEN",
    "BotMessage",
    "FakeBotAPI",
    "FakeChannel",
    "FakeTelegramServer",
    "FakeUser",
    "TelegramAPIError",
]
