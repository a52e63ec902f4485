"""/support: warm words and help lines by language and time-zone country; the operator's [support] config."""

from __future__ import annotations

import json
import logging
import threading
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import Config, ConfigError, Secret, load_config
from bot.domain import care
from bot.domain.models import Profile
from bot.localapi.html_parser import parse_html
from bot.localapi.user import FakeUser
from bot.logs import apply_library_floors
from bot.services.support import country_of, support_lines
from bot.storage.memory import InMemoryRepository
from bot.texts import plain
from tests.conftest import Clock, Harness, press, send
from tests.test_config import TOKEN, run_bot, write

EMERGENCY_EN = "your local emergency number"
EMERGENCY_HE = "מספר החירום המקומי"


async def support_reply(h: Harness, user: FakeUser) -> str:
    """Send /support; the one reply's raw HTML (the fake Bot API has already refused invalid HTML)."""
    await send(h, user, "/support")
    (message,) = [m for m in user.pending() if not m.edited]
    text = message.params["text"]
    parse_html(text)
    return str(text)


async def person(h: Harness, user_id: int, language: str, timezone: str | None) -> FakeUser:
    await h.repo.save_profile(
        Profile(user_id=user_id, timezone=timezone, language=language, gender="feminine", onboarded=True)
    )
    return h.user(user_id, language_code=language)


@pytest.mark.parametrize(
    ("language", "timezone", "present", "absent"),
    [
        ("en", "America/New_York", ["988", EMERGENCY_EN], ["1201", "116 123"]),
        ("en", "Europe/London", ["Samaritans", "116 123", EMERGENCY_EN], ["988", "1201"]),
        ("en", "Europe/Dublin", ["116 123"], ["988"]),
        ("en", "Asia/Jerusalem", ["ERAN", "1201", "101", "100"], ["988"]),
        ("en", "Asia/Tokyo", [EMERGENCY_EN], ["988", "1201", "116 123"]),
        ("he", "Asia/Jerusalem", ["ער״ן", "1201", "מד״א", EMERGENCY_HE, "לא צריך לשאת את זה לבד"], ["988"]),
        ("he", "America/Chicago", ["988", EMERGENCY_HE], ["1201"]),
        ("he", None, ["1201", EMERGENCY_HE], ["988"]),  # setup unfinished: most Hebrew speakers are in Israel
    ],
)
async def test_default_lines_follow_language_and_time_zone_country(
    harness: Harness, language: str, timezone: str | None, present: list[str], absent: list[str]
) -> None:
    user = await person(harness, 3001, language, timezone)
    text = await support_reply(harness, user)
    assert all(fragment in text for fragment in present), text
    assert not any(fragment in text for fragment in absent), text


async def test_someone_unknown_gets_support_in_their_telegram_language(harness: Harness) -> None:
    text = await support_reply(harness, harness.user(3002, language_code="he"))
    assert "1201" in text and EMERGENCY_HE in text


async def test_configured_lines_are_shown_escaped_in_both_languages(clock: Clock) -> None:
    languages = {
        "en": ("Our <team> & friends: https://example.org/help?a=1&b=2",),
        "he": ("הקו של הקהילה <שלנו>: 03-1234567",),
    }
    countries = {"US": ("Crisis Text Line: text HOME to 741741",), "IL": ("סה״ר: https://sahar.org.il",)}
    async with Harness(
        InMemoryRepository(), clock, support_languages=languages, support_countries=countries
    ) as h:
        english = await support_reply(h, await person(h, 3003, "en", "America/Denver"))
        assert "Our &lt;team&gt; &amp; friends: https://example.org/help?a=1&amp;b=2" in english
        assert "741741" in english and "988" not in english  # the operator's US lines replace the default
        assert english.index("Our &lt;team&gt;") < english.index("741741") < english.index(EMERGENCY_EN)
        hebrew = await support_reply(h, await person(h, 3004, "he", "Asia/Jerusalem"))
        assert "&lt;שלנו&gt;" in hebrew and "sahar.org.il" in hebrew
        assert "1201" not in hebrew and EMERGENCY_HE in hebrew
        london = await support_reply(h, await person(h, 3005, "en", "Europe/London"))
        assert "116 123" in london and "741741" not in london  # countries not configured keep their default


