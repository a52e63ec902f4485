"""The fake Telegram Bot API server, exercised with a real ``telegram.Bot`` over HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import TypeVar

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.localapi.builders import TINY_PNG
from tests.fakeapi.server import FakeTelegramServer, parse_multipart
from tests.fakeapi.waiting import wait_until

KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
T = TypeVar("T")


def some(value: T | None) -> T:
    """``value``, which the test knows is there."""
    assert value is not None
    return value


def message(update: Update) -> Message:
    """The message an update carries (the test knows it has one)."""
    return some(update.effective_message)


def as_message(result: Message | bool) -> Message:
    """An edit's result: the edited message (``True`` is only for inline messages)."""
    assert isinstance(result, Message)
    return result


@pytest.fixture
def server() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer() as srv:
        yield srv


@pytest.fixture
async def bot(server: FakeTelegramServer) -> AsyncIterator[Bot]:
    async with server.bot() as b:
        yield b


# ---- basic calls ------------------------------------------------------------------------------


async def test_get_me(bot: Bot, server: FakeTelegramServer) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.id == server.api.bot_id
    assert me.username == "fake_test_bot"


async def test_send_message_round_trip_with_reply_markup(bot: Bot, server: FakeTelegramServer) -> None:
    user = server.user(first_name="Alice")
    sent = await bot.send_message(
        user.id, "<b>Hello</b> &amp; welcome", parse_mode="HTML", reply_markup=KEYBOARD
    )

    assert sent.text == "Hello & welcome"
    assert sent.entities[0].type == "bold"
    assert sent.reply_markup == KEYBOARD
    received = await user.next_message(timeout=1)
    assert received.message_id == sent.message_id
    assert received.text == "Hello & welcome"
    assert received.buttons == [["Yes"]]
    assert not received.edited
    (call,) = server.calls("sendMessage")
    assert call.params["reply_markup"] == KEYBOARD.to_dict()
    assert call.params["parse_mode"] == "HTML"


async def test_text_length_limit(bot: Bot, server: FakeTelegramServer) -> None:
    user = server.user()
    await bot.send_message(user.id, "x" * 4096)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(user.id, "x" * 4097)
    # The limit applies after entity parsing: markup does not count.
    await bot.send_message(user.id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(user.id, "  ")


@pytest.mark.parametrize(
    "text",
    [
        "1 < 2",
        "AT&T",
        "Tom &am",  # an entity cut off
        "&#;",
        "&#xZZ;",
        "&bogus;",
        "<b>open",
        "<i><b>open</b>",
        "<b",
        "x </b",
        "</b>",
        "<b>x</i>",
        "<div>x</div>",
        "<br>",
        "<span>x</span>",
        "<b/>",
    ],
)
async def test_bad_html_is_rejected(bot: Bot, server: FakeTelegramServer, text: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(server.user().id, text, parse_mode="HTML")


async def test_good_html_entities(bot: Bot, server: FakeTelegramServer) -> None:
    html = (
        '1 &lt; 2 &gt; 0 &quot;q&quot; &#128512; <a href="https://e.x/?a=1&amp;b=2">l</a> '
        "<tg-spoiler>s</tg-spoiler>"
    )
    sent = await bot.send_message(server.user().id, html, parse_mode="HTML")
    assert sent.text == '1 < 2 > 0 "q" 😀 l s'
    link = next(e for e in sent.entities if e.type == "text_link")
    assert link.url == "https://e.x/?a=1&b=2"
    assert sent.parse_entity(link) == "l"  # offsets are UTF-16 code units, as in Telegram


@pytest.mark.parametrize(
    ("data", "ok"),
    [("x" * 64, True), ("é" * 32, True), ("x" * 65, False), ("é" * 33, False), ("", False)],
    ids=["64-bytes", "64-bytes-in-32-chars", "65-bytes", "66-bytes-in-33-chars", "empty"],
)
async def test_callback_data_is_1_to_64_bytes(
    bot: Bot, server: FakeTelegramServer, data: str, ok: bool
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data=data)]])
    if ok:
        await bot.send_message(server.user().id, "fine", reply_markup=markup)
        return
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(server.user().id, "refused", reply_markup=markup)


@pytest.mark.parametrize("text", ["", "   "])
async def test_inline_button_text_must_not_be_empty(bot: Bot, server: FakeTelegramServer, text: str) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data="x")]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_TEXT_EMPTY"):
        await bot.send_message(server.user().id, "refused", reply_markup=markup)


