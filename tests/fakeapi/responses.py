"""The single source of truth for the fake Telegram Bot API.

:class:`FakeBotAPI` turns a Bot API call (method name + decoded parameters, as PTB sends them)
into the ``result`` JSON, validating like Telegram and keeping the state a fake Telegram needs
(chats, message ids, sent messages, files, commands, pending updates, faults).  Every shape is
built from PTB's own classes (``telegram.User``, ``Message``, ``File`` ...) via ``to_dict()``.

Both transports use it: ``tests.fakeapi.server.FakeTelegramServer`` (real HTTP on 127.0.0.1)
and ``tests.auxil.offline.RecordingRequest`` (in-process, no sockets).
"""

from __future__ import annotations

import datetime as dtm
import itertools
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from telegram import (
    BotCommand,
    CallbackQuery,
    Chat,
    ChatMemberBanned,
    ChatMemberMember,
    ChatMemberUpdated,
    Contact,
    Document,
    File,
    InlineKeyboardMarkup,
    Location,
    Message,
    MessageEntity,
    PhotoSize,
    Sticker,
    Update,
    User,
    Voice,
)

JSON = dict[str, Any]

DEFAULT_TOKEN = "123456789:TEST-fake-token-for-the-harness"
"""A well-formed token; the number before the colon becomes the bot's user id."""

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
DEFAULT_READ_TIMEOUT = 5.0

#: Update types Telegram delivers when ``allowed_updates`` is unset or empty.
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

#: Parameters that are plain strings on the wire (never JSON-decoded, so "123" stays "123").
STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "file_id",
        "action",
        "url",
        "inline_message_id",
        "language_code",
        "emoji",
        "document",
        "photo",
        "voice",
        "audio",
        "video",
        "animation",
        "sticker",
        "thumbnail",
        "title",
        "description",
        "short_description",
        "name",
        "business_connection_id",
        "message_effect_id",
        "secret_token",
        "filename",
    }
)

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

#: Methods counted by :meth:`FakeBotAPI.enforce_rate` (things that post or change messages).
RATE_LIMITED_PREFIXES = ("send", "edit", "copy", "forward")

_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_HTML_ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "tg-spoiler",
        "span",
        "blockquote",
        "tg-emoji",
    }
)
_HTML_ENTITY_TYPES = {
    "b": MessageEntity.BOLD,
    "strong": MessageEntity.BOLD,
    "i": MessageEntity.ITALIC,
    "em": MessageEntity.ITALIC,
    "u": MessageEntity.UNDERLINE,
    "ins": MessageEntity.UNDERLINE,
    "s": MessageEntity.STRIKETHROUGH,
    "strike": MessageEntity.STRIKETHROUGH,
    "del": MessageEntity.STRIKETHROUGH,
    "tg-spoiler": MessageEntity.SPOILER,
    "span": MessageEntity.SPOILER,
    "a": MessageEntity.TEXT_LINK,
    "code": MessageEntity.CODE,
    "pre": MessageEntity.PRE,
    "blockquote": MessageEntity.BLOCKQUOTE,
    "tg-emoji": MessageEntity.CUSTOM_EMOJI,
}
_NAMED_HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

#: A valid 1x1 PNG, used as default photo content.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4f10000000049454e44ae426082"
)
#: Stand-in OGG/Opus bytes for voice messages.
FAKE_OGG = b"OggS" + bytes(60)


# --------------------------------------------------------------------------------------------
# Errors and small records
# --------------------------------------------------------------------------------------------


