"""User-side helpers: play a Telegram user (or channel) against the fake Bot API.

They work on a :class:`~bot.localapi.api.FakeBotAPI` directly (thread-safe, no sockets),
so they serve a bot running in another process (via ``FakeTelegramServer``) or in-process
(via ``RecordingRequest``) alike.  Waiting for the bot's messages wakes up when the bot's
message arrives (see :meth:`FakeBotAPI.watching_outbox`).

Usage::

    user = server.user(first_name="Alice")
    await user.send("/start")
    menu = await user.next_message(timeout=10)
    await user.press(menu, "Check in")
    done = await user.wait_for(lambda m: "saved" in m.content)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any

from telegram import CallbackQuery, Chat, Message

from bot.localapi.api import FakeBotAPI
from bot.localapi.builders import private_chat, user_dict
from bot.localapi.constants import JSON
from bot.localapi.keyboards import find_button
from bot.localapi.records import BotMessage

Predicate = Callable[[BotMessage], bool]
MessageRef = BotMessage | Message | Mapping[str, Any] | int

DEFAULT_TIMEOUT = 10.0


def _message_id(message: MessageRef) -> int:
    if isinstance(message, int):
        return message
    if isinstance(message, BotMessage | Message):
        return message.message_id
    return int(message["message_id"])


class _Arrivals:
    """Wakes a coroutine on its own loop when another thread (or the same one) appends a message."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()

    def __call__(self) -> None:
        """Called by the API under its lock, from any thread."""
        with suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
            self._loop.call_soon_threadsafe(self._event.set)

    def clear(self) -> None:
        """Forget earlier arrivals; call before looking at the outbox, so none is missed."""
        self._event.clear()

    async def wait(self, seconds: float) -> None:
        """Return on the next arrival after :meth:`clear`, or after ``seconds``."""
        try:
            async with asyncio.timeout(seconds):
                await self._event.wait()
        except TimeoutError:
            pass


