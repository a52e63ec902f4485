"""End to end, couple mode (issue 12): two people and the real bot process (`python -m bot`, with a
clock the test can move: tests.fakeapi.clocked_bot) against the fake Bot API over HTTP.

Linking by an invite link, sharing a boundary, a feeling and an interest with the partner's
answer going back, unlinking, night-time queueing across a restart, every refusal, kill -9 at
the moments that matter, and /delete leaving no byte of the person's texts anywhere.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.models import Profile
from bot.domain.partners import InviteRefusal, PartnerInvite, ShareKind, ShareState
from bot.localapi.errors import Fault
from bot.localapi.records import BotMessage
from bot.localapi.user import FakeUser
from bot.storage.couple_backends import FileCouples
from bot.storage.tinydb_store import TinyDBRepository
from bot.texts import plain, voice_of
from tests.fakeapi.clocked_bot import ProcessClock
from tests.fakeapi.process import BotProcess
from tests.fakeapi.server import FakeTelegramServer
from tests.fakeapi.waiting import wait_until

pytestmark = pytest.mark.e2e

HEBREW = voice_of("he", "masculine")
INVITE_LINK = re.compile(r"https://t\.me/\w+\?start=(p-[A-Za-z0-9_-]+)")
TICK = "[nudges]\ntick_seconds = 0.2\n"


def he(key: str, **values: object) -> str:
    """A Hebrew text as the person reads it (tags dropped)."""
    return plain(key, HEBREW, **values)


def first_line(text: str) -> str:
    return text.split("\n", 1)[0]


ISOLATES = dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069"))  # around left-to-right runs in Hebrew


def shown(message: BotMessage) -> str:
    """A message's text without the Unicode isolates the bot puts around names in Hebrew."""
    return message.content.translate(ISOLATES)


def has(text: str) -> Callable[[BotMessage], bool]:
    return lambda m: text in shown(m)


def offers(label: str) -> Callable[[BotMessage], bool]:
    """A message with this button (not an edit that took its buttons away)."""
    return lambda m: any(label in row for row in m.buttons)


NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # a Monday, daytime in UTC, Europe and Israel


def clocked(
    server: FakeTelegramServer, workdir: Path, extra_toml: str = "", start: datetime = NOON
) -> tuple[BotProcess, ProcessClock]:
    """A bot process whose clock the test moves, set to `start` (its jobs tick every 0.2 s)."""
    clock = ProcessClock(workdir / "clock-offset")
    clock.set(start)
    bot = BotProcess(
        server, workdir, extra_toml=TICK + extra_toml, module="tests.fakeapi.clocked_bot", env=clock.env
    )
    return bot, clock


async def seed(data_dir: Path, *profiles: Profile) -> None:
    """People who set up their practice before (stored as the bot stores them)."""
    repo = TinyDBRepository(data_dir)
    for profile in profiles:
        await repo.save_profile(profile)
    await repo.close()


def dana_profile(user: FakeUser) -> Profile:
    return Profile(user.id, timezone="Europe/London", morning=time(7, 30), onboarded=True)


def noam_profile(user: FakeUser, morning: time = time(7, 0)) -> Profile:
    return Profile(
        user.id, timezone="Asia/Jerusalem", morning=morning, language="he", gender="masculine", onboarded=True
    )


async def invite(inviter: FakeUser) -> str:
    """The inviter asks /partner for a link; the `/start` payload taken from the message."""
    await inviter.send("/partner")
    await inviter.wait_for(has("Practising side by side"))
    await inviter.press(None, "💌 Invite my partner")
    link = await inviter.wait_for(has("Here is your invite link"))
    await inviter.wait_for(has("would like to practise side by side with you"))
    found = INVITE_LINK.search(link.content)
    assert found is not None, link.content
    return found.group(1)


async def link(inviter: FakeUser, partner: FakeUser, inviter_name: str, partner_name: str) -> str:
    """An English-speaking pair links: invite, open, accept, both told. Returns the used payload."""
    payload = await invite(inviter)
    await partner.send(f"/start {payload}")
    await partner.wait_for(has(f"{inviter_name} invites you to link your practices"))
    await partner.press(None, "Accept")
    await partner.wait_for(has(f"You are now linked with {inviter_name}"))
    await inviter.wait_for(has(f"{partner_name} accepted your invite"))
    return payload


