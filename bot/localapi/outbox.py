"""What the bot sent: messages checked like Telegram checks them, kept for tests to read back."""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from telegram import Chat

from bot.localapi.builders import build_message
from bot.localapi.constants import JSON, MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH
from bot.localapi.errors import bad_request, require
from bot.localapi.html_parser import ParsedText, parse_html
from bot.localapi.keyboards import validate_reply_markup
from bot.localapi.methods import commands_key
from bot.localapi.records import BotMessage, StoredMessage
from bot.localapi.state import ApiState


class Outbox(ApiState):
    """The bot's messages, sent and edited, and what else it set (commands, menu, chat actions)."""

    # ---- state accessors for tests -------------------------------------------------------

    def outbox(self, chat_id: int | None = None, *, after_seq: int = 0) -> list[BotMessage]:
        """Messages the bot sent or edited (edits are separate entries), oldest first.

        Costs what it returns: the chat's entries are kept apart, in ``seq`` order, and the first
        one after ``after_seq`` is found by bisection.
        """
        with self._cond:
            entries = self._outbox if chat_id is None else self._outbox_by_chat.get(chat_id, [])
            return entries[bisect.bisect_right(entries, after_seq, key=lambda m: m.seq) :]

    @contextmanager
    def watching_outbox(self, chat_id: int, wake: Callable[[], None]) -> Iterator[None]:
        """Call ``wake()`` whenever the bot's outbox for ``chat_id`` grows, until the block ends.

        ``wake`` runs under the state's lock in the thread that appends (a server thread, or the
        caller's own for the in-process transport), so it must be quick and must not raise: e.g.
        ``loop.call_soon_threadsafe(event.set)``.
        """
        with self._cond:
            self._outbox_watchers.setdefault(chat_id, []).append(wake)
        try:
            yield
        finally:
            with self._cond:
                watchers = self._outbox_watchers[chat_id]
                watchers.remove(wake)
                if not watchers:
                    del self._outbox_watchers[chat_id]

    def outbox_watchers(self, chat_id: int) -> int:
        """How many :meth:`watching_outbox` blocks watch ``chat_id`` now."""
        with self._cond:
            return len(self._outbox_watchers.get(chat_id, ()))

    def message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        """Current state of a message (bot's or user's)."""
        with self._cond:
            return self._messages.get((chat_id, message_id))

    def current_bot_messages(self, chat_id: int) -> list[tuple[BotMessage, StoredMessage]]:
        """Latest snapshot + current state of each bot message in a chat, in send order."""
        with self._cond:
            latest = {m.message_id: m for m in self._outbox_by_chat.get(chat_id, ())}
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
        entry = BotMessage(
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
        self._outbox.append(entry)
        self._outbox_by_chat.setdefault(chat_id, []).append(entry)
        for wake in self._outbox_watchers.get(chat_id, ()):
            wake()

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
