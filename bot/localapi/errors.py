"""Bot API errors as Telegram renders them, injected faults, and required-parameter checks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.localapi.constants import JSON


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


DEFAULT_DESCRIPTIONS = {
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
        description = self.description or DEFAULT_DESCRIPTIONS.get(self.status, f"Error {self.status}")
        return TelegramAPIError(self.status, description, self.retry_after)

    def response(self) -> tuple[int, bytes] | None:
        """``(status, body)`` for this fault, or ``None`` if it carries no error."""
        error = self.error()
        if error is None:
            return None
        return error.status, self.body if self.body is not None else error.to_bytes()


def require(params: Mapping[str, Any], name: str) -> Any:
    """The parameter ``name``, or 400 "<name> is empty" like Telegram when it is missing."""
    value = params.get(name)
    if value is None or value == "":
        raise bad_request(f"{name} is empty" if name != "chat_id" else "chat_id is empty")
    return value
