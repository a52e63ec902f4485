"""Couple mode's records: the refusal and state codes, and the pairing, invite, share and "ask me
again" records storage keeps (JSON-safe dicts both ways). The rules about them are in
`bot.domain.partners`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class InviteRefusal(StrEnum):
    """Why pressing an invite link does not link the presser to the inviter."""

    FORGED = "forged"  # no such invite
    SELF = "self"  # the inviter opened their own link
    USED = "used"  # single use, already accepted
    EXPIRED = "expired"
    PRESSER_LINKED = "presser_linked"  # the presser already has a partner
    INVITER_LINKED = "inviter_linked"  # the inviter linked with someone else meanwhile


class PairingRefusal(StrEnum):
    NOT_A_MEMBER = "not_a_member"  # a pairing id that is not the person's own (forged callback data)


class ShareRefusal(StrEnum):
    """Why an item is not sent to the partner."""

    NOT_LINKED = "not_linked"  # no partner, or the link has ended
    DAILY_LIMIT = "daily_limit"
    NOTHING_CHOSEN = "nothing_chosen"  # the author chose no part to send
    NOT_A_CODE = "not_a_code"  # a feeling or intensity that is not the bot's own, so possibly diary text
    NOTE_TOO_LONG = "note_too_long"


class ShareKind(StrEnum):
    BOUNDARY = "boundary"
    FEELING = "feeling"
    INTEREST = "interest"


class ShareState(StrEnum):
    QUEUED = "queued"  # waiting for its delivery time (the receiver's morning)
    # Handed to Telegram, answer not yet recorded. Found so at start, it counts as delivered:
    # a share is never sent twice (at most once), and the request had already left.
    SENDING = "sending"
    DELIVERED = "delivered"
    ACKNOWLEDGED = "acknowledged"  # the receiver answered with a button
    FAILED = "failed"  # could not be delivered (the partner blocked the bot or unlinked)


def _aware(*instants: datetime | None) -> None:
    """Refuse naive datetimes at construction: every instant here is compared across zones."""
    for instant in instants:
        if instant is not None and instant.utcoffset() is None:
            raise ValueError("partner records need time zone aware datetimes")


def _iso(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant is not None else None


def _instant(raw: Any) -> datetime | None:
    return datetime.fromisoformat(raw) if raw is not None else None


def _optional_int(raw: Any) -> int | None:
    return int(raw) if raw is not None else None


@dataclass(frozen=True, slots=True)
class Pairing:
    """Two linked people. Ended pairings are kept (with who ended it) so history can say so."""

    pairing_id: str
    members: tuple[int, int]
    linked_at: datetime
    ended_at: datetime | None = None
    ended_by: int | None = None

    def __post_init__(self) -> None:
        _aware(self.linked_at, self.ended_at)

    @property
    def active(self) -> bool:
        return self.ended_at is None

    def includes(self, user_id: int) -> bool:
        return user_id in self.members

    def partner_of(self, user_id: int) -> int:
        """The other member; a non-member has no partner here."""
        first, second = self.members
        if user_id == first:
            return second
        if user_id == second:
            return first
        raise ValueError("not a member of this pairing")

    def to_dict(self) -> dict[str, Any]:
        return {
            "pairing_id": self.pairing_id,
            "members": list(self.members),
            "linked_at": self.linked_at.isoformat(),
            "ended_at": _iso(self.ended_at),
            "ended_by": self.ended_by,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Pairing:
        first, second = raw["members"]
        return cls(
            pairing_id=str(raw["pairing_id"]),
            members=(int(first), int(second)),
            linked_at=datetime.fromisoformat(raw["linked_at"]),
            ended_at=_instant(raw.get("ended_at")),
            ended_by=_optional_int(raw.get("ended_by")),
        )


@dataclass(frozen=True, slots=True)
class PartnerInvite:
    """A single-use invite link's record; the first name is shown to whoever opens it."""

    code: str
    inviter_id: int
    inviter_first_name: str
    created_at: datetime
    expires_at: datetime
    used_by: int | None = None

    def __post_init__(self) -> None:
        _aware(self.created_at, self.expires_at)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "inviter_id": self.inviter_id,
            "inviter_first_name": self.inviter_first_name,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "used_by": self.used_by,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> PartnerInvite:
        return cls(
            code=str(raw["code"]),
            inviter_id=int(raw["inviter_id"]),
            inviter_first_name=str(raw["inviter_first_name"]),
            created_at=datetime.fromisoformat(raw["created_at"]),
            expires_at=datetime.fromisoformat(raw["expires_at"]),
            used_by=_optional_int(raw.get("used_by")),
        )


@dataclass(frozen=True, slots=True)
class Share:
    """One item an author chose to send their partner, and how far it got.

    `payload` holds only what the author chose for the partner (codes, numbers, and text
    typed for the partner), never diary answers.
    """

    share_id: str
    pairing_id: str
    sender: int
    receiver: int
    kind: ShareKind
    payload: dict[str, Any]
    created_at: datetime
    deliver_at: datetime
    state: ShareState = ShareState.QUEUED
    response: str | None = None  # the code of the receiver's answer button
    message_id: int | None = None  # the delivered Telegram message (the last, if it took several)
    delivered_at: datetime | None = None
    message_ids: tuple[int, ...] = ()  # every message it took (a long boundary is split), for deleteMessage

    def __post_init__(self) -> None:
        _aware(self.created_at, self.deliver_at, self.delivered_at)

    def to_dict(self) -> dict[str, Any]:
        return {
            "share_id": self.share_id,
            "pairing_id": self.pairing_id,
            "sender": self.sender,
            "receiver": self.receiver,
            "kind": self.kind.value,
            "payload": dict(self.payload),
            "created_at": self.created_at.isoformat(),
            "deliver_at": self.deliver_at.isoformat(),
            "state": self.state.value,
            "response": self.response,
            "message_id": self.message_id,
            "delivered_at": _iso(self.delivered_at),
            "message_ids": list(self.message_ids),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Share:
        return cls(
            share_id=str(raw["share_id"]),
            pairing_id=str(raw["pairing_id"]),
            sender=int(raw["sender"]),
            receiver=int(raw["receiver"]),
            kind=ShareKind(raw["kind"]),
            payload=dict(raw["payload"]),
            created_at=datetime.fromisoformat(raw["created_at"]),
            deliver_at=datetime.fromisoformat(raw["deliver_at"]),
            state=ShareState(raw.get("state", ShareState.QUEUED)),
            response=raw.get("response"),
            message_id=_optional_int(raw.get("message_id")),
            delivered_at=_instant(raw.get("delivered_at")),
            message_ids=tuple(int(m) for m in raw.get("message_ids") or ()),
        )


@dataclass(frozen=True, slots=True)
class ShareAsk:
    """ "Sleep on it": ask the author again, at `ask_at`, whether to share a boundary."""

    ask_id: str
    author: int
    boundary_id: str
    ask_at: datetime

    def __post_init__(self) -> None:
        _aware(self.ask_at)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ask_id": self.ask_id,
            "author": self.author,
            "boundary_id": self.boundary_id,
            "ask_at": self.ask_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ShareAsk:
        return cls(
            ask_id=str(raw["ask_id"]),
            author=int(raw["author"]),
            boundary_id=str(raw["boundary_id"]),
            ask_at=datetime.fromisoformat(raw["ask_at"]),
        )
