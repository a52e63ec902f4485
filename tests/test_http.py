"""Bot API requests beyond the connection pool wait in the gate, never in httpcore's queue."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telegram.request import HTTPXRequest

from bot.app import CONNECTION_POOL_SIZE, build_application
from bot.http import GatedRequest
from bot.services import Services
from bot.storage.memory import InMemoryRepository
from tests.conftest import Clock, make_config


async def test_no_more_requests_reach_httpx_than_the_pool_has_connections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inside = peak = 0

    async def slow_send(self: HTTPXRequest, url: str, method: str, *args: Any) -> tuple[int, bytes]:
        nonlocal inside, peak
        inside += 1
        peak = max(peak, inside)
        await asyncio.sleep(0.01)
        inside -= 1
        return 200, b'{"ok":true,"result":true}'

    monkeypatch.setattr(HTTPXRequest, "do_request", slow_send)
    request = GatedRequest(3)
    results = await asyncio.gather(*(request.do_request("http://127.0.0.1/x", "POST") for _ in range(20)))
    assert peak == 3 and all(status == 200 for status, _ in results)


def test_the_bot_sends_through_the_gate(clock: Clock) -> None:
    app = build_application(Services(config=make_config(), repo=InMemoryRepository(), clock=clock))
    request = app.bot.request
    assert isinstance(request, GatedRequest)
    assert request._slots._value == CONNECTION_POOL_SIZE
    assert not isinstance(app.bot._request[0], GatedRequest)
