"""Bot API requests through httpx, never more in flight than the pool has connections.

httpcore gives a waiting request a connection by checking every queued request against every
connection, and polling each idle socket, whenever a request starts or ends. With 64 people
answered at once and 16 connections, that scan was the longest piece of work on the event loop
(docs/benchmarks.md, round trips). Requests beyond the pool wait here instead, in an asyncio
semaphore, in arrival order, so httpcore's own queue stays empty. A request waiting its turn
here does not count against the pool timeout: under load sends queue rather than fail.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telegram.request import HTTPXRequest, RequestData


class GatedRequest(HTTPXRequest):
    """`HTTPXRequest` that lets at most `connection_pool_size` requests into httpx at a time."""

    def __init__(self, connection_pool_size: int, **kwargs: Any) -> None:
        super().__init__(connection_pool_size=connection_pool_size, **kwargs)
        self._slots = asyncio.Semaphore(connection_pool_size)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        write_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        connect_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        pool_timeout: Any = HTTPXRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        async with self._slots:
            return await super().do_request(
                url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
            )
