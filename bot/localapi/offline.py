"""In-process Bot API for tests: a ``BaseRequest`` answering from the fake Bot API, no sockets.

Usage::

    request = RecordingRequest()
    app = ApplicationBuilder().token(request.token).request(request).get_updates_request(request).build()
    async with app:
        await app.process_update(request.message_update(user_id=42, text="/start", bot=app.bot))
    assert request.api.outbox(42)[0].text == "Welcome!"

Validation (4096 chars, bad HTML, callback_data ...) and faults are the same as over HTTP,
because both go through :class:`bot.localapi.api.FakeBotAPI`.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from telegram import Bot, Message, Update
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.localapi.api import FakeBotAPI
from bot.localapi.builders import (
    build_callback_query,
    build_message,
    build_update,
    command_entities,
    private_chat,
    user_dict,
)
from bot.localapi.constants import DEFAULT_READ_TIMEOUT, DEFAULT_TOKEN, JSON
from bot.localapi.errors import TelegramAPIError
from bot.localapi.records import BotMessage, RecordedRequest, UploadedFile
from bot.localapi.user import FakeUser
from bot.localapi.wire import decode_form_params

__all__ = ["RecordingRequest", "make_callback_update", "make_message_update"]

_URL_RE = re.compile(r"/bot([^/]+)/([^/]*)$")
_FILE_URL_RE = re.compile(r"/file/bot([^/]+)/(.+)$")
_ids = itertools.count(1)


class RecordingRequest(BaseRequest):
    """A ``telegram.request.BaseRequest`` that answers from a :class:`FakeBotAPI` in-process.

    Every call is recorded (``api.requests``), decoded exactly as the HTTP server decodes PTB's
    wire format. The same instance may serve as ``request`` and ``get_updates_request``.
    """

    def __init__(
        self,
        api: FakeBotAPI | None = None,
        *,
        token: str = DEFAULT_TOKEN,
        read_timeout: float | None = DEFAULT_READ_TIMEOUT,
        poll_interval: float = 0.01,
    ) -> None:
        self.api = api if api is not None else FakeBotAPI(token)
        self._read_timeout = read_timeout
        self.poll_interval = poll_interval

    @property
    def token(self) -> str:
        """The token the fake accepts."""
        return self.api.token

    @property
    def read_timeout(self) -> float | None:
        """Default read timeout (used for delay faults and by PTB for getUpdates)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    # ---- recordings ----------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """All calls, in order."""
        return self.api.requests

    def calls(self, method: str | None = None) -> list[RecordedRequest]:
        """Calls to one method (case-insensitive)."""
        return self.api.calls(method)

    def sent_messages(self, chat_id: int | None = None) -> list[BotMessage]:
        """What the bot sent or edited."""
        return self.api.outbox(chat_id)

    def user(self, user_id: int | None = None, first_name: str = "Alice", **kwargs: Any) -> FakeUser:
        """A :class:`FakeUser` on this API (its updates reach a polling in-process Application)."""
        return FakeUser(self.api, user_id, first_name, **kwargs)

    def message_update(self, user_id: int = 42, text: str = "hi", **kwargs: Any) -> Update:
        """:func:`make_message_update` registered with this API (ids, chat, reply targets)."""
        return make_message_update(user_id, text, api=self.api, **kwargs)

    def callback_update(self, user_id: int, data: str, **kwargs: Any) -> Update:
        """:func:`make_callback_update` registered with this API (so ``query.answer()`` works)."""
        return make_callback_update(user_id, data, api=self.api, **kwargs)

    # ---- BaseRequest ---------------------------------------------------------------------

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answer a call from the fake API: ``(status, Telegram JSON)`` or file bytes."""
        path = unquote(urlsplit(url).path)
        limit = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        if file_match := _FILE_URL_RE.search(path):
            token, file_path = file_match.groups()
            return await self._call(token, "downloadFile", {"file_path": file_path}, {}, limit)
        match = _URL_RE.search(path)
        if match is None:
            return 404, TelegramAPIError(404, "Not Found").to_bytes()
        token, api_method = match.groups()
        params = decode_form_params(request_data.json_parameters) if request_data else {}
        files: dict[str, UploadedFile] = {}
        if request_data is not None and request_data.contains_files:
            for name, (filename, content, mime_type) in request_data.multipart_data.items():
                data = content if isinstance(content, bytes) else content.read()
                files[name] = UploadedFile(filename or name, data, mime_type)
        return await self._call(token, api_method, params, files, limit)

    async def _call(
        self, token: str, method: str, params: JSON, files: dict[str, UploadedFile], limit: float | None
    ) -> tuple[int, bytes]:
        api = self.api
        record = api.begin(method, params, files)
        status, payload = await self._answer(token, method, params, files, limit)
        api.finish(record, status, payload if status != 200 else b"")
        return status, payload

    async def _answer(
        self, token: str, method: str, params: JSON, files: dict[str, UploadedFile], limit: float | None
    ) -> tuple[int, bytes]:
        api = self.api
        try:
            api.check_token(token)
        except TelegramAPIError as exc:
            return exc.status, exc.to_bytes()
        fault = api.take_fault(method, params)
        timed_out = False
        if fault is not None:
            if fault.delay:
                timed_out = limit is not None and fault.delay > limit
                await asyncio.sleep(min(fault.delay, limit) if limit is not None else fault.delay)
            if fault.drop_connection:
                raise NetworkError(
                    "httpx.RemoteProtocolError: Server disconnected without sending a response."
                )
            response = fault.response()
            if response is not None:
                if timed_out:
                    raise TimedOut
                return response
        if method == "downloadFile":
            stored = api.file_by_path(params["file_path"])
            if stored is None:
                return 404, TelegramAPIError(404, "Not Found").to_bytes()
            return 200, stored.content
        if method.lower() == "getupdates":
            await self._wait_for_updates(params)
        result = api.execute(method, params, files)
        if timed_out:  # like a slow Telegram: the call took effect, the client gave up
            raise TimedOut
        return result

    async def _wait_for_updates(self, params: Mapping[str, Any]) -> None:
        timeout = float(params.get("timeout") or 0)
        offset = params.get("offset")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.api.closed:
            if self.api.has_updates(offset if isinstance(offset, int) and offset >= 0 else None):
                return
            await asyncio.sleep(self.poll_interval)


# --------------------------------------------------------------------------------------------
# Building incoming updates
# --------------------------------------------------------------------------------------------


def make_message_update(
    user_id: int = 42,
    text: str | None = "hi",
    *,
    first_name: str = "Alice",
    username: str | None = None,
    language_code: str | None = "en",
    chat: Mapping[str, Any] | None = None,
    bot: Bot | None = None,
    api: FakeBotAPI | None = None,
    edited: bool = False,
    **fields: Any,
) -> Update:
    """A ``message`` (or ``edited_message``) update from a user; commands get a bot_command entity.

    With ``api`` the message is registered there (message id, chat, so replies/deletes work) but
    not queued for getUpdates; pass ``bot=app.bot`` so shortcuts like ``reply_text`` work.
    ``fields`` are extra Message fields in JSON form (e.g. ``api.location_fields(...)``).
    """
    user = user_dict(user_id, first_name, username=username, language_code=language_code)
    target_chat = dict(chat) if chat is not None else private_chat(user)
    kind = "edited_message" if edited else "message"
    if edited:
        fields.setdefault("edit_date", int(time.time()))
    if api is not None:
        message = api.incoming_message(chat=target_chat, from_user=user, text=text, queue=False, **fields)
        update = build_update(api.new_update_id(), kind, message)
    else:
        message = build_message(
            message_id=next(_ids),
            chat=target_chat,
            from_user=user,
            text=text,
            entities=command_entities(text),
            **fields,
        )
        update = build_update(next(_ids), kind, message)
    return Update.de_json(update, bot)


def make_callback_update(
    user_id: int,
    data: str,
    *,
    message: BotMessage | Message | Mapping[str, Any] | None = None,
    first_name: str = "Alice",
    language_code: str | None = "en",
    bot: Bot | None = None,
    api: FakeBotAPI | None = None,
) -> Update:
    """A ``callback_query`` update: ``user_id`` pressed a button with ``data`` on ``message``.

    With ``api`` the query is registered (so the bot's ``answerCallbackQuery`` succeeds) and
    ``message`` defaults to the newest bot message in the user's private chat.
    """
    user = user_dict(user_id, first_name, language_code=language_code)
    if api is not None:
        chat_id, message_id = _message_key(message, api, user)
        query = api.callback_query(
            from_user=user, chat_id=chat_id, message_id=message_id, data=data, queue=False
        )
        return Update.de_json(build_update(api.new_update_id(), "callback_query", query), bot)
    if message is None:
        message_json = build_message(message_id=next(_ids), chat=private_chat(user), text="…")
    elif isinstance(message, BotMessage):
        message_json = message.message
    elif isinstance(message, Message):
        message_json = message.to_dict()
    else:
        message_json = dict(message)
    query = build_callback_query(query_id=str(next(_ids)), from_user=user, message=message_json, data=data)
    return Update.de_json(build_update(next(_ids), "callback_query", query), bot)


def _message_key(
    message: BotMessage | Message | Mapping[str, Any] | None, api: FakeBotAPI, user: JSON
) -> tuple[int, int]:
    if message is None:
        sent = api.outbox(int(user["id"]))
        if not sent:
            raise AssertionError(f"the bot has sent nothing to chat {user['id']} that could be pressed")
        return sent[-1].chat_id, sent[-1].message_id
    if isinstance(message, BotMessage):
        return message.chat_id, message.message_id
    if isinstance(message, Message):
        return message.chat_id, message.message_id
    return int(message["chat"]["id"]), int(message["message_id"])