class ChatView:
    """Reads what the bot sends to one chat; each view has its own "consumed" cursor."""

    def __init__(self, api: FakeBotAPI, chat: Mapping[str, Any], *, poll_interval: float = 0.01) -> None:
        self.api = api
        self.chat: JSON = dict(chat)
        #: Longest wait between two looks at the outbox; a new message wakes the waiter at once.
        self.poll_interval = poll_interval
        self._cursor = 0  # seq of the last consumed outbox entry
        api.register_chat(self.chat)

    @property
    def chat_id(self) -> int:
        """Id of the chat this view reads."""
        return int(self.chat["id"])

    # ---- reading -------------------------------------------------------------------------

    def history(self) -> list[BotMessage]:
        """Every message the bot sent or edited in this chat (edits are separate entries)."""
        return self.api.outbox(self.chat_id)

    def all_messages(self, *, include_deleted: bool = False) -> list[BotMessage]:
        """The current version of each bot message in this chat, in send order."""
        return [
            snapshot
            for snapshot, stored in self.api.current_bot_messages(self.chat_id)
            if include_deleted or not stored.deleted
        ]

    def is_deleted(self, message: MessageRef) -> bool:
        """Whether the bot deleted this message."""
        stored = self.api.message(self.chat_id, _message_id(message))
        return bool(stored and stored.deleted)

    def pending(self, *, include_edits: bool = True) -> list[BotMessage]:
        """Bot messages not yet consumed by :meth:`next_message` / :meth:`wait_for`."""
        return [
            m for m in self.api.outbox(self.chat_id, after_seq=self._cursor) if include_edits or not m.edited
        ]

    async def next_message(
        self,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - an explicit timeout is the point
        *,
        include_edits: bool = True,
    ) -> BotMessage:
        """The next bot message (or edit, flagged ``edited=True``) not consumed yet."""
        return await self.wait_for(
            lambda _: True, timeout, include_edits=include_edits, description="any message"
        )

    async def wait_for(
        self,
        predicate: Predicate,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - an explicit timeout is the point
        *,
        include_edits: bool = True,
        description: str = "",
    ) -> BotMessage:
        """Consume bot messages until one matches ``predicate``; return it.

        Non-matching messages before the match are consumed too.  On timeout an
        ``AssertionError`` shows everything that arrived (and failed bot calls).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        with self._arrivals() as arrivals:
            while True:
                arrivals.clear()
                for message in self.api.outbox(self.chat_id, after_seq=self._cursor):
                    self._cursor = message.seq
                    if (include_edits or not message.edited) and predicate(message):
                        return message
                left = deadline - loop.time()
                if left <= 0:
                    raise AssertionError(
                        self._dump(f"nothing matched {description or predicate!r} within {timeout}s")
                    )
                await arrivals.wait(min(self.poll_interval, left))

    async def assert_no_message(self, within: float = 0.3) -> None:
        """Assert the bot sends nothing new to this chat for ``within`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        with self._arrivals() as arrivals:
            while (left := deadline - loop.time()) > 0:
                arrivals.clear()
                if self.pending():
                    raise AssertionError(self._dump(f"expected no new bot message within {within}s"))
                await arrivals.wait(min(self.poll_interval, left))

    @contextmanager
    def _arrivals(self) -> Iterator[_Arrivals]:
        """An :class:`_Arrivals` woken by each new bot message in this chat while the block runs."""
        arrivals = _Arrivals()
        with self.api.watching_outbox(self.chat_id, arrivals):
            yield arrivals

    def _dump(self, headline: str) -> str:
        lines = [f"Chat {self.chat_id} ({self._chat_name()}): {headline}.", "Bot messages (✓ = consumed):"]
        history = self.history()
        lines += [f"  {'✓' if m.seq <= self._cursor else ' '} {m.describe()}" for m in history] or [
            "  (none)"
        ]
        actions = self.api.chat_actions(self.chat_id)
        if actions:
            lines.append(f"Chat actions: {', '.join(actions)}")
        failed = [r for r in self.api.requests if r.status not in (None, 200)][-10:]
        if failed:
            lines.append("Failed bot calls:")
            lines += [f"  {r.method} -> {r.status} {r.description}" for r in failed]
        return "\n".join(lines)

    def _chat_name(self) -> str:
        return str(self.chat.get("title") or self.chat.get("first_name") or self.chat.get("username") or "?")


class FakeUser(ChatView):
    """A Telegram user talking to the bot (private chat by default, see :meth:`in_chat`)."""

    def __init__(
        self,
        api: FakeBotAPI,
        user_id: int | None = None,
        first_name: str = "Alice",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        chat: Mapping[str, Any] | None = None,
        location: tuple[float, float] = (52.52, 13.405),
        poll_interval: float = 0.01,
    ) -> None:
        self.user: JSON = user_dict(
            user_id if user_id is not None else api.new_user_id(),
            first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        self.location = location
        super().__init__(
            api, chat if chat is not None else private_chat(self.user), poll_interval=poll_interval
        )

    @property
    def id(self) -> int:
        """The user id."""
        return int(self.user["id"])

    def in_chat(self, chat: Mapping[str, Any]) -> FakeUser:
        """The same person speaking in another chat (e.g. ``server.group()``)."""
        other = FakeUser.__new__(FakeUser)
        other.user, other.location = self.user, self.location
        ChatView.__init__(other, self.api, chat, poll_interval=self.poll_interval)
        return other

    # ---- sending -------------------------------------------------------------------------

    async def _incoming(self, text: str | None = None, **fields: Any) -> Message:
        message = self.api.incoming_message(chat=self.chat, from_user=self.user, text=text, **fields)
        await asyncio.sleep(0)  # let an in-process bot run
        return Message.de_json(message, None)

    async def send(self, text: str, *, reply_to: MessageRef | None = None) -> Message:
        """Send a text message (``/commands`` get a ``bot_command`` entity)."""
        fields: JSON = {}
        if reply_to is not None:
            stored = self.api.message(self.chat_id, _message_id(reply_to))
            if stored is None:
                raise AssertionError(
                    f"cannot reply: no message {_message_id(reply_to)} in chat {self.chat_id}"
                )
            fields["reply_to_message"] = stored.message
        return await self._incoming(text, **fields)

    async def send_location(
        self, latitude: float, longitude: float, *, live_period: int | None = None
    ) -> Message:
        """Share a location."""
        return await self._incoming(**self.api.location_fields(latitude, longitude, live_period=live_period))

    async def send_contact(self, phone_number: str = "+15550100") -> Message:
        """Share the user's own contact."""
        return await self._incoming(**self.api.contact_fields(self.user, phone_number))

    async def send_sticker(self, emoji: str = "👍") -> Message:
        """Send a sticker."""
        return await self._incoming(**self.api.media_fields("sticker", emoji=emoji))

    async def send_photo(self, content: bytes | None = None, *, caption: str | None = None) -> Message:
        """Send a photo (a tiny PNG by default); the bot can download it."""
        return await self._incoming(caption=caption, **self.api.media_fields("photo", content=content))

    async def send_voice(self, content: bytes | None = None, *, duration: int = 2) -> Message:
        """Send a voice message."""
        return await self._incoming(**self.api.media_fields("voice", content=content, duration=duration))

    async def send_document(
        self,
        content: bytes = b"hello\n",
        *,
        file_name: str = "notes.txt",
        mime_type: str = "text/plain",
        caption: str | None = None,
    ) -> Message:
        """Send a file."""
        fields = self.api.media_fields("document", content=content, file_name=file_name, mime_type=mime_type)
        return await self._incoming(caption=caption, **fields)

    async def edit(self, message: MessageRef, text: str) -> Message:
        """Edit one of the user's own messages (``edited_message`` update)."""
        edited = self.api.edit_incoming(self.chat_id, _message_id(message), text)
        await asyncio.sleep(0)
        return Message.de_json(edited, None)

    # ---- buttons -------------------------------------------------------------------------

    async def press(self, message: MessageRef | None, button_text: str) -> CallbackQuery | Message:
        """Press a button by its text on a bot message (``None``: the newest message having it).

        Inline ``callback_data`` buttons send a ``callback_query`` (returned); reply-keyboard
        buttons send their text, or a location / contact for ``request_location`` /
        ``request_contact`` buttons (the sent message is returned).
        """
        markup, message_id = self._find_button_owner(message, button_text)
        button = find_button(markup, button_text)
        assert button is not None
        if "inline_keyboard" in markup:
            if "callback_data" not in button:
                kind = next((k for k in button if k != "text"), "?")
                raise AssertionError(
                    f"button {button_text!r} is a {kind!r} button; only callback buttons press"
                )
            query = self.api.callback_query(
                from_user=self.user, chat_id=self.chat_id, message_id=message_id, data=button["callback_data"]
            )
            await asyncio.sleep(0)
            return CallbackQuery.de_json(query, None)
        if button.get("request_location"):
            return await self.send_location(*self.location)
        if button.get("request_contact"):
            return await self.send_contact()
        return await self.send(button_text)

    def _find_button_owner(self, message: MessageRef | None, button_text: str) -> tuple[JSON, int]:
        if message is None:
            for snapshot, current in reversed(self.api.current_bot_messages(self.chat_id)):
                if not current.deleted and current.markup and find_button(current.markup, button_text):
                    return current.markup, snapshot.message_id
            raise AssertionError(self._dump(f"no bot message has a button {button_text!r}"))
        message_id = _message_id(message)
        stored = self.api.message(self.chat_id, message_id)
        if stored is None or not stored.from_bot:
            raise AssertionError(f"no bot message {message_id} in chat {self.chat_id}")
        if stored.deleted:
            raise AssertionError(f"message {message_id} was deleted; its buttons cannot be pressed")
        if not stored.markup or find_button(stored.markup, button_text) is None:
            buttons = BotMessage(
                0, self.chat_id, message_id, "", stored.message, stored.markup, {}, False, 0
            ).buttons
            raise AssertionError(f"message {message_id} has no button {button_text!r}; it has {buttons}")
        return stored.markup, message_id

    async def callback_answer(
        self,
        query: CallbackQuery | str,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - an explicit timeout is the point
    ) -> JSON:
        """Wait until the bot answers a callback query; return answerCallbackQuery's params."""
        query_id = query if isinstance(query, str) else query.id
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (answer := self.api.callback_answer(query_id)) is None:
            if loop.time() >= deadline:
                raise AssertionError(self._dump(f"callback query {query_id} not answered within {timeout}s"))
            await asyncio.sleep(self.poll_interval)
        return answer

    # ---- blocking ------------------------------------------------------------------------

    async def block_bot(self) -> None:
        """Block the bot: sends to this chat answer 403 and a ``my_chat_member`` update arrives."""
        self.api.block(self.chat_id)
        self.api.chat_member_update(chat=self.chat, from_user=self.user, blocked=True)
        await asyncio.sleep(0)

    async def unblock_bot(self) -> None:
        """Unblock the bot (restart it)."""
        self.api.unblock(self.chat_id)
        self.api.chat_member_update(chat=self.chat, from_user=self.user, blocked=False)
        await asyncio.sleep(0)


class FakeChannel(ChatView):
    """A channel: posts reach the bot as ``channel_post`` / ``edited_channel_post`` updates."""

    def __init__(self, api: FakeBotAPI, chat: Mapping[str, Any], *, poll_interval: float = 0.01) -> None:
        if chat.get("type") != Chat.CHANNEL:
            raise ValueError("FakeChannel needs a channel chat")
        super().__init__(api, chat, poll_interval=poll_interval)

    async def post(self, text: str) -> Message:
        """Publish a post."""
        message = self.api.incoming_message(
            chat=self.chat, from_user=None, text=text, kind="channel_post", sender_chat=self.chat
        )
        await asyncio.sleep(0)
        return Message.de_json(message, None)

    async def edit_post(self, message: MessageRef, text: str) -> Message:
        """Edit a post."""
        edited = self.api.edit_incoming(self.chat_id, _message_id(message), text, kind="edited_channel_post")
        await asyncio.sleep(0)
        return Message.de_json(edited, None)
