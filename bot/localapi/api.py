"""The fake Telegram Bot API's state: the single place both transports call.

:class:`FakeBotAPI` turns a Bot API call (method name + decoded parameters, as PTB sends them)
into the ``result`` JSON and keeps the state a fake Telegram needs (chats, message ids, sent
messages, files, commands, pending updates, faults).  The per-method behaviour is in
:mod:`bot.localapi.methods`; validation in :mod:`~bot.localapi.html_parser` and
:mod:`~bot.localapi.keyboards`; JSON shapes in :mod:`~bot.localapi.builders`.

Both transports use it: ``tests.fakeapi.server.FakeTelegramServer`` (tests only) (real HTTP on 127.0.0.1)
and ``bot.localapi.offline.RecordingRequest`` (in-process, no sockets).
"""

from __future__ import annotations

import itertools
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from telegram import (
    Chat,
    ChatMemberBanned,
    ChatMemberMember,
    ChatMemberUpdated,
    Contact,
    Document,
    Location,
    Sticker,
    User,
    Voice,
)

from bot.localapi.builders import (
    FAKE_OGG,
    TINY_PNG,
    build_callback_query,
    build_message,
    build_update,
    command_entities,
    message_json,
    now_ts,
    private_chat,
    update_kind,
    user_dict,
    utc_datetime,
)
from bot.localapi.constants import (
    DEFAULT_CALLBACK_QUERY_TIMEOUT,
    DEFAULT_TOKEN,
    JSON,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_UPLOAD_BYTES,
)
from bot.localapi.errors import (
    DEFAULT_DESCRIPTIONS,
    Fault,
    TelegramAPIError,
    bad_request,
    require,
    too_many_requests,
)
from bot.localapi.html_parser import ParsedText, parse_html
from bot.localapi.keyboards import validate_reply_markup
from bot.localapi.methods import HANDLERS, commands_key, photo_sizes
from bot.localapi.records import BotMessage, RecordedRequest, StoredFile, StoredMessage, UploadedFile

#: Update types Telegram delivers when ``allowed_updates`` is unset or empty.
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

#: Methods counted by :meth:`FakeBotAPI.enforce_rate` (things that post or change messages).
RATE_LIMITED_PREFIXES = ("send", "edit", "copy", "forward")


@dataclass
class _RateLimit:
    per_second: float | None
    per_chat_per_second: float | None
    window: deque[float] = field(default_factory=deque)
    per_chat: dict[str, deque[float]] = field(default_factory=dict)


