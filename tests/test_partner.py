"""Couple mode in-process: linking, sharing one chosen item at a time, answers, night queueing,
unlinking, refusals, double taps and deletion (issue 12, and issue 15's couple-mode part)."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.models import Entry, Profile
from bot.domain.partners import ShareState
from bot.handlers.partner import ANSWERED, DELIVERY_JOB, INVITE_REFUSED, REPLY_LABEL, SHARE_REFUSED
from bot.localapi.user import FakeUser
from bot.services import partners as partners_service
from bot.storage.couple_backends import FileCouples
from bot.storage.memory import InMemoryRepository
from bot.texts import CATALOGS
from tests.conftest import Clock, Harness, press, send
from tests.test_flows import question, write_boundary
from tests.test_i18n import english_words

A_ID, B_ID, C_ID = 1001, 2002, 3003


async def onboard(h: Harness, user: FakeUser, zone: str = "Europe/Berlin") -> None:
    profile = Profile(user_id=user.id, timezone=zone, morning=time(7, 0), evening=time(21, 0), onboarded=True)
    await h.repo.save_profile(profile)


def newest(user: FakeUser) -> str:
    return user.all_messages()[-1].content


def texts(user: FakeUser) -> list[str]:
    return [m.content for m in user.all_messages()]


def answers(h: Harness) -> list[str | None]:
    return [call.params.get("text") for call in h.request.calls("answerCallbackQuery")]


async def invite_code(h: Harness, inviter: FakeUser) -> str:
    await send(h, inviter, "/partner")
    await press(h, inviter, "💌 Invite my partner")
    found = re.findall(r"\?start=p-([A-Za-z0-9_-]+)", "\n".join(texts(inviter)))
    assert found, texts(inviter)
    return str(found[-1])


async def linked(h: Harness, zone_b: str = "Europe/Berlin") -> tuple[FakeUser, FakeUser]:
    """Dana (A) invites Noam (B), who accepts: both set up, both told."""
    a, b = h.user(A_ID, "Dana"), h.user(B_ID, "Noam")
    await onboard(h, a)
    await onboard(h, b, zone_b)
    code = await invite_code(h, a)
    await send(h, b, f"/start p-{code}")
    assert "Dana invites you to link" in newest(b)
    await press(h, b, "Accept")
    assert "You are now linked with Dana" in "\n".join(texts(b))
    assert "Noam accepted your invite" in newest(a)
    return a, b


@pytest.fixture
def morning(clock: Clock) -> Clock:
    clock.now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)  # 10:00 in Berlin: daytime for both
    return clock


# --- linking ---------------------------------------------------------------------------


async def test_invite_accept_and_the_link_as_each_sees_it(harness: Harness, morning: Clock) -> None:
    a, b = await linked(harness)
    await send(harness, a, "/partner")
    shown = newest(a)
    assert "You are linked with Noam" in shown and "never whether or when you write" in shown
    await send(harness, b, "/partner")
    assert "Dana" in newest(b)


async def test_every_refusal_of_an_invite_is_kind_and_links_nothing(harness: Harness, morning: Clock) -> None:
    a, b, c = harness.user(A_ID, "Dana"), harness.user(B_ID, "Noam"), harness.user(C_ID, "Tal")
    for person in (a, b, c):
        await onboard(harness, person)
    code = await invite_code(harness, a)
    await send(harness, a, f"/start p-{code}")  # opening one's own link
    assert "your own invite link" in newest(a)
    for junk in ("p-" + "x" * 16, "p-" + "A" * 62, "p-" + "ab", "p-<b>&amp;"):
        await send(harness, b, f"/start {junk}")
        assert "does not work" in newest(b), junk
    await send(harness, b, f"/start p-{code}")
    await press(harness, b, "Accept")
    await send(harness, c, f"/start p-{code}")  # a third person with the used link
    assert "already been used" in newest(c)
    code_c = await invite_code(harness, c)
    await send(harness, a, f"/start p-{code_c}")  # already linked
    assert "already linked with a partner" in newest(a)
    expiring = await invite_code(harness, c)
    morning.now += timedelta(days=8)
    d = harness.user(4004, "Ori")
    await onboard(harness, d)
    await send(harness, d, f"/start p-{expiring}")
    assert "has expired" in newest(d)
    assert (await harness.services.couples.current(d.id)) is None
    assert (await harness.services.couples.current(c.id)) is None


async def test_inviter_linked_meanwhile_and_invite_menu_used_once(harness: Harness, morning: Clock) -> None:
    a, b, c = harness.user(A_ID, "Dana"), harness.user(B_ID, "Noam"), harness.user(C_ID, "Tal")
    for person in (a, b, c):
        await onboard(harness, person)
    first = await invite_code(harness, a)
    second = await invite_code(harness, a)
    await send(harness, b, f"/start p-{first}")
    await press(harness, b, "Accept")
    await send(harness, c, f"/start p-{second}")
    assert "linked with someone else" in newest(c)
    await send(harness, a, "/partner")
    sent_before = len(a.all_messages())
    await a.press(None, "Unlink")
    await a.press(None, "Unlink")  # a double tap
    await harness.pump()
    assert answers(harness)[-1] == "That question has passed."
    assert len(a.all_messages()) == sent_before + 1  # one confirmation question


# --- sharing a boundary ---------------------------------------------------------------------


async def test_boundary_shared_acknowledged_and_its_outcome_reaches_the_author(
    harness: Harness, morning: Clock
) -> None:
    a, b = await linked(harness)
    await write_boundary(harness, a)
    offer = await question(a, "send this boundary to Noam")
    assert "no phones at dinner" in offer
    await press(harness, a, "Share with Noam now")
    assert "Sent to Noam" in newest(a)
    received = newest(b)
    assert "Dana wants to share a boundary" in received and "no phones at dinner" in received
    rows = b.all_messages()[-1].markup["inline_keyboard"]  # type: ignore[index]
    talk = next(str(button["callback_data"]) for row in rows for button in row if "talk" in button["text"])
    await press(harness, b, "Thank you for telling me")
    assert "“Thank you for telling me.”" in newest(a)
    (share,) = [s for s, _ in await harness.services.couples.shares_of(a.id)]
    assert share.state is ShareState.ACKNOWLEDGED and share.response == "thanks"
    (update,) = await harness.repo.list_entries(a.id, "boundary_update")
    assert update.data == {"boundary_id": share.payload["boundary_id"], "shared": True, "with_partner": True}
    await send(harness, a, "/boundaries")
    assert "(shared)" in newest(a)
    answered = len(a.all_messages())
    await harness.app.process_update(harness.request.callback_update(b.id, talk, bot=harness.app.bot))
    assert answers(harness)[-1] == "That question has passed." and len(a.all_messages()) == answered


async def test_sleep_on_it_asks_again_next_morning_and_private_sends_nothing(
    harness: Harness, morning: Clock
) -> None:
    a, b = await linked(harness)
    await write_boundary(harness, a)
    await press(harness, a, "Sleep on it")
    assert "ask you again tomorrow morning" in newest(a)
    await harness.run_job(DELIVERY_JOB)
    assert "sleep on this boundary" not in newest(a)
    morning.now = datetime(2026, 11, 29, 6, 1, tzinfo=UTC)  # 07:01 in Berlin, A's morning
    await harness.run_job(DELIVERY_JOB)
    assert "Yesterday you wanted to sleep on this boundary" in newest(a)
    received_before = len(b.all_messages())
    await press(harness, a, "Keep it private")
    assert "stays with you" in newest(a)
    assert len(b.all_messages()) == received_before


# --- a feeling and an interest ----------------------------------------------------------------


async def checkin(h: Harness, user: FakeUser) -> None:
    await send(h, user, "/checkin")
    await press(h, user, "😢 Sadness")
    await press(h, user, "lonely")
    await press(h, user, "4")
    await send(h, user, "SECRET-DIARY my boss shouted at me")
    await send(h, user, "SECRET-DIARY it stung a lot")
    await press(h, user, "Mine")
    await press(h, user, "No")
    await send(h, user, "SECRET-DIARY I was too tired")
    await send(h, user, "/skip")


async def test_feeling_goes_only_as_chosen_never_the_diary(harness: Harness, morning: Clock) -> None:
    a, b = await linked(harness)
    await checkin(harness, a)
    assert "tell Noam how you feel" in newest(a)
    await press(harness, a, "Add a sentence for Noam")
    assert "Write one sentence for Noam" in newest(a)
    await send(harness, a, "Hug me <tonight> & tomorrow")
    preview = newest(a)
    assert "This is what Noam will read" in preview and "Hug me <tonight> & tomorrow" in preview
    await press(harness, a, "Send")
    assert "Sent to Noam" in newest(a)
    got = newest(b)
    assert "Dana wanted you to know" in got and "lonely" in got and "4 of 5" in got
    assert "Hug me <tonight> & tomorrow" in got
    assert not any("SECRET-DIARY" in text for text in texts(b))
    await press(harness, b, "🤍 Thanks for telling me")
    assert "thanks you for telling them how you feel" in newest(a)


async def test_interest_told_and_cheered(harness: Harness, morning: Clock) -> None:
    a, b = await linked(harness)
    await send(harness, a, "/did painting 40m")
    assert "making time for painting" in newest(a)
    await press(harness, a, "Tell Noam")
    assert "Dana is making time for painting" in newest(b)
    await press(harness, b, "🎉 Cheer")
    assert "Noam cheers you on for painting" in newest(a)
    await send(harness, b, "/encourage")
    assert "Dana told you they make time for: painting" in "\n".join(texts(b)[-2:])
    await send(harness, a, "/interests")
    await press(harness, a, "📣 Tell Noam: painting")  # the same interest again today: once a day
    assert "already sent" in newest(a)


async def test_summary_counts_never_content(harness: Harness, morning: Clock) -> None:
    a, b = await linked(harness)
    await send(harness, a, "/did painting 40m")
    await press(harness, a, "Tell Noam")
    await press(harness, b, "🎉 Cheer")
    await send(harness, a, "/summary")
    assert "you shared 1 (1 answered) and received 0" in "\n".join(texts(a)[-2:])
    await send(harness, b, "/summary")
    summary_b = newest(b)
    assert "you shared 0 (0 answered) and received 1" in summary_b and "painting" not in summary_b


# --- limits, night, blocked, unlinked --------------------------------------------------------


async def test_daily_limit(clock: Clock) -> None:
    clock.now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    async with Harness(InMemoryRepository(), clock, partner_daily_limit=2) as h:
        a, b = await linked(h)
        for name in ("piano", "running", "chess"):
            await send(h, a, f"/did {name} 10m")
            await press(h, a, "Tell Noam")
        assert "sent 2 items today" in newest(a)
        assert sum("is making time for" in text for text in texts(b)) == 2


async def test_night_share_waits_for_the_receivers_morning(harness: Harness, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 28, 21, 30, tzinfo=UTC)  # 22:30 Berlin for A; 07:30 next day in Tokyo
    a, b = await linked(harness, zone_b="America/New_York")  # 16:30 for B: daytime
    clock.now = datetime(2026, 11, 29, 4, 0, tzinfo=UTC)  # 23:00 in New York: night for B
    await send(harness, a, "/did piano 20m")
    await press(harness, a, "Tell Noam")
    assert "night where Noam is" in newest(a) and "07:00" in newest(a)
    before = len(b.all_messages())
    await harness.run_job(DELIVERY_JOB)
    assert len(b.all_messages()) == before
    clock.now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)  # 07:00 in New York
    await harness.run_job(DELIVERY_JOB)
    await harness.run_job(DELIVERY_JOB)
    assert sum("is making time for piano" in text for text in texts(b)) == 1


async def test_blocked_partner_means_not_delivered(harness: Harness, morning: Clock) -> None:
    a, b = await linked(harness)
    harness.request.api.block(b.id)
    await send(harness, a, "/did piano 20m")
    await press(harness, a, "Tell Noam")
    assert "could not deliver it to Noam" in newest(a)
    (share,) = [s for s, _ in await harness.services.couples.shares_of(a.id)]
    assert share.state is ShareState.FAILED


async def test_unlink_told_and_quiet(harness: Harness, morning: Clock) -> None:
    a, b = await linked(harness)
    await send(harness, a, "/did piano 20m")  # an offer made while linked...
    await send(harness, b, "/partner")
    await press(harness, b, "Unlink")
    before = len(a.all_messages())
    await press(harness, b, "Unlink quietly")
    assert "No message was sent to Dana" in newest(b)
    assert len(a.all_messages()) == before  # quiet: nothing at all reaches the partner
    await press(harness, a, "Tell Noam")  # ...pressed after the link ended
    assert "not linked with a partner now" in newest(a)
    await send(harness, a, "/partner")
    assert "Invite my partner" in str(a.all_messages()[-1].markup)


async def test_unlink_and_tell(harness: Harness, morning: Clock) -> None:
    a, b = await linked(harness)
    await send(harness, a, "/partner")
    await press(harness, a, "Unlink")
    await press(harness, a, "Unlink and tell Noam")
    assert "Dana ended your link" in newest(b)
    await send(harness, b, "/partner")
    assert "not linked" in newest(b) or "side by side" in newest(b)


# --- deletion and export ---------------------------------------------------------------------


async def test_delete_removes_what_was_sent_from_the_partner_and_tells_them(
    harness: Harness, morning: Clock
) -> None:
    a, b = await linked(harness)
    await send(harness, a, "/did watercolours 30m")
    await press(harness, a, "Tell Noam")
    delivered = b.all_messages()[-1]
    await send(harness, b, "/did climbing 50m")
    await press(harness, b, "Tell Dana")
    await send(harness, a, "/delete")
    await press(harness, a, "🗑 Yes, erase everything")
    assert "Dana has left the bot" in newest(b)
    assert b.is_deleted(delivered)  # younger than 48 hours: deleted from the partner's chat
    stored = json.dumps(await harness.services.couples.export(b.id))
    assert "watercolours" not in stored and "Dana" not in stored
    assert "climbing" in stored  # what B sent stays B's
    assert await harness.services.couples.export(a.id) == {"links": []}


async def test_export_holds_sent_and_received(harness: Harness, morning: Clock) -> None:
    a, b = await linked(harness)
    await send(harness, a, "/did piano 20m")
    await press(harness, a, "Tell Noam")
    await send(harness, b, "/export")
    json_doc = await b.wait_for(lambda m: m.method == "sendDocument")
    raw = await (
        await harness.app.bot.get_file(json_doc.message["document"]["file_id"])
    ).download_as_bytearray()
    payload = json.loads(bytes(raw))
    (link,) = payload["partner"]["links"]
    assert link["partner_name"] == "Dana" and link["shares"][0]["payload"] == {"interest": "piano"}


def test_every_partner_message_key_exists_in_every_language() -> None:
    keys = [*INVITE_REFUSED.values(), *SHARE_REFUSED.values(), *REPLY_LABEL.values(), *ANSWERED.values()]
    for code in CATALOGS:
        catalog = CATALOGS[code].all_keys()
        assert not [k for k in keys if k not in catalog], code


async def test_the_weekly_question_and_history_unaffected_without_partner(
    harness: Harness, morning: Clock
) -> None:
    user = harness.user()
    await onboard(harness, user)
    await harness.repo.append_entry(user.id, Entry(kind="diary", local_date=morning.now.date(), data={}))
    await send(harness, user, "/did piano 20m")
    assert "Tell" not in str(user.all_messages()[-1].markup)
    await send(harness, user, "/partner")
    assert "side by side" in newest(user)


async def test_history_shows_what_was_sent_and_received(harness: Harness, morning: Clock) -> None:
    a, b = await linked(harness)
    await send(harness, a, "/did piano <&> 20m")
    await press(harness, a, "Tell Noam")
    await send(harness, b, "/history")
    assert "received from Dana — piano <&>" in newest(b)
    await send(harness, a, "/history")
    listing = newest(a)
    assert "sent to Noam — piano <&>" in listing and "1. " in listing  # the entry keeps its number
    await send(harness, b, "/history")
    assert "piano" in newest(b)


async def test_the_author_takes_an_item_back(harness: Harness, morning: Clock) -> None:
    a, b = await linked(harness)
    await send(harness, a, "/did painting 40m")
    await press(harness, a, "Tell Noam")
    delivered = b.all_messages()[-1]
    await a.press(None, "↩️ Take it back")
    await a.press(None, "↩️ Take it back")  # a double tap takes it back once
    await harness.pump()
    assert "no longer in Noam's history, and the message was removed" in newest(a)
    assert answers(harness)[-1] == "That question has passed."
    assert b.is_deleted(delivered)
    assert await harness.services.couples.shares_of(b.id) == []
    await send(harness, b, "/history")
    assert "painting" not in newest(b)


async def test_an_item_older_than_two_days_stays_in_the_chat_when_taken_back(
    harness: Harness, morning: Clock
) -> None:
    a, b = await linked(harness)
    await send(harness, a, "/did painting 40m")
    await press(harness, a, "Tell Noam")
    delivered = b.all_messages()[-1]
    morning.now += timedelta(hours=49)
    await press(harness, a, "↩️ Take it back")
    assert "older than 48 hours" in newest(a)
    assert not b.is_deleted(delivered)
    assert await harness.services.couples.shares_of(b.id) == []


async def test_receiver_may_choose_items_at_any_hour(harness: Harness, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    a, b = await linked(harness)
    await send(harness, b, "/partner")
    await press(harness, b, "🌙 Get items at any hour")
    assert "at any hour" in newest(b)
    clock.now = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)  # 00:30 in Berlin
    await send(harness, a, "/did piano 20m")
    await press(harness, a, "Tell Noam")
    assert "Sent to Noam" in newest(a) and "making time for piano" in newest(b)


async def test_a_queued_item_is_not_delivered_after_the_link_ends(harness: Harness, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 28, 22, 30, tzinfo=UTC)  # 23:30 in Berlin: night for B
    a, b = await linked(harness)
    await send(harness, a, "/did piano 20m")
    await press(harness, a, "Tell Noam")
    assert "night where Noam is" in newest(a)
    await send(harness, b, "/partner")
    await press(harness, b, "Unlink")
    await press(harness, b, "Unlink quietly")
    clock.now = datetime(2026, 11, 29, 6, 5, tzinfo=UTC)
    await harness.run_job(DELIVERY_JOB)
    assert not any("making time for piano" in text for text in texts(b))
    assert "could not deliver it to Noam" in newest(a)


async def partner_link_in_invite_mode(h: Harness) -> tuple[FakeUser, FakeUser, str]:
    member, stranger = h.user(A_ID, "Dana"), h.user(B_ID, "Noam")
    await onboard(h, member)  # someone who already uses the bot
    code = await invite_code(h, member)
    return member, stranger, code


async def test_an_accepted_partner_link_admits_the_partner_in_invite_mode(clock: Clock) -> None:
    clock.now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    async with Harness(InMemoryRepository(), clock, access_mode="invite") as h:
        _, stranger, code = await partner_link_in_invite_mode(h)
        await send(h, stranger, "/start p-" + "x" * 16)  # a forged code lets nobody in
        assert "open only to people invited" in newest(stranger)
        await send(h, stranger, f"/start p-{code}")
        assert "Dana invites you to link" in newest(stranger)
        await press(h, stranger, "Accept")
        assert "send /start when you are ready" in newest(stranger)
        await send(h, stranger, "/start")
        assert "time zone" in "\n".join(texts(stranger)[-3:])  # in, and setting up their own practice
        third = h.user(C_ID, "Tal")
        await send(h, third, f"/start p-{code}")  # the used link admits nobody else
        assert "open only to people invited" in newest(third)
        assert await h.repo.get_profile(third.id) is None


async def test_declining_in_invite_mode_stores_nothing(clock: Clock) -> None:
    clock.now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    async with Harness(InMemoryRepository(), clock, access_mode="invite") as h:
        _, stranger, code = await partner_link_in_invite_mode(h)
        await send(h, stranger, f"/start p-{code}")
        await press(h, stranger, "Decline")
        assert "Nothing was linked" in newest(stranger)
        assert await h.repo.get_profile(stranger.id) is None
        await send(h, stranger, "/checkin")
        assert "open only to people invited" in newest(stranger)


async def test_partner_links_admit_nobody_when_the_operator_says_so(clock: Clock) -> None:
    clock.now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    async with Harness(InMemoryRepository(), clock, access_mode="invite", partner_admits=False) as h:
        _, stranger, code = await partner_link_in_invite_mode(h)
        await send(h, stranger, f"/start p-{code}")
        assert "open only to people invited" in newest(stranger)


async def test_partners_answering_each_other_at_the_same_moment_never_deadlock(
    harness: Harness, morning: Clock, tmp_path: Path
) -> None:
    harness.services.couples = FileCouples(tmp_path, None)  # on disk: every store call yields
    a, b = await linked(harness)
    for author in (a, b):
        await write_boundary(harness, author)
        await press(harness, author, "Share with " + ("Noam" if author is a else "Dana") + " now")
    presses = []
    for reader in (a, b):
        data = next(
            str(button["callback_data"])
            for message in reversed(reader.all_messages())
            for row in (message.markup or {}).get("inline_keyboard", [])
            for button in row
            if "Thank" in button["text"]
        )
        presses.append(harness.request.callback_update(reader.id, data, bot=harness.app.bot))
    processor = harness.app.update_processor
    both = [processor.process_update(update, harness.app.process_update(update)) for update in presses]
    await asyncio.wait_for(asyncio.gather(*both), timeout=5)  # each holds their own lock meanwhile
    assert "“Thank you for telling me.”" in newest(a) and "“Thank you for telling me.”" in newest(b)


async def test_a_hebrew_speaking_partner_meets_no_english(harness: Harness, morning: Clock) -> None:
    a, b = harness.user(A_ID, "Dana"), harness.user(B_ID, "Noa", language_code="he")
    await onboard(harness, a)
    await harness.repo.save_profile(
        Profile(user_id=b.id, timezone="Asia/Jerusalem", morning=time(7), evening=time(21), onboarded=True,
                language="he", gender="masculine")
    )  # fmt: skip
    code = await invite_code(harness, a)
    start = len(b.all_messages())
    await send(harness, b, f"/start p-{code}")
    await press(harness, b, "לאשר")
    await send(harness, a, "/did piano 20m")
    await press(harness, a, "Tell Noa")
    await write_boundary(harness, a)
    await press(harness, a, "Share with Noa now")
    await press(harness, b, "תודה שסיפרת לי")
    await send(harness, b, "/did ציור 30m")
    await press(harness, b, "לספר ל־Dana")
    await send(harness, b, "/partner")
    await press(harness, b, "ביטול הקישור")
    await press(harness, b, "לבטל בשקט")
    seen = [m.content for m in b.all_messages()[start:] if not m.edited]
    assert len(seen) >= 6, seen
    # Dana's own words, sent on purpose: her name, her interest, her boundary.
    allowed = set(
        [
            "Dana",
            "piano",
            "phones",
            "dinner",
            "please",
            "really",
            "when",
            "because",
            "present",
            "with",
            "you",
            "want",
            "need",
            "eat",
            "the",
        ]
    )
    for text in seen:
        assert not [w for w in english_words(text) if w not in allowed], text
    assert "מפנה זמן ל־" in "\n".join(seen) and "כתוב" not in "\n".join(seen[:1])
    assert "Thank you" not in newest(b)


async def test_an_interest_that_did_not_join_a_full_list_can_still_be_told(
    harness: Harness, morning: Clock
) -> None:
    a, b = await linked(harness)
    profile = await harness.repo.get_profile(a.id)
    assert profile is not None
    profile.interests = [f"interest {n}" for n in range(12)]
    await harness.repo.save_profile(profile)
    await send(harness, a, "/did kintsugi 20m")
    await press(harness, a, "Tell Noam")
    assert "Sent to Noam" in newest(a) and "making time for kintsugi" in newest(b)


async def test_a_partner_who_blocked_the_bot_does_not_spoil_the_others_action(
    harness: Harness, morning: Clock
) -> None:
    a, b = harness.user(A_ID, "Dana"), harness.user(B_ID, "Noam")
    await onboard(harness, a)
    await onboard(harness, b)
    code = await invite_code(harness, a)
    harness.request.api.block(a.id)  # the inviter blocked the bot meanwhile
    await send(harness, b, f"/start p-{code}")
    await press(harness, b, "Accept")
    assert "You are now linked with Dana" in "\n".join(texts(b)[-2:])
    await send(harness, b, "/partner")
    await press(harness, b, "Unlink")
    await press(harness, b, "Unlink and tell Dana")
    assert "has been told" in newest(b)
    assert not any("something went wrong" in text for text in texts(b))


async def test_accept_pressed_twice_links_once_and_the_second_press_has_passed(
    harness: Harness, morning: Clock
) -> None:
    a, b = harness.user(A_ID, "Dana"), harness.user(B_ID, "Noam")
    await onboard(harness, a)
    await onboard(harness, b)
    code = await invite_code(harness, a)
    await send(harness, b, f"/start p-{code}")
    before = len(b.all_messages())
    await b.press(None, "Accept")
    await b.press(None, "Accept")  # a double tap
    await harness.pump()
    assert answers(harness)[-1] == "That question has passed."
    assert [m.content for m in b.all_messages()[before:] if not m.edited] == [
        "You are now linked with Dana. 🤝 /partner shows the link and what it means."
    ]
    assert sum("accepted your invite" in text for text in texts(a)) == 1


async def test_a_cheer_pressed_before_the_delivery_is_recorded_still_counts(
    harness: Harness, morning: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fast thumb: the receiver presses the share's button between its arrival and the bot
    recording the delivery. The button is live on their screen, so the press counts."""
    a, b = await linked(harness)
    await send(harness, a, "/did painting 40m")
    recording, release = asyncio.Event(), asyncio.Event()
    real = partners_service.mark_delivered

    async def slow(*args: Any) -> None:
        recording.set()
        await release.wait()
        await real(*args)

    monkeypatch.setattr(partners_service, "mark_delivered", slow)
    await a.press(None, "Tell Noam")
    telling = asyncio.create_task(harness.pump())
    await asyncio.wait_for(recording.wait(), timeout=2)  # Noam has the message and its buttons
    await b.press(None, "🎉 Cheer")
    pressing = asyncio.create_task(harness.pump())
    for _ in range(50):
        await asyncio.sleep(0)
    release.set()
    await asyncio.wait_for(asyncio.gather(telling, pressing), timeout=5)
    assert "Noam cheers you on for painting" in newest(a)
    assert sum("cheers you on" in text for text in texts(a)) == 1
    assert "✓ 🎉 Cheer" in newest(b)
