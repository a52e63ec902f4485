"""Couple mode on Telegram: /partner, invite links, accepting, unlinking, and delivering what one
partner chose to send the other, with the receiver's answer back to its author.

Nothing here ever reads a person's diary for the partner: a share holds only what its author
chose (`bot.services.partners`), and every press is checked against the stored couple record.
"""

from bot.handlers.partner.delivery import (
    ANSWERED,
    REPLY_LABEL,
    SHARE_REFUSED,
    on_reply_button,
    on_take_back_button,
)
from bot.handlers.partner.jobs import DELIVERY_JOB, deliver_due, restore
from bot.handlers.partner.linking import (
    INVITE_REFUSED,
    forget,
    on_hours_button,
    on_invite_button,
    on_join_button,
    on_unlink_button,
    partner_command,
    start_with_invite,
)
from bot.handlers.partner.offers import (
    NoteOpen,
    after_finish,
    interest_rows,
    on_boundary_button,
    on_feeling_button,
    on_interest_button,
    on_note_text,
    remember_interest_offers,
)

__all__ = [
    "ANSWERED",
    "DELIVERY_JOB",
    "INVITE_REFUSED",
    "REPLY_LABEL",
    "SHARE_REFUSED",
    "NoteOpen",
    "after_finish",
    "deliver_due",
    "forget",
    "interest_rows",
    "on_boundary_button",
    "on_feeling_button",
    "on_hours_button",
    "on_interest_button",
    "on_invite_button",
    "on_join_button",
    "on_note_text",
    "on_reply_button",
    "on_take_back_button",
    "on_unlink_button",
    "partner_command",
    "remember_interest_offers",
    "restore",
    "start_with_invite",
]
