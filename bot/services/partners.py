"""Couple mode's rules at work: inviting, linking, unlinking, and sending one chosen item at a time.

The decisions are `bot.domain.partners`' (pure); this module gathers what they need (profiles,
the couple's record, the clock) and stores what they decide. Nothing here reads a diary entry
on the partner's behalf: a share carries only what its author chose for the partner.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any

from bot.domain import partners
from bot.domain.models import Entry, EntryKind
from bot.domain.partners import (
    InviteRefusal,
    Pairing,
    PairingRefusal,
    PartnerInvite,
    Share,
    ShareAsk,
    ShareKind,
    ShareRefusal,
    ShareState,
    WeekCounts,
)
from bot.services import Services
from bot.services.exercises import today, zone_name

INVITE_BYTES = 12  # 16 URL-safe characters: unguessable, and "p-" + code fits a /start payload


@dataclass(frozen=True, slots=True)
class Couple:
    """A person's active link as they see it: who the partner is, never what the partner does."""

    pairing: Pairing
    me: int
    partner: int
    partner_name: str
    my_name: str
    immediate: bool  # shares reach me at any hour

    @property
    def pairing_id(self) -> str:
        return self.pairing.pairing_id


async def couple(svc: Services, uid: int) -> Couple | None:
    """The person's current link, or None."""
    found = await svc.couples.couple(uid)
    if found is None:
        return None
    pairing, names, immediate = found
    partner = pairing.partner_of(uid)
    return Couple(pairing, uid, partner, names.get(partner, ""), names.get(uid, ""), immediate)


# --- linking ---------------------------------------------------------------------------


async def new_invite(svc: Services, uid: int, first_name: str) -> PartnerInvite | None:
    """A fresh single-use invite from this person, or None if they already have a partner."""
    if await svc.couples.current(uid) is not None:
        return None
    now = svc.clock()
    invite = PartnerInvite(
        code=secrets.token_urlsafe(INVITE_BYTES),
        inviter_id=uid,
        inviter_first_name=first_name,
        created_at=now,
        expires_at=now + timedelta(days=svc.config.partner_invite_days),
    )
    await svc.couples.create_invite(invite)
    return invite


def code_of(payload: str) -> str | None:
    """The invite code in a `/start` payload (`p-<code>`), or None if it is not shaped like one."""
    return payload.removeprefix(partners.INVITE_PREFIX) if partners.invite_code_valid(payload) else None


async def check_invite(
    svc: Services, code: str, presser: int
) -> tuple[PartnerInvite | None, InviteRefusal | None]:
    """The invite and whether `presser` may accept it now (nothing is written)."""
    invite = await svc.couples.get_invite(code)
    inviter_pairing = await svc.couples.current(invite.inviter_id) if invite else None
    refusal = partners.invite_refusal(
        invite, presser, svc.clock(), await svc.couples.current(presser), inviter_pairing
    )
    return invite, refusal


async def admits(svc: Services, payload: str, presser: int) -> bool:
    """Invite-only access: whether this `/start` payload or accept press is a partner invite that
    would let `presser` in (an accepted partner link admits the partner, if the operator allows)."""
    code = code_of(payload)
    if not svc.config.partner_admits or code is None:
        return False
    _, refusal = await check_invite(svc, code, presser)
    return refusal is None


async def accept(
    svc: Services, code: str, presser: int, presser_name: str
) -> tuple[PartnerInvite, Pairing] | InviteRefusal:
    """Link the presser with the inviter (atomically), or say why not."""
    return await svc.couples.accept(code, presser, presser_name, svc.clock(), secrets.token_hex(8))


async def unlink(svc: Services, uid: int, pairing_id: str) -> Pairing | PairingRefusal | None:
    """End the person's own active link; None if it had already ended (a second press)."""
    current = await svc.couples.current(uid)
    if current is None or current.pairing_id != pairing_id:
        return None if current is None else PairingRefusal.NOT_A_MEMBER
    return await svc.couples.end(pairing_id, uid, svc.clock())


async def set_immediate(svc: Services, uid: int, pairing_id: str, immediate: bool) -> bool:
    current = await svc.couples.current(uid)
    if current is None or current.pairing_id != pairing_id:
        return False
    return await svc.couples.set_immediate(pairing_id, uid, immediate)


# --- sharing ---------------------------------------------------------------------------


def share_id(sender: int, kind: ShareKind, source: str) -> str:
    """One share per source item (a boundary, a check-in, an interest on a day): a second press of
    the same offer finds it made already."""
    return uuid.uuid5(uuid.NAMESPACE_OID, f"share:{sender}:{kind}:{source}").hex


async def find_share(svc: Services, uid: int, the_id: str) -> Share | None:
    """One of the person's own shares (sent or received), or None: ids from buttons are only names."""
    for share, _names in await svc.couples.shares_of(uid):
        if share.share_id == the_id and (share.sender == uid or share.receiver == uid):
            return share
    return None


async def _zone_and_morning(svc: Services, uid: int) -> tuple[str, time]:
    """The person's zone and morning time, or the configured defaults until they have set them."""
    profile = await svc.repo.get_profile(uid)
    return zone_name(svc, profile), profile.morning if profile and profile.morning else svc.config.morning


