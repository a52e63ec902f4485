"""Setup and settings, in-process: real Application, offline Bot API, one user at a time."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import time

import pytest

from bot.app import MENU_COMMANDS
from bot.domain.models import Profile
from bot.localapi.builders import group_chat
from bot.localapi.user import FakeUser
from bot.logs import apply_library_floors
from bot.storage import StorageError
from bot.storage.memory import InMemoryRepository
from bot.storage.tinydb_store import TinyDBRepository
from tests.conftest import Clock, Harness, press, send


async def onboard(h: Harness, user: FakeUser) -> None:
    """The whole setup with the location button, a time button, a typed time and confirmation."""
    await send(h, user, "/start")
    await user.wait_for(lambda m: "First, your time zone" in m.content)
    await press(h, user, "📍 Share my location")
    await user.wait_for(lambda m: "Europe/Berlin" in m.content)
    await user.wait_for(lambda m: "When would you like the" in m.content)
    await press(h, user, "07:00")
    await user.wait_for(lambda m: "And the evening diary" in m.content and not m.edited)
    await send(h, user, "9.30pm")
    await user.wait_for(lambda m: "Does that look right?" in m.content)
    await press(h, user, "✅ Looks right")
    await user.wait_for(lambda m: "all set" in m.content)


async def test_full_setup_stores_profile(harness: Harness) -> None:
    user = harness.user()
    await send(harness, user, "/start")
    welcome = await user.next_message()
    assert "differentiation" in welcome.content
    privacy = await user.next_message()
    assert "/export" in privacy.content and "/delete" in privacy.content
    ask_zone = await user.next_message()
    assert ask_zone.markup is not None
    assert ask_zone.markup["keyboard"][0][0]["request_location"] is True

    await press(harness, user, "📍 Share my location")
    zone_set = await user.next_message()
    assert "Europe/Berlin" in zone_set.content
    assert zone_set.markup == {"remove_keyboard": True}
    ask_morning = await user.next_message()
    assert ask_morning.button_texts == ["06:30", "07:00", "07:30", "08:00", "08:30"]

    await press(harness, user, "07:00")
    edited = await user.next_message()
    assert edited.edited and "✓ 07:00" in edited.content and not edited.buttons
    ask_evening = await user.next_message()
    assert "21:00" in ask_evening.button_texts

    await send(harness, user, "9.30pm")
    confirm = await user.next_message()
    assert "Europe/Berlin" in confirm.content and "07:00" in confirm.content and "21:30" in confirm.content
    await press(harness, user, "✅ Looks right")
    await user.wait_for(lambda m: "all set" in m.content)

    profile = await harness.repo.get_profile(user.id)
    assert profile is not None
    assert (profile.timezone, profile.morning, profile.evening, profile.onboarded) == (
        "Europe/Berlin",
        time(7, 0),
        time(21, 30),
        True,
    )


async def test_start_again_says_welcome_back(harness: Harness) -> None:
    user = harness.user()
    await onboard(harness, user)
    await send(harness, user, "/start")
    message = await user.next_message()
    assert "Welcome back" in message.content
    assert "Europe/Berlin" in message.content and "07:00" in message.content and "21:30" in message.content
    assert "/settings" in message.content


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("Atlantis", "I don't know that place"),
        ("+15", "UTC offsets run from"),
        ("USA", "covers several time zones"),
        ("+5.5", "couldn't read that offset"),
    ],
)
async def test_bad_zone_gets_specific_hint_and_same_question(harness: Harness, typed: str, hint: str) -> None:
    user = harness.user()
    await send(harness, user, "/start")
    await user.wait_for(lambda m: "First, your time zone" in m.content)
    await send(harness, user, typed)
    assert hint in (await user.next_message()).content
    again = await user.next_message()
    assert "First, your time zone" in again.content
    assert await harness.repo.get_profile(user.id) is None


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("25:99", "doesn't exist on a clock"),
        ("13pm", "With am/pm"),
        ("soon", "couldn't read that as a time"),
    ],
)
async def test_bad_time_gets_specific_hint_and_same_question(harness: Harness, typed: str, hint: str) -> None:
    user = harness.user()
    await send(harness, user, "/start")
    await send(harness, user, "Tel Aviv")
    await user.wait_for(lambda m: "When would you like the" in m.content)
    await send(harness, user, typed)
    assert hint in (await user.next_message()).content
    assert "When would you like the" in (await user.next_message()).content
    profile = await harness.repo.get_profile(user.id)
    assert profile is not None and profile.timezone == "Asia/Jerusalem" and profile.morning is None


@pytest.mark.parametrize("typed", ["Europe/Berlin", "berlin", "+1", "UTC+01:00"])
async def test_typed_zone_forms(harness: Harness, typed: str) -> None:
    user = harness.user()
    await send(harness, user, "/start")
    await send(harness, user, typed)
    await user.wait_for(lambda m: "Time zone set" in m.content)
    profile = await harness.repo.get_profile(user.id)
    assert profile is not None and profile.timezone in ("Europe/Berlin", "Etc/GMT-1")


async def test_non_text_during_setup_repeats_question(harness: Harness) -> None:
    user = harness.user()
    await send(harness, user, "/start")
    await user.wait_for(lambda m: "First, your time zone" in m.content)
    await user.send_sticker()
    await harness.pump()
    assert "only read text" in (await user.next_message()).content
    assert "First, your time zone" in (await user.next_message()).content


async def test_settings_change_time(harness: Harness) -> None:
    user = harness.user()
    await onboard(harness, user)
    await send(harness, user, "/settings")
    menu = await user.next_message()
    assert "Your settings" in menu.content
    await press(harness, user, "Change morning time")
    await user.wait_for(lambda m: "When would you like the" in m.content)
    await send(harness, user, "6:45")
    updated = await user.wait_for(lambda m: "Your settings" in m.content)
    assert "06:45" in updated.content
    profile = await harness.repo.get_profile(user.id)
    assert profile is not None and profile.morning == time(6, 45) and profile.evening == time(21, 30)


async def test_settings_change_zone_by_text(harness: Harness) -> None:
    user = harness.user()
    await onboard(harness, user)
    await send(harness, user, "/settings")
    await press(harness, user, "Change time zone")
    await user.wait_for(lambda m: "First, your time zone" in m.content)
    await send(harness, user, "Kathmandu")
    await user.wait_for(lambda m: "Asia/Kathmandu" in m.content and "Your settings" in m.content)
    profile = await harness.repo.get_profile(user.id)
    assert profile is not None and profile.timezone == "Asia/Kathmandu" and profile.onboarded


async def test_change_at_confirmation_returns_to_confirmation(harness: Harness) -> None:
    user = harness.user()
    await send(harness, user, "/start")
    await send(harness, user, "Berlin")
    await press(harness, user, "07:30")
    await press(harness, user, "21:00")
    await user.wait_for(lambda m: "Does that look right?" in m.content)
    await press(harness, user, "Change evening time")
    await user.wait_for(lambda m: "And the evening diary" in m.content)
    await send(harness, user, "22:15")
    confirm = await user.wait_for(lambda m: "Does that look right?" in m.content)
    assert "22:15" in confirm.content


async def test_restart_mid_setup_resumes_at_same_question(
    clock: Clock, disk_repo_factory: Callable[[], TinyDBRepository]
) -> None:
    async with Harness(disk_repo_factory(), clock) as first:
        user = first.user()
        await send(first, user, "/start")
        await send(first, user, "Berlin")
        await user.wait_for(lambda m: "When would you like the" in m.content)
    async with Harness(disk_repo_factory(), clock) as second:
        user = second.user()
        await send(second, user, "/start")
        assert "pick up where we left off" in (await user.next_message()).content
        assert "When would you like the" in (await user.next_message()).content
        await send(second, user, "8:00")
        await user.wait_for(lambda m: "And the evening diary" in m.content)
        profile = await second.repo.get_profile(user.id)
        assert profile is not None and profile.timezone == "Europe/Berlin" and profile.morning == time(8, 0)


async def test_commands_menu_and_help(harness: Harness) -> None:
    commands = harness.request.calls("setMyCommands")
    assert commands, "post_init must set the command menu"
    names = [c["command"] for c in commands[0].params["commands"]]
    assert names == list(MENU_COMMANDS)
    user = harness.user()
    await send(harness, user, "/help")
    text = (await user.next_message()).content
    for name in MENU_COMMANDS:
        assert f"/{name}" in text


async def test_unknown_command_and_free_text_get_hints(harness: Harness) -> None:
    user = harness.user()
    await onboard(harness, user)
    await send(harness, user, "/frobnicate now")
    assert "I don't know /frobnicate" in (await user.next_message()).content
    await send(harness, user, "hello there")
    assert "/help" in (await user.next_message()).content
    await user.send_photo()
    await harness.pump()
    assert "only text" in (await user.next_message()).content


async def test_group_chat_gets_pointer_to_private_chat(harness: Harness) -> None:
    group = group_chat(-100123, "Friends")
    member = harness.user().in_chat(group)
    await member.send("/start")
    await harness.pump()
    assert "private chats only" in (await member.next_message()).content
    assert await harness.repo.get_profile(member.id) is None


@pytest.mark.parametrize("data", ["time:morning:99:99", "time:noon:07:00", "edit:zone", "setup:ok"])
async def test_forged_or_stale_buttons_change_nothing(harness: Harness, data: str) -> None:
    user = harness.user()
    await send(harness, user, "/help")
    await harness.app.process_update(harness.request.callback_update(user.id, data, bot=harness.app.bot))
    assert await harness.repo.get_profile(user.id) is None
    (answer,) = harness.request.calls("answerCallbackQuery")
    assert answer.params["text"] == "That question has passed."
    assert len(harness.request.sent_messages(user.id)) == 1  # only /help's answer: no new message


async def test_export_and_delete(harness: Harness) -> None:
    user = harness.user()
    await onboard(harness, user)
    await send(harness, user, "/export")
    document = await user.wait_for(lambda m: m.method == "sendDocument")
    assert "JSON" in document.content
    exported = await harness.app.bot.get_file(document.message["document"]["file_id"])
    payload = json.loads(await exported.download_as_bytearray())
    assert payload["profile"]["timezone"] == "Europe/Berlin"
    assert payload["profile"]["morning"] == "07:00"
    await send(harness, user, "/delete")
    await user.wait_for(lambda m: "Erase everything?" in m.content)
    await press(harness, user, "Keep my data")
    await user.wait_for(lambda m: "Nothing was deleted" in m.content)
    assert await harness.repo.get_profile(user.id) is not None
    await send(harness, user, "/delete")
    await press(harness, user, "🗑 Yes, erase everything")
    await user.wait_for(lambda m: "has been erased" in m.content)
    assert await harness.repo.get_profile(user.id) is None


class FailingRepository(InMemoryRepository):
    """Saving fails like a full disk."""

    async def save_profile(self, profile: Profile) -> None:
        raise StorageError("disk full")


async def test_storage_failure_is_reported_and_not_logged_with_text(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    apply_library_floors(logging.DEBUG)
    async with Harness(FailingRepository(), clock) as h:
        user = h.user()
        await send(h, user, "/start")
        await send(h, user, "Secret-Place-Berlin")  # unknown place: hint, no save
        await send(h, user, "Berlin")
        failure = await user.wait_for(lambda m: "couldn't save" in m.content)
        assert "nothing was changed" in failure.content
        assert await h.repo.get_profile(user.id) is None
    assert any("StorageError" in r.getMessage() for r in caplog.records)
    assert not any("Secret-Place" in r.getMessage() for r in caplog.records)


async def test_damaged_history_is_reported_once(
    clock: Clock, disk_repo_factory: Callable[[], TinyDBRepository]
) -> None:
    async with Harness(disk_repo_factory(), clock) as first:
        user = first.user()
        await onboard(first, user)
        user_dir = first.repo.inner.user_dir(user.id)  # type: ignore[attr-defined]
    (user_dir / "profile.json").write_bytes(b'{"schema": 1, "table": "profile", "docs": {"1": {')
    async with Harness(disk_repo_factory(), clock) as second:
        user = second.user()
        await send(second, user, "/start")
        notice = await user.wait_for(lambda m: "could not be read" in m.content)
        assert "not deleted" in notice.content
        await send(second, user, "/help")
        await user.next_message()
        await second.pump()
        assert not [m for m in user.pending() if "could not be read" in m.content]
    quarantined = list((user_dir / "quarantine").iterdir())
    assert len(quarantined) == 1
