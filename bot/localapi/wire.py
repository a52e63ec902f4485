"""PTB's wire format: how Bot API parameters arrive (strings raw, everything else JSON)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from bot.localapi.constants import JSON

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