class FakeBotAPI:
    """State and behaviour of a fake Telegram Bot API for one bot; thread-safe.

    Transports call :meth:`begin` (record), :meth:`take_fault`, then :meth:`execute`.
    Tests use the state accessors (:meth:`outbox`, :meth:`message`, :meth:`commands` ...),
    :meth:`add_update` / :meth:`incoming_message` to play the user, and the fault controls.
    """

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
        self._outbox: list[BotMessage] = []
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
        self._rate: _RateLimit | None = None
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

    # ---- faults --------------------------------------------------------------------------

    def inject_fault(
        self,
        method: str | None = None,
        *,
        status: int | None = None,
        description: str | None = None,
        retry_after: int | None = None,
        times: int | None = 1,
        chat_id: int | str | None = None,
        delay: float | None = None,
        drop_connection: bool = False,
        duration: float | None = None,
        body: bytes | None = None,
    ) -> Fault:
        """Make the next ``times`` matching calls fail (``times=None``: until cleared / ``duration``).

        ``status``: answer with this HTTP error (429 gets ``retry_after``, default 1);
        ``delay``: answer only after ``delay`` seconds (use for client timeouts);
        ``drop_connection``: close the connection without answering (transport error);
        ``body``: raw response body instead of Telegram's error JSON (e.g. nginx HTML for 502).
        """
        if status is None and delay is None and not drop_connection:
            raise ValueError("a fault needs status, delay or drop_connection")
        fault = Fault(
            method=method,
            status=status,
            description=description,
            retry_after=retry_after,
            remaining=times,
            chat_id=chat_id,
            delay=delay,
            drop_connection=drop_connection,
            until=time.monotonic() + duration if duration is not None else None,
            body=body,
        )
        with self._cond:
            self._faults.append(fault)
        return fault

    def fail_connections(
        self, method: str | None = "getUpdates", *, times: int | None = None, duration: float | None = 1.0
    ) -> Fault:
        """Drop connections for ``method`` (default getUpdates) ``times`` times or for ``duration`` s."""
        return self.inject_fault(method, drop_connection=True, times=times, duration=duration)

    def clear_faults(self) -> None:
        """Remove all injected faults (blocked chats and rate limits stay)."""
        with self._cond:
            self._faults.clear()

    def take_fault(self, method: str, params: Mapping[str, Any]) -> Fault | None:
        """Consume and return the first fault matching this call, if any."""
        now = time.monotonic()
        with self._cond:
            self._faults = [
                f
                for f in self._faults
                if not (
                    (f.remaining is not None and f.remaining <= 0) or (f.until is not None and now >= f.until)
                )
            ]
            for fault in self._faults:
                if fault.matches(method, params, now):
                    fault.hits += 1
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    return fault
        return None

    def block(self, chat_id: int | str) -> None:
        """Answer 403 for every call addressed to ``chat_id`` until :meth:`unblock`."""
        with self._cond:
            self._blocked.add(str(chat_id))

    def unblock(self, chat_id: int | str) -> None:
        """Undo :meth:`block`."""
        with self._cond:
            self._blocked.discard(str(chat_id))

    def enforce_rate(
        self, per_second: float | None = 30, *, per_chat_per_second: float | None = None
    ) -> None:
        """Answer 429 (with retry_after) when sends/edits exceed the limits; ``None`` disables."""
        with self._cond:
            if per_second is None and per_chat_per_second is None:
                self._rate = None
            else:
                self._rate = _RateLimit(per_second, per_chat_per_second)

    # ---- dispatch ------------------------------------------------------------------------

    def execute(
        self,
        method: str,
        params: Mapping[str, Any],
        files: Mapping[str, UploadedFile] | None = None,
        *,
        wait: bool = False,
    ) -> tuple[int, bytes]:
        """Run a call and render ``(status, body)`` in Telegram's JSON shape."""
        try:
            result = self.handle(method, params, files, wait=wait)
        except TelegramAPIError as exc:
            return exc.status, exc.to_bytes()
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def handle(
        self,
        method: str,
        params: Mapping[str, Any],
        files: Mapping[str, UploadedFile] | None = None,
        *,
        wait: bool = False,
    ) -> Any:
        """Run a call and return its ``result``; raise :class:`TelegramAPIError` on errors.

        ``wait``: let getUpdates block for its ``timeout`` (server threads only).
        """
        handler = HANDLERS.get(method.lower())
        if handler is None:
            raise bad_request(f"method {method!r} not found (not implemented by the fake Bot API)")
        params = dict(params)
        files = dict(files or {})
        if method.lower() == "getupdates":
            return self._get_updates(params, wait=wait)
        with self._cond:
            chat_id = params.get("chat_id")
            if chat_id is not None and str(chat_id) in self._blocked:
                raise TelegramAPIError(403, self._blocked_description(chat_id))
            if method.lower().startswith(RATE_LIMITED_PREFIXES):
                self._check_rate(chat_id)
            return handler(self, params, files)

    def _blocked_description(self, chat_id: Any) -> str:
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat and chat["type"] in (Chat.GROUP, Chat.SUPERGROUP):
            return "Forbidden: bot was kicked from the group chat"
        if chat and chat["type"] == Chat.CHANNEL:
            return "Forbidden: bot is not a member of the channel chat"
        return "Forbidden: bot was blocked by the user"

    def _check_rate(self, chat_id: Any) -> None:
        rate = self._rate
        if rate is None:
            return
        now = time.monotonic()
        windows: list[tuple[deque[float], float]] = []
        if rate.per_second is not None:
            windows.append((rate.window, rate.per_second))
        if rate.per_chat_per_second is not None and chat_id is not None:
            windows.append((rate.per_chat.setdefault(str(chat_id), deque()), rate.per_chat_per_second))
        for window, limit in windows:
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= limit:
                raise too_many_requests(max(1, math.ceil(window[0] + 1.0 - now)))
        for window, _ in windows:
            window.append(now)

    # ---- updates -------------------------------------------------------------------------

    def add_update(self, kind: str, payload: Mapping[str, Any]) -> JSON:
        """Queue an update of type ``kind`` (``message``, ``callback_query`` ...) for getUpdates."""
        with self._cond:
            update = build_update(next(self._update_ids), kind, payload)
            self._updates.append(update)
            for key in ("text", "caption"):
                if isinstance(payload.get(key), str):
                    self.user_texts.append(payload[key])
            self._cond.notify_all()
            return update

    def new_update_id(self) -> int:
        """Allocate an update id without queueing anything (for updates fed in-process)."""
        with self._cond:
            return next(self._update_ids)

    def reopen(self) -> None:
        """Undo :meth:`close` (the server was restarted)."""
        with self._cond:
            self._closed = False

    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by an ``offset``."""
        with self._cond:
            return list(self._updates)

    @property
    def waiting_polls(self) -> int:
        """How many long polls (getUpdates over HTTP) are waiting for an update right now."""
        with self._cond:
            return self._waiting_polls

    def has_updates(self, offset: int | None = None) -> bool:
        """Whether getUpdates with this offset would return something now."""
        with self._cond:
            return any(
                (offset is None or u["update_id"] >= offset) and self._allowed(u) for u in self._updates
            )

    def _allowed(self, update: Mapping[str, Any]) -> bool:
        kind = update_kind(update)
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in DEFAULT_EXCLUDED_UPDATES

    def _get_updates(self, params: JSON, *, wait: bool) -> list[JSON]:
        offset = params.get("offset")
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        allowed = params.get("allowed_updates")
        with self._cond:
            if self._webhook_url:
                raise TelegramAPIError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            self._poll_generation += 1
            generation = self._poll_generation
            self._cond.notify_all()  # an older long poll answers 409, like Telegram
            if isinstance(allowed, list):
                self._allowed_updates = [str(a) for a in allowed]
            if isinstance(offset, int):
                if offset < 0:
                    self._updates = self._updates[offset:]
                else:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._updates = [u for u in self._updates if self._allowed(u)]
            deadline = time.monotonic() + (timeout if wait else 0.0)
            while True:
                if self._updates:
                    return self._updates[:limit]
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    return []
                if generation != self._poll_generation:
                    raise TelegramAPIError(409, DEFAULT_DESCRIPTIONS[409])
                self._waiting_polls += 1
                try:
                    self._cond.wait(remaining)
                finally:
                    self._waiting_polls -= 1
                self._updates = [u for u in self._updates if self._allowed(u)]

    # ---- chats, users, incoming messages -----------------------------------------------

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

    def incoming_message(
        self,
        *,
        chat: Mapping[str, Any],
        from_user: Mapping[str, Any] | None,
        text: str | None = None,
        entities: Iterable[Mapping[str, Any]] | None = None,
        kind: str = "message",
        queue: bool = True,
        **extra: Any,
    ) -> JSON:
        """Create a message from a user (or a channel post) in ``chat``; queue it as an update.

        Commands get a ``bot_command`` entity automatically when ``entities`` is ``None``.
        """
        with self._cond:
            self.register_chat(chat)
            if entities is None:
                entities = command_entities(text)
            message = build_message(
                message_id=self._next_message_id(int(chat["id"])),
                chat=chat,
                from_user=from_user,
                text=text,
                entities=entities,
                **extra,
            )
            self._messages[(int(chat["id"]), message["message_id"])] = StoredMessage(message, None, False)
            if queue:
                self.add_update(kind, message)
            return message

    def edit_incoming(
        self, chat_id: int, message_id: int, text: str, *, kind: str = "edited_message", queue: bool = True
    ) -> JSON:
        """Edit a user's message and queue an ``edited_message`` (or ``edited_channel_post``) update."""
        with self._cond:
            stored = self._messages.get((chat_id, message_id))
            if stored is None or stored.from_bot:
                raise AssertionError(f"no user message {message_id} in chat {chat_id}")
            message = {**stored.message, "text": text, "edit_date": now_ts()}
            message["entities"] = command_entities(text)
            message = message_json(message)
            stored.message = message
            if queue:
                self.add_update(kind, message)
            return message

    def callback_query(
        self, *, from_user: Mapping[str, Any], chat_id: int, message_id: int, data: str, queue: bool = True
    ) -> JSON:
        """Press an inline button: queue a ``callback_query`` for the bot's message."""
        with self._cond:
            stored = self._messages.get((chat_id, message_id))
            if stored is None:
                raise AssertionError(f"no message {message_id} in chat {chat_id}")
            query_id = f"{self.bot_id}{next(self._query_ids):08d}"
            query = build_callback_query(
                query_id=query_id, from_user=from_user, message=stored.message, data=data
            )
            self._callback_queries[query_id] = None
            self._query_times[query_id] = time.monotonic()
            if queue:
                self.add_update("callback_query", query)
            return query

    def chat_member_update(
        self, *, chat: Mapping[str, Any], from_user: Mapping[str, Any], blocked: bool
    ) -> JSON:
        """Queue a ``my_chat_member`` update (the user blocked / unblocked the bot)."""
        bot = User.de_json(dict(self.bot_user), None)
        member = ChatMemberMember(user=bot)
        banned = ChatMemberBanned(user=bot, until_date=utc_datetime(0))
        payload = ChatMemberUpdated(
            chat=Chat.de_json(dict(chat), None),
            from_user=User.de_json(dict(from_user), None),
            date=utc_datetime(now_ts()),
            old_chat_member=member if blocked else banned,
            new_chat_member=banned if blocked else member,
        ).to_dict()
        return self.add_update("my_chat_member", payload)

    # ---- files ---------------------------------------------------------------------------

    def store_file(
        self, content: bytes, *, kind: str, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        """Keep file bytes under a fresh file_id / file_path."""
        with self._cond:
            n = next(self._file_ids)
            ext = ""
            if file_name and "." in file_name:
                ext = "." + file_name.rsplit(".", 1)[1]
            elif kind == "photo":
                ext = ".jpg"
            elif kind == "voice":
                ext = ".oga"
            elif kind == "sticker":
                ext = ".webp"
            stored = StoredFile(
                file_id=f"FAKE-{kind}-{n:06d}",
                file_unique_id=f"U{kind[:3]}{n:06d}",
                content=content,
                file_path=f"{kind}s/file_{n}{ext}",
                file_name=file_name,
                mime_type=mime_type,
            )
            self._files[stored.file_id] = stored
            self._paths[stored.file_path] = stored.file_id
            return stored

    def media_fields(
        self,
        kind: str,
        *,
        content: bytes | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        emoji: str = "👍",
        duration: int = 2,
    ) -> JSON:
        """Message fields for user-sent media (``photo``, ``voice``, ``sticker``, ``document``).

        The bytes are stored, so the bot can getFile and download them.
        """
        defaults = {
            "photo": (TINY_PNG, "image/png"),
            "voice": (FAKE_OGG, "audio/ogg"),
            "sticker": (b"RIFF\x00\x00\x00\x00WEBP", "image/webp"),
            "document": (b"hello\n", "text/plain"),
        }
        if kind not in defaults:
            raise ValueError(f"unsupported media kind {kind!r}")
        data = content if content is not None else defaults[kind][0]
        mime = mime_type or defaults[kind][1]
        stored = self.store_file(data, kind=kind, file_name=file_name, mime_type=mime)
        size = len(data)
        if kind == "photo":
            return {"photo": photo_sizes(self, stored)}
        if kind == "voice":
            voice = Voice(stored.file_id, stored.file_unique_id, duration, mime_type=mime, file_size=size)
            return {"voice": voice.to_dict()}
        if kind == "sticker":
            sticker = Sticker(
                stored.file_id,
                stored.file_unique_id,
                512,
                512,
                False,
                False,
                Sticker.REGULAR,
                emoji=emoji,
                file_size=size,
            )
            return {"sticker": sticker.to_dict()}
        document = Document(
            stored.file_id,
            stored.file_unique_id,
            file_name=file_name or "file.txt",
            mime_type=mime,
            file_size=size,
        )
        return {"document": document.to_dict()}

    @staticmethod
    def location_fields(latitude: float, longitude: float, *, live_period: int | None = None) -> JSON:
        """Message fields for a location."""
        return {
            "location": Location(longitude=longitude, latitude=latitude, live_period=live_period).to_dict()
        }

    @staticmethod
    def contact_fields(user: Mapping[str, Any], phone_number: str = "+15550100") -> JSON:
        """Message fields for sharing ``user``'s own contact."""
        contact = Contact(phone_number, user.get("first_name", ""), user.get("last_name"), user_id=user["id"])
        return {"contact": contact.to_dict()}

    def file(self, file_id: str) -> StoredFile | None:
        """A stored file by file_id."""
        with self._cond:
            return self._files.get(file_id)

    def file_by_path(self, file_path: str) -> StoredFile | None:
        """A stored file by the file_path getFile returned."""
        with self._cond:
            file_id = self._paths.get(file_path)
            return self._files.get(file_id) if file_id else None

    # ---- state accessors for tests -------------------------------------------------------

    def outbox(self, chat_id: int | None = None, *, after_seq: int = 0) -> list[BotMessage]:
        """Messages the bot sent or edited (edits are separate entries), oldest first."""
        with self._cond:
            return [
                m for m in self._outbox if m.seq > after_seq and (chat_id is None or m.chat_id == chat_id)
            ]

    def message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        """Current state of a message (bot's or user's)."""
        with self._cond:
            return self._messages.get((chat_id, message_id))

    def current_bot_messages(self, chat_id: int) -> list[tuple[BotMessage, StoredMessage]]:
        """Latest snapshot + current state of each bot message in a chat, in send order."""
        with self._cond:
            latest: dict[int, BotMessage] = {}
            for m in self._outbox:
                if m.chat_id == chat_id:
                    latest[m.message_id] = m
            return [(m, self._messages[(chat_id, mid)]) for mid, m in latest.items()]

    def commands(self, scope: Mapping[str, Any] | None = None, language_code: str = "") -> list[JSON]:
        """Commands set by setMyCommands for a scope (default scope if ``None``)."""
        with self._cond:
            return list(self._commands.get(commands_key(scope, language_code), []))

    def callback_answer(self, query_id: str) -> JSON | None:
        """Parameters of answerCallbackQuery for a query, ``None`` if unanswered."""
        with self._cond:
            return self._callback_queries.get(query_id)

    def chat_actions(self, chat_id: int | None = None) -> list[str]:
        """Actions sent via sendChatAction."""
        with self._cond:
            return [a for c, a, _ in self._chat_actions if chat_id is None or c == chat_id]

    def menu_button(self, chat_id: int | None = None) -> JSON | None:
        """The menu button set for a chat (``None``: default)."""
        with self._cond:
            return self._menu_buttons.get(chat_id)

    # ---- helpers used by the method handlers (called with the lock held) ------------------

    def _parse_text(self, text: Any, parse_mode: Any, entities: Any, *, caption: bool = False) -> ParsedText:
        limit = MAX_CAPTION_LENGTH if caption else MAX_TEXT_LENGTH
        if not isinstance(text, str):
            if caption and text is None:
                return ParsedText("", [])
            raise bad_request("message text is empty")
        mode = (parse_mode or "").lower() if isinstance(parse_mode, str) else ""
        if mode == "html":
            parsed = parse_html(text, strict_ampersand=self.strict_ampersand)
        elif mode in ("", "markdown", "markdownv2"):
            # Markdown is not parsed by the fake: the raw text is kept and only its length checked.
            stripped = text.strip()
            ents = [dict(e) for e in entities] if isinstance(entities, list) and not mode else []
            parsed = ParsedText(stripped, ents)
        else:
            raise bad_request(f"unsupported parse_mode {parse_mode!r}")
        if not parsed.text and not caption:
            raise bad_request("message text is empty")
        if len(parsed.text) > limit:
            raise bad_request("message caption is too long" if caption else "message is too long")
        return parsed

    def _bot_message(self, chat: JSON, **fields: Any) -> JSON:
        return build_message(
            message_id=self._next_message_id(int(chat["id"])),
            chat=chat,
            from_user=self.bot_user if chat["type"] != Chat.CHANNEL else None,
            sender_chat=chat if chat["type"] == Chat.CHANNEL else None,
            **fields,
        )

    def _record_output(
        self, method: str, message: JSON, markup: JSON | None, params: JSON, *, edited: bool
    ) -> None:
        chat_id = int(message["chat"]["id"])
        key = (chat_id, int(message["message_id"]))
        stored = self._messages.get(key)
        if stored is None:
            self._messages[key] = StoredMessage(message, markup, True)
        else:
            stored.message, stored.markup = message, markup
        self._outbox.append(
            BotMessage(
                seq=len(self._outbox) + 1,
                chat_id=chat_id,
                message_id=int(message["message_id"]),
                method=method,
                message=message,
                markup=markup,
                params=params,
                edited=edited,
                time=time.time(),
            )
        )

    def _send(self, method: str, params: JSON, **fields: Any) -> JSON:
        chat = self.chat(require(params, "chat_id"))
        markup = validate_reply_markup(params.get("reply_markup"))
        message = self._bot_message(chat, reply_markup=markup, **fields)
        self._record_output(method, message, markup, params, edited=False)
        return message

    def _editable(self, params: JSON, what: str = "edit") -> StoredMessage:
        if "inline_message_id" in params:
            raise bad_request("inline messages are not supported by the fake Bot API")
        chat = self.chat(require(params, "chat_id"))
        message_id = require(params, "message_id")
        stored = self._messages.get((int(chat["id"]), int(message_id)))
        if stored is None or stored.deleted:
            raise bad_request(f"message to {what} not found")
        if not stored.from_bot and what == "edit":
            raise bad_request("message can't be edited")
        return stored

    def _upload(self, params: JSON, files: dict[str, UploadedFile], field_name: str, kind: str) -> StoredFile:
        value = params.get(field_name)
        upload = files.get(field_name)
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
        if upload is not None:
            if not upload.content:
                raise bad_request("file must be non-empty")
            if len(upload.content) > MAX_UPLOAD_BYTES:
                raise TelegramAPIError(413, "Request Entity Too Large")
            return self.store_file(
                upload.content, kind=kind, file_name=upload.filename, mime_type=upload.mime_type
            )
        if isinstance(value, str) and value:
            existing = self._files.get(value)
            if existing is not None:
                return existing
            if re.match(r"^https?://", value):
                return self.store_file(b"", kind=kind, file_name=value.rsplit("/", 1)[-1] or None)
        raise bad_request("wrong file identifier/HTTP URL specified")