async def test_unknown_method_and_wrong_token(bot: Bot, server: FakeTelegramServer) -> None:
    with pytest.raises(BadRequest, match=r"(?i)not found"):
        await bot.do_api_request("fooBar")
    with pytest.raises(InvalidToken):
        async with Bot("987654:wrong-token", base_url=server.base_url):
            pass
    assert server.calls("getMe")[-1].status == 401


# ---- faults -----------------------------------------------------------------------------------


async def test_injected_429_raises_retry_after(bot: Bot, server: FakeTelegramServer) -> None:
    user = server.user()
    server.inject_fault("sendMessage", status=429, retry_after=2, times=1)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(user.id, "hi")
    assert info.value.retry_after == dtm.timedelta(seconds=2)
    await bot.send_message(user.id, "hi")  # times=1: the next call goes through
    assert [r.status for r in server.calls("sendMessage")] == [429, 200]


@pytest.mark.parametrize("body", [None, b"<html><body>502 Bad Gateway</body></html>"])
async def test_injected_502_raises_network_error(
    bot: Bot, server: FakeTelegramServer, body: bytes | None
) -> None:
    server.inject_fault("sendMessage", status=502, body=body)
    with pytest.raises(NetworkError) as info:
        await bot.send_message(server.user().id, "hi")
    assert type(info.value) is NetworkError
    assert "Bad Gateway" in str(info.value)


async def test_blocked_chat_raises_forbidden(bot: Bot, server: FakeTelegramServer) -> None:
    user = server.user()
    await user.block_bot()
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(user.id, "hi")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(user.id, "typing")
    (update,) = await bot.get_updates()
    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == "kicked"
    server.unblock(user.id)
    await bot.send_message(user.id, "back")


async def test_delay_fault_times_out(bot: Bot, server: FakeTelegramServer) -> None:
    server.inject_fault("sendMessage", delay=1.0)
    with pytest.raises(TimedOut):
        await bot.send_message(server.user().id, "slow", read_timeout=0.2)


async def test_fail_connections_and_rate_limit(bot: Bot, server: FakeTelegramServer) -> None:
    server.fail_connections("getUpdates", times=1, duration=None)
    with pytest.raises(NetworkError):
        await bot.get_updates()
    assert await bot.get_updates() == ()

    user = server.user()
    server.enforce_rate(per_second=3)
    for i in range(3):
        await bot.send_message(user.id, f"msg {i}")
    with pytest.raises(RetryAfter):
        await bot.send_message(user.id, "one too many")
    server.enforce_rate(None)
    await bot.send_message(user.id, "fine again")


# ---- updates ----------------------------------------------------------------------------------


async def test_long_poll_returns_when_update_arrives(bot: Bot, server: FakeTelegramServer) -> None:
    user = server.user(first_name="Alice")
    start = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await wait_until(lambda: server.api.waiting_polls == 1, "the long poll waits at the server")
    assert not poll.done()
    await user.send("hello")
    updates = await asyncio.wait_for(poll, timeout=3)
    assert time.monotonic() - start < 2
    assert [message(u).text for u in updates] == ["hello"]
    assert some(message(updates[0]).from_user).first_name == "Alice"


async def test_long_poll_times_out_empty(bot: Bot) -> None:
    start = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 <= time.monotonic() - start < 3


async def test_stop_releases_long_poll_and_restart_is_an_outage(bot: Bot, server: FakeTelegramServer) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await wait_until(lambda: server.api.waiting_polls == 1, "the long poll waits at the server")
    start = time.monotonic()
    await asyncio.to_thread(server.stop)
    assert await asyncio.wait_for(poll, timeout=2) == ()
    assert time.monotonic() - start < 1
    with pytest.raises(NetworkError):
        await bot.get_me()
    server.start()  # same port, same state: the outage is over
    assert (await bot.get_me()).id == server.api.bot_id


async def test_offset_confirms_updates_and_updates_survive_restart(
    bot: Bot, server: FakeTelegramServer
) -> None:
    user = server.user()
    for text in ("one", "/start", "three"):
        await user.send(text)
    first = await bot.get_updates(limit=2)
    assert [message(u).text for u in first] == ["one", "/start"]
    assert message(first[1]).entities[0].type == "bot_command"
    # A new bot "process" sees everything not confirmed yet.
    async with server.bot() as restarted:
        again = await restarted.get_updates(offset=first[-1].update_id + 1)
        assert [message(u).text for u in again] == ["three"]
        assert await restarted.get_updates(offset=again[-1].update_id + 1) == ()
    assert server.api.pending_updates() == []


