"""Placeholder until the display branch lands."""

from __future__ import annotations

LABEL_LIMIT = 64


def button_label(text: str, limit: int = LABEL_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
