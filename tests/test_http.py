"""The bot's Bot API transport (aiohttp): PTB's semantics, a gate in front of the pool, capped polls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.app import CONNECTION_POOL_SIZE, GET_UPDATES_POOL_SIZE, build_application
from bot.http import MAX_UPDATES_PER_POLL, AiohttpRequest
from bot.localapi.builders import TINY_PNG
from bot.services import Services
from bot.storage.memory import InMemoryRepository
from tests.conftest import Clock, make_config
from tests.fakeapi.server import FakeTelegramServer


@pytest.fixture
async def bot(server: FakeTelegramServer) -> AsyncIterator[Bot]:
    async with server.bot(request=AiohttpRequest(4, read_timeout=0.5)) as bot:
        yield bot


async def test_messages_and_their_markup_reach_the_server(server: FakeTelegramServer, bot: Bot) -> None:
    user = server.user()
    sent = await bot.send_message(user.id, "<b>a &amp; b</b> שלום 🌱", parse_mode="HTML")
    assert sent.text == "a & b שלום 🌱"
    assert server.calls("sendMessage")[-1].params["parse_mode"] == "HTML"


async def test_files_go_as_multipart(server: FakeTelegramServer, bot: Bot) -> None:
    user = server.user()
    photo = await bot.send_photo(user.id, TINY_PNG, caption="<i>chart</i>", parse_mode="HTML")
    assert photo.photo and photo.caption == "chart"
    call = server.calls("sendPhoto")[-1]
    assert call.files["photo"].content == TINY_PNG


async def test_a_server_too_slow_times_out(server: FakeTelegramServer, bot: Bot) -> None:
    user = server.user()
    server.inject_fault("sendMessage", delay=2.0)
    with pytest.raises(TimedOut):
        await bot.send_message(user.id, "hello")


async def test_errors_come_back_as_ptb_errors(server: FakeTelegramServer, bot: Bot) -> None:
    user = server.user()
    server.inject_fault("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(user.id, "hello")
    assert caught.value.retry_after == timedelta(seconds=7)


async def test_a_dropped_connection_is_a_network_error_without_the_token(server: FakeTelegramServer) -> None:
    request = AiohttpRequest(1)
    await request.initialize()
    url = f"http://127.0.0.1:1/bot{server.token}/getMe"  # nothing listens on port 1
    try:
        with pytest.raises(NetworkError) as caught:
            await request.do_request(url, "POST")
    finally:
        await request.shutdown()
    assert "aiohttp." in caught.value.message and server.token not in caught.value.message


async def test_an_uninitialised_request_refuses_and_shutdown_is_repeatable() -> None:
    request = AiohttpRequest(1)
    with pytest.raises(RuntimeError):
        await request.do_request("http://127.0.0.1:1/x", "POST")
    await request.initialize()
    await request.shutdown()
    await request.shutdown()


async def serve_slowly(seconds: float) -> tuple[asyncio.Server, list[int]]:
    """A bare HTTP/1.1 server answering each request after `seconds`; the list: [in flight, peak]."""
    in_flight = [0, 0]

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.readuntil(b"\r\n\r\n"):
            in_flight[0] += 1
            in_flight[1] = max(in_flight)
            await asyncio.sleep(seconds)
            in_flight[0] -= 1
            body = b'{"ok":true,"result":true}'
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()

    return await asyncio.start_server(answer, "127.0.0.1", 0), in_flight


@pytest.mark.parametrize("pool", [1, 3])
async def test_requests_beyond_the_pool_wait_their_turn_without_timing_out(pool: int) -> None:
    listener, in_flight = await serve_slowly(0.05)
    url = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}/x"
    # Each call alone is well inside its timeouts; the last one waits ~0.5 s for its turn.
    request = AiohttpRequest(pool, read_timeout=0.2, connect_timeout=0.1, write_timeout=0.1)
    await request.initialize()
    try:
        results = await asyncio.gather(*(request.do_request(url, "GET") for _ in range(10 * pool)))
    finally:
        await request.shutdown()
        listener.close()
    assert in_flight[1] == pool and all(status == 200 for status, _ in results)


async def test_a_poll_brings_at_most_the_cap(server: FakeTelegramServer) -> None:
    users = [server.user(20_000 + n, f"P{n}") for n in range(MAX_UPDATES_PER_POLL + 5)]
    for user in users:
        await user.send("hi")
    capped = AiohttpRequest(1, max_updates=MAX_UPDATES_PER_POLL)
    async with server.bot(get_updates_request=capped) as bot:
        first = await bot.get_updates(timeout=0)
        rest = await bot.get_updates(offset=first[-1].update_id + 1, timeout=0, limit=3)
    assert len(first) == MAX_UPDATES_PER_POLL
    assert len(rest) == 3  # a smaller limit asked for is kept


def test_the_bot_sends_and_polls_through_aiohttp(clock: Clock) -> None:
    app = build_application(Services(config=make_config(), repo=InMemoryRepository(), clock=clock))
    sending, polling = app.bot.request, app.bot._request[0]
    assert isinstance(sending, AiohttpRequest) and isinstance(polling, AiohttpRequest)
    assert sending._slots._value == CONNECTION_POOL_SIZE and sending._max_updates is None
    assert polling._slots._value == GET_UPDATES_POOL_SIZE and polling._max_updates == MAX_UPDATES_PER_POLL


async def serve_as_proxy() -> tuple[asyncio.Server, list[bytes]]:
    """A bare HTTP proxy that answers every request itself and keeps each request line."""
    lines: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while head := await reader.readuntil(b"\r\n\r\n"):
            lines.append(head.split(b"\r\n")[0])
            body = b'{"ok":true,"result":true}'
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()

    return await asyncio.start_server(answer, "127.0.0.1", 0), lines


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
async def test_the_proxy_the_environment_names_is_used(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    listener, lines = await serve_as_proxy()
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.3")
    request = AiohttpRequest(1)
    await request.initialize()
    try:  # nothing listens on port 9 of either address: only the proxy can answer
        status, _ = await request.do_request("http://127.0.0.2:9/bot1:x/getMe", "POST")
        with pytest.raises(NetworkError):  # NO_PROXY: straight to the address, which refuses
            await request.do_request("http://127.0.0.3:9/bot1:x/getMe", "POST")
    finally:
        await request.shutdown()
        listener.close()
    assert status == 200 and lines == [b"POST http://127.0.0.2:9/bot1:x/getMe HTTP/1.1"]