def test_support_lines_is_reachable_without_telegram() -> None:
    config = Config(token=Secret(TOKEN), support_countries={"GB": ("Shout: text 85258", "Shout: text 85258")})
    assert support_lines(config, "en", "Europe/London") == [
        "Shout: text 85258",  # repeated lines are shown once
        plain("support.line.emergency", "en"),
    ]
    assert support_lines(config, "en", "UTC") == [plain("support.line.emergency", "en")]


@pytest.mark.parametrize(
    ("timezone", "country"),
    [
        ("Asia/Jerusalem", "IL"),
        ("America/Los_Angeles", "US"),
        ("Europe/London", "GB"),
        ("Europe/Dublin", "IE"),
        ("UTC", None),
        ("Etc/GMT-3", None),
        (None, None),
    ],
)
def test_country_of_a_time_zone(timezone: str | None, country: str | None) -> None:
    assert country_of(timezone) == country


def test_menu_help_privacy_and_onboarding_mention_support() -> None:
    for language in ("en", "he"):
        for key in ("help", "privacy_full", "onboarded", "command.support"):
            assert plain(key, language, morning="07:00", evening="21:00")
        for key in ("help", "privacy_full", "onboarded"):
            assert "/support" in plain(key, language, morning="07:00", evening="21:00"), (key, language)


