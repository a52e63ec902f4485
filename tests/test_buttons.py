"""Buttons as a phone sends them: pressed twice fast, from old messages, forged by a modified client.

Every press is checked against server-side state, so a press that does not match what is open
changes nothing and gets a short answer; a press repeated at once changes state at most once.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import date, time, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import callbacks
from bot.concurrency import PerUserUpdateProcessor
from bot.domain.models import Entry, Profile
from bot.localapi.offline import make_callback_update
from bot.localapi.user import FakeUser
from bot.storage.memory import InMemoryRepository
from tests.conftest import Clock, Harness, press, send

PASSED = "That question has passed."
ERROR = "something went wrong"


async def onboarded(h: Harness, user: FakeUser, **profile: Any) -> None:
    await h.repo.save_profile(
        Profile(
            user_id=user.id,
            timezone="Europe/Berlin",
            morning=time(7, 0),
            evening=time(21, 0),
            onboarded=True,
            **profile,
        )
    )


async def state(h: Harness, user: FakeUser) -> str:
    """Everything stored about the person (couple mode included), as text (to compare before and after)."""
    stored = await h.repo.export_user(user.id), await h.services.couples.export(user.id)
    return json.dumps(stored, sort_keys=True, default=str)


def answers(h: Harness) -> list[str | None]:
    return [call.params.get("text") for call in h.request.calls("answerCallbackQuery")]


def data_of(message: Any, contains: str) -> str:
    """The callback data of the button on `message` whose text contains `contains`."""
    rows = (message.markup or {}).get("inline_keyboard", [])
    return str(next(b["callback_data"] for row in rows for b in row if contains in b["text"]))


def all_data(user: FakeUser) -> set[str]:
    return {
        b.get("callback_data", "")
        for m in user.all_messages()
        for row in (m.markup or {}).get("inline_keyboard", [])
        for b in row
    }


def no_errors(user: FakeUser) -> None:
    texts = [m.content for m in user.all_messages()]
    assert not any(ERROR in text for text in texts), texts


async def tap(h: Harness, user: FakeUser, label: str, times: int = 2) -> None:
    """Press the same button `times` times before the bot handles the first press (a double tap)."""
    for _ in range(times):
        await user.press(None, label)
    await h.pump()


async def forge(h: Harness, user: FakeUser, data: str) -> None:
    """A modified client sends `data` as if from the newest message."""
    await h.app.process_update(h.request.callback_update(user.id, data, bot=h.app.bot))


# --- Forged and replayed data ----------------------------------------------------------------


async def test_forged_delete_never_erases(harness: Harness) -> None:
    user = harness.user()
    await onboarded(harness, user)
    await harness.repo.append_entry(user.id, Entry(kind="diary", local_date=date(2026, 11, 27), data={}))
    before = await state(harness, user)
    await send(harness, user, "/help")
    for data in ("delete:yes", f"delete:yes:{secrets.token_urlsafe(9)}", "delete:yes:" + "A" * 12):
        await forge(harness, user, data)
    assert await state(harness, user) == before
    assert answers(harness) == [PASSED] * 3
    no_errors(user)


async def test_delete_confirmation_is_single_use_and_expires(harness: Harness, clock: Clock) -> None:
    user = harness.user()
    await onboarded(harness, user)
    await send(harness, user, "/delete")
    yes = data_of(user.all_messages()[-1], "erase")
    await press(harness, user, "Keep my data")
    await forge(harness, user, yes)  # the same question's other button, after it was answered
    assert await harness.repo.get_profile(user.id) is not None
    await send(harness, user, "/delete")
    clock.now += timedelta(hours=1)  # a confirmation left lying around has expired
    await tap(harness, user, "🗑 Yes, erase everything", times=1)
    assert await harness.repo.get_profile(user.id) is not None
    assert answers(harness)[-2:] == [PASSED, PASSED]
    no_errors(user)


STATES = [
    "new",
    "setup",
    "idle",
    "checkin",
    "writing",
    "cancel",
    "settings",
    "reminders",
    "delete",
    "interests",
    "partner",  # linked, the /partner menu open, an offer to tell the partner about an interest open
    "received",  # linked, a share from the partner with its answer buttons
]
PARTNER_ID = 9999


async def enter(h: Harness, user: FakeUser, name: str) -> None:
    """Bring the person into one of the STATES, the way a person would."""
    if name == "new":
        await send(h, user, "/help")
        return
    if name == "setup":
        await send(h, user, "/start")
        await send(h, user, "Berlin")
        return
    await onboarded(h, user, interests=["piano", "running"])
    await h.repo.append_entry(
        user.id, Entry(kind="boundary", local_date=date(2026, 11, 20), data={"statement": "I need quiet"})
    )
    command = {
        "partner": "/partner",
        "received": "/partner",
        "idle": "/help",
        "checkin": "/checkin",
        "writing": "/pages",
        "cancel": "/checkin",
        "settings": "/settings",
        "reminders": "/remind",
        "delete": "/delete",
        "interests": "/interests",
    }[name]
    if name in ("partner", "received"):
        await link_with_partner(h, user)
        if name == "received":
            partner = h.user(PARTNER_ID, "Noam")
            await send(h, partner, "/did climbing 30m")
            await press(h, partner, "Tell Noa")
        else:
            await send(h, user, "/did piano 30m")
        command = "/partner"
    await send(h, user, command)
    if name == "cancel":
        await send(h, user, "/cancel")


async def link_with_partner(h: Harness, user: FakeUser) -> None:
    """Noam invites the person, who accepts."""
    partner = h.user(PARTNER_ID, "Noam")
    await onboarded(h, partner)
    await send(h, partner, "/partner")
    await press(h, partner, "💌 Invite my partner")
    link = next(m.content for m in partner.all_messages() if "?start=p-" in m.content)
    code = link.split("?start=p-")[1].split()[0]
    await send(h, user, f"/start p-{code}")
    await press(h, user, "Accept")


FORGED_FIELDS = st.text(alphabet="0123456789abcdefABCDEF:_-xyz", max_size=40)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    where=st.sampled_from(STATES),
    kind=st.sampled_from(callbacks.ALL),
    tail=FORGED_FIELDS,
)
async def test_forged_data_of_every_prefix_in_every_state_changes_nothing(
    clock: Clock, where: str, kind: callbacks.Button, tail: str
) -> None:
    async with Harness(InMemoryRepository(), clock) as h:
        user = h.user()
        await enter(h, user, where)
        before = await state(h, user)
        data = f"{kind.prefix}:{tail}"[:64]
        starts = kind in STARTERS and kind.parse(data) is not None
        if data in all_data(user) or starts:
            return  # a real button, or a well-formed one that only starts or shows something: not forged
        await forge(h, user, data)
        assert await state(h, user) == before, data
        assert answers(h)[-1] in (PASSED, "That entry isn't there any more."), data
        no_errors(user)


# They start or show something (the first three only with well-formed data).
STARTERS = (callbacks.START, callbacks.SUMMARY, callbacks.CHART, callbacks.INTEREST_ADD)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.sampled_from(STATES), data=st.data())
async def test_well_formed_forged_data_of_every_kind_changes_nothing(
    clock: Clock, where: str, data: st.DataObject
) -> None:
    kind = data.draw(st.sampled_from([k for k in callbacks.ALL if k not in STARTERS]))
    forged = data.draw(st.from_regex(kind.regex, fullmatch=True).filter(lambda d: len(d.encode()) <= 64))
    async with Harness(InMemoryRepository(), clock) as h:
        user = h.user()
        await enter(h, user, where)
        if forged in all_data(user):
            return  # what a button on screen really carries: pressing it is not forging
        before = await state(h, user)
        await forge(h, user, forged)
        assert await state(h, user) == before, forged
        assert answers(h)[-1] in (PASSED, "That entry isn't there any more."), forged
        no_errors(user)


# --- Double taps -----------------------------------------------------------------------------

DOUBLE_TAPS: list[tuple[str, str, str]] = [
    ("delete", "/delete", "Keep my data"),
    ("settings", "/settings", "Done"),
    ("setup-time", "/start", "07:00"),
    ("cancel-keep", "/cancel", "Keep it for later"),
    ("cancel-drop", "/cancel", "Discard it"),
    ("interest", "/interests", "✕ piano"),
    ("answer", "/checkin", "😟 Fear"),
    ("reminder-off", "/remind", "Evening: turn off"),
    ("reminders-menu", "/settings", "🔔 Reminders: on/off, days, pause"),
    ("change-evening", "/settings", "Change evening time"),
]


@pytest.mark.parametrize(("name", "command", "label"), DOUBLE_TAPS, ids=[d[0] for d in DOUBLE_TAPS])
@pytest.mark.parametrize("times", [2, 3])
async def test_a_double_tap_changes_state_once_and_never_errors(
    clock: Clock, name: str, command: str, label: str, times: int
) -> None:
    async def run(presses: int) -> tuple[str, int]:
        async with Harness(InMemoryRepository(), clock) as h:
            user = h.user()
            if name == "setup-time":
                await send(h, user, "/start")
                await send(h, user, "Berlin")
            else:
                await onboarded(h, user, interests=["piano", "running"])
                if command == "/cancel":
                    await send(h, user, "/checkin")
                await send(h, user, command)
            await tap(h, user, label, times=presses)
            no_errors(user)
            exported = await h.repo.export_user(user.id)
            for record in (exported.get("draft") or {}, exported.get("profile") or {}):
                for key in ("updated_at", "draft_id", "started_at", "created_at"):
                    record.pop(key, None)  # differ between the two runs, not between presses
            return json.dumps(exported, sort_keys=True, default=str), len(user.all_messages())

    once, messages_once = await run(1)
    repeated, messages_repeated = await run(times)
    assert repeated == once
    assert messages_repeated == messages_once  # the repeats send nothing more (edits included)


async def test_a_double_tap_on_an_interest_removes_only_that_one(harness: Harness) -> None:
    user = harness.user()
    await onboarded(harness, user, interests=["piano", "running", "chess"])
    await send(harness, user, "/interests")
    await tap(harness, user, "✕ piano", times=2)
    profile = await harness.repo.get_profile(user.id)
    assert profile is not None and profile.interests == ["running", "chess"]
    assert answers(harness)[-1] == PASSED


async def test_message_not_modified_is_success(harness: Harness) -> None:
    user = harness.user()
    await onboarded(harness, user)
    await send(harness, user, "/remind")
    menu = user.all_messages()[-1]
    await press(harness, user, "📅 Choose days")
    back = data_of(user.all_messages()[-1], "Back")
    await forge(harness, user, back)
    await forge(harness, user, back)  # the menu is already showing: Telegram says "not modified"
    assert menu.message_id == user.all_messages()[-1].message_id
    no_errors(user)


# --- Jobs and updates serialised per person ----------------------------------------------------


async def test_the_writing_timer_never_overwrites_the_last_message(
    harness: Harness, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = harness.user()
    await onboarded(harness, user)
    await send(harness, user, "/pages")
    await send(harness, user, "first words")
    clock.now += timedelta(minutes=10, seconds=1)  # the window's time is up; its timer is due

    gate = asyncio.Event()
    real_save = harness.repo.save_draft

    async def slow_save(uid: int, draft: dict[str, Any]) -> None:
        if "last words" in json.dumps(draft):
            await gate.wait()  # the person's update is mid-write when the timer fires
        await real_save(uid, draft)

    monkeypatch.setattr(harness.repo, "save_draft", slow_save)
    await user.send("last words")
    (update,) = await harness.app.bot.get_updates(offset=-1, timeout=0)
    processor = harness.app.update_processor
    handling = asyncio.create_task(processor.process_update(update, harness.app.process_update(update)))
    await asyncio.sleep(0.05)
    timer = asyncio.create_task(harness.run_job(f"writing:{user.id}"))
    await asyncio.sleep(0.05)
    gate.set()
    await asyncio.gather(handling, timer)

    (entry,) = await harness.repo.list_entries(user.id, "pages")
    assert entry.data["text"] == "first words\n\nlast words"
    no_errors(user)


async def test_one_persons_queue_does_not_hold_up_others(harness: Harness) -> None:
    processor = harness.app.update_processor
    assert isinstance(processor, PerUserUpdateProcessor)
    busy, other = harness.user(1), harness.user(2)
    release = asyncio.Event()
    done: list[int] = []

    async def work(uid: int) -> None:
        if uid == busy.id:
            await release.wait()
        done.append(uid)

    def update_of(uid: int) -> Any:
        return make_callback_update(uid, "x", bot=harness.app.bot)

    waiting = [
        asyncio.create_task(processor.process_update(update_of(busy.id), work(busy.id)))
        for _ in range(processor.slots + 5)  # more than every slot, all for one person
    ]
    await asyncio.sleep(0.05)
    await asyncio.wait_for(processor.process_update(update_of(other.id), work(other.id)), timeout=2)
    assert done == [other.id]
    release.set()
    await asyncio.gather(*waiting)


# --- The question asked last wins --------------------------------------------------------------


async def test_a_settings_question_takes_typed_text_over_an_open_exercise(harness: Harness) -> None:
    user = harness.user()
    await onboarded(harness, user)
    await send(harness, user, "/checkin")
    await send(harness, user, "/settings")
    await press(harness, user, "Change evening time")
    await send(harness, user, "21:30")
    profile = await harness.repo.get_profile(user.id)
    assert profile is not None and profile.evening == time(21, 30)
    draft = await harness.repo.get_draft(user.id)
    assert draft is not None and "21:30" not in json.dumps(draft["answers"])
    await send(harness, user, "/checkin")  # the exercise resumes where it was and takes the next text
    await send(harness, user, "wistful")
    draft = await harness.repo.get_draft(user.id)
    assert draft is not None and draft["answers"].get("family") == "wistful"


async def test_an_exercise_question_asked_after_the_settings_question_wins(harness: Harness) -> None:
    user = harness.user()
    await onboarded(harness, user)
    await send(harness, user, "/settings")
    await press(harness, user, "Change evening time")
    await send(harness, user, "/checkin")
    await send(harness, user, "wistful")
    profile = await harness.repo.get_profile(user.id)
    assert profile is not None and profile.evening == time(21, 0)
    draft = await harness.repo.get_draft(user.id)
    assert draft is not None and draft["answers"].get("family") == "wistful"


# --- Bursts --------------------------------------------------------------------------------------


async def test_a_burst_at_a_button_question_gets_one_hint(harness: Harness, clock: Clock) -> None:
    user = harness.user()
    await onboarded(harness, user)
    await send(harness, user, "/selfexam")
    before = len(user.all_messages())
    for n in range(30):
        await user.send(f"hello {n}")
    await harness.pump()
    assert len(user.all_messages()) - before == 2  # one hint and the question again
    clock.now += timedelta(seconds=10)
    await send(harness, user, "and now?")
    assert len(user.all_messages()) - before == 4
    no_errors(user)


# --- Echoes of what people type ------------------------------------------------------------------


async def test_a_very_long_new_interest_gets_a_hint_and_nothing_is_logged(harness: Harness) -> None:
    user = harness.user()
    await onboarded(harness, user, interests=["piano"])
    await send(harness, user, "/did")
    await send(harness, user, "<b>&" + "painting " * 600)
    hint = user.all_messages()[-2].content
    assert "short name" in hint
    assert await harness.repo.list_entries(user.id, "interest_time") == []
    await send(harness, user, "painting <&>")
    await press(harness, user, "30 min")
    (entry,) = await harness.repo.list_entries(user.id, "interest_time")
    assert entry.data == {"interest": "painting <&>", "minutes": 30}
    assert "painting <&>" in user.all_messages()[-1].content
    no_errors(user)


async def test_button_labels_are_plain_text(harness: Harness) -> None:
    user = harness.user()
    await onboarded(harness, user, interests=["<b>bold</b> & co"])
    await send(harness, user, "/did")
    labels = user.all_messages()[-1].button_texts
    assert "<b>bold</b> & co" in labels
    await send(harness, user, "/cancel")
    await press(harness, user, "Discard it")
    await send(harness, user, "/interests")
    assert "✕ <b>bold</b> & co" in user.all_messages()[-1].button_texts


async def test_did_while_a_writing_window_is_open_keeps_the_window(harness: Harness) -> None:
    user = harness.user()
    await onboarded(harness, user)
    await send(harness, user, "/pages")
    await send(harness, user, "first thoughts")
    await send(harness, user, "/did piano 20m")
    assert "20 min" in user.all_messages()[-1].content
    await send(harness, user, "more thoughts")
    draft = await harness.repo.get_draft(user.id)
    assert draft is not None and draft["writing"]["parts"] == ["first thoughts", "more thoughts"]


async def test_sharing_a_boundary_while_another_exercise_is_open_keeps_which_boundary(
    harness: Harness,
) -> None:
    user = harness.user()
    await onboarded(harness, user)
    boundary = Entry(kind="boundary", local_date=date(2026, 11, 20), data={"statement": "I need quiet"})
    await harness.repo.append_entry(user.id, boundary)
    await send(harness, user, "/checkin")
    await send(harness, user, "/boundaries")
    await press(harness, user, "Mark 1 as shared")
    await tap(harness, user, "Discard it and start", times=2)
    await send(harness, user, "It went well.")
    (update,) = await harness.repo.list_entries(user.id, "boundary_update")
    assert update.data["boundary_id"] == boundary.entry_id and update.data["outcome"] == "It went well."
    no_errors(user)


async def test_adding_an_interest_while_a_check_in_is_open_asks_first(harness: Harness) -> None:
    user = harness.user()
    await onboarded(harness, user)
    await send(harness, user, "/checkin")
    await send(harness, user, "/interests")
    before = len(user.all_messages())
    await tap(harness, user, "➕ Add")
    assert len(user.all_messages()) == before + 1  # the question is asked once, however often pressed
    assert "Continue it" in user.all_messages()[-1].button_texts
    await press(harness, user, "Continue it")
    await send(harness, user, "wistful")
    draft = await harness.repo.get_draft(user.id)
    assert draft is not None and draft["flow"] == "checkin" and draft["answers"]["family"] == "wistful"
    profile = await harness.repo.get_profile(user.id)
    assert profile is not None and profile.interests == []
    no_errors(user)