async def share(
    svc: Services, sender: int, kind: ShareKind, source: str, payload: dict[str, Any]
) -> Share | ShareRefusal | None:
    """Send one item to the partner: queued for their morning if it is night where they are.

    None if this very item was shared already (a repeated press). The share is stored before
    anything is sent, so a crash can delay it but never lose it.
    """
    current = await couple(svc, sender)
    the_id = share_id(sender, kind, source)
    mine = [s for s, _ in await svc.couples.shares_of(sender)]
    if any(s.share_id == the_id for s in mine):
        return None
    now = svc.clock()
    zone, _ = await _zone_and_morning(svc, sender)
    refusal = partners.share_refusal(
        current.pairing if current else None,
        sender,
        partners.shares_today(mine, sender, now, zone),
        svc.config.partner_daily_limit,
    )
    if refusal is not None or current is None:
        return refusal or ShareRefusal.NOT_LINKED
    receiver_zone, receiver_morning = await _zone_and_morning(svc, current.partner)
    partner_couple = await couple(svc, current.partner)
    deliver_at = partners.delivery_time(
        now,
        receiver_zone,
        receiver_morning,
        night_start=svc.config.partner_night_start,
        immediate=bool(partner_couple and partner_couple.immediate),
    )
    item = Share(
        share_id=the_id,
        pairing_id=current.pairing_id,
        sender=sender,
        receiver=current.partner,
        kind=kind,
        payload=payload,
        created_at=now,
        deliver_at=deliver_at,
        state=ShareState.QUEUED if deliver_at > now else ShareState.SENDING,
    )
    await svc.couples.save_share(item)
    return item


async def take_back(svc: Services, uid: int, the_id: str) -> Share | None:
    """Remove an item the person sent (from the partner's history too); None if it is not theirs."""
    found = await find_share(svc, uid, the_id)
    if found is None or found.sender != uid:
        return None
    return await svc.couples.remove_share(found.pairing_id, found.share_id, uid)


async def mark_delivered(svc: Services, item: Share, message_ids: list[int]) -> None:
    now = svc.clock()
    await svc.couples.update_share(
        item.pairing_id,
        item.share_id,
        lambda s: replace(
            s,
            state=ShareState.DELIVERED,
            message_id=message_ids[-1],
            message_ids=tuple(message_ids),
            delivered_at=now,
        ),
    )


async def mark_failed(svc: Services, item: Share) -> None:
    await svc.couples.update_share(
        item.pairing_id, item.share_id, lambda s: replace(s, state=ShareState.FAILED)
    )


async def requeue(svc: Services, item: Share, delay: timedelta) -> None:
    """Telegram could not be reached: try this share again a little later."""
    await svc.couples.save_share(replace(item, state=ShareState.QUEUED, deliver_at=svc.clock() + delay))


async def still_linked(svc: Services, item: Share) -> bool:
    """A queued share goes out only while its couple is still linked."""
    current = await svc.couples.current(item.sender)
    return current is not None and current.pairing_id == item.pairing_id


async def respond(svc: Services, presser: int, the_id: str, response: str) -> Share | None:
    """The receiver's answer to a share, stored once; None for a press that may not answer it."""
    found = await find_share(svc, presser, the_id)
    if found is None:
        return None
    return await svc.couples.update_share(
        found.pairing_id, found.share_id, lambda s: partners.respond(s, presser, response)
    )


async def note_boundary_shared(
    svc: Services, uid: int, boundary_id: str, response: str | None = None
) -> None:
    """Record in the author's own history that the boundary went to the partner (and how it was met)."""
    profile = await svc.repo.get_profile(uid)
    data: dict[str, Any] = {"boundary_id": boundary_id, "shared": True, "with_partner": True}
    if response is not None:
        data["partner_response"] = response
    await svc.repo.append_entry(
        uid, Entry(kind=EntryKind.BOUNDARY_UPDATE, local_date=today(svc, profile), data=data)
    )


async def sleep_on_it(svc: Services, uid: int, boundary_id: str) -> datetime | None:
    """Ask the author again at their next morning whether to share this boundary; when, or None."""
    current = await couple(svc, uid)
    if current is None:
        return None
    zone, morning = await _zone_and_morning(svc, uid)
    ask_at = partners.next_morning(svc.clock(), zone, morning)
    ask = ShareAsk(share_id(uid, ShareKind.BOUNDARY, f"ask:{boundary_id}"), uid, boundary_id, ask_at)
    await svc.couples.add_ask(current.pairing_id, ask)
    return ask_at


async def take_due(svc: Services) -> tuple[list[Share], list[ShareAsk]]:
    return await svc.couples.take_due(svc.clock())


async def week(svc: Services, uid: int, start: datetime, end: datetime) -> WeekCounts:
    """What the person shared and received in a period: counts only."""
    return partners.week_counts((s for s, _ in await svc.couples.shares_of(uid)), uid, start, end)


async def partner_interests(svc: Services, uid: int) -> list[str]:
    """Interests the current partner chose to tell this person about (for the weekly question)."""
    current = await couple(svc, uid)
    if current is None:
        return []
    names: list[str] = []
    for item, _ in await svc.couples.shares_of(uid):
        interest = str(item.payload.get("interest", ""))
        if (
            item.kind is ShareKind.INTEREST
            and item.pairing_id == current.pairing_id
            and partners.can_see(uid, item)
            and item.receiver == uid
            and interest
            and interest not in names
        ):
            names.append(interest)
    return names


async def forget(svc: Services, uid: int) -> tuple[list[Share], list[int]]:
    """Remove the person from couple mode (part of /delete); see `Couples.forget`."""
    return await svc.couples.forget(uid, svc.clock())