class TelegramAPIError(Exception):
    """A Bot API error; transports render it as Telegram's error JSON."""

    def __init__(
        self,
        status: int,
        description: str,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(f"{status} {description}")
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def to_json(self) -> JSON:
        """Telegram's error body: ``{"ok": false, "error_code": N, "description": ...}``."""
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        parameters: JSON = {}
        if self.retry_after is not None:
            parameters["retry_after"] = self.retry_after
        if self.migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = self.migrate_to_chat_id
        if parameters:
            body["parameters"] = parameters
        return body

    def to_bytes(self) -> bytes:
        """The error body, UTF-8 encoded."""
        return json.dumps(self.to_json()).encode()


def bad_request(description: str) -> TelegramAPIError:
    """A 400 error with Telegram's ``Bad Request:`` prefix."""
    return TelegramAPIError(400, f"Bad Request: {description}")


def too_many_requests(retry_after: int) -> TelegramAPIError:
    """A 429 error with ``parameters.retry_after``."""
    return TelegramAPIError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected fault",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass(frozen=True)
class UploadedFile:
    """One multipart file part as received from the bot."""

    filename: str
    content: bytes
    mime_type: str | None = None


@dataclass
class RecordedRequest:
    """One Bot API call as seen by the fake (``status`` is filled in when it completes)."""

    method: str
    params: JSON
    files: dict[str, UploadedFile]
    time: float
    monotonic: float
    status: int | None = None
    description: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return self.status == 200


@dataclass
class Fault:
    """An injected failure; see :meth:`FakeBotAPI.inject_fault`."""

    method: str | None
    status: int | None
    description: str | None
    retry_after: int | None
    remaining: int | None
    chat_id: int | str | None
    delay: float | None
    drop_connection: bool
    until: float | None
    body: bytes | None
    hits: int = 0

    def matches(self, method: str, params: Mapping[str, Any], now: float) -> bool:
        """Whether this fault applies to a call right now."""
        if self.until is not None and now >= self.until:
            return False
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or str(params.get("chat_id")) == str(self.chat_id)

    def error(self) -> TelegramAPIError | None:
        """The error to answer with, or ``None`` for pure delay / drop faults."""
        if self.status is None:
            return None
        if self.status == 429:
            retry_after = self.retry_after if self.retry_after is not None else 1
            return TelegramAPIError(
                429, self.description or f"Too Many Requests: retry after {retry_after}", retry_after
            )
        description = self.description or _DEFAULT_DESCRIPTIONS.get(self.status, f"Error {self.status}")
        return TelegramAPIError(self.status, description, self.retry_after)

    def response(self) -> tuple[int, bytes] | None:
        """``(status, body)`` for this fault, or ``None`` if it carries no error."""
        error = self.error()
        if error is None:
            return None
        return error.status, self.body if self.body is not None else error.to_bytes()


@dataclass
class StoredFile:
    """A file known to the fake (uploaded by the bot or sent by a user)."""

    file_id: str
    file_unique_id: str
    content: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class StoredMessage:
    """Current state of a message in a chat."""

    message: JSON
    markup: JSON | None
    from_bot: bool
    deleted: bool = False


@dataclass(frozen=True)
class BotMessage:
    """A snapshot of a message as the bot sent it (``edited=False``) or edited it (``edited=True``).

    ``markup`` is the reply markup the bot attached, including reply keyboards (which Telegram
    does not echo back in ``message``); ``params`` are the decoded request parameters.
    """

    seq: int
    chat_id: int
    message_id: int
    method: str
    message: JSON
    markup: JSON | None
    params: JSON
    edited: bool
    time: float

    @property
    def text(self) -> str | None:
        """Text as the user sees it (HTML already parsed away)."""
        return self.message.get("text")

    @property
    def caption(self) -> str | None:
        """Caption of a media message."""
        return self.message.get("caption")

    @property
    def content(self) -> str:
        """Text or caption, ``""`` if neither."""
        return self.text or self.caption or ""

    @property
    def entities(self) -> list[JSON]:
        """Entities of the text (or caption)."""
        return list(self.message.get("entities") or self.message.get("caption_entities") or [])

    @property
    def buttons(self) -> list[list[str]]:
        """Button texts, row by row (inline or reply keyboard)."""
        return [[_button_text(b) for b in row] for row in _keyboard_rows(self.markup)]

    @property
    def button_texts(self) -> list[str]:
        """All button texts, flattened."""
        return [text for row in self.buttons for text in row]

    @property
    def inline_keyboard(self) -> bool:
        """Whether an inline keyboard is attached."""
        return bool(self.markup and "inline_keyboard" in self.markup)

    def button(self, text: str) -> JSON:
        """The button with this text (as a dict); ``AssertionError`` if missing."""
        found = find_button(self.markup, text)
        if found is None:
            raise AssertionError(f"No button {text!r} in message {self.message_id}; buttons: {self.buttons}")
        return found

    def to_telegram(self, bot: Any = None) -> Message:
        """The snapshot as a ``telegram.Message``."""
        return Message.de_json(dict(self.message), bot)

    def describe(self) -> str:
        """One readable line for assertion dumps."""
        flag = " (edited)" if self.edited else ""
        body = self.content
        if len(body) > 200:
            body = body[:200] + "…"
        kind = "" if self.method == "sendMessage" else f" [{self.method}]"
        buttons = f" buttons={self.buttons}" if self.markup and self.buttons else ""
        return f"#{self.message_id}{flag}{kind}: {body!r}{buttons}"


@dataclass
class _RateLimit:
    per_second: float | None
    per_chat_per_second: float | None
    window: deque[float] = field(default_factory=deque)
    per_chat: dict[str, deque[float]] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Pure helpers: parameter decoding, builders, validation
# --------------------------------------------------------------------------------------------


def decode_form_params(raw: Mapping[str, str]) -> JSON:
    """Decode PTB's wire format: strings are sent raw, everything else JSON-encoded."""
    out: JSON = {}
    for key, value in raw.items():
        if key in STRING_PARAMS:
            out[key] = value
            continue
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def now_ts() -> int:
    """Current Unix time (respects time-machine in tests)."""
    return int(time.time())


def _dt(ts: int) -> dtm.datetime:
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
        date=_dt(date if date is not None else now_ts()),
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


# ---- HTML --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedText:
    """Text after entity parsing: plain text plus entities (offsets in UTF-16 units)."""

    text: str
    entities: list[JSON]


def _html_error(message: str) -> TelegramAPIError:
    return bad_request(f"can't parse entities: {message}")


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode())


def _decode_html_entity(source: str, i: int, *, strict: bool) -> tuple[str | None, int]:
    """Decode ``&...;`` at ``source[i]``; return (character or None, next index)."""
    n = len(source)
    j = i + 1
    char: str | None = None
    if j < n and source[j] == "#":
        j += 1
        base = 10
        if j < n and source[j] in "xX":
            base, j = 16, j + 1
        start = j
        digits = "0123456789abcdefABCDEF" if base == 16 else "0123456789"
        while j < n and source[j] in digits:
            j += 1
        if j > start:
            code = int(source[start:j], base)
            if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                char = chr(code)
    else:
        start = j
        while j < n and source[j].isascii() and source[j].isalpha():
            j += 1
        char = _NAMED_HTML_ENTITIES.get(source[start:j])
    if char is None:
        if strict:
            raise _html_error(
                f"character '&' at byte offset {_byte_offset(source, i)} does not start a supported "
                "HTML entity (use &amp;)"
            )
        return None, i + 1
    if j < n and source[j] == ";":
        j += 1
    return char, j


