"""Couple mode's records: partner invites, pairings, and the items partners send each other.

One document per couple holds its pairing, the members' first names, their delivery choice,
every share and every "ask me again" — so changing a share or ending a link is one atomic
write, and both partners always read the same record. Beside it, each person's list of
pairings (theirs, newest last) and each open invite. On disk (`FileCouples`)::

    <data_dir>/couples/<pairing_id>.json        the couple's document
    <data_dir>/couples/members/<user_id>.json   that person's pairing ids
    <data_dir>/couples/invites/<hash>.json      an invite, named by a hash of its code
    <data_dir>/couples/linking/<pairing_id>     marker: a link is being written (repaired at start)
    <data_dir>/couples/due/<pairing_id>         marker: the couple has queued shares or asks

Linking writes the marker, the document, both members' lists, the used invite, then removes
the marker; `repair` (at start) finishes any link a crash interrupted, so both sides agree.
`bot.storage.couple_backends` keeps the documents in memory (`MemoryCouples`, tests) or in files
(`FileCouples`). Every method is atomic under
one lock; linking is rare and sharing is at most a few items a day per person.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from bot.domain import partners
from bot.domain.partners import (
    InviteRefusal,
    Pairing,
    PairingRefusal,
    PartnerInvite,
    Share,
    ShareAsk,
    ShareState,
)
from bot.storage.base import SCHEMA_VERSION

logger = logging.getLogger("bot.storage")

_IN_FLIGHT = frozenset({ShareState.QUEUED.value, ShareState.SENDING.value})  # keep the couple marked due
_T = TypeVar("_T")
Document = dict[str, Any]


def _invite_key(code: str) -> str:
    """Invites are filed under a hash, so a listing of the directory reveals no usable code."""
    return hashlib.sha256(code.encode()).hexdigest()[:32]


class Couples(ABC):
    """The couple records; subclasses say where documents live (memory or files)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    # -- where documents live (subclasses) ------------------------------------------------

    @abstractmethod
    def _read(self, kind: str, name: str) -> Document | None:
        """The document `name` of `kind` (pairings, members, invites; markers read as {}), or None."""

    @abstractmethod
    def _write(self, kind: str, name: str, document: Document) -> None:
        """Replace the document durably (a marker: create it)."""

    @abstractmethod
    def _remove(self, kind: str, name: str) -> None:
        """Remove it durably; no error if it is not there."""

    @abstractmethod
    def _names(self, kind: str) -> list[str]:
        """The names of every document (or marker) of `kind`, sorted."""

    async def _call(self, body: Callable[[], _T]) -> _T:
        return body()

    # -- invites ---------------------------------------------------------------------------

    async def create_invite(self, invite: PartnerInvite) -> None:
        """Store a new invite; durable on return."""
        await self._call(
            lambda: self._locked(self._write, "invites", _invite_key(invite.code), invite.to_dict())
        )

    async def get_invite(self, code: str) -> PartnerInvite | None:
        """The invite with this code (used or not), or None for a code that was never issued."""
        return await self._call(lambda: self._locked(self._invite, code))

    def _invite(self, code: str) -> PartnerInvite | None:
        raw = self._read("invites", _invite_key(code))
        if raw is None:
            return None
        invite = PartnerInvite.from_dict(raw)
        return invite if invite.code == code else None

    # -- pairings --------------------------------------------------------------------------

    async def accept(
        self, code: str, presser: int, presser_name: str, now: datetime, pairing_id: str
    ) -> tuple[PartnerInvite, Pairing] | InviteRefusal:
        """Link the presser with the inviter if the rules allow it now; atomic against other links."""
        return await self._call(
            lambda: self._locked(self._accept, code, presser, presser_name, now, pairing_id)
        )

    def _accept(
        self, code: str, presser: int, presser_name: str, now: datetime, pairing_id: str
    ) -> tuple[PartnerInvite, Pairing] | InviteRefusal:
        invite = self._invite(code)
        inviter_pairing = self._current(invite.inviter_id) if invite else None
        outcome = partners.accept(invite, presser, now, self._current(presser), inviter_pairing, pairing_id)
        if isinstance(outcome, InviteRefusal):
            return outcome
        used, pairing = outcome
        self._mark("linking", pairing_id)
        document: Document = {
            "schema": SCHEMA_VERSION,
            "pairing": pairing.to_dict(),
            "names": {str(used.inviter_id): used.inviter_first_name, str(presser): presser_name},
            "immediate": [],
            "shares": [],
            "asks": [],
            "invite": _invite_key(code),
        }
        self._write("pairings", pairing_id, document)
        self._finish_link(pairing_id, document)
        return used, pairing

    def _finish_link(self, pairing_id: str, document: Document) -> None:
        """Both members' lists and the used invite, then the marker goes: the link is complete."""
        pairing = Pairing.from_dict(document["pairing"])
        for member in pairing.members:
            listed = self._member_pairings(member)
            if pairing_id not in listed:
                self._write("members", str(member), {"pairings": [*listed, pairing_id]})
        invite_raw = self._read("invites", document["invite"])
        if invite_raw is not None and invite_raw.get("used_by") is None:
            invite_raw["used_by"] = pairing.members[1]
            self._write("invites", document["invite"], invite_raw)
        self._unmark("linking", pairing_id)

    def repair(self) -> int:
        """Finish links a crash interrupted (at start, before anything is served); how many."""
        with self._lock:
            repaired = 0
            for pairing_id in self._names("linking"):
                document = self._read("pairings", pairing_id)
                if document is None:
                    self._unmark("linking", pairing_id)  # the link never happened; the invite is unused
                    continue
                self._finish_link(pairing_id, document)
                repaired += 1
            return repaired

    def _member_pairings(self, user_id: int) -> list[str]:
        raw = self._read("members", str(user_id))
        return [str(p) for p in raw.get("pairings", [])] if raw else []

    def _current(self, user_id: int) -> Pairing | None:
        """The person's active pairing, if any (only the newest can be active)."""
        listed = self._member_pairings(user_id)
        if not listed:
            return None
        document = self._read("pairings", listed[-1])
        if document is None:
            return None
        pairing = Pairing.from_dict(document["pairing"])
        return pairing if pairing.active and pairing.includes(user_id) else None

    async def current(self, user_id: int) -> Pairing | None:
        """The person's partner link, or None."""
        return await self._call(lambda: self._locked(self._current, user_id))

    async def couple(self, user_id: int) -> tuple[Pairing, dict[int, str], bool] | None:
        """The person's active link, both first names, and whether they take shares at any hour."""

        def body() -> tuple[Pairing, dict[int, str], bool] | None:
            pairing = self._current(user_id)
            if pairing is None:
                return None
            document = self._doc(pairing.pairing_id)
            names = {int(k): str(v) for k, v in document.get("names", {}).items()}
            return pairing, names, user_id in document.get("immediate", [])

        return await self._call(lambda: self._locked(body))

    async def names(self, pairing_id: str) -> dict[int, str]:
        """The first names kept for a couple (ended or not); none for an unknown pairing."""

        def body() -> dict[int, str]:
            document = self._read("pairings", pairing_id)
            return {int(k): str(v) for k, v in (document or {}).get("names", {}).items()}

        return await self._call(lambda: self._locked(body))

    async def end(self, pairing_id: str, by: int, now: datetime) -> Pairing | PairingRefusal:
        """End the link (idempotent); a pairing id that is not the person's own changes nothing."""

        def body() -> Pairing | PairingRefusal:
            document = self._read("pairings", pairing_id)
            if document is None:
                return PairingRefusal.NOT_A_MEMBER
            outcome = partners.unlink(Pairing.from_dict(document["pairing"]), by, now)
            if isinstance(outcome, Pairing):
                document["pairing"] = outcome.to_dict()
                document["asks"] = []  # nothing more is asked about a partner who is gone
                self._write("pairings", pairing_id, document)
            return outcome

        return await self._call(lambda: self._locked(body))

    async def set_immediate(self, pairing_id: str, user_id: int, immediate: bool) -> bool:
        """Whether shares may reach this member at any hour; False if they are not in the pairing."""

        def body() -> bool:
            document = self._read("pairings", pairing_id)
            if document is None or not Pairing.from_dict(document["pairing"]).includes(user_id):
                return False
            chosen = set(document.get("immediate", [])) - {user_id} | ({user_id} if immediate else set())
            document["immediate"] = sorted(chosen)
            self._write("pairings", pairing_id, document)
            return True

        return await self._call(lambda: self._locked(body))

    # -- shares ----------------------------------------------------------------------------

    def _doc(self, pairing_id: str) -> Document:
        document = self._read("pairings", pairing_id)
        if document is None:
            raise KeyError(pairing_id)
        return document

    async def shares_of(self, user_id: int) -> list[tuple[Share, dict[int, str]]]:
        """Every share the person sent or received, in every pairing they were in, oldest first, with
        the names kept for that couple (what history and export show)."""

        def body() -> list[tuple[Share, dict[int, str]]]:
            found = []
            for pairing_id in self._member_pairings(user_id):
                document = self._read("pairings", pairing_id)
                if document is None:
                    continue
                names = {int(k): str(v) for k, v in document.get("names", {}).items()}
                found += [(Share.from_dict(raw), names) for raw in document.get("shares", [])]
            return sorted(found, key=lambda pair: pair[0].created_at)

        return await self._call(lambda: self._locked(body))

    async def save_share(self, share: Share) -> None:
        """Add or replace the share in its couple's document; queued ones are marked due."""

        def body() -> None:
            document = self._doc(share.pairing_id)
            shares = [raw for raw in document["shares"] if raw["share_id"] != share.share_id]
            document["shares"] = sorted([*shares, share.to_dict()], key=lambda raw: raw["created_at"])
            self._write("pairings", share.pairing_id, document)
            if share.state in _IN_FLIGHT:
                self._mark("due", share.pairing_id)

        await self._call(lambda: self._locked(body))

    async def update_share(
        self, pairing_id: str, share_id: str, change: Callable[[Share], Share | None]
    ) -> Share | None:
        """Apply `change` to the stored share atomically; the stored result, or None if there is no
        such share or `change` declined (returned None)."""

        def body() -> Share | None:
            document = self._read("pairings", pairing_id)
            if document is None:
                return None
            for index, raw in enumerate(document["shares"]):
                if raw["share_id"] == share_id:
                    changed = change(Share.from_dict(raw))
                    if changed is None:
                        return None
                    document["shares"][index] = changed.to_dict()
                    self._write("pairings", pairing_id, document)
                    return changed
            return None

        return await self._call(lambda: self._locked(body))

    async def remove_share(self, pairing_id: str, share_id: str, sender: int) -> Share | None:
        """Remove one share its sender takes back; the removed share, or None if there is none of theirs."""

        def body() -> Share | None:
            document = self._read("pairings", pairing_id)
            if document is None:
                return None
            for raw in document["shares"]:
                if raw["share_id"] == share_id and raw["sender"] == sender:
                    document["shares"].remove(raw)
                    self._write("pairings", pairing_id, document)
                    return Share.from_dict(raw)
            return None

        return await self._call(lambda: self._locked(body))

    async def add_ask(self, pairing_id: str, ask: ShareAsk) -> None:
        def body() -> None:
            document = self._doc(pairing_id)
            document["asks"] = [*(a for a in document["asks"] if a["ask_id"] != ask.ask_id), ask.to_dict()]
            self._write("pairings", pairing_id, document)
            self._mark("due", pairing_id)

        await self._call(lambda: self._locked(body))

    async def take_due(self, now: datetime) -> tuple[list[Share], list[ShareAsk]]:
        """One queued share whose time has come (now marked sending: handed out once), if any, and
        the due asks (removed). Couples with nothing left waiting lose their due marker.

        One share at a time: a share is marked sending just before it goes, so a crash while one
        is on the wire leaves the others queued rather than counted as delivered."""

        def body() -> tuple[list[Share], list[ShareAsk]]:
            shares: list[Share] = []
            asks: list[ShareAsk] = []
            for pairing_id in self._names("due"):
                document = self._read("pairings", pairing_id)
                if document is None:
                    self._unmark("due", pairing_id)
                    continue
                changed = False
                for index, raw in enumerate(document["shares"]):
                    share = Share.from_dict(raw)
                    if share.state is ShareState.QUEUED and share.deliver_at <= now and not shares:
                        sending = _replace_state(share, ShareState.SENDING)
                        document["shares"][index] = sending.to_dict()
                        shares.append(sending)
                        changed = True
                kept = []
                for raw in document["asks"]:
                    ask = ShareAsk.from_dict(raw)
                    if ask.ask_at <= now:
                        asks.append(ask)
                    else:
                        kept.append(raw)
                if len(kept) != len(document["asks"]):
                    document["asks"] = kept
                    changed = True
                if changed:
                    self._write("pairings", pairing_id, document)
                if not kept and not any(raw["state"] in _IN_FLIGHT for raw in document["shares"]):
                    self._unmark("due", pairing_id)
            return shares, asks

        return await self._call(lambda: self._locked(body))

    async def settle_interrupted(self) -> int:
        """At start: shares a crash left "sending" were handed to Telegram; count them delivered
        (never sent twice). How many. Only couples marked due can hold one."""

        def body() -> int:
            settled = 0
            for pairing_id in self._names("due"):
                document = self._read("pairings", pairing_id)
                if document is None:
                    continue
                changed = False
                for raw in document["shares"]:
                    if raw["state"] == ShareState.SENDING:
                        raw["state"] = ShareState.DELIVERED.value
                        changed = True
                        settled += 1
                if changed:
                    self._write("pairings", pairing_id, document)
            return settled

        return await self._call(lambda: self._locked(body))

    # -- a person's data -------------------------------------------------------------------

    async def export(self, user_id: int) -> dict[str, Any]:
        """What couple mode holds about the person: their links, what they sent, what reached them."""

        def body() -> dict[str, Any]:
            links = []
            for pairing_id in self._member_pairings(user_id):
                document = self._read("pairings", pairing_id)
                if document is None:
                    continue
                pairing = Pairing.from_dict(document["pairing"])
                names = document.get("names", {})
                visible = partners.visible_to(user_id, (Share.from_dict(raw) for raw in document["shares"]))
                links.append(
                    {
                        "pairing": pairing.to_dict(),
                        "partner_name": names.get(str(pairing.partner_of(user_id))),
                        "shares": [share.to_dict() for share in visible],
                    }
                )
            return {"links": links}

        return await self._call(lambda: self._locked(body))

    async def forget(self, user_id: int, now: datetime) -> tuple[list[Share], list[int]]:
        """Erase the person from couple mode: their links end, what they sent is removed from every
        couple's document, their name and invites go. Returns the removed shares (so delivered
        messages can be deleted from the partner's chat) and the partners whose link was active."""

        def body() -> tuple[list[Share], list[int]]:
            removed: list[Share] = []
            told: list[int] = []
            for pairing_id in self._member_pairings(user_id):
                document = self._read("pairings", pairing_id)
                if document is None:
                    continue
                pairing = Pairing.from_dict(document["pairing"])
                if pairing.active:
                    told.append(pairing.partner_of(user_id))
                    ended = partners.unlink(pairing, user_id, now)
                    assert isinstance(ended, Pairing)
                    document["pairing"] = ended.to_dict()
                removed += [Share.from_dict(raw) for raw in document["shares"] if raw["sender"] == user_id]
                document["shares"] = [raw for raw in document["shares"] if raw["sender"] != user_id]
                document["asks"] = [a for a in document["asks"] if a["author"] != user_id]
                document["names"] = {k: v for k, v in document.get("names", {}).items() if k != str(user_id)}
                document["immediate"] = [m for m in document.get("immediate", []) if m != user_id]
                self._write("pairings", pairing_id, document)
            for name in self._names("invites"):
                raw = self._read("invites", name)
                if raw is not None and raw.get("inviter_id") == user_id:
                    self._remove("invites", name)
            self._remove("members", str(user_id))
            return removed, told

        return await self._call(lambda: self._locked(body))

    # -- helpers ---------------------------------------------------------------------------

    def _locked(self, fn: Callable[..., _T], *args: Any) -> _T:
        with self._lock:
            return fn(*args)

    def _mark(self, kind: str, name: str) -> None:
        self._write(kind, name, {})

    def _unmark(self, kind: str, name: str) -> None:
        self._remove(kind, name)


def _replace_state(share: Share, state: ShareState) -> Share:
    return Share.from_dict({**share.to_dict(), "state": state.value})
