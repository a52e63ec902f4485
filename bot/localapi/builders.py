"""JSON builders for users, chats, messages, callback queries and updates, made with PTB's own
classes (``to_dict()``) so a wrong shape fails here rather than in the bot."""

from __future__ import annotations

import datetime as dtm
import time
from collections.abc import Iterable, Mapping
from typing import Any

from telegram import CallbackQuery, Chat, InlineKeyboardMarkup, Message, MessageEntity, Update, User

from bot.localapi.constants import JSON

#: A valid 1x1 PNG, used as default photo content.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4f10000000049454e44ae426082"
)
#: Stand-in OGG/Opus bytes for voice messages.
FAKE_OGG = b"OggS" + bytes(60)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def now_ts() -> int:
    """Current Unix time (respects time-machine in tests)."""
    return int(time.time())


def utc_datetime(ts: int) -> dtm.datetime:
    """A Unix timestamp as an aware UTC datetime (what PTB's classes take)."""
    return dtm.datetime.fromtimestamp(ts, tz=dtm.UTC)


def user_dict(
    user_id: int,
    first_name: str = "Test",
    *,
    last_name: str | None = None,
    username: str | None = None,
    language_code: str | None = None,
    is_bot: bool = False,
) -> JSON:
    """A ``telegram.User`` as JSON."""
    return User(
        id=user_id,
        first_name=first_name,
        is_bot=is_bot,
        last_name=last_name,
        username=username,
        language_code=language_code,
    ).to_dict()


def private_chat(user: Mapping[str, Any]) -> JSON:
    """The private chat with ``user``."""
    return Chat(
        id=user["id"],
        type=Chat.PRIVATE,
        first_name=user.get("first_name"),
        last_name=user.get("last_name"),
        username=user.get("username"),
    ).to_dict()


def group_chat(chat_id: int, title: str = "Test Group", *, supergroup: bool = True) -> JSON:
    """A (super)group chat."""
    return Chat(id=chat_id, type=Chat.SUPERGROUP if supergroup else Chat.GROUP, title=title).to_dict()


def channel_chat(chat_id: int, title: str = "Test Channel", username: str | None = None) -> JSON:
    """A channel chat."""
    return Chat(id=chat_id, type=Chat.CHANNEL, title=title, username=username).to_dict()


def command_entities(text: str | None) -> list[JSON]:
    """A ``bot_command`` entity for text starting with ``/command``, like Telegram clients add."""
    if not text or not text.startswith("/"):
        return []
    command = text.split(maxsplit=1)[0]
    return [MessageEntity(type=MessageEntity.BOT_COMMAND, offset=0, length=utf16_len(command)).to_dict()]


def build_message(
    *,
    message_id: int,
    chat: Mapping[str, Any],
    from_user: Mapping[str, Any] | None = None,
    date: int | None = None,
    text: str | None = None,
    entities: Iterable[Mapping[str, Any]] | None = None,
    reply_markup: Mapping[str, Any] | None = None,
    **extra: Any,
) -> JSON:
    """A ``telegram.Message`` as JSON; ``extra`` holds further fields already in JSON form."""
    message = Message(
        message_id=message_id,
        date=utc_datetime(date if date is not None else now_ts()),
        chat=Chat.de_json(dict(chat), None),
        from_user=User.de_json(dict(from_user), None) if from_user else None,
        text=text,
        entities=[MessageEntity.de_json(dict(e), None) for e in entities or ()] or None,
        reply_markup=(
            InlineKeyboardMarkup.de_json(dict(reply_markup), None)
            if reply_markup and "inline_keyboard" in reply_markup
            else None
        ),
    ).to_dict()
    message.update({k: v for k, v in extra.items() if v is not None})
    return message_json(message)


_FALSE_DEFAULT_FLAGS = (
    "delete_chat_photo",
    "group_chat_created",
    "supergroup_chat_created",
    "channel_chat_created",
)


def message_json(message: Mapping[str, Any]) -> JSON:
    """Canonical Message JSON: round-tripped through ``telegram.Message`` (a wrong shape fails
    loudly here rather than in the bot), minus the ``false`` service flags Telegram never sends."""
    data = Message.de_json(dict(message), None).to_dict()
    for flag in _FALSE_DEFAULT_FLAGS:
        if data.get(flag) is False:
            del data[flag]
    return data


def build_callback_query(
    *, query_id: str, from_user: Mapping[str, Any], message: Mapping[str, Any], data: str
) -> JSON:
    """A ``telegram.CallbackQuery`` as JSON for a button on ``message``."""
    return CallbackQuery(
        id=query_id,
        from_user=User.de_json(dict(from_user), None),
        chat_instance=str(message["chat"]["id"]),
        message=Message.de_json(dict(message), None),
        data=data,
    ).to_dict()


def build_update(update_id: int, kind: str, payload: Mapping[str, Any]) -> JSON:
    """A ``telegram.Update`` as JSON with a single payload field ``kind``."""
    return Update.de_json({"update_id": update_id, kind: dict(payload)}, None).to_dict()


def update_kind(update: Mapping[str, Any]) -> str:
    """The update type (``message``, ``callback_query`` ...) of an update dict."""
    return next((key for key in update if key != "update_id"), "")
