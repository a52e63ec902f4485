"""What users do, queued as updates, and getUpdates (long polling) that hands them to the bot."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from telegram import Chat, ChatMemberBanned, ChatMemberMember, ChatMemberUpdated, User

from bot.localapi.builders import (
    build_callback_query,
    build_message,
    build_update,
    command_entities,
    message_json,
    now_ts,
    update_kind,
    utc_datetime,
)
from bot.localapi.constants import JSON
from bot.localapi.errors import DEFAULT_DESCRIPTIONS, TelegramAPIError
from bot.localapi.records import StoredMessage
from bot.localapi.state import ApiState

#: Update types Telegram delivers when ``allowed_updates`` is unset or empty.
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class UpdateQueue(ApiState):
    """Updates waiting for the bot: users' messages, edits, button presses and blocks."""

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

    # ---- what users do -------------------------------------------------------------------

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