def test_full_support_config_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[support.en]
lines = ["  Our line: 555 0100  "]
[support.he]
lines = []
[support.by_country]
us = ["Crisis Text Line: text HOME to 741741"]
IL = ["ער״ן: 1201"]
""",
    )
    config = load_config(path, {"TELEGRAM_BOT_TOKEN": TOKEN})
    assert config.support_languages == {"en": ("Our line: 555 0100",), "he": ()}
    assert config.support_countries == {
        "US": ("Crisis Text Line: text HOME to 741741",),
        "IL": ("ער״ן: 1201",),
    }


BAD_SUPPORT = [
    ("[support]\nfr = { lines = ['x'] }\n", "unknown config key 'support.fr'"),
    ("support = 3\n", "'support' must be a [support] table"),
    ("[support]\nen = ['x']\n", "'support.en' must be a [support.en] table"),
    ("[support.en]\nline = ['x']\n", "unknown config key 'support.en.line'"),
    ("[support.en]\nlines = 'call 988'\n", "'support.en.lines' must be a list"),
    ("[support.he]\nlines = ['ok', '  ']\n", "'support.he.lines' must be a list"),
    ("[support.he]\nlines = [1201]\n", "'support.he.lines' must be a list"),
    ("[support.en]\nlines = ['" + "x" * 301 + "']\n", "'support.en.lines' must be a list"),
    ("[support.by_country]\nUK = ['116 123']\n", "'support.by_country.UK' must be a two-letter ISO"),
    ("[support.by_country]\nUS = '988'\n", "'support.by_country.US' must be a list"),
]


@pytest.mark.parametrize(("content", "expected"), BAD_SUPPORT)
def test_bad_support_config_names_the_key(tmp_path: Path, content: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, content), {"TELEGRAM_BOT_TOKEN": TOKEN})
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [BAD_SUPPORT[0], BAD_SUPPORT[4], BAD_SUPPORT[8]],
)
def test_bad_support_config_stops_the_bot_with_one_line(tmp_path: Path, content: str, expected: str) -> None:
    result = run_bot(tmp_path, "--config", write(tmp_path, content), env={"TELEGRAM_BOT_TOKEN": TOKEN})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]


async def test_words_pointing_to_danger_get_one_gentle_note_a_day_and_the_exercise_goes_on(
    harness: Harness, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    apply_library_floors(logging.DEBUG)  # as the bot sets logging up for an operator who chose DEBUG
    user = harness.user(3001, "Dana")
    await harness.repo.save_profile(
        Profile(
            user_id=user.id, timezone="America/New_York", morning=time(7), evening=time(21), onboarded=True
        )
    )
    await send(harness, user, "/boundary")
    await press(harness, user, "Work")
    sentence = "I want to die, I can't go on like this"
    await send(harness, user, sentence)
    texts = [m.content for m in user.all_messages()]
    notes = [text for text in texts if "you don't have to carry it alone" in text]
    assert len(notes) == 1 and "988" in notes[0]
    assert "When, or in which situations?" in texts[-1]  # the exercise goes on: the next question follows
    draft = await harness.repo.get_draft(user.id)
    assert draft is not None and draft["answers"]["need"] == sentence  # saved as written, nothing else
    await send(harness, user, "I want to die")
    assert sum("carry it alone" in m.content for m in user.all_messages()) == 1  # once a day
    clock.now += timedelta(days=1)
    await send(harness, user, "/checkin")
    await send(harness, user, "I want to die")
    assert sum("carry it alone" in m.content for m in user.all_messages()) == 2  # the next day, again
    logged = [r.getMessage() for r in caplog.records]
    assert logging.getLogger("bot.handlers.practice.asking").isEnabledFor(logging.DEBUG)
    for fragment in ("die", "danger", "care", "carry it alone", "988"):
        assert not any(fragment in message for message in logged), fragment
    exported = json.dumps(await harness.repo.export_user(user.id))
    assert "care" not in exported and "danger" not in exported  # nothing stored about the match


async def test_ordinary_writing_gets_no_note(harness: Harness) -> None:
    user = harness.user(3002, "Dana")
    await harness.repo.save_profile(
        Profile(user_id=user.id, timezone="Europe/London", morning=time(7), evening=time(21), onboarded=True)
    )
    await send(harness, user, "/pages")
    await send(harness, user, "I'm dying to see the concert, this deadline is killing me")
    assert not any("carry it alone" in m.content for m in user.all_messages())


async def test_a_hebrew_speaker_gets_the_note_in_hebrew_with_israeli_lines(harness: Harness) -> None:
    user = harness.user(3003, "Noa", language_code="he")
    await harness.repo.save_profile(
        Profile(
            user_id=user.id,
            timezone="Asia/Jerusalem",
            morning=time(7),
            evening=time(21),
            onboarded=True,
            language="he",
            gender="feminine",
        )
    )
    await send(harness, user, "/pages")
    await send(harness, user, "הבוקר הזה קשה. אני רוצה למות.")
    notes = [m.content for m in user.all_messages() if "לשאת את זה לבד" in m.content]
    assert len(notes) == 1 and "1201" in notes[0]
    draft = await harness.repo.get_draft(user.id)
    assert draft is not None and draft["writing"]["parts"] == ["הבוקר הזה קשה. אני רוצה למות."]


def uncompiled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Forget the compiled phrase lists; the names of the threads that compile them from now on."""
    compiled_in: list[str] = []
    real = care._compile

    def recording(templates: Any) -> Any:
        compiled_in.append(threading.current_thread().name)
        return real(templates)

    monkeypatch.setattr(care, "_compile", recording)
    care._matchers.cache_clear()
    return compiled_in


async def test_the_phrase_lists_are_compiled_at_start_before_the_first_update(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compiled lazily at the first answer, on a worker thread while everyone's updates were being
    handled, they held the GIL against the event loop: ~100 ms loop stalls with 64 people answering."""
    compiled_in = uncompiled(monkeypatch)
    async with Harness(InMemoryRepository(), clock):
        assert care.prepared()
        assert compiled_in and threading.main_thread().name not in compiled_in


async def test_the_phrase_lists_are_compiled_off_the_event_loop(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If they are not compiled yet (forgotten after start here), the first answer compiles them on a
    worker thread: on the event loop it stalled every person's updates for that long."""
    compiled_in = uncompiled(monkeypatch)
    user = harness.user()
    await send(harness, user, "/start")
    await send(harness, user, "/checkin")
    for answer in ("joy", "glad", "3", "I want to die"):
        await send(harness, user, answer)
    assert compiled_in and threading.main_thread().name not in compiled_in
    assert care.prepared()
