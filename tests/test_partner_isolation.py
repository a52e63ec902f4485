"""Couple mode cannot leak or be used to watch: random sequences of actions by two linked couples.

Each person writes texts marked with their own id. Whatever anyone does (writing, sharing or not,
answering, forging another couple's share or pairing ids), a person only ever reads another
person's marked text when its author sent that very item to them, and the only messages caused
by someone else's action are the couple-mode deliveries themselves: never a count, a streak or a
time of writing (issue 12's isolation property; issue 15's "cannot be used to control").
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.domain.models import Profile
from bot.localapi.user import FakeUser
from bot.storage.memory import InMemoryRepository
from tests.conftest import Clock, Harness, press, send

PEOPLE = {1: "Ana", 2: "Ben", 3: "Cai", 4: "Dov"}  # 1+2 and 3+4 are couples
# Every text a person writes carries a mark m<author>x<n>.
# What a person may receive because of someone else's action (English openings of the messages).
FROM_OTHERS = (
    "is making time for",  # received.interest
    "wants to share a boundary",  # received.boundary
    "wanted you to know",  # received.feeling
    "accepted your invite",
    "ended your link",
    "read your boundary and answered",
    "thanks you for telling them",
    "cheers you on",
)

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(sorted(PEOPLE)),
        st.sampled_from(
            ["checkin", "boundary", "did", "share", "keep", "answer", "forge", "unlink", "summary"]
        ),
    ),
    min_size=1,
    max_size=10,
)


class World:
    def __init__(self, h: Harness) -> None:
        self.h = h
        self.users = {uid: h.user(uid, name) for uid, name in PEOPLE.items()}
        self.sent: dict[int, set[str]] = {
            uid: set() for uid in PEOPLE
        }  # marks each person was sent on purpose
        self.count = 0

    def mark(self, uid: int) -> str:
        self.count += 1
        return f"m{uid}x{self.count}"

    async def setup(self) -> None:
        for uid in PEOPLE:
            await self.h.repo.save_profile(
                Profile(
                    user_id=uid, timezone="Europe/Berlin", morning=time(7), evening=time(21), onboarded=True
                )
            )
        for inviter, joiner in ((1, 2), (3, 4)):
            await self.link(inviter, joiner)

    async def link(self, inviter: int, joiner: int) -> None:
        a, b = self.users[inviter], self.users[joiner]
        await send(self.h, a, "/partner")
        await press(self.h, a, "💌 Invite my partner")
        link = next(m.content for m in reversed(a.all_messages()) if "?start=p-" in m.content)
        await send(self.h, b, "/start p-" + link.split("?start=p-")[1].split()[0])
        await press(self.h, b, "Accept")

    async def act(self, uid: int, action: str) -> None:
        user, h = self.users[uid], self.h
        if action == "checkin":
            secret = self.mark(uid)
            await send(h, user, "/checkin")
            await press(h, user, "😢 Sadness")
            await press(h, user, "lonely")
            await press(h, user, "3")
            for text in (f"{secret} happened", f"{secret} more"):
                await send(h, user, text)
            await press(h, user, "Mine")
            await press(h, user, "Not relevant")
            await send(h, user, f"{secret} need")
        elif action == "boundary":
            secret = self.mark(uid)
            await send(h, user, "/boundary")
            for text in (
                "Phone",
                f"{secret} no phones at dinner, please",
                "we eat",
                "I want to be present with you",
            ):
                await send(h, user, text)
            await press(h, user, "✅ Use this")
        elif action == "did":
            secret = self.mark(uid)
            await send(h, user, f"/did {secret} 20m")
        elif action in ("share", "keep"):
            await self.choose(uid, share=action == "share")
        elif action == "answer":
            for label in ("🎉 Cheer", "Thank you for telling me", "🤍 Thanks for telling me"):
                if self.has_button(user, label):
                    await press(h, user, label)
                    break
        elif action == "forge":
            await self.forge(uid)
        elif action == "unlink":
            await send(h, user, "/partner")
            if self.has_button(user, "Unlink"):
                await press(h, user, "Unlink")
                await press(h, user, "Unlink quietly")
        else:
            await send(h, user, "/summary")

    @staticmethod
    def has_button(user: FakeUser, label: str) -> bool:
        return any(
            button.get("text") == label
            for message in user.all_messages()
            for row in (message.markup or {}).get("inline_keyboard", [])
            for button in row
        )

    async def choose(self, uid: int, *, share: bool) -> None:
        user = self.users[uid]
        labels = ("Share with", "Tell ", "Send: ") if share else ("Keep it private", "Not now")
        for message in reversed(user.all_messages()):
            for row in (message.markup or {}).get("inline_keyboard", []):
                for button in row:
                    if str(button.get("text", "")).startswith(labels):
                        couple = await self.h.services.couples.current(uid)
                        if share and couple is not None:  # the offer quotes what it sends
                            offered = re.findall(rf"m{uid}x\d+", message.content)
                            self.sent[couple.partner_of(uid)].update(offered)
                        await press(self.h, user, str(button["text"]))
                        return

    async def forge(self, uid: int) -> None:
        """Press buttons naming other people's shares and pairings, as a modified client could."""
        couples = self.h.services.couples
        foreign: list[str] = []
        for other in PEOPLE:
            if other == uid:
                continue
            for share, _ in await couples.shares_of(other):
                if uid not in (share.sender, share.receiver):
                    foreign += [f"pr:{share.share_id}:{code}" for code in ("thanks", "talk", "cheer")]
            current = await couples.current(other)
            if current is not None and not current.includes(uid):
                foreign += [f"pu:{a}:{current.pairing_id}" for a in ("ask", "tell", "quiet")]
                foreign += [f"ph:on:{current.pairing_id}"]
        before = [await couples.export(other) for other in PEOPLE]
        for data in foreign:
            await self.h.app.process_update(self.h.request.callback_update(uid, data, bot=self.h.app.bot))
        assert [await couples.export(other) for other in PEOPLE] == before  # nobody's record changed

    def check(self, before: dict[int, int], actor: int) -> None:
        for uid, user in self.users.items():
            new = [m.content for m in user.all_messages()[before[uid] :] if not m.edited]
            for text in new:
                foreign = {m for m in re.findall(r"m\dx\d+", text) if int(m[1]) != uid}
                assert foreign <= self.sent[uid], (uid, text)
                if uid != actor:
                    assert any(marker in text for marker in FROM_OTHERS), (uid, actor, text)


@example(actions=[(1, "checkin"), (1, "share"), (2, "answer"), (3, "forge")])
@example(
    actions=[
        (1, "boundary"),
        (1, "share"),
        (2, "answer"),
        (4, "forge"),
        (2, "unlink"),
        (1, "did"),
        (1, "share"),
    ]
)
@example(
    actions=[
        (3, "did"),
        (3, "share"),
        (4, "answer"),
        (1, "forge"),
        (3, "checkin"),
        (3, "keep"),
        (4, "summary"),
    ]
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
async def test_nothing_reaches_a_partner_unless_its_author_sends_it(
    clock: Clock, actions: list[tuple[int, str]]
) -> None:
    clock.now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)  # daytime in Berlin: shares go at once
    async with Harness(InMemoryRepository(), clock) as h:
        world = World(h)
        await world.setup()
        for actor, action in actions:
            before = {uid: len(user.all_messages()) for uid, user in world.users.items()}
            await world.act(actor, action)
            world.check(before, actor)
            for user in world.users.values():
                assert not any("something went wrong" in m.content for m in user.all_messages())
