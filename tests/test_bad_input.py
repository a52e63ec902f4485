"""A corpus of bad input, sent in every state where it applies: a clear answer, never a traceback,
and nothing stored changes unless the input was a legitimate answer."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import time
from typing import Any

import pytest

from bot.domain.models import Profile
from bot.localapi.builders import channel_chat, group_chat
from bot.localapi.user import FakeChannel, FakeUser
from tests.conftest import Harness

Step = Callable[[Harness, FakeUser], Awaitable[Any]]


async def say(h: Harness, user: FakeUser, text: str) -> None:
    await user.send(text)
    await h.pump()


async def onboard(h: Harness, user: FakeUser) -> None:
    await h.repo.save_profile(
        Profile(
            user_id=user.id, timezone="Europe/Berlin", morning=time(7, 30), evening=time(21), onboarded=True
        )
    )


async def state_new(h: Harness, user: FakeUser) -> None:
    await say(h, user, "/help")


async def state_setup_zone(h: Harness, user: FakeUser) -> None:
    await say(h, user, "/start")


async def state_setup_morning(h: Harness, user: FakeUser) -> None:
    await say(h, user, "/start")
    await say(h, user, "Berlin")


async def state_setup_confirm(h: Harness, user: FakeUser) -> None:
    await state_setup_morning(h, user)
    await say(h, user, "7:00")
    await say(h, user, "21:00")


async def state_idle(h: Harness, user: FakeUser) -> None:
    await onboard(h, user)
    await say(h, user, "/help")


async def state_settings_zone(h: Harness, user: FakeUser) -> None:
    await onboard(h, user)
    await say(h, user, "/settings")
    await user.press(None, "Change time zone")
    await h.pump()


async def state_checkin_choice(h: Harness, user: FakeUser) -> None:
    await onboard(h, user)
    await say(h, user, "/checkin")


async def state_checkin_scale(h: Harness, user: FakeUser) -> None:
    await state_checkin_choice(h, user)
    await say(h, user, "joy")
    await say(h, user, "glad")


async def state_checkin_text(h: Harness, user: FakeUser) -> None:
    await state_checkin_scale(h, user)
    await say(h, user, "3")


async def state_pages_writing(h: Harness, user: FakeUser) -> None:
    await onboard(h, user)
    await say(h, user, "/pages")


async def state_boundary_compose(h: Harness, user: FakeUser) -> None:
    await onboard(h, user)
    await say(h, user, "/boundary")
    for answer in ("Work", "no calls after eight in the evening", "at home", "rest matters to me deeply"):
        await say(h, user, answer)


STATES: dict[str, Step] = {
    name.removeprefix("state_"): fn for name, fn in globals().items() if name.startswith("state_")
}


def text(value: str) -> Step:
    async def act(h: Harness, user: FakeUser) -> None:
        await say(h, user, value)

    return act


def media(kind: str) -> Step:
    async def act(h: Harness, user: FakeUser) -> None:
        if kind == "document":
            await user.send_document(b"%PDF-1.4 junk", file_name="junk.pdf", mime_type="application/pdf")
        elif kind == "location":
            await user.send_location(31.77, 35.21)
        else:
            await getattr(user, f"send_{kind}")()
        await h.pump()

    return act


def button(data: str) -> Step:
    async def act(h: Harness, user: FakeUser) -> None:
        await h.app.process_update(h.request.callback_update(user.id, data, bot=h.app.bot))

    return act


async def edited(h: Harness, user: FakeUser) -> None:
    await user.edit(1, "a changed earlier message")  # the user's first message, long answered
    await h.pump()


async def from_group(h: Harness, user: FakeUser) -> None:
    member = user.in_chat(group_chat(-100777, "Friends"))
    await member.send("/checkin")
    await member.send("I feel sad")
    await h.pump()


async def from_channel(h: Harness, user: FakeUser) -> None:
    await FakeChannel(h.request.api, channel_chat(-100999, "News")).post("/start")
    await h.pump()


# Inputs that are never a legitimate answer: nothing stored may change.
INVALID: dict[str, Step] = {
    "sticker": media("sticker"),
    "photo": media("photo"),
    "voice": media("voice"),
    "document": media("document"),
    "contact": media("contact"),
    "edited": edited,
    "/history -5": text("/history -5"),
    "/history abc": text("/history abc"),
    "/did x y z": text("/did x y z"),
    "/did 40m": text("/did 40m"),
    "/summary 99": text("/summary 99"),
    "/remind now please": text("/remind now please"),
    "/unknown": text("/frobnicate --force"),
    "forged flow button": button("f:deadbeef:0:0"),
    "forged time button": button("time:morning:25:00"),
    "forged edit button": button("edit:nowhere"),
    "forged history entry": button("h:" + "0" * 32),
    "forged boundary": button("bd:" + "0" * 32),
    "forged reminder": button("rm:t:nope"),
    "forged interest": button("in:rm:99"),
    "forged decision": button("fc:keep:00000000"),
    "forged switch": button("fs:00000000:checkin"),
    "forged start": button("start:nope"),
    "junk button": button("x" * 64),
    "group": from_group,
    "channel": from_channel,
}
# Text that may legitimately be an answer (so data may change), but must never break anything.
TEXTS: dict[str, Step] = {
    "whitespace": text(" \t "),
    "10k chars": text("long " * 2000),
    "emoji": text("😀🙃🫠💔"),
    "hebrew": text("אני מרגישה בודדה היום"),
    "arabic": text("أشعر بالوحدة اليوم"),
    "mixed direction": text("I felt שקט and then قلق again"),
    "html tags": text("<b>bold</b> <i>me</i>"),
    "ampersand": text("tea & biscuits &amp; more"),
    "script": text("<script>alert(1)</script>"),
    "impossible time": text("25:99"),
    "unknown zone": text("Mars/Olympus_Mons"),
    "offset past +14": text("UTC+15"),
    "offset past -12": text("UTC-13"),
    "location": media("location"),
}


async def snapshot(h: Harness, user: FakeUser) -> dict[str, Any]:
    return await h.repo.export_user(user.id)


ANSWERS = {"sendMessage", "editMessageText", "answerCallbackQuery", "sendDocument", "sendPhoto",
           "editMessageReplyMarkup", "setMessageReaction"}  # fmt: skip
CASES = [(s, i, True) for s in STATES for i in INVALID] + [(s, i, False) for s in STATES for i in TEXTS]


@pytest.mark.parametrize(("state", "case", "must_not_change"), CASES)
async def test_bad_input(
    harness: Harness, caplog: pytest.LogCaptureFixture, state: str, case: str, must_not_change: bool
) -> None:
    caplog.set_level(logging.WARNING)
    user = harness.user(4242, "Tal")
    await STATES[state](harness, user)
    before = await snapshot(harness, user)
    calls_before = len(harness.request.requests)
    await (INVALID if must_not_change else TEXTS)[case](harness, user)
    new_calls = harness.request.requests[calls_before:]
    answered = [c for c in new_calls if c.method in ANSWERS]
    if case != "channel":
        assert answered, f"no reply to {case!r} in state {state!r}"
    sent = [str(c.params.get("text", "")) for c in new_calls]
    assert not any("something went wrong" in s for s in sent), sent
    assert not [c for c in new_calls if c.status not in (None, 200)], "the bot made an invalid API call"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [
        r.getMessage() for r in caplog.records
    ]
    if must_not_change:
        after = await snapshot(harness, user)
        assert after == before