BOUNDARY_ANSWERS = ("Phone", "phones away while we eat dinner together", "we sit down at the table",
                    "I want to really be with you")  # fmt: skip
BOUNDARY_STATEMENT = "I need phones away while we eat dinner together when we sit down at the table"


async def write_boundary(user: FakeUser, answers: tuple[str, ...] = BOUNDARY_ANSWERS) -> BotMessage:
    """/boundary walked through; returns the offer to share it that follows."""
    await user.send("/boundary")
    await user.wait_for(has("Let's put one into words"))
    for answer in answers:
        await user.send(answer)
    await user.wait_for(has("Here's a way to say it"))
    await user.press(None, "✅ Use this")
    await user.wait_for(has("/boundaries shows all"))
    return await user.wait_for(has("Would you like to send this boundary to"))


DIARY = ("The meeting ran late and nobody asked how my day was.",
         "I kept it in because I was too tired to explain.", "A quiet walk alone.")  # fmt: skip


async def check_in(user: FakeUser) -> None:
    """An evening check-in (hurt, unseen, 4 of 5) with private diary answers."""
    happened, why, need = DIARY
    await user.send("/checkin")
    await user.press(await user.wait_for(has("family of feelings")), "💔 Hurt")
    await user.press(
        await user.wait_for(lambda m: "Which word fits best?" in m.content and not m.edited), "unseen"
    )
    await user.wait_for(lambda m: "How strong is it?" in m.content and not m.edited)
    await user.send("4")
    await user.wait_for(has("What happened"))
    await user.send(happened)
    await user.press(await user.wait_for(has("Whose feeling is this?")), "Mine")
    await user.press(
        await user.wait_for(lambda m: "Did you share this feeling" in m.content and not m.edited), "No"
    )
    await user.wait_for(has("What made that easy or hard?"))
    await user.send(why)
    await user.wait_for(has("What do you need right now?"))
    await user.send(need)
    await user.wait_for(has("Saved."))


