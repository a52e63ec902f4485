"""Reply markup: validation like Telegram's, and finding buttons by their text."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from bot.localapi.constants import JSON, MAX_CALLBACK_DATA_BYTES
from bot.localapi.errors import bad_request

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


def keyboard_rows(markup: Mapping[str, Any] | None) -> list[list[Any]]:
    """The button rows of an inline or reply keyboard (none for other markup)."""
    if not markup:
        return []
    return list(markup.get("inline_keyboard") or markup.get("keyboard") or [])


def button_text(button: Any) -> str:
    """A button's label (reply-keyboard buttons may be bare strings)."""
    return button if isinstance(button, str) else str(button.get("text", ""))


def find_button(markup: Mapping[str, Any] | None, text: str) -> JSON | None:
    """The button with exactly this text as a dict (reply-keyboard strings become ``{"text": ...}``)."""
    for row in keyboard_rows(markup):
        for button in row:
            if button_text(button) == text:
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
