"""Couple mode, the pure rules: who may link, when a share is delivered, what it holds, who sees it.

Two partners link their practices and each keeps a private self: nothing reaches the other
person unless its author sends it, one item at a time. Storage, delivery and wording live
elsewhere; here are the records they keep and the decisions they ask for. Every rule takes
what it needs (ids, codes, `now`) as arguments: no I/O, no clock, no randomness. A rule that
can say no returns a refusal code (a StrEnum, a key for the wording), never raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

from bot.domain.couple_records import (
    InviteRefusal,
    Pairing,
    PairingRefusal,
    PartnerInvite,
    Share,
    ShareAsk,
    ShareKind,
    ShareRefusal,
    ShareState,
)
from bot.domain.flows import FAMILIES, FEELINGS
from bot.domain.schedule import local_day, wall_clock, zone_of

INVITE_PREFIX = "p-"  # a /start payload starting with this is a partner invite
# Telegram passes /start payloads of 1-64 characters from this alphabet.
_INVITE_PAYLOAD = re.compile(rf"{INVITE_PREFIX}[A-Za-z0-9_-]{{1,{64 - len(INVITE_PREFIX)}}}")

DAILY_SHARE_LIMIT = 10
NIGHT_START = time(22, 0)
NOTE_MAX_CHARS = 300
INTENSITY_RANGE = range(1, 6)  # the check-in's 1..5 scale
# Feelings the bot itself offers; anything else was typed into the diary and never leaves it.
FEELING_CODES = frozenset(FAMILIES) | frozenset(word for words in FEELINGS.values() for word in words)


def invite_code_valid(text: str) -> bool:
    """Whether a /start payload has the shape of a partner invite (`p-<code>`), before any look-up."""
    return _INVITE_PAYLOAD.fullmatch(text) is not None


def _linked(pairing: Pairing | None, user_id: int) -> bool:
    return pairing is not None and pairing.active and pairing.includes(user_id)


def invite_refusal(
    invite: PartnerInvite | None,
    presser_id: int,
    now: datetime,
    presser_pairing: Pairing | None,
    inviter_pairing: Pairing | None,
) -> InviteRefusal | None:
    """Why `presser_id` may not accept `invite` now, or None if they may.

    Checked in the order that gives the most useful answer: an own link is "self" even once
    used or expired; a used link is "used" even once expired. The pairings are each person's
    current one (an ended pairing does not count).
    """
    if invite is None:
        return InviteRefusal.FORGED
    if presser_id == invite.inviter_id:
        return InviteRefusal.SELF
    if invite.used_by is not None:
        return InviteRefusal.USED
    if now >= invite.expires_at:
        return InviteRefusal.EXPIRED
    if _linked(presser_pairing, presser_id):
        return InviteRefusal.PRESSER_LINKED
    if _linked(inviter_pairing, invite.inviter_id):
        return InviteRefusal.INVITER_LINKED
    return None


def accept(
    invite: PartnerInvite | None,
    presser_id: int,
    now: datetime,
    presser_pairing: Pairing | None,
    inviter_pairing: Pairing | None,
    pairing_id: str,
) -> tuple[PartnerInvite, Pairing] | InviteRefusal:
    """Accepting an invite: the invite marked used and the new pairing, or why not."""
    if invite is None:
        return InviteRefusal.FORGED
    refusal = invite_refusal(invite, presser_id, now, presser_pairing, inviter_pairing)
    if refusal is not None:
        return refusal
    return replace(invite, used_by=presser_id), Pairing(pairing_id, (invite.inviter_id, presser_id), now)


def unlink(pairing: Pairing, by: int, now: datetime) -> Pairing | PairingRefusal:
    """The pairing ended by member `by`; an ended pairing stays as it ended (idempotent)."""
    if not pairing.includes(by):
        return PairingRefusal.NOT_A_MEMBER
    if not pairing.active:
        return pairing
    return replace(pairing, ended_at=now, ended_by=by)


# --- sharing ---------------------------------------------------------------------------


def shares_today(shares: Iterable[Share], sender: int, now: datetime, zone: str) -> int:
    """How many shares `sender` made on their local day of `now` (whatever became of them)."""
    tz = zone_of(zone)
    today = local_day(now, tz)
    return sum(1 for share in shares if share.sender == sender and local_day(share.created_at, tz) == today)


def may_share(shares_today_by_sender: int, limit: int = DAILY_SHARE_LIMIT) -> bool:
    return shares_today_by_sender < limit


def share_refusal(
    pairing: Pairing | None, sender: int, shares_today_by_sender: int, limit: int = DAILY_SHARE_LIMIT
) -> ShareRefusal | None:
    """Why `sender` may not send an item now (no current partner, or today's limit reached), or None."""
    if not _linked(pairing, sender):
        return ShareRefusal.NOT_LINKED
    if not may_share(shares_today_by_sender, limit):
        return ShareRefusal.DAILY_LIMIT
    return None


def _in_night(at: time, night_start: time, morning: time) -> bool:
    """Whether wall-clock `at` falls from `night_start` up to `morning`, across midnight if need be."""
    if night_start <= morning:
        return night_start <= at < morning
    return at >= night_start or at < morning


def delivery_time(
    now_utc: datetime,
    receiver_zone: str,
    receiver_morning: time,
    *,
    night_start: time = NIGHT_START,
    immediate: bool,
) -> datetime:
    """The UTC instant to deliver a share: now, unless it is night where the receiver lives.

    Night is the receiver's wall-clock time from `night_start` until their morning time. A
    share made at night waits for their next morning time, found the way nudges are: an
    ambiguous time counts at its first occurrence, a time in a spring-forward gap comes
    shifted later by the gap (02:30 → 03:30). `immediate` means the receiver asked for
    shares at any hour.
    """
    zone = zone_of(receiver_zone)
    now = now_utc.astimezone(UTC)
    if immediate or not _in_night(now.astimezone(zone).time(), night_start, receiver_morning):
        return now
    return next_morning(now, receiver_zone, receiver_morning)


def feeling_payload(
    feeling: str | None,
    intensity: int | None,
    note: str | None,
    *,
    include_feeling: bool,
    include_intensity: bool,
) -> dict[str, Any] | ShareRefusal:
    """What a shared feeling carries: only the parts the author chose.

    The feeling goes only as one of the bot's own codes and the intensity only as 1..5, so a
    word typed into the diary can never ride along; the note is what the author typed for the
    partner, stripped, at most `NOTE_MAX_CHARS` characters.
    """
    payload: dict[str, Any] = {}
    if include_feeling and feeling is not None:
        if feeling not in FEELING_CODES:
            return ShareRefusal.NOT_A_CODE
        payload["feeling"] = feeling
    if include_intensity and intensity is not None:
        if isinstance(intensity, bool) or intensity not in INTENSITY_RANGE:
            return ShareRefusal.NOT_A_CODE
        payload["intensity"] = intensity
    text = (note or "").strip()
    if len(text) > NOTE_MAX_CHARS:
        return ShareRefusal.NOTE_TOO_LONG
    if text:
        payload["note"] = text
    return payload or ShareRefusal.NOTHING_CHOSEN


# --- isolation -------------------------------------------------------------------------

_RECEIVED = frozenset({ShareState.DELIVERED, ShareState.ACKNOWLEDGED})


def can_see(viewer_id: int, share: Share) -> bool:
    """Only the two people in a share ever see it: the sender always, the receiver once it reached them.

    A queued share is not the receiver's yet (it may wait for their morning), and a failed one
    never reached them; both stay the sender's alone.
    """
    if viewer_id == share.sender:
        return True
    return viewer_id == share.receiver and share.state in _RECEIVED


def visible_to(viewer_id: int, shares: Iterable[Share]) -> list[Share]:
    """The shares `viewer_id` may see, in the given order."""
    return [share for share in shares if can_see(viewer_id, share)]


# --- answers, later asks, deletion, counts ----------------------------------------------

# The buttons a receiver may answer a share with, by kind (codes; labels come at display).
RESPONSES: dict[ShareKind, tuple[str, ...]] = {
    ShareKind.BOUNDARY: ("thanks", "talk"),
    ShareKind.FEELING: ("thanks",),
    ShareKind.INTEREST: ("cheer",),
}
DELETE_WINDOW = timedelta(hours=48)  # Telegram lets a bot delete its messages for this long


def respond(share: Share, presser: int, response: str) -> Share | None:
    """The share answered by its receiver with `response`, or None if this press may not answer it.

    Only the receiver, only once it reached them, only once, and only with a code its kind
    offers: a second press, another person's press or forged data changes nothing.
    """
    if presser != share.receiver or share.state is not ShareState.DELIVERED:
        return None
    if response not in RESPONSES[share.kind]:
        return None
    return replace(share, state=ShareState.ACKNOWLEDGED, response=response)


def deletable(share: Share, now: datetime) -> bool:
    """Whether the delivered Telegram message can still be deleted from the receiver's chat."""
    return (
        share.message_id is not None
        and share.delivered_at is not None
        and now - share.delivered_at < DELETE_WINDOW
    )


def next_morning(now_utc: datetime, zone: str, morning: time) -> datetime:
    """The next time the person's morning comes round (for "ask me again tomorrow morning")."""
    tz = zone_of(zone)
    today = local_day(now_utc, tz)
    mornings = (wall_clock(today + timedelta(days=offset), morning, tz) for offset in range(3))
    return next(instant for instant in mornings if instant > now_utc)


@dataclass(frozen=True, slots=True)
class WeekCounts:
    """How much a person shared and received in a period: numbers only, never anyone's content."""

    shared: int = 0
    acknowledged: int = 0  # of what they shared, answered by the partner
    received: int = 0


def week_counts(shares: Iterable[Share], viewer: int, start: datetime, end: datetime) -> WeekCounts:
    """Counts for `viewer` over shares created in [start, end): their own activity only."""
    shared = acknowledged = received = 0
    for share in shares:
        if not start <= share.created_at < end:
            continue
        if share.sender == viewer:
            shared += 1
            acknowledged += share.state is ShareState.ACKNOWLEDGED
        elif share.receiver == viewer and share.state in _RECEIVED:
            received += 1
    return WeekCounts(shared, acknowledged, received)


__all__ = [  # the records are re-exported: this module is where couple mode's rules are looked up
    "DAILY_SHARE_LIMIT",
    "DELETE_WINDOW",
    "FEELING_CODES",
    "INTENSITY_RANGE",
    "INVITE_PREFIX",
    "NIGHT_START",
    "NOTE_MAX_CHARS",
    "InviteRefusal",
    "Pairing",
    "PairingRefusal",
    "PartnerInvite",
    "Share",
    "ShareAsk",
    "ShareKind",
    "ShareRefusal",
    "ShareState",
    "WeekCounts",
    "accept",
    "can_see",
    "deletable",
    "delivery_time",
    "feeling_payload",
    "invite_code_valid",
    "invite_refusal",
    "may_share",
    "next_morning",
    "respond",
    "share_refusal",
    "shares_today",
    "unlink",
    "visible_to",
    "week_counts",
]