async def test_allowed_updates_and_concurrent_poll_conflict(bot: Bot, server: FakeTelegramServer) -> None:
    user = server.user()
    await user.send("text")
    sent = await bot.send_message(user.id, "pick", reply_markup=KEYBOARD)
    await user.press(sent.message_id, "Yes")
    updates = await bot.get_updates(allowed_updates=["callback_query"])
    assert [some(u.callback_query).data for u in updates] == ["yes"]

    # A second bot instance polling while the first one waits: the older poll gets 409.
    first = asyncio.create_task(bot.get_updates(offset=updates[-1].update_id + 1, timeout=5))
    await wait_until(lambda: server.api.waiting_polls == 1, "the long poll waits at the server")
    async with server.bot() as second:
        assert await second.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates"):
        await first


async def test_user_actions_produce_updates(bot: Bot, server: FakeTelegramServer) -> None:
    user = server.user(first_name="Bea", language_code="de")
    first = await user.send("typo")
    await user.edit(first, "fixed")
    await user.send_location(48.1, 11.6)
    await user.send_sticker()
    photo_msg = await user.send_photo(caption="pic")
    await user.send_voice()
    group = server.group("Friends")
    await user.in_chat(group).send("hi all")
    channel = server.channel("News")
    await channel.post("breaking")

    updates = await bot.get_updates()
    kinds = [message(u) for u in updates]
    assert updates[1].edited_message is not None
    assert updates[1].edited_message.text == "fixed"
    assert some(kinds[2].location).latitude == pytest.approx(48.1)
    assert some(kinds[3].sticker).emoji == "👍"
    assert kinds[4].caption == "pic"
    assert kinds[6].chat.type == "supergroup"
    assert some(kinds[6].from_user).language_code == "de"
    assert updates[7].channel_post is not None
    assert updates[7].channel_post.chat.title == "News"
    # The bot can download what the user sent.
    photo_file = await bot.get_file(photo_msg.photo[-1].file_id)
    assert await photo_file.download_as_bytearray() == TINY_PNG
    # And group members see what the bot writes to the group.
    await bot.send_message(group["id"], "hello group")
    assert (await user.in_chat(group).next_message(timeout=1)).text == "hello group"


# ---- files, commands, edits -------------------------------------------------------------------


async def test_document_upload_get_file_download(bot: Bot, server: FakeTelegramServer) -> None:
    user = server.user()
    payload = b"\x00\xff\r\n--boundary-like\r\n\r\nend"
    sent = await bot.send_document(
        user.id, payload, filename="report.bin", caption="<i>r</i>", parse_mode="HTML"
    )
    document = some(sent.document)
    assert document.file_name == "report.bin"
    assert sent.caption == "r"
    assert server.calls("sendDocument")[0].files["document"].content == payload
    file = await bot.get_file(document.file_id)
    assert some(file.file_path).startswith(server.base_file_url)
    assert bytes(await file.download_as_bytearray()) == payload
    # Resending by file_id reuses the stored file.
    again = await bot.send_document(user.id, document.file_id)
    assert some(again.document).file_id == document.file_id
    photo = await bot.send_photo(user.id, TINY_PNG)
    assert len(photo.photo) == 2
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(user.id, "no-such-file-id")
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_document(user.id, b"x", filename="a.txt", caption="c" * 1025)


async def test_commands_and_misc_methods(bot: Bot, server: FakeTelegramServer) -> None:
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c["command"] for c in server.api.commands()] == ["start", "help"]
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Bad Command", "x")])
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    user = server.user()
    assert await bot.send_chat_action(user.id, "typing")
    assert server.api.chat_actions(user.id) == ["typing"]
    with pytest.raises(BadRequest, match=r"(?i)wrong parameter action"):
        await bot.send_chat_action(user.id, "dancing")
    assert await bot.set_chat_menu_button()
    assert await bot.delete_webhook(drop_pending_updates=True)