async def test_two_partners_link_share_answer_and_unlink(server: FakeTelegramServer, tmp_path: Path) -> None:
    """Dana (English) invites Noam (Hebrew); she shares a boundary, a feeling with a sentence and an
    interest; he answers each and she hears it; he unlinks (telling her); her next share is refused."""
    dana = server.user(8101, "Dana")
    noam = server.user(8102, "Noam", language_code="he")
    await seed(tmp_path / "data", dana_profile(dana), noam_profile(noam))
    bot, _clock = clocked(server, tmp_path)
    async with bot:
        payload = await invite(dana)
        await noam.send(f"/start {payload}")
        intro = await noam.wait_for(has(first_line(he("partner.invite_intro", name="Dana"))))
        assert intro.buttons == [[he("partner.button_accept")], [he("partner.button_decline")]]
        await noam.press(intro, he("partner.button_accept"))
        await noam.wait_for(has(first_line(he("partner.accepted", partner="Dana"))))
        await dana.wait_for(has("Noam accepted your invite: your practices are now linked."))

        # A boundary, shared now; Noam thanks her.
        offer = await write_boundary(dana)
        assert BOUNDARY_STATEMENT in offer.content
        assert offer.buttons == [["Share with Noam now"], ["Sleep on it"], ["Keep it private"]]
        await dana.press(offer, "Share with Noam now")
        await dana.wait_for(has("Sent to Noam. ✓"))
        received = await noam.wait_for(has(first_line(he("received.boundary", partner="Dana", statement=""))))
        assert BOUNDARY_STATEMENT in received.content
        thanks, talk = he("received.button.boundary.thanks"), he("received.button.boundary.talk")
        assert received.buttons == [[thanks], [talk]]
        await noam.press(received, thanks)
        await dana.wait_for(has("Noam read your boundary and answered: “Thank you for telling me.”"))

        # A second boundary is offered and left open: it is pressed only after the unlink.
        later_offer = await write_boundary(
            dana,
            (
                "Time alone",
                "an hour to myself on Sunday mornings",
                "the week was full",
                "it is how I come back to myself",
            ),
        )

        # A feeling, with one sentence typed for Noam; the diary answers stay hers.
        await check_in(dana)
        offer = await dana.wait_for(has("Would you like to tell Noam how you feel?"))
        assert offer.buttons[-2:] == [["Add a sentence for Noam"], ["Not now"]]
        await dana.press(offer, "Add a sentence for Noam")
        await dana.wait_for(has("Write one sentence for Noam"))
        note = "Could we have a slow breakfast together tomorrow?"
        await dana.send(note)
        preview = await dana.wait_for(has("This is what Noam will read"))
        assert note in preview.content
        await dana.press(preview, "Send")
        await dana.wait_for(has("Sent to Noam. ✓"))
        feeling = await noam.wait_for(has(note))
        assert he("feeling.unseen") in shown(feeling) and he("received.intensity", n=4) in shown(feeling)
        await noam.press(feeling, he("received.button.feeling.thanks"))
        await dana.wait_for(has("Noam thanks you for telling them how you feel."))

        # An interest after /did; Noam cheers.
        await dana.send("/did watercolours 40m")
        await dana.wait_for(has("Logged 40 min of watercolours"))
        offer = await dana.wait_for(has("tell Noam that you are making time for watercolours"))
        await dana.press(offer, "Tell Noam")
        await dana.wait_for(has("Sent to Noam. ✓"))
        interest = await noam.wait_for(has("watercolours"))
        assert shown(interest) == he("received.interest", partner="Dana", interest="watercolours")
        await noam.press(interest, he("received.button.interest.cheer"))
        await dana.wait_for(has("Noam cheers you on for watercolours! 🎉"))

        # Noam unlinks and tells her.
        await noam.send("/partner")
        menu = await noam.wait_for(
            has(first_line(he("partner.linked", partner="Dana", date="", hours=""))[:12])
        )
        await noam.press(menu, he("partner.button_unlink"))
        ask = await noam.wait_for(has(first_line(he("partner.unlink_ask", partner="Dana"))[:20]))
        await noam.press(ask, he("partner.button_unlink_tell", partner="Dana"))
        await noam.wait_for(has(first_line(he("partner.unlinked", partner="Dana"))))
        await dana.wait_for(has("Noam ended your link."))

        # Her offer from before the unlink now sends nothing.
        await dana.press(later_offer, "Share with Noam now")
        await dana.wait_for(has("You are not linked with a partner now, so nothing was sent."))
        await dana.send("/partner")
        await dana.wait_for(has("Practising side by side"))
        await bot.settle()
        await noam.assert_no_message(within=0.5)

    seen_by_noam = "\n".join(m.content for m in noam.all_messages())
    for private in (*DIARY, "an hour to myself on Sunday mornings"):
        assert private not in seen_by_noam
    assert sum(BOUNDARY_STATEMENT in m.content for m in noam.all_messages()) == 1