_ATTR_RE = re.compile(r"""\s*([A-Za-z_][\w-]*)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")


def _parse_tag_attributes(source: str, i: int, tag_start: int) -> tuple[dict[str, str], int]:
    """Parse attributes from ``source[i]`` up to the closing ``>``; return (attrs, index after >)."""
    attrs: dict[str, str] = {}
    n = len(source)
    while True:
        while i < n and source[i].isspace():
            i += 1
        if i >= n:
            raise _html_error(f"unclosed start tag at byte offset {_byte_offset(source, tag_start)}")
        if source[i] == ">":
            return attrs, i + 1
        if source[i] == "/" and i + 1 < n and source[i + 1] == ">":
            raise _html_error(
                f"unsupported self-closing tag at byte offset {_byte_offset(source, tag_start)}"
            )
        match = _ATTR_RE.match(source, i)
        if not match or match.end() == i:
            raise _html_error(
                f"empty attribute name in the tag at byte offset {_byte_offset(source, tag_start)}"
            )
        name, dq, sq, bare = match.groups()
        value = next((v for v in (dq, sq, bare) if v is not None), "")
        attrs[name.lower()] = _unescape(value)
        i = match.end()


def _unescape(value: str) -> str:
    """Decode HTML entities in an attribute value (bare ``&`` kept)."""
    out, i = [], 0
    while i < len(value):
        if value[i] == "&":
            decoded, i = _decode_html_entity(value, i, strict=False)
            out.append(decoded if decoded is not None else "&")
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse_html(source: str, *, strict_ampersand: bool = True, strip: bool = True) -> ParsedText:
    """Parse Telegram-flavoured HTML into plain text + entities, raising 400 like Telegram.

    ``strict_ampersand``: reject a bare ``&`` (real Telegram passes it through literally); strict
    is the default because it catches unescaped user content.
    """
    out: list[str] = []
    out_len = 0  # UTF-16 length of ``out``
    entities: list[JSON] = []
    stack: list[tuple[str, int, dict[str, str], int]] = []  # (tag, offset, attrs, source index)
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "&":
            decoded, i = _decode_html_entity(source, i, strict=strict_ampersand)
            text = decoded if decoded is not None else "&"
            out.append(text)
            out_len += utf16_len(text)
            continue
        if ch != "<":
            out.append(ch)
            out_len += 2 if ord(ch) > 0xFFFF else 1
            i += 1
            continue
        tag_start = i
        if i + 1 < n and source[i + 1] == "/":
            end = source.find(">", i)
            if end == -1:
                raise _html_error(f"unclosed end tag at byte offset {_byte_offset(source, tag_start)}")
            name = source[i + 2 : end].strip().lower()
            if not stack:
                raise _html_error(
                    f'unexpected end tag "{name}" at byte offset {_byte_offset(source, tag_start)}'
                )
            open_tag, offset, attrs, _ = stack.pop()
            if name != open_tag:
                raise _html_error(
                    f"unmatched end tag at byte offset {_byte_offset(source, tag_start)}, "
                    f'expected "</{open_tag}>", found "</{name}>"'
                )
            length = out_len - offset
            if length > 0:
                entities.append(_html_entity(open_tag, offset, length, attrs, stack))
            i = end + 1
            continue
        j = i + 1
        while j < n and not source[j].isspace() and source[j] not in "/>":
            j += 1
        name = source[i + 1 : j].lower()
        if name not in _HTML_ALLOWED_TAGS:
            raise _html_error(
                f'unsupported start tag "{name}" at byte offset {_byte_offset(source, tag_start)}'
            )
        attrs, i = _parse_tag_attributes(source, j, tag_start)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise _html_error(
                f'tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(source, tag_start)}'
            )
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise _html_error(
                f'tag "tg-emoji" must have a numeric "emoji-id" '
                f"at byte offset {_byte_offset(source, tag_start)}"
            )
        stack.append((name, out_len, attrs, tag_start))
    if stack:
        raise _html_error(f'can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    text = "".join(out)
    if strip:
        text, entities = _strip_with_entities(text, entities)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText(text, entities)


def _html_entity(
    tag: str,
    offset: int,
    length: int,
    attrs: Mapping[str, str],
    stack: list[tuple[str, int, dict[str, str], int]],
) -> JSON:
    kind = _HTML_ENTITY_TYPES[tag]
    kwargs: JSON = {}
    if tag == "a":
        kwargs["url"] = attrs.get("href", "")
    elif tag == "code" and stack and stack[-1][0] == "pre" and attrs.get("class", "").startswith("language-"):
        kind = MessageEntity.PRE
        kwargs["language"] = attrs["class"].removeprefix("language-")
    elif tag == "blockquote" and "expandable" in attrs:
        kind = MessageEntity.EXPANDABLE_BLOCKQUOTE
    elif tag == "tg-emoji":
        kwargs["custom_emoji_id"] = attrs["emoji-id"]
    return MessageEntity(type=kind, offset=offset, length=length, **kwargs).to_dict()


def _strip_with_entities(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Strip surrounding whitespace like Telegram and shift/clip the entities accordingly."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    head = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    result = []
    for entity in entities:
        start = max(entity["offset"] - head, 0)
        end = min(entity["offset"] + entity["length"] - head, total)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


# ---- keyboards ---------------------------------------------------------------------------


def _keyboard_rows(markup: Mapping[str, Any] | None) -> list[list[Any]]:
    if not markup:
        return []
    return list(markup.get("inline_keyboard") or markup.get("keyboard") or [])


def _button_text(button: Any) -> str:
    return button if isinstance(button, str) else str(button.get("text", ""))


def find_button(markup: Mapping[str, Any] | None, text: str) -> JSON | None:
    """The button with exactly this text as a dict (reply-keyboard strings become ``{"text": ...}``)."""
    for row in _keyboard_rows(markup):
        for button in row:
            if _button_text(button) == text:
                return {"text": button} if isinstance(button, str) else dict(button)
    return None


def validate_reply_markup(markup: Any) -> JSON | None:
    """Validate ``reply_markup`` like Telegram; return it as a dict."""
    if markup is None:
        return None
    if isinstance(markup, str):
        try:
            markup = json.loads(markup)
        except ValueError:
            raise bad_request("can't parse reply keyboard markup JSON object") from None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _validate_inline_keyboard(markup["inline_keyboard"])
    elif "keyboard" in markup:
        _validate_reply_keyboard(markup["keyboard"])
    elif not (markup.get("remove_keyboard") or markup.get("force_reply")):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def _validate_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays')
    if sum(len(row) for row in rows) > 100:
        raise bad_request("reply markup is too long")
    for row in rows:
        for button in row:
            if not isinstance(button, dict):
                raise bad_request(
                    "can't parse inline keyboard button: InlineKeyboardButton should be an Object"
                )
            text = button.get("text")
            if not isinstance(text, str) or not text.strip():
                raise bad_request("BUTTON_TEXT_EMPTY")
            actions = [key for key in _INLINE_BUTTON_ACTIONS if key in button]
            if not actions:
                raise bad_request("text buttons are unallowed in the inline keyboard")
            if len(actions) > 1:
                raise bad_request(f"can't parse inline keyboard button: more than one action in {actions}")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button:
                url = button["url"]
                if not isinstance(url, str) or not re.match(r"^(https?|tg)://\S+$", url):
                    raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def _validate_reply_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays')
    for row in rows:
        for button in row:
            text = (
                button
                if isinstance(button, str)
                else button.get("text")
                if isinstance(button, dict)
                else None
            )
            if not isinstance(text, str) or not text.strip():
                raise bad_request("BUTTON_TEXT_EMPTY")


# --------------------------------------------------------------------------------------------
# The fake Bot API
# --------------------------------------------------------------------------------------------

Handler = Callable[["FakeBotAPI", JSON, dict[str, UploadedFile]], Any]


class FakeBotAPI:
    """State and behaviour of a fake Telegram Bot API for one bot; thread-safe.

    Transports call :meth:`begin` (record), :meth:`take_fault`, then :meth:`execute`.
    Tests use the state accessors (:meth:`outbox`, :meth:`message`, :meth:`commands` ...),
    :meth:`add_update` / :meth:`incoming_message` to play the user, and the fault controls.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "fake_test_bot",
        bot_first_name: str = "Fake Test Bot",
        strict_ampersand: bool = True,
        strict_chats: bool = False,
    ) -> None:
        self.token = token
        self.strict_chats = strict_chats
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 1
        self.strict_ampersand = strict_ampersand
        self.bot_user: JSON = User(
            id=self.bot_id,
            first_name=bot_first_name,
            is_bot=True,
            username=bot_username,
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
        ).to_dict()
        self._cond = threading.Condition(threading.RLock())
        self._closed = False
        self._updates: list[JSON] = []
        self._update_ids = itertools.count(1)
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._chats: dict[int, JSON] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._messages: dict[tuple[int, int], StoredMessage] = {}
        self._outbox: list[BotMessage] = []
        self._files: dict[str, StoredFile] = {}
        self._paths: dict[str, str] = {}
        self._file_ids = itertools.count(1)
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._menu_buttons: dict[int | None, JSON] = {}
        self._callback_queries: dict[str, JSON | None] = {}
        self._query_ids = itertools.count(1)
        self._user_ids = itertools.count(10_001)
        self._group_ids = itertools.count(1)
        self._chat_actions: list[tuple[int, str, float]] = []
        self._blocked: set[str] = set()
        self._faults: list[Fault] = []
        self._rate: _RateLimit | None = None
        self._reactions: list[tuple[int, int, list[JSON]]] = []
        #: Every text or caption users sent, so tests can check none of it reached a log.
        self.user_texts: list[str] = []
        self._requests: list[RecordedRequest] = []
        self._webhook_url = ""

    # ---- lifecycle / recording -----------------------------------------------------------

    def close(self) -> None:
        """Wake up and end all pending long polls (they answer with an empty list)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def check_token(self, token: str) -> None:
        """Raise 401 Unauthorized for any token but ours (404 for malformed ones, like Telegram)."""
        if token == self.token:
            return
        if not re.fullmatch(r"\d+:[\w-]+", token):
            raise TelegramAPIError(404, "Not Found")
        raise TelegramAPIError(401, "Unauthorized")

    def begin(
        self, method: str, params: Mapping[str, Any], files: Mapping[str, UploadedFile] | None = None
    ) -> RecordedRequest:
        """Record an incoming call; the transport sets ``status`` via :meth:`finish`."""
        record = RecordedRequest(method, dict(params), dict(files or {}), time.time(), time.monotonic())
        with self._cond:
            self._requests.append(record)
        return record

    def finish(self, record: RecordedRequest, status: int, body: bytes) -> None:
        """Complete a record with the HTTP status (and error description)."""
        with self._cond:
            record.status = status
            if status != 200:
                try:
                    record.description = json.loads(body).get("description")
                except ValueError:
                    record.description = body[:200].decode(errors="replace")

    @property
    def requests(self) -> list[RecordedRequest]:
        """Snapshot of all recorded calls, in arrival order."""
        with self._cond:
            return list(self._requests)

    def calls(self, method: str | None = None) -> list[RecordedRequest]:
        """Recorded calls of one method (case-insensitive), or all."""
        with self._cond:
            return [r for r in self._requests if method is None or r.method.lower() == method.lower()]

    def clear_requests(self) -> None:
        """Forget recorded calls."""
        with self._cond:
            self._requests.clear()

    # ---- faults --------------------------------------------------------------------------

    def inject_fault(
        self,
        method: str | None = None,
        *,
        status: int | None = None,
        description: str | None = None,
        retry_after: int | None = None,
        times: int | None = 1,
        chat_id: int | str | None = None,
        delay: float | None = None,
        drop_connection: bool = False,
        duration: float | None = None,
        body: bytes | None = None,
    ) -> Fault:
        """Make the next ``times`` matching calls fail (``times=None``: until cleared / ``duration``).

        ``status``: answer with this HTTP error (429 gets ``retry_after``, default 1);
        ``delay``: answer only after ``delay`` seconds (use for client timeouts);
        ``drop_connection``: close the connection without answering (transport error);
        ``body``: raw response body instead of Telegram's error JSON (e.g. nginx HTML for 502).
        """
        if status is None and delay is None and not drop_connection:
            raise ValueError("a fault needs status, delay or drop_connection")
        fault = Fault(
            method=method,
            status=status,
            description=description,
            retry_after=retry_after,
            remaining=times,
            chat_id=chat_id,
            delay=delay,
            drop_connection=drop_connection,
            until=time.monotonic() + duration if duration is not None else None,
            body=body,
        )
        with self._cond:
            self._faults.append(fault)
        return fault

    def fail_connections(
        self, method: str | None = "getUpdates", *, times: int | None = None, duration: float | None = 1.0
    ) -> Fault:
        """Drop connections for ``method`` (default getUpdates) ``times`` times or for ``duration`` s."""
        return self.inject_fault(method, drop_connection=True, times=times, duration=duration)

    def clear_faults(self) -> None:
        """Remove all injected faults (blocked chats and rate limits stay)."""
        with self._cond:
            self._faults.clear()

    def take_fault(self, method: str, params: Mapping[str, Any]) -> Fault | None:
        """Consume and return the first fault matching this call, if any."""
        now = time.monotonic()
        with self._cond:
            self._faults = [
                f
                for f in self._faults
                if not (
                    (f.remaining is not None and f.remaining <= 0) or (f.until is not None and now >= f.until)
                )
            ]
            for fault in self._faults:
                if fault.matches(method, params, now):
                    fault.hits += 1
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    return fault
        return None

    def block(self, chat_id: int | str) -> None:
        """Answer 403 for every call addressed to ``chat_id`` until :meth:`unblock`."""
        with self._cond:
            self._blocked.add(str(chat_id))

    def unblock(self, chat_id: int | str) -> None:
        """Undo :meth:`block`."""
        with self._cond:
            self._blocked.discard(str(chat_id))

    def enforce_rate(
        self, per_second: float | None = 30, *, per_chat_per_second: float | None = None
    ) -> None:
        """Answer 429 (with retry_after) when sends/edits exceed the limits; ``None`` disables."""
        with self._cond:
            if per_second is None and per_chat_per_second is None:
                self._rate = None
            else:
                self._rate = _RateLimit(per_second, per_chat_per_second)

    # ---- dispatch ------------------------------------------------------------------------

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
        handler = _HANDLERS.get(method.lower())
        if handler is None:
            raise bad_request(f"method {method!r} not found (not implemented by the fake Bot API)")
        params = dict(params)
        files = dict(files or {})
        if handler is _get_updates:
            return self._get_updates(params, wait=wait)
        with self._cond:
            chat_id = params.get("chat_id")
            if chat_id is not None and str(chat_id) in self._blocked:
                raise TelegramAPIError(403, self._blocked_description(chat_id))
            if method.lower().startswith(RATE_LIMITED_PREFIXES):
                self._check_rate(chat_id)
            return handler(self, params, files)

    def _blocked_description(self, chat_id: Any) -> str:
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat and chat["type"] in (Chat.GROUP, Chat.SUPERGROUP):
            return "Forbidden: bot was kicked from the group chat"
        if chat and chat["type"] == Chat.CHANNEL:
            return "Forbidden: bot is not a member of the channel chat"
        return "Forbidden: bot was blocked by the user"

    def _check_rate(self, chat_id: Any) -> None:
        rate = self._rate
        if rate is None:
            return
        now = time.monotonic()
        windows: list[tuple[deque[float], float]] = []
        if rate.per_second is not None:
            windows.append((rate.window, rate.per_second))
        if rate.per_chat_per_second is not None and chat_id is not None:
            windows.append((rate.per_chat.setdefault(str(chat_id), deque()), rate.per_chat_per_second))
        for window, limit in windows:
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= limit:
                raise too_many_requests(max(1, math.ceil(window[0] + 1.0 - now)))
        for window, _ in windows:
            window.append(now)

    # ---- updates -------------------------------------------------------------------------

    def add_update(self, kind: str, payload: Mapping[str, Any]) -> JSON:
        """Queue an update of type ``kind`` (``message``, ``callback_query`` ...) for getUpdates."""
        with self._cond:
            update = build_update(next(self._update_ids), kind, payload)
            self._updates.append(update)
            for key in ("text", "caption"):
                if isinstance(payload.get(key), str):
                    self.user_texts.append(payload[key])
            self._cond.notify_all()
            return update

    def new_update_id(self) -> int:
        """Allocate an update id without queueing anything (for updates fed in-process)."""
        with self._cond:
            return next(self._update_ids)

    def reopen(self) -> None:
        """Undo :meth:`close` (the server was restarted)."""
        with self._cond:
            self._closed = False

    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by an ``offset``."""
        with self._cond:
            return list(self._updates)

    def has_updates(self, offset: int | None = None) -> bool:
        """Whether getUpdates with this offset would return something now."""
        with self._cond:
            return any(
                (offset is None or u["update_id"] >= offset) and self._allowed(u) for u in self._updates
            )

    def _allowed(self, update: Mapping[str, Any]) -> bool:
        kind = update_kind(update)
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in DEFAULT_EXCLUDED_UPDATES

    def _get_updates(self, params: JSON, *, wait: bool) -> list[JSON]:
        offset = params.get("offset")
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        allowed = params.get("allowed_updates")
        with self._cond:
            if self._webhook_url:
                raise TelegramAPIError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            self._poll_generation += 1
            generation = self._poll_generation
            self._cond.notify_all()  # an older long poll answers 409, like Telegram
            if isinstance(allowed, list):
                self._allowed_updates = [str(a) for a in allowed]
            if isinstance(offset, int):
                if offset < 0:
                    self._updates = self._updates[offset:]
                else:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._updates = [u for u in self._updates if self._allowed(u)]
            deadline = time.monotonic() + (timeout if wait else 0.0)
            while True:
                if self._updates:
                    return self._updates[:limit]
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    return []
                if generation != self._poll_generation:
                    raise TelegramAPIError(409, _DEFAULT_DESCRIPTIONS[409])
                self._cond.wait(remaining)
                self._updates = [u for u in self._updates if self._allowed(u)]

    # ---- chats, users, incoming messages -----------------------------------------------

    def new_user_id(self) -> int:
        """A fresh user id."""
        return next(self._user_ids)

    def new_group_id(self) -> int:
        """A fresh supergroup/channel id (``-100...``)."""
        return -1_000_000_000_000 - next(self._group_ids)

    def register_chat(self, chat: Mapping[str, Any]) -> None:
        """Make a chat known (users, groups and channels register themselves)."""
        with self._cond:
            self._chats[int(chat["id"])] = dict(chat)

    def chat(self, chat_id: int | str) -> JSON:
        """The chat for ``chat_id`` (int or ``@username``).

        Unknown positive ids become private chats unless ``strict_chats`` (then, like Telegram
        for users who never started the bot: 400 "chat not found").
        """
        with self._cond:
            if isinstance(chat_id, str) and chat_id.startswith("@"):
                for chat in self._chats.values():
                    if chat.get("username") and f"@{chat['username']}".lower() == chat_id.lower():
                        return chat
                raise bad_request("chat not found")
            try:
                cid = int(chat_id)
            except (TypeError, ValueError):
                raise bad_request("chat not found") from None
            if cid not in self._chats:
                if cid <= 0 or self.strict_chats:
                    raise bad_request("chat not found")
                self._chats[cid] = private_chat(user_dict(cid, f"User {cid}"))
            return self._chats[cid]

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def incoming_message(
        self,
        *,
        chat: Mapping[str, Any],
        from_user: Mapping[str, Any] | None,
        text: str | None = None,
        entities: Iterable[Mapping[str, Any]] | None = None,
        kind: str = "message",
        queue: bool = True,
        **extra: Any,
    ) -> JSON:
        """Create a message from a user (or a channel post) in ``chat``; queue it as an update.

        Commands get a ``bot_command`` entity automatically when ``entities`` is ``None``.
        """
        with self._cond:
            self.register_chat(chat)
            if entities is None:
                entities = command_entities(text)
            message = build_message(
                message_id=self._next_message_id(int(chat["id"])),
                chat=chat,
                from_user=from_user,
                text=text,
                entities=entities,
                **extra,
            )
            self._messages[(int(chat["id"]), message["message_id"])] = StoredMessage(message, None, False)
            if queue:
                self.add_update(kind, message)
            return message

    def edit_incoming(
        self, chat_id: int, message_id: int, text: str, *, kind: str = "edited_message", queue: bool = True
    ) -> JSON:
        """Edit a user's message and queue an ``edited_message`` (or ``edited_channel_post``) update."""
        with self._cond:
            stored = self._messages.get((chat_id, message_id))
            if stored is None or stored.from_bot:
                raise AssertionError(f"no user message {message_id} in chat {chat_id}")
            message = {**stored.message, "text": text, "edit_date": now_ts()}
            message["entities"] = command_entities(text)
            message = message_json(message)
            stored.message = message
            if queue:
                self.add_update(kind, message)
            return message

    def callback_query(
        self, *, from_user: Mapping[str, Any], chat_id: int, message_id: int, data: str, queue: bool = True
    ) -> JSON:
        """Press an inline button: queue a ``callback_query`` for the bot's message."""
        with self._cond:
            stored = self._messages.get((chat_id, message_id))
            if stored is None:
                raise AssertionError(f"no message {message_id} in chat {chat_id}")
            query_id = f"{self.bot_id}{next(self._query_ids):08d}"
            query = build_callback_query(
                query_id=query_id, from_user=from_user, message=stored.message, data=data
            )
            self._callback_queries[query_id] = None
            if queue:
                self.add_update("callback_query", query)
            return query

    def chat_member_update(
        self, *, chat: Mapping[str, Any], from_user: Mapping[str, Any], blocked: bool
    ) -> JSON:
        """Queue a ``my_chat_member`` update (the user blocked / unblocked the bot)."""
        bot = User.de_json(dict(self.bot_user), None)
        member = ChatMemberMember(user=bot)
        banned = ChatMemberBanned(user=bot, until_date=_dt(0))
        payload = ChatMemberUpdated(
            chat=Chat.de_json(dict(chat), None),
            from_user=User.de_json(dict(from_user), None),
            date=_dt(now_ts()),
            old_chat_member=member if blocked else banned,
            new_chat_member=banned if blocked else member,
        ).to_dict()
        return self.add_update("my_chat_member", payload)

    # ---- files ---------------------------------------------------------------------------

    def store_file(
        self, content: bytes, *, kind: str, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        """Keep file bytes under a fresh file_id / file_path."""
        with self._cond:
            n = next(self._file_ids)
            ext = ""
            if file_name and "." in file_name:
                ext = "." + file_name.rsplit(".", 1)[1]
            elif kind == "photo":
                ext = ".jpg"
            elif kind == "voice":
                ext = ".oga"
            elif kind == "sticker":
                ext = ".webp"
            stored = StoredFile(
                file_id=f"FAKE-{kind}-{n:06d}",
                file_unique_id=f"U{kind[:3]}{n:06d}",
                content=content,
                file_path=f"{kind}s/file_{n}{ext}",
                file_name=file_name,
                mime_type=mime_type,
            )
            self._files[stored.file_id] = stored
            self._paths[stored.file_path] = stored.file_id
            return stored

    def media_fields(
        self,
        kind: str,
        *,
        content: bytes | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        emoji: str = "👍",
        duration: int = 2,
    ) -> JSON:
        """Message fields for user-sent media (``photo``, ``voice``, ``sticker``, ``document``).

        The bytes are stored, so the bot can getFile and download them.
        """
        defaults = {
            "photo": (TINY_PNG, "image/png"),
            "voice": (FAKE_OGG, "audio/ogg"),
            "sticker": (b"RIFF\x00\x00\x00\x00WEBP", "image/webp"),
            "document": (b"hello\n", "text/plain"),
        }
        if kind not in defaults:
            raise ValueError(f"unsupported media kind {kind!r}")
        data = content if content is not None else defaults[kind][0]
        mime = mime_type or defaults[kind][1]
        stored = self.store_file(data, kind=kind, file_name=file_name, mime_type=mime)
        size = len(data)
        if kind == "photo":
            return {"photo": photo_sizes(self, stored)}
        if kind == "voice":
            voice = Voice(stored.file_id, stored.file_unique_id, duration, mime_type=mime, file_size=size)
            return {"voice": voice.to_dict()}
        if kind == "sticker":
            sticker = Sticker(
                stored.file_id,
                stored.file_unique_id,
                512,
                512,
                False,
                False,
                Sticker.REGULAR,
                emoji=emoji,
                file_size=size,
            )
            return {"sticker": sticker.to_dict()}
        document = Document(
            stored.file_id,
            stored.file_unique_id,
            file_name=file_name or "file.txt",
            mime_type=mime,
            file_size=size,
        )
        return {"document": document.to_dict()}

    @staticmethod
    def location_fields(latitude: float, longitude: float, *, live_period: int | None = None) -> JSON:
        """Message fields for a location."""
        return {
            "location": Location(longitude=longitude, latitude=latitude, live_period=live_period).to_dict()
        }

    @staticmethod
    def contact_fields(user: Mapping[str, Any], phone_number: str = "+15550100") -> JSON:
        """Message fields for sharing ``user``'s own contact."""
        contact = Contact(phone_number, user.get("first_name", ""), user.get("last_name"), user_id=user["id"])
        return {"contact": contact.to_dict()}

    def file(self, file_id: str) -> StoredFile | None:
        """A stored file by file_id."""
        with self._cond:
            return self._files.get(file_id)

    def file_by_path(self, file_path: str) -> StoredFile | None:
        """A stored file by the file_path getFile returned."""
        with self._cond:
            file_id = self._paths.get(file_path)
            return self._files.get(file_id) if file_id else None

    # ---- state accessors for tests -------------------------------------------------------

    def outbox(self, chat_id: int | None = None, *, after_seq: int = 0) -> list[BotMessage]:
        """Messages the bot sent or edited (edits are separate entries), oldest first."""
        with self._cond:
            return [
                m for m in self._outbox if m.seq > after_seq and (chat_id is None or m.chat_id == chat_id)
            ]

    def message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        """Current state of a message (bot's or user's)."""
        with self._cond:
            return self._messages.get((chat_id, message_id))

    def current_bot_messages(self, chat_id: int) -> list[tuple[BotMessage, StoredMessage]]:
        """Latest snapshot + current state of each bot message in a chat, in send order."""
        with self._cond:
            latest: dict[int, BotMessage] = {}
            for m in self._outbox:
                if m.chat_id == chat_id:
                    latest[m.message_id] = m
            return [(m, self._messages[(chat_id, mid)]) for mid, m in latest.items()]

    def commands(self, scope: Mapping[str, Any] | None = None, language_code: str = "") -> list[JSON]:
        """Commands set by setMyCommands for a scope (default scope if ``None``)."""
        with self._cond:
            return list(self._commands.get(_commands_key(scope, language_code), []))

    def callback_answer(self, query_id: str) -> JSON | None:
        """Parameters of answerCallbackQuery for a query, ``None`` if unanswered."""
        with self._cond:
            return self._callback_queries.get(query_id)

    def chat_actions(self, chat_id: int | None = None) -> list[str]:
        """Actions sent via sendChatAction."""
        with self._cond:
            return [a for c, a, _ in self._chat_actions if chat_id is None or c == chat_id]

    def menu_button(self, chat_id: int | None = None) -> JSON | None:
        """The menu button set for a chat (``None``: default)."""
        with self._cond:
            return self._menu_buttons.get(chat_id)

    # ---- helpers used by the method handlers (called with the lock held) ------------------

    def _parse_text(self, text: Any, parse_mode: Any, entities: Any, *, caption: bool = False) -> ParsedText:
        limit = MAX_CAPTION_LENGTH if caption else MAX_TEXT_LENGTH
        if not isinstance(text, str):
            if caption and text is None:
                return ParsedText("", [])
            raise bad_request("message text is empty")
        mode = (parse_mode or "").lower() if isinstance(parse_mode, str) else ""
        if mode == "html":
            parsed = parse_html(text, strict_ampersand=self.strict_ampersand)
        elif mode in ("", "markdown", "markdownv2"):
            # Markdown is not parsed by the fake: the raw text is kept and only its length checked.
            stripped = text.strip()
            ents = [dict(e) for e in entities] if isinstance(entities, list) and not mode else []
            parsed = ParsedText(stripped, ents)
        else:
            raise bad_request(f"unsupported parse_mode {parse_mode!r}")
        if not parsed.text and not caption:
            raise bad_request("message text is empty")
        if len(parsed.text) > limit:
            raise bad_request("message caption is too long" if caption else "message is too long")
        return parsed

    def _bot_message(self, chat: JSON, **fields: Any) -> JSON:
        return build_message(
            message_id=self._next_message_id(int(chat["id"])),
            chat=chat,
            from_user=self.bot_user if chat["type"] != Chat.CHANNEL else None,
            sender_chat=chat if chat["type"] == Chat.CHANNEL else None,
            **fields,
        )

    def _record_output(
        self, method: str, message: JSON, markup: JSON | None, params: JSON, *, edited: bool
    ) -> None:
        chat_id = int(message["chat"]["id"])
        key = (chat_id, int(message["message_id"]))
        stored = self._messages.get(key)
        if stored is None:
            self._messages[key] = StoredMessage(message, markup, True)
        else:
            stored.message, stored.markup = message, markup
        self._outbox.append(
            BotMessage(
                seq=len(self._outbox) + 1,
                chat_id=chat_id,
                message_id=int(message["message_id"]),
                method=method,
                message=message,
                markup=markup,
                params=params,
                edited=edited,
                time=time.time(),
            )
        )

    def _send(self, method: str, params: JSON, **fields: Any) -> JSON:
        chat = self.chat(_require(params, "chat_id"))
        markup = validate_reply_markup(params.get("reply_markup"))
        message = self._bot_message(chat, reply_markup=markup, **fields)
        self._record_output(method, message, markup, params, edited=False)
        return message

    def _editable(self, params: JSON, what: str = "edit") -> StoredMessage:
        if "inline_message_id" in params:
            raise bad_request("inline messages are not supported by the fake Bot API")
        chat = self.chat(_require(params, "chat_id"))
        message_id = _require(params, "message_id")
        stored = self._messages.get((int(chat["id"]), int(message_id)))
        if stored is None or stored.deleted:
            raise bad_request(f"message to {what} not found")
        if not stored.from_bot and what == "edit":
            raise bad_request("message can't be edited")
        return stored

    def _upload(self, params: JSON, files: dict[str, UploadedFile], field_name: str, kind: str) -> StoredFile:
        value = params.get(field_name)
        upload = files.get(field_name)
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
        if upload is not None:
            if not upload.content:
                raise bad_request("file must be non-empty")
            if len(upload.content) > MAX_UPLOAD_BYTES:
                raise TelegramAPIError(413, "Request Entity Too Large")
            return self.store_file(
                upload.content, kind=kind, file_name=upload.filename, mime_type=upload.mime_type
            )
        if isinstance(value, str) and value:
            existing = self._files.get(value)
            if existing is not None:
                return existing
            if re.match(r"^https?://", value):
                return self.store_file(b"", kind=kind, file_name=value.rsplit("/", 1)[-1] or None)
        raise bad_request("wrong file identifier/HTTP URL specified")


def _require(params: Mapping[str, Any], name: str) -> Any:
    value = params.get(name)
    if value is None or value == "":
        raise bad_request(f"{name} is empty" if name != "chat_id" else "chat_id is empty")
    return value


def _commands_key(scope: Mapping[str, Any] | None, language_code: str | None) -> tuple[str, str]:
    return json.dumps(dict(scope or {"type": "default"}), sort_keys=True), language_code or ""


# ---- method handlers (lock held) -------------------------------------------------------------


def _get_me(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> JSON:
    return dict(api.bot_user)


def _get_updates(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> list[JSON]:
    raise AssertionError("dispatched specially")  # pragma: no cover


def _delete_webhook(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> bool:
    api._webhook_url = ""
    if params.get("drop_pending_updates"):
        api._updates.clear()
    return True


def _set_webhook(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> bool:
    api._webhook_url = str(_require(params, "url"))
    return True


def _get_webhook_info(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> JSON:
    return {
        "url": api._webhook_url,
        "has_custom_certificate": False,
        "pending_update_count": len(api._updates),
    }


def _set_my_commands(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> bool:
    commands = params.get("commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    parsed = []
    for item in commands:
        if not isinstance(item, dict) or not _COMMAND_RE.match(str(item.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        description = item.get("description")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        parsed.append(BotCommand(item["command"], description).to_dict())
    api._commands[_commands_key(params.get("scope"), params.get("language_code"))] = parsed
    return True


def _get_my_commands(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> list[JSON]:
    return list(api._commands.get(_commands_key(params.get("scope"), params.get("language_code")), []))


def _delete_my_commands(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> bool:
    api._commands.pop(_commands_key(params.get("scope"), params.get("language_code")), None)
    return True


def _send_message(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> JSON:
    parsed = api._parse_text(params.get("text"), params.get("parse_mode"), params.get("entities"))
    return api._send("sendMessage", params, text=parsed.text, entities=parsed.entities)


def _edit_message_text(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> JSON:
    stored = api._editable(params)
    if "text" not in stored.message:
        raise bad_request("there is no text in the message to edit")
    parsed = api._parse_text(params.get("text"), params.get("parse_mode"), params.get("entities"))
    # Like Telegram: editing the text without reply_markup removes the inline keyboard.
    markup = validate_reply_markup(params.get("reply_markup"))
    old = stored.message
    if (
        parsed.text == old.get("text")
        and parsed.entities == old.get("entities", [])
        and markup == stored.markup
    ):
        raise bad_request(
            "message is not modified: specified new message content and reply markup are exactly the same "
            "as a current content and reply markup of the message"
        )
    return _apply_edit(
        api, "editMessageText", stored, params, markup, text=parsed.text, entities=parsed.entities
    )


def _edit_message_caption(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> JSON:
    stored = api._editable(params)
    parsed = api._parse_text(
        params.get("caption"), params.get("parse_mode"), params.get("caption_entities"), caption=True
    )
    markup = validate_reply_markup(params.get("reply_markup"))
    old = stored.message
    if parsed.text == old.get("caption", "") and markup == stored.markup:
        raise bad_request(
            "message is not modified: specified new message content and reply markup are exactly the same"
        )
    return _apply_edit(
        api,
        "editMessageCaption",
        stored,
        params,
        markup,
        caption=parsed.text or None,
        caption_entities=parsed.entities,
    )


def _edit_message_reply_markup(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> JSON:
    stored = api._editable(params)
    markup = validate_reply_markup(params.get("reply_markup"))
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("reply markup must be an inline keyboard")
    if markup == stored.markup or (markup is None and not stored.markup):
        raise bad_request(
            "message is not modified: specified new message content and reply markup are exactly the same "
            "as a current content and reply markup of the message"
        )
    return _apply_edit(api, "editMessageReplyMarkup", stored, params, markup)


def _apply_edit(
    api: FakeBotAPI, method: str, stored: StoredMessage, params: JSON, markup: JSON | None, **changes: Any
) -> JSON:
    message = {k: v for k, v in stored.message.items() if k != "reply_markup"}
    for key, value in changes.items():
        if value is None or value == []:
            message.pop(key, None)
        else:
            message[key] = value
    if markup and "inline_keyboard" in markup:
        message["reply_markup"] = InlineKeyboardMarkup.de_json(dict(markup), None).to_dict()
    message["edit_date"] = now_ts()
    message = message_json(message)
    api._record_output(method, message, markup, params, edited=True)
    return message


def _delete_message(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> bool:
    stored = api._editable(params, "delete")
    stored.deleted = True
    return True


def _answer_callback_query(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> bool:
    query_id = str(_require(params, "callback_query_id"))
    if query_id not in api._callback_queries or api._callback_queries[query_id] is not None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    if len(params.get("text") or "") > MAX_CALLBACK_ANSWER_LENGTH:
        raise bad_request("MESSAGE_TOO_LONG")
    api._callback_queries[query_id] = dict(params)
    return True


def _caption_fields(api: FakeBotAPI, params: JSON) -> JSON:
    parsed = api._parse_text(
        params.get("caption"), params.get("parse_mode"), params.get("caption_entities"), caption=True
    )
    return {"caption": parsed.text or None, "caption_entities": parsed.entities or None}


def _send_document(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> JSON:
    caption = _caption_fields(api, params)
    stored = api._upload(params, files, "document", "document")
    document = Document(
        file_id=stored.file_id,
        file_unique_id=stored.file_unique_id,
        file_name=stored.file_name,
        mime_type=stored.mime_type,
        file_size=len(stored.content),
    ).to_dict()
    return api._send("sendDocument", params, document=document, **caption)


def _send_photo(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> JSON:
    caption = _caption_fields(api, params)
    stored = api._upload(params, files, "photo", "photo")
    return api._send("sendPhoto", params, photo=photo_sizes(api, stored), **caption)


def photo_sizes(api: FakeBotAPI, stored: StoredFile) -> list[JSON]:
    """A thumbnail and a full-size ``PhotoSize`` for stored photo bytes."""
    thumb = api.store_file(
        stored.content, kind="photo", file_name=stored.file_name, mime_type=stored.mime_type
    )
    return [
        PhotoSize(thumb.file_id, thumb.file_unique_id, 90, 90, len(thumb.content)).to_dict(),
        PhotoSize(stored.file_id, stored.file_unique_id, 800, 600, len(stored.content)).to_dict(),
    ]


def _get_file(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> JSON:
    stored = api._files.get(str(_require(params, "file_id")))
    if stored is None:
        raise bad_request("invalid file_id")
    return File(
        file_id=stored.file_id,
        file_unique_id=stored.file_unique_id,
        file_size=len(stored.content),
        file_path=stored.file_path,
    ).to_dict()


def _send_chat_action(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> bool:
    chat = api.chat(_require(params, "chat_id"))
    action = params.get("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    api._chat_actions.append((int(chat["id"]), str(action), time.time()))
    return True


#: Emoji a bot may react with (Telegram's list of standard reactions).
REACTIONS = frozenset(
    (
        "👍",
        "👎",
        "❤",
        "🔥",
        "🥰",
        "👏",
        "😁",
        "🤔",
        "🤯",
        "😱",
        "🤬",
        "😢",
        "🎉",
        "🤩",
        "🤮",
        "💩",
        "🙏",
        "👌",
        "🕊",
        "🤡",
        "🥱",
        "🥴",
        "😍",
        "🐳",
        "❤\u200d🔥",
        "🌚",
        "🌭",
        "💯",
        "🤣",
        "⚡",
        "🍌",
        "🏆",
        "💔",
        "🤨",
        "😐",
        "🍓",
        "🍾",
        "💋",
        "🖕",
        "😈",
        "😴",
        "😭",
        "🤓",
        "👻",
        "👨\u200d💻",
        "👀",
        "🎃",
        "🙈",
        "😇",
        "😨",
        "🤝",
        "✍",
        "🤗",
        "🫡",
        "🎅",
        "🎄",
        "☃",
        "💅",
        "🤪",
        "🗿",
        "🆒",
        "💘",
        "🙉",
        "🦄",
        "😘",
        "💊",
        "🙊",
        "😎",
        "👾",
        "🤷\u200d♂",
        "🤷",
        "🤷\u200d♀",
        "😡",
    )
)


def _set_message_reaction(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> bool:
    chat = api.chat(_require(params, "chat_id"))
    if not isinstance(params.get("message_id"), int):
        raise bad_request("message_id is required")
    for reaction in params.get("reaction") or []:
        if reaction.get("type") != "emoji" or reaction.get("emoji") not in REACTIONS:
            raise bad_request("REACTION_INVALID")
    api._reactions.append((int(chat["id"]), int(params["message_id"]), list(params.get("reaction") or [])))
    return True


def _set_chat_menu_button(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> bool:
    chat_id = params.get("chat_id")
    api._menu_buttons[int(chat_id) if chat_id is not None else None] = dict(
        params.get("menu_button") or {"type": "default"}
    )
    return True


def _get_chat_menu_button(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> JSON:
    chat_id = params.get("chat_id")
    return api._menu_buttons.get(int(chat_id) if chat_id is not None else None, {"type": "default"})


def _accept(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> bool:
    return True


_HANDLERS: dict[str, Handler] = {
    name.lower(): handler
    for name, handler in {
        "getMe": _get_me,
        "getUpdates": _get_updates,
        "deleteWebhook": _delete_webhook,
        "setWebhook": _set_webhook,
        "getWebhookInfo": _get_webhook_info,
        "setMyCommands": _set_my_commands,
        "getMyCommands": _get_my_commands,
        "deleteMyCommands": _delete_my_commands,
        "sendMessage": _send_message,
        "editMessageText": _edit_message_text,
        "editMessageCaption": _edit_message_caption,
        "editMessageReplyMarkup": _edit_message_reply_markup,
        "deleteMessage": _delete_message,
        "answerCallbackQuery": _answer_callback_query,
        "sendDocument": _send_document,
        "sendPhoto": _send_photo,
        "getFile": _get_file,
        "sendChatAction": _send_chat_action,
        "setMessageReaction": _set_message_reaction,
        "setChatMenuButton": _set_chat_menu_button,
        "getChatMenuButton": _get_chat_menu_button,
        "close": _accept,
        "logOut": _accept,
    }.items()
}

#: Bot API methods the fake implements.
SUPPORTED_METHODS = frozenset(_HANDLERS)
