"""End-to-end: the real `python -m bot` process against the fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.app import MENU_COMMANDS
from bot.bidi import strip_isolates
from bot.localapi.user import FakeUser
from bot.storage.tinydb_store import TinyDBRepository
from bot.texts import Voice, plain
from tests.fakeapi.process import BotProcess
from tests.fakeapi.server import FakeTelegramServer

pytestmark = pytest.mark.e2e

TEL_AVIV = (32.0853, 34.7818)


async def test_setup_then_kill_and_restart_remembers_everything(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    bot = BotProcess(server, tmp_path)
    user = server.user(first_name="Dana", location=TEL_AVIV)
    async with bot:
        commands = server.calls("setMyCommands")
        assert commands
        assert [c["command"] for c in commands[-1].params["commands"]] == list(MENU_COMMANDS)

        await user.send("/start")
        await user.wait_for(lambda m: "differentiation" in m.content)
        ask_zone = await user.wait_for(lambda m: "First, your time zone" in m.content)
        assert ask_zone.markup is not None and ask_zone.markup["keyboard"][0][0]["request_location"]
        await user.press(ask_zone, "📍 Share my location")
        await user.wait_for(lambda m: "Asia/Jerusalem" in m.content)
        ask_morning = await user.wait_for(lambda m: "When would you like the" in m.content)
        await user.press(ask_morning, "07:00")
        await user.wait_for(lambda m: "And the evening diary" in m.content and not m.edited)
        await user.send("9:45 pm")
        confirm = await user.wait_for(lambda m: "Does that look right?" in m.content)
        assert "21:45" in confirm.content
        await user.press(confirm, "✅ Looks right")
        await user.wait_for(lambda m: "all set" in m.content)
        await bot.settle()
        bot.kill()

        await bot.start()
        await user.send("/start")
        back = await user.wait_for(lambda m: "Welcome back" in m.content)
        assert "Asia/Jerusalem" in back.content and "07:00" in back.content and "21:45" in back.content
        await bot.settle()
    assert bot.starts == 2

    stored = await TinyDBRepository(tmp_path / "data").get_profile(user.id)
    assert stored is not None and stored.onboarded and stored.timezone == "Asia/Jerusalem"
    logs = bot.logs()
    assert "Traceback" not in logs
    assert server.token not in logs
    assert server.token.split(":")[1] not in logs
    for typed in ("9:45 pm",):
        assert typed not in logs


async def test_restart_mid_setup_continues(server: FakeTelegramServer, tmp_path: Path) -> None:
    bot = BotProcess(server, tmp_path)
    user = server.user(first_name="Omer")
    async with bot:
        await user.send("/start")
        await user.wait_for(lambda m: "First, your time zone" in m.content)
        await user.send("Lisbon")
        await user.wait_for(lambda m: "When would you like the" in m.content)
        await bot.settle()
        bot.kill()
        await user.send("6:15")  # sent while the bot is down: delivered after restart
        await bot.start()
        await user.wait_for(lambda m: "And the evening diary" in m.content)
        await bot.settle()
    data = json.loads(
        (tmp_path / "data" / "users" / f"{user.id % 1000:03d}" / str(user.id) / "profile.json").read_text()
    )
    (profile,) = data["docs"].values()
    assert profile["timezone"] == "Europe/Lisbon" and profile["morning"] == "06:15"


async def test_sigterm_shuts_down_cleanly(server: FakeTelegramServer, tmp_path: Path) -> None:
    bot = BotProcess(server, tmp_path, log_level="INFO")
    await bot.start()
    user: FakeUser = server.user()
    await user.send("/help")
    await user.wait_for(lambda m: "/settings" in m.content)
    assert bot.stop() == 0
    assert "Traceback" not in bot.logs()


async def test_a_hebrew_speaker_sets_up_and_writes_in_hebrew_end_to_end(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    voice = Voice("he", "masculine")
    user = server.user(first_name="Yoav", language_code="he", location=TEL_AVIV)
    async with BotProcess(server, tmp_path) as bot:
        he_commands = [c for c in server.calls("setMyCommands") if c.params.get("language_code") == "he"]
        assert he_commands and he_commands[-1].params["commands"][0]["description"] == plain(
            "command.checkin", "he"
        )
        await user.send("/start")
        await user.wait_for(lambda m: plain("gender.ask", voice) in strip_isolates(m.content))
        await user.press(None, plain("gender.button_masculine", voice))
        await user.wait_for(lambda m: plain("gender.set", voice) in strip_isolates(m.content))
        await user.send("תל אביב")
        await user.wait_for(lambda m: "Asia/Jerusalem" in m.content)
        await user.press(await user.wait_for(lambda m: "07:00" in m.button_texts), "07:00")
        await user.wait_for(lambda m: "21:00" in m.button_texts and not m.edited)
        await user.send("21:00")
        confirm = plain("button_confirm", voice)
        await user.press(await user.wait_for(lambda m: confirm in m.button_texts), confirm)
        await bot.settle()
        await user.send("/checkin")
        calm = plain("family.calm", voice)
        await user.press(await user.wait_for(lambda m: calm in m.button_texts), calm)
        relaxed = plain("feeling.relaxed", voice)
        await user.press(await user.wait_for(lambda m: relaxed in m.button_texts), relaxed)
        await user.wait_for(lambda m: "1" in m.button_texts and not m.edited)
        await bot.settle()
        texts = [m.content for m in user.all_messages()]
    assert all(
        not re.search(r"\b(?!Asia|Jerusalem|UTC|Yoav)[A-Za-z]{4,}\b", re.sub(r"/\w+", "", text))
        for text in texts
    ), texts
    repo = TinyDBRepository(tmp_path / "data")
    profile = await repo.get_profile(user.id)
    assert profile is not None and (profile.language, profile.gender, profile.timezone) == (
        "he",
        "masculine",
        "Asia/Jerusalem",
    )
    draft = await repo.get_draft(user.id)
    assert draft is not None and draft["answers"] == {"family": "calm", "feeling": "relaxed"}
    await repo.close()
