"""Couple mode's pure rules: records, linking, limits, night delivery, what a feeling carries, isolation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.partners import (
    DAILY_SHARE_LIMIT,
    NOTE_MAX_CHARS,
    InviteRefusal,
    Pairing,
    PairingRefusal,
    PartnerInvite,
    Share,
    ShareKind,
    ShareRefusal,
    ShareState,
    accept,
    can_see,
    delivery_time,
    feeling_payload,
    invite_code_valid,
    invite_refusal,
    may_share,
    share_refusal,
    shares_today,
    unlink,
    visible_to,
)

DANA, NOAM, THIRD, FOURTH = 101, 202, 303, 404
NOW = datetime(2026, 5, 6, 12, 0, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def invite(**changes: Any) -> PartnerInvite:
    values: dict[str, Any] = {
        "code": "Abc_def-123",
        "inviter_id": DANA,
        "inviter_first_name": "Dana",
        "created_at": NOW - timedelta(days=1),
        "expires_at": NOW + timedelta(days=6),
    }
    return PartnerInvite(**(values | changes))


def pairing(first: int = DANA, second: int = NOAM, **changes: Any) -> Pairing:
    values: dict[str, Any] = {"pairing_id": "pair-1", "members": (first, second), "linked_at": NOW}
    return Pairing(**(values | changes))


def share(sender: int = DANA, receiver: int = NOAM, **changes: Any) -> Share:
    values: dict[str, Any] = {
        "share_id": "share-1",
        "pairing_id": "pair-1",
        "sender": sender,
        "receiver": receiver,
        "kind": ShareKind.FEELING,
        "payload": {"feeling": "sad", "intensity": 4},
        "created_at": NOW,
        "deliver_at": NOW,
    }
    return Share(**(values | changes))


# --- records ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "record",
    [
        pairing(),
        pairing(ended_at=NOW + timedelta(days=3), ended_by=NOAM),
        invite(),
        invite(used_by=NOAM, created_at=datetime(2026, 5, 5, 9, 0, tzinfo=ZoneInfo("Asia/Jerusalem"))),
        share(),
        share(
            kind=ShareKind.BOUNDARY,
            payload={"text": "I need quiet when I get home, because my day is loud. שקט"},
            deliver_at=NOW + timedelta(hours=9),
            state=ShareState.ACKNOWLEDGED,
            response="thanks",
            message_id=5512,
        ),
        share(kind=ShareKind.INTEREST, payload={"interest": "painting"}, state=ShareState.FAILED),
    ],
    ids=repr,
)
def test_records_round_trip_through_json(record: Pairing | PartnerInvite | Share) -> None:
    stored = json.loads(json.dumps(record.to_dict(), ensure_ascii=False))
    again = type(record).from_dict(stored)
    assert again == record
    assert again.to_dict() == record.to_dict()


def test_share_kind_and_state_are_stored_as_their_codes() -> None:
    raw = share(state=ShareState.DELIVERED).to_dict()
    assert (raw["kind"], raw["state"]) == ("feeling", "delivered")
    assert type(raw["kind"]) is str and type(raw["state"]) is str  # not the enum: JSON and export stay plain


@pytest.mark.parametrize(
    "make",
    [
        lambda: pairing(linked_at=datetime(2026, 5, 6, 12, 0)),
        lambda: pairing(ended_at=datetime(2026, 5, 6, 12, 0)),
        lambda: invite(expires_at=datetime(2026, 5, 6, 12, 0)),
        lambda: share(deliver_at=datetime(2026, 5, 6, 12, 0)),
    ],
)
def test_naive_datetimes_are_refused(make: Any) -> None:
    with pytest.raises(ValueError, match="aware"):
        make()


def test_partner_of_names_the_other_member_only() -> None:
    linked = pairing()
    assert (linked.partner_of(DANA), linked.partner_of(NOAM)) == (NOAM, DANA)
    assert linked.includes(DANA) and not linked.includes(THIRD)
    with pytest.raises(ValueError, match="not a member"):
        linked.partner_of(THIRD)


# --- linking ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("the_invite", "presser", "now", "presser_pairing", "inviter_pairing", "expected"),
    [
        (invite(), NOAM, NOW, None, None, None),
        (None, NOAM, NOW, None, None, InviteRefusal.FORGED),
        (invite(), DANA, NOW, None, None, InviteRefusal.SELF),
        (invite(used_by=NOAM), DANA, NOW, pairing(), pairing(), InviteRefusal.SELF),  # own link, even used
        (invite(used_by=NOAM), THIRD, NOW, None, pairing(), InviteRefusal.USED),  # a third person
        (invite(used_by=NOAM), NOAM, NOW, pairing(), pairing(), InviteRefusal.USED),  # pressed twice
        (invite(used_by=NOAM), THIRD, NOW + timedelta(days=30), None, None, InviteRefusal.USED),
        (invite(), NOAM, NOW + timedelta(days=6), None, None, InviteRefusal.EXPIRED),  # exactly at expiry
        (invite(), NOAM, NOW + timedelta(days=6, seconds=-1), None, None, None),
        (invite(), NOAM, NOW, pairing(NOAM, THIRD), None, InviteRefusal.PRESSER_LINKED),
        (invite(), NOAM, NOW, None, pairing(DANA, THIRD), InviteRefusal.INVITER_LINKED),
        # Ended pairings do not count, nor does a pairing the person is not part of.
        (invite(), NOAM, NOW, pairing(NOAM, THIRD, ended_at=NOW, ended_by=NOAM), None, None),
        (invite(), NOAM, NOW, None, pairing(DANA, THIRD, ended_at=NOW, ended_by=THIRD), None),
        (invite(), NOAM, NOW, pairing(THIRD, FOURTH), pairing(THIRD, FOURTH), None),
    ],
)
def test_invite_refusal(
    the_invite: PartnerInvite | None,
    presser: int,
    now: datetime,
    presser_pairing: Pairing | None,
    inviter_pairing: Pairing | None,
    expected: InviteRefusal | None,
) -> None:
    assert invite_refusal(the_invite, presser, now, presser_pairing, inviter_pairing) == expected


def test_accepting_uses_the_invite_and_links_the_two() -> None:
    result = accept(invite(), NOAM, NOW, None, None, "pair-9")
    assert not isinstance(result, InviteRefusal)
    used, linked = result
    assert used == invite(used_by=NOAM)
    assert linked == Pairing("pair-9", (DANA, NOAM), NOW)
    assert linked.active
    # The used invite now refuses everyone else, and the new pairing blocks another link for both.
    assert accept(used, THIRD, NOW, None, None, "pair-10") == InviteRefusal.USED
    assert accept(invite(code="other"), NOAM, NOW, linked, None, "pair-11") == InviteRefusal.PRESSER_LINKED


def test_accepting_a_missing_invite_is_forged() -> None:
    assert accept(None, NOAM, NOW, None, None, "pair-9") == InviteRefusal.FORGED


@pytest.mark.parametrize(
    "payload",
    ["p-a", "p-Abc_def-123", "p-" + "x" * 62, "p--", "p-_", "p-" + "Zz09_-" * 10 + "ab"],
)
def test_invite_payloads_of_the_right_shape(payload: str) -> None:
    assert invite_code_valid(payload)


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "p-",  # no code
        "p",
        "x-abc",  # wrong prefix
        "P-abc",
        "abc",
        "-p-abc",
        "p-" + "x" * 63,  # 65 characters: longer than Telegram passes
        "x" * 64,  # 64 bytes of valid characters, without the prefix
        "p-" + "\xff" * 62,
        bytes(range(64)).decode("latin-1"),  # 64 bytes of garbage
        "p-abc def",
        "p-abc\n",
        "p-abc/../x",
        "p-שלום",
        "p-abc=",
        "p-١٢٣",  # Arabic-Indic digits are digits to `\d`, not to Telegram
    ],
)
def test_invite_payloads_of_the_wrong_shape(payload: str) -> None:
    assert not invite_code_valid(payload)


def test_unlinking_ends_the_pairing_once() -> None:
    ended = unlink(pairing(), NOAM, NOW + timedelta(days=2))
    assert ended == pairing(ended_at=NOW + timedelta(days=2), ended_by=NOAM)
    assert isinstance(ended, Pairing) and not ended.active
    # Idempotent: again, by either member, later: nothing changes.
    assert unlink(ended, NOAM, NOW + timedelta(days=5)) == ended
    assert unlink(ended, DANA, NOW + timedelta(days=5)) == ended


def test_only_a_member_can_unlink() -> None:
    assert unlink(pairing(), THIRD, NOW) == PairingRefusal.NOT_A_MEMBER
    assert unlink(pairing(ended_at=NOW, ended_by=DANA), THIRD, NOW) == PairingRefusal.NOT_A_MEMBER


# --- limits ----------------------------------------------------------------------------


def test_may_share_up_to_the_limit() -> None:
    assert DAILY_SHARE_LIMIT == 10
    assert may_share(0) and may_share(9)
    assert not may_share(10) and not may_share(11)
    assert may_share(2, limit=3) and not may_share(3, limit=3)


def test_shares_today_counts_the_senders_own_on_their_local_day() -> None:
    zone = "America/New_York"  # UTC-4 in May
    now = utc(2026, 5, 7, 3, 0)  # 23:00 on 6 May in New York
    shares = [
        share(created_at=utc(2026, 5, 6, 4, 1)),  # 00:01 on 6 May local: today
        share(created_at=utc(2026, 5, 6, 3, 59)),  # 23:59 on 5 May local: yesterday
        share(created_at=utc(2026, 5, 7, 2, 0), state=ShareState.FAILED),  # today; failed still counts
        share(created_at=utc(2026, 5, 6, 18, 0), state=ShareState.ACKNOWLEDGED),  # today
        share(NOAM, DANA, created_at=utc(2026, 5, 6, 18, 0)),  # the partner's, not Dana's
    ]
    assert shares_today(shares, DANA, now, zone) == 3
    assert shares_today(shares, NOAM, now, zone) == 1
    assert shares_today(shares, DANA, now, "Asia/Tokyo") == 2  # 7 May in Tokyo: the 18:00 and 02:00 UTC ones
    assert shares_today([], DANA, now, zone) == 0


def test_share_refusal() -> None:
    assert share_refusal(pairing(), DANA, 0) is None
    assert share_refusal(pairing(), NOAM, 9) is None
    assert share_refusal(pairing(), DANA, 10) == ShareRefusal.DAILY_LIMIT
    assert share_refusal(pairing(), DANA, 3, limit=3) == ShareRefusal.DAILY_LIMIT
    assert share_refusal(None, DANA, 0) == ShareRefusal.NOT_LINKED
    assert share_refusal(pairing(ended_at=NOW, ended_by=NOAM), DANA, 0) == ShareRefusal.NOT_LINKED
    assert share_refusal(pairing(), THIRD, 0) == ShareRefusal.NOT_LINKED  # someone else's pairing


# --- night-time delivery ---------------------------------------------------------------

BERLIN = "Europe/Berlin"


@pytest.mark.parametrize(
    ("now", "morning", "expected"),
    [
        (utc(2026, 5, 6, 12, 0), time(7, 0), utc(2026, 5, 6, 12, 0)),  # 14:00: now
        (utc(2026, 5, 6, 19, 59), time(7, 0), utc(2026, 5, 6, 19, 59)),  # 21:59: still evening
        (utc(2026, 5, 6, 20, 0), time(7, 0), utc(2026, 5, 7, 5, 0)),  # 22:00: night, next morning 07:00
        (utc(2026, 5, 6, 23, 30), time(7, 0), utc(2026, 5, 7, 5, 0)),  # 01:30: this morning 07:00
        (utc(2026, 5, 7, 4, 59), time(7, 0), utc(2026, 5, 7, 5, 0)),  # 06:59
        (utc(2026, 5, 7, 5, 0), time(7, 0), utc(2026, 5, 7, 5, 0)),  # 07:00 exactly: morning has come
        (utc(2026, 5, 6, 21, 0), time(9, 30), utc(2026, 5, 7, 7, 30)),  # a late riser
        (utc(2026, 5, 6, 21, 0), time(0, 0), utc(2026, 5, 6, 22, 0)),  # 23:00, morning at midnight
        (utc(2026, 5, 6, 22, 30), time(0, 0), utc(2026, 5, 6, 22, 30)),  # 00:30: past that "morning"
    ],
)
def test_delivery_waits_for_the_receivers_morning_at_night(
    now: datetime, morning: time, expected: datetime
) -> None:
    due = delivery_time(now, BERLIN, morning, immediate=False)
    assert due == expected
    assert due.tzinfo is UTC


def test_immediate_delivery_ignores_the_night() -> None:
    assert delivery_time(utc(2026, 5, 6, 23, 30), BERLIN, time(7, 0), immediate=True) == utc(
        2026, 5, 6, 23, 30
    )


def test_now_in_any_zone_gives_a_utc_instant() -> None:
    now = datetime(2026, 5, 7, 1, 30, tzinfo=ZoneInfo(BERLIN))
    assert delivery_time(now, BERLIN, time(7, 0), immediate=False) == utc(2026, 5, 7, 5, 0)
    assert delivery_time(now, BERLIN, time(7, 0), immediate=True) == utc(2026, 5, 6, 23, 30)


def test_it_is_the_receivers_night_that_counts() -> None:
    now = utc(2026, 5, 6, 21, 0)  # 23:00 in Berlin, 17:00 in New York, 06:00 in Tokyo
    assert delivery_time(now, "America/New_York", time(7, 0), immediate=False) == now
    assert delivery_time(now, "Asia/Tokyo", time(7, 0), immediate=False) == utc(2026, 5, 6, 22, 0)
    assert delivery_time(now, "Asia/Kolkata", time(7, 0), immediate=False) == utc(2026, 5, 7, 1, 30)  # 02:30
    assert delivery_time(utc(2026, 5, 6, 12, 0), "Asia/Kolkata", time(7, 0), immediate=False) == utc(
        2026,
        5,
        6,
        12,
        0,  # 17:30
    )


def test_a_custom_night_start() -> None:
    late = time(23, 30)
    assert delivery_time(
        utc(2026, 5, 6, 21, 0), BERLIN, time(7, 0), night_start=late, immediate=False
    ) == utc(2026, 5, 6, 21, 0)
    assert delivery_time(
        utc(2026, 5, 6, 21, 30), BERLIN, time(7, 0), night_start=late, immediate=False
    ) == utc(2026, 5, 7, 5, 0)
    # A night that does not cross midnight (start before the morning time on the same day).
    small_hours = time(1, 0)
    assert delivery_time(
        utc(2026, 5, 6, 21, 0), BERLIN, time(6, 0), night_start=small_hours, immediate=False
    ) == (utc(2026, 5, 6, 21, 0))
    assert delivery_time(
        utc(2026, 5, 6, 23, 0), BERLIN, time(6, 0), night_start=small_hours, immediate=False
    ) == (utc(2026, 5, 7, 4, 0))


def test_a_morning_in_the_spring_forward_gap_comes_shifted_by_the_gap() -> None:
    # Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist that night.
    due = delivery_time(utc(2026, 3, 28, 22, 0), BERLIN, time(2, 30), immediate=False)  # 23:00 CET
    assert due == utc(2026, 3, 29, 1, 30)
    assert due.astimezone(ZoneInfo(BERLIN)).time() == time(3, 30)
    # The ordinary morning that night is an hour shorter in UTC.
    assert delivery_time(utc(2026, 3, 28, 22, 0), BERLIN, time(7, 0), immediate=False) == utc(
        2026, 3, 29, 5, 0
    )


def test_the_fall_back_night_is_an_hour_longer() -> None:
    # Berlin, 2026-10-25: 03:00 CEST falls back to 02:00 CET.
    assert delivery_time(utc(2026, 10, 24, 20, 0), BERLIN, time(7, 0), immediate=False) == utc(
        2026, 10, 25, 6, 0
    )
    # The repeated hour is night either time round; a morning inside it comes at its first occurrence.
    second_two_thirty = utc(2026, 10, 25, 1, 30)  # 02:30 CET, the second 02:30
    assert delivery_time(second_two_thirty, BERLIN, time(7, 0), immediate=False) == utc(2026, 10, 25, 6, 0)
    assert delivery_time(utc(2026, 10, 24, 20, 0), BERLIN, time(2, 45), immediate=False) == utc(
        2026, 10, 25, 0, 45
    )


ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Adelaide", "Pacific/Chatham",
         "America/Sao_Paulo", "Asia/Tehran", "UTC", "Australia/Lord_Howe", "America/St_Johns",
         "America/Santiago", "Asia/Beirut", "America/Havana", "Pacific/Kiritimati"]  # fmt: skip


def in_night(local: time, night_start: time, morning: time) -> bool:
    """The test's own statement of night, independent of the module's."""
    if night_start <= morning:
        return night_start <= local < morning
    return local >= night_start or local < morning


@settings(max_examples=400, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    morning=st.times(min_value=time(0, 0), max_value=time(11, 59)).map(
        lambda t: t.replace(second=0, microsecond=0)
    ),
    night_start=st.sampled_from([time(20, 0), time(21, 30), time(22, 0), time(23, 0), time(23, 59)]),
    seconds=st.integers(0, 4 * 365 * 86400),
    immediate=st.booleans(),
)
def test_delivery_is_never_early_never_at_night_and_within_a_day(
    zone: str, morning: time, night_start: time, seconds: int, immediate: bool
) -> None:
    now = utc(2024, 1, 1) + timedelta(seconds=seconds)
    due = delivery_time(now, zone, morning, night_start=night_start, immediate=immediate)
    assert now <= due <= now + timedelta(hours=26)
    local = due.astimezone(ZoneInfo(zone))
    night_now = in_night(now.astimezone(ZoneInfo(zone)).time(), night_start, morning)
    if immediate or not night_now:
        assert due == now
        return
    assert not in_night(local.time(), night_start, morning)
    if local.time() != morning:  # only inside a spring-forward gap, shifted later by the gap
        wall = datetime.combine(local.date(), morning, tzinfo=ZoneInfo(zone))
        assert wall.astimezone(UTC) == due
        assert local.utcoffset() != wall.utcoffset()


# --- what a shared feeling carries -----------------------------------------------------


@pytest.mark.parametrize(
    ("include_feeling", "include_intensity", "note", "expected"),
    [
        (True, True, None, {"feeling": "sad", "intensity": 4}),
        (True, False, None, {"feeling": "sad"}),
        (False, True, None, {"intensity": 4}),
        (False, False, "  Nothing to fix, just to know.\n", {"note": "Nothing to fix, just to know."}),
        (True, True, "I love you", {"feeling": "sad", "intensity": 4, "note": "I love you"}),
        (False, False, None, ShareRefusal.NOTHING_CHOSEN),
        (False, False, "   \n\t", ShareRefusal.NOTHING_CHOSEN),
        (False, False, "", ShareRefusal.NOTHING_CHOSEN),
    ],
)
def test_feeling_payload_holds_only_the_chosen_parts(
    include_feeling: bool, include_intensity: bool, note: str | None, expected: dict[str, Any] | ShareRefusal
) -> None:
    result = feeling_payload(
        "sad", 4, note, include_feeling=include_feeling, include_intensity=include_intensity
    )
    assert result == expected


def test_feeling_payload_with_parts_missing_from_the_check_in() -> None:
    assert feeling_payload(None, 3, None, include_feeling=True, include_intensity=True) == {"intensity": 3}
    assert feeling_payload("calm", None, None, include_feeling=True, include_intensity=True) == {
        "feeling": "calm"
    }
    assert feeling_payload(None, None, None, include_feeling=True, include_intensity=True) == (
        ShareRefusal.NOTHING_CHOSEN
    )


def test_a_feeling_typed_into_the_diary_never_rides_along() -> None:
    typed = "heartbroken because of what he said at dinner"
    assert (
        feeling_payload(typed, 4, None, include_feeling=True, include_intensity=True)
        == ShareRefusal.NOT_A_CODE
    )
    # Not chosen, it is simply left out.
    assert feeling_payload(typed, 4, None, include_feeling=False, include_intensity=True) == {"intensity": 4}
    assert feeling_payload("sadness", 2, None, include_feeling=True, include_intensity=False) == {
        "feeling": "sadness"  # a family code is a code too
    }


@pytest.mark.parametrize("intensity", [0, 6, -1, 100, True])
def test_an_intensity_off_the_scale_is_refused(intensity: int) -> None:
    assert feeling_payload(None, intensity, None, include_feeling=False, include_intensity=True) == (
        ShareRefusal.NOT_A_CODE
    )


def test_the_note_is_at_most_300_characters() -> None:
    assert NOTE_MAX_CHARS == 300
    longest = "ש" * 300  # characters, not bytes
    assert feeling_payload(None, None, f"  {longest}  ", include_feeling=False, include_intensity=False) == {
        "note": longest
    }
    assert feeling_payload("sad", 4, "x" * 301, include_feeling=True, include_intensity=True) == (
        ShareRefusal.NOTE_TOO_LONG
    )


# --- isolation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "receiver_sees"),
    [
        (ShareState.QUEUED, False),
        (ShareState.DELIVERED, True),
        (ShareState.ACKNOWLEDGED, True),
        (ShareState.FAILED, False),
    ],
)
def test_can_see(state: ShareState, receiver_sees: bool) -> None:
    item = share(state=state)
    assert can_see(DANA, item)  # the sender always
    assert can_see(NOAM, item) is receiver_sees
    assert not can_see(THIRD, item)


def test_visible_to_keeps_order_and_drops_the_rest() -> None:
    shares = [
        share(share_id="a", state=ShareState.DELIVERED),
        share(THIRD, FOURTH, share_id="b", state=ShareState.DELIVERED),
        share(NOAM, DANA, share_id="c", state=ShareState.QUEUED),
        share(NOAM, DANA, share_id="d", state=ShareState.ACKNOWLEDGED),
    ]
    assert [s.share_id for s in visible_to(DANA, shares)] == ["a", "d"]
    assert [s.share_id for s in visible_to(NOAM, shares)] == ["a", "c", "d"]
    assert [s.share_id for s in visible_to(THIRD, shares)] == ["b"]
    assert visible_to(DANA, []) == []


PEOPLE = [DANA, NOAM, THIRD, FOURTH]


@st.composite
def random_shares(draw: st.DrawFn) -> list[Share]:
    people = PEOPLE[: draw(st.integers(3, 4))]
    count = draw(st.integers(0, 25))
    shares = []
    for number in range(count):
        sender, receiver = draw(st.permutations(people))[:2]
        shares.append(
            share(
                sender,
                receiver,
                share_id=f"s{number}",
                pairing_id=f"pair-{min(sender, receiver)}-{max(sender, receiver)}",
                kind=draw(st.sampled_from(ShareKind)),
                state=draw(st.sampled_from(ShareState)),
                payload={"note": f"private words of {sender} for {receiver}"},
            )
        )
    return shares


@settings(max_examples=300, deadline=None)
@given(shares=random_shares(), viewer=st.sampled_from([*PEOPLE, 505]))
def test_a_viewer_never_sees_a_share_they_are_not_part_of(shares: list[Share], viewer: int) -> None:
    visible = visible_to(viewer, shares)
    assert all(viewer in (s.sender, s.receiver) for s in visible)
    assert all(
        f"of {viewer} for" in s.payload["note"] or f"for {viewer}" in s.payload["note"] for s in visible
    )
    # And nothing of their own is hidden from them; what they receive shows once it has reached them.
    assert [s for s in shares if s.sender == viewer] == [s for s in visible if s.sender == viewer]
    received = [
        s
        for s in shares
        if s.receiver == viewer and s.state in (ShareState.DELIVERED, ShareState.ACKNOWLEDGED)
    ]
    assert [s for s in visible if s.sender != viewer] == received
