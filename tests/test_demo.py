"""`checkin-bot demo` driven as a person would, in a pseudo-terminal: onboarding, a check-in,
the clock moved to the evening nudge, /summary with its chart saved, `:quit`."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pexpect
import pytest

from bot.commands.demo_session import styled

ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")
PROMPT = "\n> "


def start_demo(data: Path) -> pexpect.spawn:
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "CHECKIN_BOT_CONFIG")}
    env["PYTHONPATH"] = str(ROOT)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bot", "demo", "--data", str(data)],
        cwd=str(data),
        env=env,
        encoding="utf-8",
        timeout=15,
        dimensions=(50, 200),
    )
    return child


def shown(text: str) -> re.Pattern[str]:
    """`text` as the terminal gets it: bold, italic… escapes may sit between any two characters."""
    gap = f"(?:{ANSI.pattern})*"
    return re.compile(gap.join(re.escape(char) for char in text))


def say(child: pexpect.spawn, line: str, *expected: str) -> str:
    """Type a line; wait for each expected text in turn and the next prompt; return the raw output."""
    child.sendline(line)
    raw = ""
    for text in (*expected, PROMPT):
        child.expect(shown(text))
        raw += child.before + child.after
    return raw


def test_demo_in_a_terminal(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    child = start_demo(data)
    try:
        child.expect(shown("[1] 📍 Share my location"))  # /start is sent for the person
        child.expect_exact(PROMPT)
        say(child, "1", "Time zone set: Europe/Berlin", "[1] 06:30")
        say(child, "1", "✓ 06:30", "[1] 20:00")
        say(child, "1", "✓ 20:00", "[1] ✅ Looks right")
        say(child, "1", "You're all set")

        say(child, "/checkin", "[5] 😟 Fear")
        say(child, "5", "✓ 😟 Fear", "[1] anxious")
        say(child, "1", "✓ anxious", "How strong is it?")
        say(child, "4", "✓ 4", "What happened")
        say(child, "My partner was quiet at dinner", "[1] Mine")
        say(child, "1", "✓ Mine", "[1] Yes")
        say(child, "1", "✓ Yes", "What made that easy or hard?")
        say(child, "I said it out loud and it was fine", "What do you need right now?")
        say(child, "/skip", "Saved.")

        # Today's nudge is skipped once the diary is written; the next evening's comes.
        for _ in range(2):
            child.sendline(":time 20:00")
            seen = child.expect(
                [shown("Two minutes for your emotion diary"), shown("The demo clock now says")]
            )
            child.expect_exact(PROMPT)
            if seen == 0:
                break
        else:
            pytest.fail("no evening nudge within two evenings")

        raw = say(child, "/summary", "chart saved to ", "Your week")
        assert "\x1b[1m" in raw  # the bot's <b> is bold in the terminal
        match = re.search(r"chart saved to (\S+\.png)", ANSI.sub("", raw))
        assert match, raw
        chart = Path(match[1])
        assert chart.parent == data
        assert chart.read_bytes().startswith(b"\x89PNG")

        child.sendline(":quit")
        child.expect_exact(f"Your demo data is in {data}")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before


def test_demo_in_hebrew_without_data_dir_leaves_nothing_behind(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "CHECKIN_BOT_CONFIG")}
    env["PYTHONPATH"] = str(ROOT)
    env["TMPDIR"] = str(tmp_path)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bot", "demo", "--language", "he"],
        cwd=str(tmp_path),
        env=env,
        encoding="utf-8",
        timeout=15,
    )
    try:
        child.expect(shown("שלום, "))  # Hebrew as-is: a terminal with bidi support lays it out
        child.expect_exact(PROMPT)
        assert any(tmp_path.iterdir())  # the data lives in a temporary directory meanwhile
        child.sendline(":quit")
        child.expect_exact("Demo data removed")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    assert list(tmp_path.iterdir()) == []


def test_bold_and_italic_in_the_terminal_count_utf16_offsets() -> None:
    text = "😊 Hi there"  # the emoji is two UTF-16 units
    entities = [{"type": "bold", "offset": 3, "length": 2}, {"type": "italic", "offset": 6, "length": 5}]
    assert styled(text, entities, ansi=True) == "😊 \x1b[1mHi\x1b[22m \x1b[3mthere\x1b[23m\x1b[0m"
    assert styled(text, entities, ansi=False) == text
