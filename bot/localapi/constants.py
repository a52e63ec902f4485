"""Telegram's limits and the constants every part of the fake shares."""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]

DEFAULT_TOKEN = "123456789:TEST-fake-token-for-the-harness"  # noqa: S105 (not a secret: only the local API takes it)
"""A well-formed token; the number before the colon becomes the bot's user id."""

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
DEFAULT_READ_TIMEOUT = 5.0
#: Telegram does not document how long a callback query stays answerable; it is seconds, not minutes.
DEFAULT_CALLBACK_QUERY_TIMEOUT = 15.0
#: Sends a second with ``allow_paid_broadcast`` (Telegram bills those above its free ~30 a second).
PAID_MESSAGES_PER_SECOND = 1000
