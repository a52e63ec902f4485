"""The guided exercises on Telegram: one set of handlers walks every flow.

Where a person is in an exercise lives in their stored draft (`bot.domain.engine.Draft`), saved
after every answer, so restarts, timeouts and crashes lose nothing. In memory there is only what
is derived from drafts (`bot.handlers.common.FlowRuntime`): who has an exercise open, when it was
last touched, and the writing-window timers.
"""

from __future__ import annotations

from telegram import Message
from telegram.ext import filters

from bot.handlers.common import FlowRuntime
from bot.handlers.practice.answers import (
    back_command,
    done_command,
    on_button,
    on_non_text,
    on_text,
    skip_command,
)
from bot.handlers.practice.asking import prepare_care
from bot.handlers.practice.boundaries import boundaries_command, on_share_button
from bot.handlers.practice.interests import did_command, interests_command, on_add_button, on_remove_button
from bot.handlers.practice.starting import (
    cancel_command,
    on_decision,
    on_start_button,
    on_switch,
    start_command,
)
from bot.handlers.practice.upkeep import IDLE_JOB, restore


class InFlow(filters.MessageFilter):
    """Messages from people with an open exercise (or a late page to offer), routed to the engine."""

    def __init__(self, flows: FlowRuntime) -> None:
        super().__init__(name="InFlow")
        self._flows = flows

    def filter(self, message: Message) -> bool:
        user = message.from_user
        return user is not None and (user.id in self._flows.active or user.id in self._flows.recent_pages)


__all__ = [
    "IDLE_JOB",
    "InFlow",
    "back_command",
    "boundaries_command",
    "cancel_command",
    "did_command",
    "done_command",
    "interests_command",
    "on_add_button",
    "on_button",
    "on_decision",
    "on_non_text",
    "on_remove_button",
    "on_share_button",
    "on_start_button",
    "on_switch",
    "on_text",
    "prepare_care",
    "restore",
    "skip_command",
    "start_command",
]
