"""A fake Telegram Bot API HTTP server on 127.0.0.1, running in a background thread.

Usage::

    with FakeTelegramServer() as server:
        bot = telegram.Bot(server.token, base_url=server.base_url, base_file_url=server.base_file_url)
        user = server.user(first_name="Alice")
        await user.send("/start")
        reply = await user.next_message()

All behaviour (validation, state, faults) lives in :class:`bot.localapi.api.FakeBotAPI`;
this module only speaks HTTP: ``POST/GET /bot<token>/<method>`` (JSON, form-urlencoded as PTB's
HTTPXRequest sends, or multipart/form-data for uploads) and ``GET /file/bot<token>/<file_path>``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, unquote, urlsplit

from telegram import Bot

from bot.localapi.api import FakeBotAPI
from bot.localapi.builders import channel_chat, group_chat
from bot.localapi.constants import DEFAULT_TOKEN, JSON, PAID_MESSAGES_PER_SECOND
from bot.localapi.errors import Fault, TelegramAPIError
from bot.localapi.records import BotMessage, RecordedRequest, UploadedFile
from bot.localapi.user import FakeChannel, FakeUser
from bot.localapi.wire import decode_form_params

_LOGGER = logging.getLogger(__name__)

#: Pseudo method name under which file downloads are recorded (and can get faults injected).
DOWNLOAD_METHOD = "downloadFile"


# --------------------------------------------------------------------------------------------
# Request body parsing
# --------------------------------------------------------------------------------------------


def _header_params(value: str) -> tuple[str, dict[str, str]]:
    """Split ``type/subtype; a=b; c="d"`` into the main value and its parameters."""
    main, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for match in re.finditer(r'([\w*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))', rest):
        key, quoted, bare = match.groups()
        params[key.lower()] = (quoted.replace('\\"', '"') if quoted is not None else bare).strip()
    return main.strip().lower(), params


def parse_multipart(body: bytes, boundary: str) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """Parse multipart/form-data into text fields and file parts."""
    fields: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    for chunk in body.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break
        head, sep, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            continue
        content = content.removesuffix(b"\r\n")
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        _, disposition = _header_params(headers.get("content-disposition", ""))
        name = disposition.get("name", "")
        filename = disposition.get("filename")
        if filename is None and "filename*" in disposition:
            filename = unquote(disposition["filename*"].split("''", 1)[-1])
        if filename is not None:
            files[name] = UploadedFile(filename.replace("%22", '"'), content, headers.get("content-type"))
        else:
            fields[name] = content.decode("utf-8")
    return fields, files


def parse_request(content_type: str, body: bytes, query: str = "") -> tuple[JSON, dict[str, UploadedFile]]:
    """Decode Bot API parameters from the query string and a JSON, urlencoded or multipart body."""
    params = decode_form_params(dict(parse_qsl(query, keep_blank_values=True)))
    files: dict[str, UploadedFile] = {}
    if not body:
        return params, files
    main, ct_params = _header_params(content_type)
    if main == "application/json":
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("JSON body must be an object")
        # Like Telegram's server: a string value is read as a form field would be (so reply_markup
        # may come JSON-encoded inside the string), any other value as itself.
        params.update(decode_form_params({k: v for k, v in data.items() if isinstance(v, str)}))
        params.update({k: v for k, v in data.items() if not isinstance(v, str)})
    elif main == "multipart/form-data":
        fields, files = parse_multipart(body, ct_params["boundary"])
        params.update(decode_form_params(fields))
    else:  # application/x-www-form-urlencoded (what PTB's HTTPXRequest sends)
        params.update(decode_form_params(dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))))
    return params, files


# --------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------


class _HTTPServer(ThreadingHTTPServer):
    request_queue_size = 256  # the default backlog of 5 resets connections under a burst of clients
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], fake: FakeTelegramServer) -> None:
        self.fake = fake
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        _LOGGER.debug("fake Telegram server: error handling %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # idle keep-alive connections
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fake._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        _LOGGER.debug("fake Telegram server: " + format, *args)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:  # the client went away (timed out, cancelled, stopped)
            self.close_connection = True

    def _dispatch(self) -> None:
        with self.server.fake._in_flight():
            self._dispatch_request()

    def _dispatch_request(self) -> None:
        fake = self.server.fake
        api = fake.api
        url = urlsplit(self.path)
        path = unquote(url.path)
        body = self._read_body()
        if path.startswith("/file/bot"):
            token, _, target = path.removeprefix("/file/bot").partition("/")
            method = DOWNLOAD_METHOD
            params: JSON = {"file_path": target}
            files: dict[str, UploadedFile] = {}
        elif path.startswith("/bot"):
            token, _, method = path.removeprefix("/bot").partition("/")
            try:
                params, files = parse_request(self.headers.get("Content-Type", ""), body, url.query)
            except (ValueError, KeyError, UnicodeDecodeError) as exc:
                error = TelegramAPIError(400, f"Bad Request: can't parse request: {exc}")
                self._reply(error.status, error.to_bytes())
                return
        else:
            self._reply(404, TelegramAPIError(404, "Not Found").to_bytes())
            return

        record = api.begin(method, params, files)
        status, payload, content_type = self._answer(token, method, params, files)
        if status == 0:  # drop the connection without answering
            api.finish(record, 0, b"connection dropped")
            self.close_connection = True
            return
        api.finish(record, status, payload if status != 200 else b"")
        self._reply(status, payload, content_type)

    def _answer(
        self, token: str, method: str, params: JSON, files: dict[str, UploadedFile]
    ) -> tuple[int, bytes, str]:
        fake = self.server.fake
        api = fake.api
        try:
            api.check_token(token)
        except TelegramAPIError as exc:
            return exc.status, exc.to_bytes(), "application/json"
        fault = api.take_fault(method, params)
        if fault is not None:
            if fault.delay and fake._stopping.wait(fault.delay):
                return 0, b"", ""
            if fault.drop_connection:
                return 0, b"", ""
            response = fault.response()
            if response is not None:
                return *response, "application/json"
        if method == DOWNLOAD_METHOD:
            stored = api.file_by_path(params["file_path"])
            if stored is None:
                return 404, TelegramAPIError(404, "Not Found").to_bytes(), "application/json"
            return 200, stored.content, stored.mime_type or "application/octet-stream"
        status, payload = api.execute(method, params, files, wait=True)
        return status, payload, "application/json"


# --------------------------------------------------------------------------------------------
# Public server
# --------------------------------------------------------------------------------------------


class FakeTelegramServer:
    """Fake Telegram Bot API over HTTP on 127.0.0.1 (ephemeral port), in a background thread.

    The state lives in :attr:`api` (a :class:`FakeBotAPI`) and outlives bot processes and
    even :meth:`stop` / :meth:`start` cycles (which simulate an outage on the same port).
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        api: FakeBotAPI | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        **api_kwargs: Any,
    ) -> None:
        self.api = api if api is not None else FakeBotAPI(token, **api_kwargs)
        self.token = self.api.token
        self.host = host
        self._port = port
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Condition()
        self._active = 0

    # ---- lifecycle -----------------------------------------------------------------------

    def start(self) -> Self:
        """Bind (first time: an ephemeral port; later: the same port) and serve in a thread."""
        if self._httpd is not None:
            return self
        self._stopping.clear()
        self.api.reopen()
        self._httpd = _HTTPServer((self.host, self._port), self)
        self._port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"fake-telegram-{self._port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: pending long polls return, open connections are closed."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()
        self.api.close()
        httpd.shutdown()
        httpd.server_close()
        with self._conn_lock:  # let answers to released long polls go out first
            self._conn_lock.wait_for(lambda: self._active == 0, timeout=2)
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def running(self) -> bool:
        """Whether the server is serving."""
        return self._httpd is not None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @contextlib.contextmanager
    def _in_flight(self) -> Iterator[None]:
        with self._conn_lock:
            self._active += 1
        try:
            yield
        finally:
            with self._conn_lock:
                self._active -= 1
                self._conn_lock.notify_all()

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._conn_lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    # ---- addresses -----------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`)."""
        return self._port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self._port}"

    @property
    def base_url(self) -> str:
        """Value for ``telegram.Bot(base_url=...)``: ``http://127.0.0.1:PORT/bot``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``telegram.Bot(base_file_url=...)``: ``http://127.0.0.1:PORT/file/bot``."""
        return f"{self.url}/file/bot"

    def bot_kwargs(self) -> dict[str, str]:
        """``token``, ``base_url`` and ``base_file_url`` for ``telegram.Bot`` / ApplicationBuilder."""
        return {"token": self.token, "base_url": self.base_url, "base_file_url": self.base_file_url}

    def bot(self, **kwargs: Any) -> Bot:
        """A ``telegram.Bot`` pointed at this server (use ``async with``)."""
        return Bot(**{**self.bot_kwargs(), **kwargs})

    # ---- people --------------------------------------------------------------------------

    def user(
        self,
        user_id: int | None = None,
        first_name: str = "Alice",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        **kwargs: Any,
    ) -> FakeUser:
        """A user who talks to the bot in a private chat (see :class:`FakeUser`)."""
        return FakeUser(
            self.api,
            user_id,
            first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            **kwargs,
        )

    def group(self, title: str = "Test Group", chat_id: int | None = None) -> JSON:
        """A supergroup chat; let users talk there with ``user.in_chat(group)``."""
        chat = group_chat(chat_id if chat_id is not None else self.api.new_group_id(), title)
        self.api.register_chat(chat)
        return chat

    def channel(
        self, title: str = "Test Channel", chat_id: int | None = None, username: str | None = None
    ) -> FakeChannel:
        """A channel whose posts reach the bot as ``channel_post`` updates."""
        chat = channel_chat(chat_id if chat_id is not None else self.api.new_group_id(), title, username)
        return FakeChannel(self.api, chat)

    # ---- shortcuts to the API state / controls -------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every call received (method, params, files, time, status), in arrival order."""
        return self.api.requests

    def calls(self, method: str | None = None) -> list[RecordedRequest]:
        """Recorded calls to one method."""
        return self.api.calls(method)

    def clear_requests(self) -> None:
        """Forget recorded calls."""
        self.api.clear_requests()

    def sent_messages(self, chat_id: int | None = None) -> list[BotMessage]:
        """Everything the bot sent or edited (edits are separate entries)."""
        return self.api.outbox(chat_id)

    def add_update(self, kind: str, payload: JSON) -> JSON:
        """Queue a raw update for getUpdates."""
        return self.api.add_update(kind, payload)

    def inject_fault(self, method: str | None = None, **kwargs: Any) -> Fault:
        """See :meth:`FakeBotAPI.inject_fault` (status / retry_after / times / chat_id / delay ...)."""
        return self.api.inject_fault(method, **kwargs)

    def fail_connections(
        self, method: str | None = "getUpdates", *, times: int | None = None, duration: float | None = 1.0
    ) -> Fault:
        """Drop connections for ``method`` for a while (transport-level failures)."""
        return self.api.fail_connections(method, times=times, duration=duration)

    def clear_faults(self) -> None:
        """Remove injected faults."""
        self.api.clear_faults()

    def block(self, chat_id: int | str) -> None:
        """The user blocked the bot: calls to ``chat_id`` answer 403 until :meth:`unblock`."""
        self.api.block(chat_id)

    def unblock(self, chat_id: int | str) -> None:
        """Undo :meth:`block`."""
        self.api.unblock(chat_id)

    def enforce_rate(
        self,
        per_second: float | None = 30,
        *,
        per_chat_per_second: float | None = None,
        paid_per_second: float | None = PAID_MESSAGES_PER_SECOND,
    ) -> None:
        """429 with retry_after when sends exceed the rate (paid broadcasts: ``paid_per_second``);
        ``enforce_rate(None)`` disables."""
        self.api.enforce_rate(
            per_second, per_chat_per_second=per_chat_per_second, paid_per_second=paid_per_second
        )