async def test_edits_and_deletes(bot: Bot, server: FakeTelegramServer) -> None:
    user = server.user()
    sent = await bot.send_message(user.id, "v1", reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("v1", user.id, sent.message_id, reply_markup=KEYBOARD)
    edited = as_message(await bot.edit_message_text("v2", user.id, sent.message_id))
    assert edited.text == "v2"
    assert edited.reply_markup is None  # editing text without reply_markup drops the keyboard
    new = await user.next_message(timeout=1)
    upd = await user.next_message(timeout=1)
    assert (new.text, new.edited, upd.text, upd.edited) == ("v1", False, "v2", True)
    await bot.edit_message_reply_markup(user.id, sent.message_id, reply_markup=KEYBOARD)
    assert (await user.next_message(timeout=1)).buttons == [["Yes"]]
    assert await bot.delete_message(user.id, sent.message_id)
    assert user.is_deleted(sent.message_id)
    assert user.all_messages() == []
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(user.id, sent.message_id)


async def test_reply_keyboard_location_button_and_timeout_dump(bot: Bot, server: FakeTelegramServer) -> None:
    user = server.user(location=(1.5, 2.5))
    markup = ReplyKeyboardMarkup([[KeyboardButton("Share location", request_location=True), "Skip"]])
    await bot.send_message(user.id, "Where are you?", reply_markup=markup)
    prompt = await user.next_message(timeout=1)
    assert prompt.buttons == [["Share location", "Skip"]]
    await user.press(prompt, "Share location")
    await user.press(None, "Skip")
    updates = await bot.get_updates()
    assert some(message(updates[0]).location).longitude == pytest.approx(2.5)
    assert message(updates[1]).text == "Skip"

    with pytest.raises(BadRequest):
        await bot.send_message(user.id, "<b>oops", parse_mode="HTML")
    with pytest.raises(AssertionError) as info:
        await user.next_message(timeout=0.1)
    dump = str(info.value)
    assert "Where are you?" in dump
    assert "sendMessage -> 400" in dump


async def test_raw_json_and_multipart_bodies(server: FakeTelegramServer) -> None:
    user = server.user()
    async with httpx.AsyncClient() as client:
        url = f"{server.base_url}{server.token}"
        res = await client.post(f"{url}/sendMessage", json={"chat_id": user.id, "text": "123"})
        assert res.json()["result"]["text"] == "123"
        res = await client.post(f"{url}/sendmessage", data={"chat_id": str(user.id), "text": "true"})
        assert res.json()["result"]["text"] == "true"  # string params are not JSON-decoded
        res = await client.get(f"{url}/getMe")
        assert res.json()["ok"] is True
        markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
        as_strings = {"chat_id": str(user.id), "text": "123", "reply_markup": json.dumps(markup)}
        res = await client.post(f"{url}/sendMessage", json=as_strings)  # values encoded as in a form
        assert res.json()["result"]["text"] == "123"
        assert res.json()["result"]["reply_markup"] == markup
        res = await client.post(f"{url}/sendMessage", json={"chat_id": -5, "text": "x"})
        assert res.status_code == 400
        assert res.json() == {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
    fields, files = parse_multipart(
        b'--b\r\nContent-Disposition: form-data; name="chat_id"\r\n\r\n7\r\n'
        b'--b\r\nContent-Disposition: form-data; name="document"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nabc\r\n--b--\r\n",
        "b",
    )
    assert fields == {"chat_id": "7"}
    assert files["document"].content == b"abc"


# ---- a real PTB Application -------------------------------------------------------------------


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("Pick one", reply_markup=KEYBOARD)


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_message.text is not None
    await update.effective_message.reply_text(update.effective_message.text)


async def _pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Noted")
    await query.edit_message_text(f"You chose {query.data}")


def _build_app(server: FakeTelegramServer) -> Application:  # type: ignore[type-arg]
    app = (
        ApplicationBuilder()
        .token(server.token)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", _start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    app.add_handler(CallbackQueryHandler(_pressed))
    return app


async def test_application_polling_echo_and_button(server: FakeTelegramServer) -> None:
    app = _build_app(server)
    user = server.user(first_name="Alice")
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        await app.start()
        try:
            await user.send("ping")
            assert (await user.next_message(timeout=5)).text == "ping"
            await user.send("/start")
            menu = await user.next_message(timeout=5)
            assert menu.buttons == [["Yes"]]
            query = await user.press(menu, "Yes")
            assert isinstance(query, CallbackQuery)
            assert (await user.callback_answer(query, timeout=5))["text"] == "Noted"
            edited = await user.next_message(timeout=5)
            assert (edited.edited, edited.text, edited.buttons) == (True, "You chose yes", [])
        finally:
            await app.updater.stop()
            await app.stop()
    assert server.api.pending_updates() == []  # the updater confirmed everything on shutdown


# ---- as strict as Telegram ------------------------------------------------------------------------

NOT_MODIFIED = r"(?i)message is not modified"
TOO_OLD = r"(?i)query is too old and response timeout expired or query ID is invalid"


async def test_edit_text_compares_the_rendered_text_entities_and_keyboard(
    bot: Bot, server: FakeTelegramServer
) -> None:
    user = server.user()
    sent = await bot.send_message(user.id, "<b>v1</b>", parse_mode="HTML", reply_markup=KEYBOARD)
    for same in ("<strong>v1</strong>", " <b>v1</b>\n"):  # other HTML, same text and entities
        with pytest.raises(BadRequest, match=NOT_MODIFIED):
            await bot.edit_message_text(
                same, user.id, sent.message_id, parse_mode="HTML", reply_markup=KEYBOARD
            )
    plain = as_message(await bot.edit_message_text("v1", user.id, sent.message_id, reply_markup=KEYBOARD))
    assert plain.text == "v1" and not plain.entities  # only the bold went: a change
    without_keyboard = as_message(await bot.edit_message_text("v1", user.id, sent.message_id))
    assert without_keyboard.reply_markup is None  # only the keyboard went: a change
    with pytest.raises(BadRequest, match=NOT_MODIFIED):
        await bot.edit_message_text("v1", user.id, sent.message_id)


async def test_edit_caption_compares_the_rendered_caption_and_entities(
    bot: Bot, server: FakeTelegramServer
) -> None:
    user = server.user()
    sent = await bot.send_photo(user.id, TINY_PNG, caption="<i>c</i>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=NOT_MODIFIED):
        await bot.edit_message_caption(user.id, sent.message_id, caption="<em>c</em>", parse_mode="HTML")
    plain = as_message(await bot.edit_message_caption(user.id, sent.message_id, caption="c"))  # no italics
    assert plain.caption == "c" and not plain.caption_entities
    with pytest.raises(BadRequest, match=NOT_MODIFIED):
        await bot.edit_message_caption(user.id, sent.message_id, caption="c")
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.edit_message_caption(user.id, sent.message_id, caption="c" * 1025)


async def test_edit_reply_markup_compares_the_inline_keyboard(bot: Bot, server: FakeTelegramServer) -> None:
    user = server.user()
    sent = await bot.send_message(user.id, "pick", reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match=NOT_MODIFIED):
        await bot.edit_message_reply_markup(user.id, sent.message_id, reply_markup=KEYBOARD)
    await bot.edit_message_reply_markup(user.id, sent.message_id)
    with pytest.raises(BadRequest, match=NOT_MODIFIED):
        await bot.edit_message_reply_markup(user.id, sent.message_id)


async def test_a_reply_keyboard_is_nothing_an_edit_can_change(bot: Bot, server: FakeTelegramServer) -> None:
    """A message sent with a reply keyboard has no inline keyboard: an edit without one changes nothing."""
    user = server.user()
    sent = await bot.send_message(user.id, "pick", reply_markup=ReplyKeyboardMarkup([["A", "B"]]))
    with pytest.raises(BadRequest, match=NOT_MODIFIED):
        await bot.edit_message_text("pick", user.id, sent.message_id)
    with pytest.raises(BadRequest, match=NOT_MODIFIED):
        await bot.edit_message_reply_markup(user.id, sent.message_id)
    await bot.edit_message_reply_markup(user.id, sent.message_id, reply_markup=KEYBOARD)


async def test_message_text_is_1_to_4096_characters_after_parsing(
    bot: Bot, server: FakeTelegramServer
) -> None:
    user = server.user()
    await bot.send_message(user.id, "😀" * 4096)  # characters, not UTF-16 units or bytes
    sent = await bot.send_message(user.id, "start")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.edit_message_text("x" * 4097, user.id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(user.id, "<b> </b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.edit_message_text("<i></i>", user.id, sent.message_id, parse_mode="HTML")


async def test_answer_callback_query_like_telegram(bot: Bot, server: FakeTelegramServer) -> None:
    user = server.user()
    sent = await bot.send_message(user.id, "q", reply_markup=KEYBOARD)
    query = await user.press(sent, "Yes")
    assert isinstance(query, CallbackQuery)
    with pytest.raises(BadRequest, match=r"(?i)MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(query.id, text="x" * 201)
    assert await bot.answer_callback_query(query.id, text="x" * 200)
    with pytest.raises(BadRequest, match=TOO_OLD):  # answered already
        await bot.answer_callback_query(query.id)
    with pytest.raises(BadRequest, match=TOO_OLD):  # never asked
        await bot.answer_callback_query("123456")


async def test_a_callback_query_answered_too_late_is_refused(bot: Bot, server: FakeTelegramServer) -> None:
    user = server.user()
    sent = await bot.send_message(user.id, "q", reply_markup=KEYBOARD)
    server.api.callback_query_timeout = 0.0  # every answer comes too late
    query = await user.press(sent, "Yes")
    assert isinstance(query, CallbackQuery)
    with pytest.raises(BadRequest, match=TOO_OLD):
        await bot.answer_callback_query(query.id)
    assert server.api.callback_answer(query.id) is None
