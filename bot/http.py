"""Bot API requests through aiohttp, never more in flight than the pool has connections.

Why not PTB's default (httpx): at one person answering as fast as replies come, the bot used
2.7-3.0 ms of CPU per round trip with httpx, httpcore and anyio, and 2.0 ms with aiohttp
(docs/benchmarks.md, issue 13). PTB lets any `BaseRequest`
carry its calls; this one keeps PTB's semantics: default timeouts, `TimedOut` for a timeout,
`NetworkError` for any other failure, and status codes and bodies left to PTB to interpret.

Like httpx, it goes through the proxy the environment names (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY,
NO_PROXY), looked up once per host rather than on every call as aiohttp's `trust_env` would (~90 µs).

Requests beyond the pool wait in an asyncio semaphore, in arrival order. A request waiting its
turn there does not count against any timeout: under load, sends queue rather than fail.

`max_updates` caps each getUpdates answer: turning a batch of updates into PTB objects is one
step on the event loop (about 0.3 ms an update), so a batch of 64 held the loop for 20 ms; in
batches of 16 the loop gets to run replies between them.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

MAX_UPDATES_PER_POLL = 16
JSON_BODY = {"Content-Type": "application/json"}


def _chosen(value: Any, default: float | None) -> float | None:
    """A timeout passed by PTB, or this request's default when PTB passed none."""
    return default if isinstance(value, DefaultValue) else value


class AiohttpRequest(BaseRequest):
    """`BaseRequest` over one `aiohttp.ClientSession` with at most `connection_pool_size` in flight."""

    def __init__(
        self,
        connection_pool_size: int = 1,
        *,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        media_write_timeout: float | None = 20.0,
        max_updates: int | None = None,
    ) -> None:
        self._size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._media_write_timeout = media_write_timeout
        self._max_updates = max_updates
        self._slots = asyncio.Semaphore(connection_pool_size)
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (PTB adds a long poll's duration to it for getUpdates)."""
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._size),
                headers={"User-Agent": self.USER_AGENT},
                skip_auto_headers=("Accept-Encoding",),  # Bot API answers are small JSON
            )

    def _proxy(self, url: str) -> str | None:
        """The proxy the environment names for `url`'s scheme and host, if any (read once per host)."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxies:
            proxies = urllib.request.getproxies_environment()
            # proxy_bypass_environment (NO_PROXY) is in the standard library but not in typeshed
            bypass = bool(key[1]) and urllib.request.proxy_bypass_environment(key[1], proxies)  # type: ignore[attr-defined]
            self._proxies[key] = None if bypass else proxies.get(key[0]) or proxies.get("all")
        return self._proxies[key]

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one call; the pool timeout is not used, as a request waits for its turn here."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        uploads = request_data is not None and request_data.contains_files
        read = _chosen(read_timeout, self._read_timeout)
        connect = _chosen(connect_timeout, self._connect_timeout)
        write = _chosen(write_timeout, self._media_write_timeout if uploads else self._write_timeout)
        # aiohttp has no write timeout of its own: the whole call is bounded by the sum instead.
        phases = (read, connect, write)
        total = None if any(p is None for p in phases) else sum(p for p in phases if p is not None)
        body, headers = self._body(url, request_data)
        proxy = self._proxy(url)
        try:
            async with self._slots:
                timeout = aiohttp.ClientTimeout(total=total, sock_connect=connect, sock_read=read)
                async with session.request(
                    method, url, data=body, headers=headers, timeout=timeout, proxy=proxy
                ) as response:
                    return response.status, await response.read()
        except TimeoutError as err:  # aiohttp's timeouts are TimeoutErrors too
            raise TimedOut from err
        except aiohttp.ClientError as err:
            # The class only: a message may quote the URL, which carries the token.
            raise NetworkError(f"aiohttp.{type(err).__name__}") from err

    def _body(self, url: str, request_data: RequestData | None) -> tuple[Any, dict[str, str] | None]:
        """The fields PTB encoded, as one JSON object (a form takes 3-4 times the CPU to encode),
        or as multipart when there are files; and the headers that go with it."""
        if request_data is None:
            return None, None
        fields = request_data.json_parameters
        if self._max_updates is not None and url.endswith("/getUpdates"):
            fields["limit"] = str(min(int(fields.get("limit", 100)), self._max_updates))
        if not request_data.contains_files:
            return json.dumps(fields).encode(), JSON_BODY
        form = aiohttp.FormData()
        for name, value in fields.items():
            form.add_field(name, value)
        for name, (filename, content, mimetype) in request_data.multipart_data.items():
            form.add_field(name, content, filename=filename, content_type=mimetype)
        return form, None
