"""The fake Telegram Bot API's state: the single place both transports call.

:class:`FakeBotAPI` turns a Bot API call (method name + decoded parameters, as PTB sends them)
into the ``result`` JSON and keeps the state a fake Telegram needs (chats, message ids, sent
messages, files, commands, pending updates, faults).  Its parts, one concern each: the state
and record of calls (:mod:`~bot.localapi.state`), faults (:mod:`~bot.localapi.faults`), updates
and what users do (:mod:`~bot.localapi.updates`), files (:mod:`~bot.localapi.files`) and what
the bot sent (:mod:`~bot.localapi.outbox`); here they are put together and calls dispatched.
The per-method behaviour is in :mod:`bot.localapi.methods`; validation in
:mod:`~bot.localapi.html_parser` and :mod:`~bot.localapi.keyboards`; JSON shapes in
:mod:`~bot.localapi.builders`.

Both transports use it: ``tests.fakeapi.server.FakeTelegramServer`` (tests only) (real HTTP on 127.0.0.1)
and ``bot.localapi.offline.RecordingRequest`` (in-process, no sockets).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.localapi.errors import TelegramAPIError, bad_request
from bot.localapi.faults import FaultControls
from bot.localapi.files import FileStore
from bot.localapi.methods import HANDLERS
from bot.localapi.outbox import Outbox
from bot.localapi.records import UploadedFile
from bot.localapi.updates import DEFAULT_EXCLUDED_UPDATES, UpdateQueue

__all__ = ["DEFAULT_EXCLUDED_UPDATES", "RATE_LIMITED_PREFIXES", "FakeBotAPI"]

#: Methods counted by :meth:`FakeBotAPI.enforce_rate` (things that post or change messages).
RATE_LIMITED_PREFIXES = ("send", "edit", "copy", "forward")


class FakeBotAPI(FaultControls, UpdateQueue, FileStore, Outbox):
    """State and behaviour of a fake Telegram Bot API for one bot; thread-safe.

    Transports call :meth:`begin` (record), :meth:`take_fault`, then :meth:`execute`.
    Tests use the state accessors (:meth:`outbox`, :meth:`message`, :meth:`commands` ...),
    :meth:`add_update` / :meth:`incoming_message` to play the user, and the fault controls.
    """

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
                self._check_rate(chat_id, paid=_paid_broadcast(params))
            return handler(self, params, files)


def _paid_broadcast(params: Mapping[str, Any]) -> bool:
    """``allow_paid_broadcast``: strictly a boolean (PTB sends ``true``/``false``), default false."""
    value = params.get("allow_paid_broadcast", False)
    if not isinstance(value, bool):
        raise bad_request("can't parse allow_paid_broadcast: a boolean is expected")
    return value
