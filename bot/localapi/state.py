"""The fake Bot API's state, its record of calls, and the chats it knows.

:class:`ApiState` holds everything a fake Telegram keeps for one bot (chats, message ids,
messages, files, commands, pending updates, faults) behind one lock; the other parts of
:class:`bot.localapi.api.FakeBotAPI` build on it, one concern per module.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from telegram import User

from bot.localapi.builders import private_chat, user_dict
from bot.localapi.constants import DEFAULT_CALLBACK_QUERY_TIMEOUT, DEFAULT_TOKEN, JSON
from bot.localapi.errors import Fault, TelegramAPIError, bad_request
from bot.localapi.records import BotMessage, RecordedRequest, StoredFile, StoredMessage, UploadedFile


@dataclass
class RateLimit:
    """Limits set by ``enforce_rate`` and the recent calls counted against them.

    ``per_second`` holds unpaid sends; a send with ``allow_paid_broadcast`` is exempt from it but,
    like every send, counts against ``paid_per_second`` (the most a bot can send at all, paying).
    """

    per_second: float | None
    per_chat_per_second: float | None
    paid_per_second: float | None = None
    window: deque[float] = field(default_factory=deque)  # unpaid sends
    every: deque[float] = field(default_factory=deque)  # all sends
    per_chat: dict[str, deque[float]] = field(default_factory=dict)


class ApiState:
    """State of a fake Telegram Bot API for one bot; every change happens under ``_cond``."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "fake_test_bot",
        bot_first_name: str = "Fake Test Bot",
        strict_ampersand: bool = True,
        strict_chats: bool = False,
        callback_query_timeout: float = DEFAULT_CALLBACK_QUERY_TIMEOUT,
    ) -> None:
        self.token = token
        #: Seconds after a button press in which answerCallbackQuery still succeeds.
        self.callback_query_timeout = callback_query_timeout
        self.strict_chats = strict_chats
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 1
        self.strict_ampersand = strict_ampersand
        self.bot_user: JSON = User(
            id=self.bot_id,
            first_name=bot_first_name,
            is_bot=True,
            username=bot_username,
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
        ).to_dict()
        self._cond = threading.Condition(threading.RLock())
        self._closed = False
        self._updates: list[JSON] = []
        self._update_ids = itertools.count(1)
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._waiting_polls = 0
        self._chats: dict[int, JSON] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._messages: dict[tuple[int, int], StoredMessage] = {}
        self._outbox: list[BotMessage] = []  # seq n at index n - 1
        self._outbox_by_chat: dict[int, list[BotMessage]] = {}  # the same entries, per chat
        #: Called (under the lock, from whichever thread appends) when a chat's outbox grows.
        self._outbox_watchers: dict[int, list[Callable[[], None]]] = {}
        self._files: dict[str, StoredFile] = {}
        self._paths: dict[str, str] = {}
        self._file_ids = itertools.count(1)
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._menu_buttons: dict[int | None, JSON] = {}
        self._callback_queries: dict[str, JSON | None] = {}
        self._query_times: dict[str, float] = {}  # query id -> time.monotonic() of the press
        self._query_ids = itertools.count(1)
        self._user_ids = itertools.count(10_001)
        self._group_ids = itertools.count(1)
        self._chat_actions: list[tuple[int, str, float]] = []
        self._blocked: set[str] = set()
        self._faults: list[Fault] = []
        self._rate: RateLimit | None = None
        self._reactions: list[tuple[int, int, list[JSON]]] = []
        #: Every text or caption users sent, so tests can check none of it reached a log.
        self.user_texts: list[str] = []
        self._requests: list[RecordedRequest] = []
        self._webhook_url = ""

    # ---- lifecycle / recording -----------------------------------------------------------

    def close(self) -> None:
        """Wake up and end all pending long polls (they answer with an empty list)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def check_token(self, token: str) -> None:
        """Raise 401 Unauthorized for any token but ours (404 for malformed ones, like Telegram)."""
        if token == self.token:
            return
        if not re.fullmatch(r"\d+:[\w-]+", token):
            raise TelegramAPIError(404, "Not Found")
        raise TelegramAPIError(401, "Unauthorized")

    def begin(
        self, method: str, params: Mapping[str, Any], files: Mapping[str, UploadedFile] | None = None
    ) -> RecordedRequest:
        """Record an incoming call; the transport sets ``status`` via :meth:`finish`."""
        record = RecordedRequest(method, dict(params), dict(files or {}), time.time(), time.monotonic())
        with self._cond:
            self._requests.append(record)
        return record

    def finish(self, record: RecordedRequest, status: int, body: bytes) -> None:
        """Complete a record with the HTTP status (and error description)."""
        with self._cond:
            record.status = status
            if status != 200:
                try:
                    record.description = json.loads(body).get("description")
                except ValueError:
                    record.description = body[:200].decode(errors="replace")

    @property
    def requests(self) -> list[RecordedRequest]:
        """Snapshot of all recorded calls, in arrival order."""
        with self._cond:
            return list(self._requests)

    def calls(self, method: str | None = None) -> list[RecordedRequest]:
        """Recorded calls of one method (case-insensitive), or all."""
        with self._cond:
            return [r for r in self._requests if method is None or r.method.lower() == method.lower()]

    def clear_requests(self) -> None:
        """Forget recorded calls."""
        with self._cond:
            self._requests.clear()

    # ---- chats and users -----------------------------------------------------------------

    def new_user_id(self) -> int:
        """A fresh user id."""
        return next(self._user_ids)

    def new_group_id(self) -> int:
        """A fresh supergroup/channel id (``-100...``)."""
        return -1_000_000_000_000 - next(self._group_ids)

    def register_chat(self, chat: Mapping[str, Any]) -> None:
        """Make a chat known (users, groups and channels register themselves)."""
        with self._cond:
            self._chats[int(chat["id"])] = dict(chat)

    def chat(self, chat_id: int | str) -> JSON:
        """The chat for ``chat_id`` (int or ``@username``).

        Unknown positive ids become private chats unless ``strict_chats`` (then, like Telegram
        for users who never started the bot: 400 "chat not found").
        """
        with self._cond:
            if isinstance(chat_id, str) and chat_id.startswith("@"):
                for chat in self._chats.values():
                    if chat.get("username") and f"@{chat['username']}".lower() == chat_id.lower():
                        return chat
                raise bad_request("chat not found")
            try:
                cid = int(chat_id)
            except (TypeError, ValueError):
                raise bad_request("chat not found") from None
            if cid not in self._chats:
                if cid <= 0 or self.strict_chats:
                    raise bad_request("chat not found")
                self._chats[cid] = private_chat(user_dict(cid, f"User {cid}"))
            return self._chats[cid]

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))
