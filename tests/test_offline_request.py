"""In-process Bot API (``RecordingRequest``): same validation as the HTTP fake, no sockets."""

from __future__ import annotations

import datetime as dtm
from collections.abc import AsyncIterator

import pytest
from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.localapi.offline import RecordingRequest, make_callback_update, make_message_update

KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("<b>Welcome</b>", parse_mode="HTML", reply_markup=KEYBOARD)


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_message.text is not None
    await update.effective_message.reply_text(update.effective_message.text, parse_mode="HTML")


async def _pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Noted")
    await query.edit_message_text(f"You chose {query.data}")


@pytest.fixture
def request_() -> RecordingRequest:
    return RecordingRequest()


@pytest.fixture
async def app(request_: RecordingRequest) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    application = (
        ApplicationBuilder().token(request_.token).request(request_).get_updates_request(request_).build()
    )
    application.add_handler(CommandHandler("start", _start))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    application.add_handler(CallbackQueryHandler(_pressed))
    errors: list[object] = []

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append(context.error)

    application.add_error_handler(on_error)
    application.bot_data["errors"] = errors
    async with application:
        yield application


async def test_process_update_reply_is_recorded(app: Application, request_: RecordingRequest) -> None:  # type: ignore[type-arg]
    await app.process_update(request_.message_update(user_id=42, text="/start", bot=app.bot))

    (call,) = request_.calls("sendMessage")
    assert call.params["chat_id"] == 42
    assert call.params["text"] == "<b>Welcome</b>"
    assert call.params["reply_markup"] == KEYBOARD.to_dict()
    (sent,) = request_.sent_messages(42)
    assert sent.text == "Welcome"
    assert sent.buttons == [["Yes"]]
    assert [r.method for r in request_.requests] == ["getMe", "sendMessage"]


async def test_bad_html_rejected_in_process(app: Application, request_: RecordingRequest) -> None:  # type: ignore[type-arg]
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await app.bot.send_message(42, "a < b", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await app.bot.send_message(42, "x" * 4097)
    # Through a handler: the echo handler sends user text as HTML, unescaped.
    await app.process_update(make_message_update(42, "Tom & Jerry", bot=app.bot, api=request_.api))
    (error,) = app.bot_data["errors"]
    assert isinstance(error, BadRequest)
    assert request_.sent_messages() == []


async def test_callback_update_in_process(app: Application, request_: RecordingRequest) -> None:  # type: ignore[type-arg]
    await app.process_update(request_.message_update(user_id=7, text="/start", bot=app.bot))
    await app.process_update(request_.callback_update(7, "yes", bot=app.bot))

    (answer,) = request_.calls("answerCallbackQuery")
    assert answer.params["text"] == "Noted"
    edited = request_.sent_messages(7)[-1]
    assert (edited.edited, edited.text, edited.buttons) == (True, "You chose yes", [])
    assert app.bot_data["errors"] == []


async def test_unregistered_callback_cannot_be_answered(app: Application) -> None:  # type: ignore[type-arg]
    await app.process_update(make_callback_update(7, "yes", bot=app.bot))
    (error,) = app.bot_data["errors"]
    assert isinstance(error, BadRequest)
    assert "query is too old" in str(error).lower()


async def test_faults_in_process(app: Application, request_: RecordingRequest) -> None:  # type: ignore[type-arg]
    request_.api.inject_fault("sendMessage", status=429, retry_after=3)
    with pytest.raises(RetryAfter) as info:
        await app.bot.send_message(42, "hi")
    assert info.value.retry_after == dtm.timedelta(seconds=3)
    request_.api.inject_fault("sendMessage", drop_connection=True)
    with pytest.raises(NetworkError):
        await app.bot.send_message(42, "hi")
    request_.api.inject_fault("sendMessage", delay=0.5)
    with pytest.raises(TimedOut):
        await app.bot.send_message(42, "slow", read_timeout=0.05)
    assert [m.text for m in request_.sent_messages(42)] == ["slow"]  # it still arrived


async def test_document_round_trip_in_process(app: Application) -> None:  # type: ignore[type-arg]
    sent = await app.bot.send_document(42, b"\x00data\r\n", filename="d.bin")
    file = await app.bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"\x00data\r\n"


async def test_polling_in_process_with_fake_user(app: Application, request_: RecordingRequest) -> None:  # type: ignore[type-arg]
    user = request_.user(first_name="Alice")
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    await app.start()
    try:
        await user.send("ping")
        assert (await user.next_message(timeout=5)).text == "ping"
        await user.send("/start")
        query = await user.press(await user.next_message(timeout=5), "Yes")
        assert isinstance(query, CallbackQuery)
        assert (await user.callback_answer(query, timeout=5))["text"] == "Noted"
        assert (await user.next_message(timeout=5)).text == "You chose yes"
    finally:
        await app.updater.stop()
        await app.stop()