async def test_night_share_waits_for_the_morning_across_a_restart(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    """At 23:30 in Jerusalem Noam's share waits for his 07:00; the bot is killed and restarted in
    between; at 06:59 nothing has come, at 07:00 it arrives once, and a later restart sends nothing."""
    dana, noam = server.user(8201, "Dana"), server.user(8202, "Noam", language_code="he")
    await seed(tmp_path / "data", dana_profile(dana), noam_profile(noam))
    night = datetime(2026, 11, 30, 21, 30, tzinfo=UTC)  # 23:30 in Jerusalem, 21:30 in London
    bot, clock = clocked(server, tmp_path, start=night)
    async with bot:
        payload = await invite(dana)
        await noam.send(f"/start {payload}")
        await noam.press(
            await noam.wait_for(offers(he("partner.button_accept"))), he("partner.button_accept")
        )
        await noam.wait_for(has(first_line(he("partner.accepted", partner="Dana"))))
        await dana.wait_for(has("Noam accepted your invite"))

        await dana.send("/did watercolours 30m")
        await dana.press(await dana.wait_for(has("making time for watercolours")), "Tell Noam")
        await dana.wait_for(
            has("It is night where Noam is, so it will arrive at their morning, at 07:00 their time.")
        )
        offer = await write_boundary(dana)  # and a boundary she wants to sleep on
        await dana.press(offer, "Sleep on it")
        await dana.wait_for(has("I will ask you again tomorrow morning."))
        await bot.settle()
        await noam.assert_no_message(within=0.6)

        bot.kill()
        await bot.start()
        await noam.assert_no_message(within=0.6)
        clock.set(datetime(2026, 12, 1, 4, 59, tzinfo=UTC))  # 06:59 in Jerusalem
        await noam.assert_no_message(within=0.6)
        clock.set(datetime(2026, 12, 1, 5, 0, 1, tzinfo=UTC))  # his morning
        received = await noam.wait_for(has(he("received.interest", partner="Dana", interest="watercolours")))
        await noam.press(received, he("received.button.interest.cheer"))
        await dana.wait_for(has("Noam cheers you on for watercolours!"))

        clock.set(datetime(2026, 12, 1, 7, 30, 1, tzinfo=UTC))  # 07:30 in London: her boundary again
        again = await dana.wait_for(has("Yesterday you wanted to sleep on this boundary"))
        assert BOUNDARY_STATEMENT in again.content
        await bot.settle()
        bot.kill()
        await bot.start()
        await asyncio.sleep(1.0)  # five ticks, in which nothing may be delivered again
        await bot.settle()

    interests = [m for m in noam.all_messages() if "watercolours" in m.content]
    assert len(interests) == 1
    assert (
        sum("Yesterday you wanted to sleep on this boundary" in m.content for m in dana.all_messages()) == 1
    )
    assert not any(BOUNDARY_STATEMENT in m.content for m in noam.all_messages())  # she has not sent it


REFUSED_FORGED = "This invite link does not work; part of it may be missing."


async def test_every_refusal_end_to_end(server: FakeTelegramServer, tmp_path: Path) -> None:
    """Own link, forged and junk codes, a used link, a third person, people linked already or
    meanwhile, an expired link, the daily limit, and a partner who blocked the bot."""
    ada, ben, cy, dov = (server.user(8300 + n, name) for n, name in enumerate(("Ada", "Ben", "Cy", "Dov")))
    eli, fay, gil, hana = (
        server.user(8310 + n, name) for n, name in enumerate(("Eli", "Fay", "Gil", "Hana"))
    )
    await seed(tmp_path / "data", Profile(ada.id, timezone="UTC", morning=time(7, 0), onboarded=True))
    bot, clock = clocked(server, tmp_path, extra_toml="[partners]\ndaily_limit = 2\n")
    async with bot:
        payload = await invite(ada)
        await ada.send(f"/start {payload}")
        await ada.wait_for(has("This is your own invite link"))

        code = payload.removeprefix("p-")
        for junk in (
            "p-" + "A" * len(code),  # the right shape, never issued
            "p-" + code[:-1],  # a character missing
            "p-" + "x" * 62,  # the longest payload Telegram passes
            "p-" + "!$%&()*+,.:;<=>?@[]^{|}~" * 3,  # not a code's alphabet
            "p-" + "é" * 31,  # 64 bytes of UTF-8
            "p-" + "z" * 300,  # longer than Telegram allows
        ):
            await cy.send(f"/start {junk}")
            await cy.wait_for(has(REFUSED_FORGED))
        await cy.send(
            "/start " + "Zq9_-" * 12 + "Zq9_"
        )  # 64 bytes of junk without the prefix: a plain /start
        await cy.wait_for(lambda m: bool(m.content) and REFUSED_FORGED not in m.content)
        await bot.settle()

        await ben.send(f"/start {payload}")
        await ben.press(await ben.wait_for(has("Ada invites you")), "Accept")
        await ben.wait_for(has("You are now linked with Ada."))
        await ada.wait_for(has("Ben accepted your invite"))
        await cy.send(f"/start {payload}")  # a third person, the same link
        await cy.wait_for(has("This invite link has already been used."))
        await ben.send(f"/start {payload}")  # the one who used it, again
        await ben.wait_for(lambda m: "already" in m.content and "Ada invites you" not in m.content)

        # Already linked: Ben opens Dov's link; Eli's older link, once Eli linked with Fay.
        await ben.send(f"/start {await invite(dov)}")
        await ben.wait_for(has("You are already linked with a partner."))
        eli_first = await invite(eli)
        eli_second = await invite(eli)
        await fay.send(f"/start {eli_second}")
        await fay.press(await fay.wait_for(has("Eli invites you")), "Accept")
        await fay.wait_for(has("You are now linked with Eli."))
        await gil.send(f"/start {eli_first}")
        await gil.wait_for(has("has linked with someone else in the meantime"))
        # Eli unlinks quietly: Fay is sent nothing, and her /partner shows no link.
        await eli.send("/partner")
        await eli.press(await eli.wait_for(offers("Unlink")), "Unlink")
        await eli.press(await eli.wait_for(offers("Unlink quietly")), "Unlink quietly")
        await eli.wait_for(has("No message was sent to Fay"))
        await bot.settle()
        fay_had = len(fay.history())
        await fay.send("/partner")
        await fay.wait_for(has("Practising side by side"))
        assert len(fay.history()) == fay_had + 1  # /partner's answer, and nothing about Eli before it

        # Declining links nothing and leaves the link usable.
        await gil.send(f"/start {(dov_payload := await invite(dov))}")
        await gil.press(await gil.wait_for(offers("Decline")), "Decline")
        await gil.wait_for(has("Nothing was linked."))

        # Expired: Hana sees Dov's invite on day 6 and presses Accept after day 7.
        clock.advance(timedelta(days=6))
        await hana.send(f"/start {dov_payload}")
        intro = await hana.wait_for(has("Dov invites you"))
        clock.advance(timedelta(days=1, minutes=1))
        await hana.press(intro, "Accept")
        await hana.wait_for(has("This invite link has expired."))
        await gil.send(f"/start {dov_payload}")
        await gil.wait_for(has("This invite link has expired."))

        # The daily limit (2 here), and the next day a partner who blocked the bot.
        for n, interest in enumerate(("chess", "running", "singing")):
            await ada.send(f"/did {interest} 20m")
            await ada.press(await ada.wait_for(has(f"making time for {interest}")), "Tell Ben")
            if n < 2:
                await ada.wait_for(has("Sent to Ben. ✓"))
        await ada.wait_for(has("You have sent 2 items today, the most for one day."))
        clock.advance(timedelta(days=1))
        server.block(ben.id)
        await ada.send("/did yoga 20m")
        await ada.press(await ada.wait_for(has("making time for yoga")), "Tell Ben")
        await ada.wait_for(has("I could not deliver it to Ben"))
        await bot.settle()

    received = [m.content for m in ben.all_messages() if "is making time for" in m.content]
    assert received == ["Ada is making time for chess. 🌱", "Ada is making time for running. 🌱"]
    for person in (cy, gil, hana):
        assert not any("You are now linked" in m.content for m in person.all_messages())


async def test_in_invite_mode_an_accepted_partner_link_admits_the_partner(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    """A private bot lets in a partner by a valid invite link, and nobody by a forged or used one."""
    dana, noam, cy = server.user(8701, "Dana"), server.user(8702, "Noam"), server.user(8703, "Cy")
    await seed(tmp_path / "data", dana_profile(dana))
    bot, _clock = clocked(server, tmp_path, extra_toml='[access]\nmode = "invite"\n')
    async with bot:
        await noam.send("/partner")  # (/help, /privacy and /support answer anyone)
        await noam.wait_for(has("This bot is private"))
        payload = await link(dana, noam, "Dana", "Noam")
        await noam.send("/partner")
        await noam.wait_for(has("You are linked with Dana"))
        for used_or_forged in (payload, f"p-{'A' * 16}"):
            await cy.send(f"/start {used_or_forged}")
            await cy.wait_for(has("This bot is private"))
        await cy.send("/partner")
        await cy.wait_for(has("This bot is private"))


async def kill_while_held(bot: BotProcess, delay: Fault) -> None:
    """SIGKILL the bot while the message `delay` holds is on the wire, then start it again.

    The fault is taken when its call arrives (the server then sits on it): waiting for that, not
    for any unanswered call to the chat, since an earlier reply may still be getting its status.
    """
    await wait_until(lambda: delay.remaining == 0, "the message is held", details=bot.logs)
    bot.kill()
    await bot.start()


async def test_kill_during_link_and_during_shares(server: FakeTelegramServer, tmp_path: Path) -> None:
    """kill -9 while the link's confirmation is on the wire, while a share goes out at once, and
    while a night-queued share goes out at the morning: after each restart both sides agree on
    the link and every share reached Noam exactly once."""
    dana, noam = server.user(8401, "Dana"), server.user(8402, "Noam")
    await seed(tmp_path / "data", dana_profile(dana), Profile(noam.id, timezone="Asia/Jerusalem",
               morning=time(7, 0), onboarded=True, nudges_off=["morning"]))  # fmt: skip
    bot, clock = clocked(server, tmp_path)
    async with bot:
        payload = await invite(dana)
        await noam.send(f"/start {payload}")
        intro = await noam.wait_for(offers("Accept"))
        held = server.inject_fault("sendMessage", delay=2.0, chat_id=noam.id, times=1)
        await noam.press(intro, "Accept")
        await kill_while_held(bot, held)  # the link is written; nobody was told yet
        await noam.wait_for(has("You are now linked with Dana."))  # the held answer went out
        for person, partner in ((dana, "Noam"), (noam, "Dana")):
            await person.send("/partner")
            await person.wait_for(has(f"You are linked with {partner} since"))

        offer = await write_boundary(dana)
        held = server.inject_fault("sendMessage", delay=2.0, chat_id=noam.id, times=1)
        await dana.press(offer, "Share with Noam now")
        await kill_while_held(bot, held)
        await noam.wait_for(has(BOUNDARY_STATEMENT))

        clock.set(datetime(2026, 11, 30, 21, 30, tzinfo=UTC))  # 23:30 for Noam
        await dana.send("/did watercolours 30m")
        await dana.press(await dana.wait_for(has("making time for watercolours")), "Tell Noam")
        await dana.wait_for(has("it will arrive at their morning"))
        held = server.inject_fault("sendMessage", delay=2.0, chat_id=noam.id, times=1)
        clock.set(datetime(2026, 12, 1, 5, 0, 1, tzinfo=UTC))
        await kill_while_held(bot, held)
        await noam.wait_for(has("Dana is making time for watercolours."))
        await asyncio.sleep(1.0)  # ticks of the restarted bot, in which nothing may go again
        await bot.settle()
    assert bot.logs().count("Couple records repaired after a crash: 0 links, 1 shares") == 2  # mid-share

    assert sum(BOUNDARY_STATEMENT in m.content for m in noam.all_messages()) == 1
    assert sum("making time for watercolours" in m.content for m in noam.all_messages()) == 1
    couples = FileCouples(tmp_path / "data", None)
    pairing = await couples.current(dana.id)
    assert pairing is not None and pairing == await couples.current(noam.id)
    states = {share.kind: share.state for share, _ in await couples.shares_of(noam.id)}
    assert states == {ShareKind.BOUNDARY: ShareState.DELIVERED, ShareKind.INTEREST: ShareState.DELIVERED}


class Crash(Exception):
    """Stands for a kill -9 between two storage operations."""


class CrashingCouples(FileCouples):
    """The real file store, stopped dead after `steps` file operations (writes and removals)."""

    def __init__(self, data_dir: Path, steps: int) -> None:
        super().__init__(data_dir, None)
        self.steps = steps

    def _step(self) -> None:
        if self.steps == 0:
            raise Crash
        self.steps -= 1

    def _write(self, kind: str, name: str, document: dict[str, Any]) -> None:
        self._step()
        super()._write(kind, name, document)

    def _remove(self, kind: str, name: str) -> None:
        self._step()
        super()._remove(kind, name)


PAIRING_ID = "a1b2c3d4e5f60718"  # the shape services.partners gives them
INVITE = PartnerInvite("c0de-c0de_c0de-c", 9001, "Dana", NOON, NOON + timedelta(days=7))


async def crashed_link(data_dir: Path, steps: int) -> bool:
    """An invite accepted by 9002 with the process dying after `steps` file operations; whether it
    got to the end anyway."""
    await FileCouples(data_dir, None).create_invite(INVITE)
    try:
        await CrashingCouples(data_dir, steps).accept(INVITE.code, 9002, "Noam", NOON, PAIRING_ID)
    except Crash:
        return False
    return True


async def test_a_link_cut_short_at_any_write_is_repaired_so_both_sides_agree(tmp_path: Path) -> None:
    """Linking writes a marker, the couple's document, both members' lists, the used invite and
    removes the marker. A crash after any of these and `repair` at the next start leave both people
    linked or neither, the invite used exactly when they are, and no marker behind."""
    outcomes = []
    for steps in range(20):
        data_dir = tmp_path / str(steps)
        finished = await crashed_link(data_dir, steps)
        couples = FileCouples(data_dir, None)
        couples.repair()
        dana, noam = await couples.current(INVITE.inviter_id), await couples.current(9002)
        assert dana == noam, f"after {steps} writes the two sides disagree: {dana} / {noam}"
        invite = await couples.get_invite(INVITE.code)
        assert invite is not None and (invite.used_by == 9002) == (dana is not None)
        assert not list((data_dir / "couples").glob("linking/*"))
        if dana is None:  # the link never happened: the invite still works
            assert (
                await couples.accept(INVITE.code, 9002, "Noam", NOON, "0f1e2d3c4b5a6978")
                != InviteRefusal.USED
            )
        outcomes.append(dana is not None)
        if finished:
            break
    # Six operations; linked exactly when the couple's document (the second) was written.
    assert finished and outcomes == [False, False, True, True, True, True, True]


async def test_the_bot_repairs_a_half_written_link_at_start(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    """A kill left the marker, the couple's document and only the inviter's list: the restarted
    bot shows the link to both, and the invite is used up."""
    data_dir = tmp_path / "data"
    assert not await crashed_link(data_dir, 3)  # marker, document, Dana's list
    couples = FileCouples(data_dir, None)
    assert await couples.current(9002) is None and await couples.current(INVITE.inviter_id) is not None
    dana, noam, cy = (
        server.user(INVITE.inviter_id, "Dana"),
        server.user(9002, "Noam"),
        server.user(9003, "Cy"),
    )
    async with BotProcess(server, tmp_path):
        for person, partner in ((dana, "Noam"), (noam, "Dana")):
            await person.send("/partner")
            await person.wait_for(has(f"You are linked with {partner} since"))
        await cy.send(f"/start p-{INVITE.code}")
        await cy.wait_for(has("This invite link has already been used."))


async def test_delete_leaves_no_byte_of_her_texts_and_tells_him(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    """After Dana's /delete nothing she wrote or shared (nor her name) is in any file under the data
    directory, his included; the messages he received are deleted from his chat; he is told."""
    dana, noam = server.user(8501, "Zelphira"), server.user(8502, "Noam")
    await seed(tmp_path / "data", dana_profile(dana), Profile(noam.id, timezone="Asia/Jerusalem",
               morning=time(7, 0), onboarded=True, nudges_off=["morning"]))  # fmt: skip
    note = "Could we walk by the quarry lake on Saturday"
    bot, _clock = clocked(server, tmp_path)
    async with bot:
        await link(dana, noam, "Zelphira", "Noam")
        await dana.press(await write_boundary(dana), "Share with Noam now")
        boundary = await noam.wait_for(has(BOUNDARY_STATEMENT))
        await noam.press(boundary, "Let's talk about it")
        await check_in(dana)
        await dana.press(await dana.wait_for(has("how you feel?")), "Add a sentence for Noam")
        await dana.send(note)
        await dana.press(await dana.wait_for(has("This is what Noam will read")), "Send")
        feeling = await noam.wait_for(has(note))
        await dana.send("/did marquetry 25m")
        await dana.press(await dana.wait_for(has("making time for marquetry")), "Tell Noam")
        interest = await noam.wait_for(has("marquetry"))
        await noam.press(interest, "🎉 Cheer")
        await dana.wait_for(has("Noam cheers you on for marquetry!"))
        await bot.settle()
        data_files = [p for p in (tmp_path / "data").rglob("*") if p.is_file()]
        assert any(b"marquetry" in p.read_bytes() for p in data_files)  # the search below can find them

        await dana.send("/delete")
        await dana.press(await dana.wait_for(offers("🗑 Yes, erase everything")), "🗑 Yes, erase everything")
        await dana.wait_for(has("Everything about you has been erased."))
        await noam.wait_for(has("Zelphira has left the bot and erased their data, so your link has ended."))
        await noam.send("/partner")
        await noam.wait_for(has("Practising side by side"))
        await bot.settle()

    hers = [
        BOUNDARY_STATEMENT,
        "phones away while we eat",
        note,
        "quarry lake",
        "marquetry",
        "Zelphira",
        *DIARY,
    ]
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            for text in hers:
                assert text.encode() not in raw, f"{text!r} is still in {path}"
    assert all(noam.is_deleted(m) for m in (boundary, feeling, interest))
    assert await TinyDBRepository(tmp_path / "data").get_profile(noam.id) is not None  # his own data stays


INTERESTS = ("watercolours", "bouldering")


async def test_kill_while_the_first_of_two_queued_shares_goes_out_loses_neither(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    """Two shares wait for Noam's morning; the bot is killed while the first is on the wire. After
    the restart the second still reaches him, and neither comes twice."""
    dana, noam = server.user(8601, "Dana"), server.user(8602, "Noam")
    await seed(tmp_path / "data", dana_profile(dana), Profile(noam.id, timezone="Asia/Jerusalem",
               morning=time(7, 0), onboarded=True, nudges_off=["morning"]))  # fmt: skip
    bot, clock = clocked(server, tmp_path, start=datetime(2026, 11, 30, 21, 30, tzinfo=UTC))
    async with bot:
        await link(dana, noam, "Dana", "Noam")
        for interest in INTERESTS:
            await dana.send(f"/did {interest} 30m")
            await dana.press(await dana.wait_for(has(f"making time for {interest}")), "Tell Noam")
            await dana.wait_for(has("it will arrive at their morning"))
        held = server.inject_fault("sendMessage", delay=2.0, chat_id=noam.id, times=1)
        clock.set(datetime(2026, 12, 1, 5, 0, 1, tzinfo=UTC))
        await kill_while_held(bot, held)
        await wait_until(  # the held one may land after the restarted bot sent the other
            lambda: all(any(f"for {i}." in m.content for m in noam.all_messages()) for i in INTERESTS),
            "both shares reached Noam",
            details=bot.logs,
        )
        await asyncio.sleep(1.0)
        await bot.settle()
    for interest in INTERESTS:
        assert sum(f"making time for {interest}" in m.content for m in noam.all_messages()) == 1


async def test_an_interest_offered_after_did_can_be_sent_even_with_a_full_list(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    dana, noam = server.user(8801, "Dana"), server.user(8802, "Noam")
    full = Profile(dana.id, timezone="UTC", onboarded=True, interests=[f"interest {n}" for n in range(12)])
    await seed(tmp_path / "data", full)
    bot, _clock = clocked(server, tmp_path)
    async with bot:
        await link(dana, noam, "Dana", "Noam")
        await dana.send("/did kintsugi 20m")
        await dana.press(await dana.wait_for(has("making time for kintsugi")), "Tell Noam")
        await dana.wait_for(has("Sent to Noam. ✓"), timeout=3)
        await noam.wait_for(has("Dana is making time for kintsugi."))
