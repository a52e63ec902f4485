"""End-to-end: guided flows survive a killed bot process (real `python -m bot`, fake Bot API)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.storage.tinydb_store import TinyDBRepository
from tests.fakeapi.process import BotProcess
from tests.fakeapi.server import FakeTelegramServer
from tests.fakeapi.waiting import wait_until

pytestmark = pytest.mark.e2e


async def test_checkin_interrupted_by_kill_completes_after_restart(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    bot = BotProcess(server, tmp_path)
    user = server.user(first_name="Maya")
    async with bot:
        await user.send("/checkin")
        family = await user.wait_for(lambda m: "family of feelings" in m.content)
        await user.press(family, "💔 Hurt")
        feeling = await user.wait_for(lambda m: "Which word fits best?" in m.content and not m.edited)
        await user.press(feeling, "unseen")
        await user.wait_for(lambda m: "How strong is it?" in m.content and not m.edited)
        await bot.settle()
        bot.kill()

        await bot.start()
        await user.send("5")
        await user.wait_for(lambda m: "What happened" in m.content)
        await user.send("I told a story at dinner and nobody looked up from their phones.")
        whose = await user.wait_for(lambda m: "Whose feeling is this?" in m.content)
        await user.press(whose, "Mine")
        expressed = await user.wait_for(lambda m: "Did you share this feeling" in m.content and not m.edited)
        await user.press(expressed, "No")
        await user.wait_for(lambda m: "What made that easy or hard?" in m.content)
        await user.send("I didn't want to sound needy in front of everyone.")
        await user.wait_for(lambda m: "What do you need right now?" in m.content)
        await user.send("To be listened to for five minutes.")
        await user.wait_for(lambda m: "Saved." in m.content)
        await bot.settle()

    (entry,) = await TinyDBRepository(tmp_path / "data").list_entries(user.id, "diary")
    assert entry.data == {
        "family": "hurt",
        "feeling": "unseen",
        "intensity": 5,
        "happened": "I told a story at dinner and nobody looked up from their phones.",
        "whose": "mine",
        "expressed": "no",
        "expressed_why": "I didn't want to sound needy in front of everyone.",
        "need": "To be listened to for five minutes.",
    }
    logs = bot.logs()
    assert "nobody looked up" not in logs and "needy" not in logs
    assert server.token not in logs


async def test_writing_window_interrupted_by_kill_ends_after_restart(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    bot = BotProcess(server, tmp_path, extra_toml="[flows]\npages_minutes = 0.1\n")
    user = server.user(first_name="Lior")
    async with bot:
        await user.send("/pages")
        await user.wait_for(lambda m: "The clock is running" in m.content)
        await user.send("words written before the crash")
        # The ✍ says the writing is stored; `settle` alone only says the update was fetched
        # (PTB confirms a batch when it asks for the next one, not once it has handled it).
        await wait_until(lambda: bool(server.calls("setMessageReaction")), "the ✍ on the writing")
        await bot.settle()
        bot.kill()
        await bot.start()
        await user.send("and after")
        times_up = await user.wait_for(lambda m: "Time's up" in m.content, timeout=15)
        assert "You wrote 7 words" in times_up.content
        await user.wait_for(lambda m: "Saved:" in m.content)
        await bot.settle()
    (entry,) = await TinyDBRepository(tmp_path / "data").list_entries(user.id, "pages")
    assert entry.data["text"] == "words written before the crash\n\nand after"
    assert entry.data["text_words"] == 7
