"""Records of what passed through the fake: requests, uploads, files, messages and the bot's
output as tests read it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Message

from bot.localapi.constants import JSON
from bot.localapi.keyboards import button_text, find_button, keyboard_rows


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
        return [[button_text(b) for b in row] for row in keyboard_rows(self.markup)]

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
