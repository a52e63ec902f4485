"""`python -m bot` with a clock the test can move, for end-to-end tests about days and nights.

The bot process reads time only through `Services.clock`; run as
`python -m tests.fakeapi.clocked_bot --config ...`, this module starts the real bot (same
arguments, same code) with that clock shifted by the offset stored in the file named by
`$CHECKIN_TEST_CLOCK_FILE` (read at every reading, so the test moves it while the bot runs;
a missing file means real time). The JobQueue still ticks in real time: a test moves the
clock and waits a tick or two. `ProcessClock` is the test's side of the file.
"""

from __future__ import annotations

import functools
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

CLOCK_ENV = "CHECKIN_TEST_CLOCK_FILE"


def _offset(path: Path) -> timedelta:
    try:
        return timedelta(seconds=float(path.read_text(encoding="utf-8")))
    except (FileNotFoundError, ValueError):  # not written yet, or caught mid-write
        return timedelta(0)


class ProcessClock:
    """The test's handle on a bot process's clock: `now()`, `advance(...)`, `set(...)`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def env(self) -> dict[str, str]:
        """What the bot process needs in its environment to read this clock."""
        return {CLOCK_ENV: str(self.path)}

    def now(self) -> datetime:
        return datetime.now(UTC) + _offset(self.path)

    def set(self, instant: datetime) -> None:
        """From now on the bot's clock reads `instant` (and runs on from there)."""
        offset = (instant - datetime.now(UTC)).total_seconds()
        temp = self.path.with_suffix(".tmp")
        temp.write_text(repr(offset), encoding="utf-8")
        temp.replace(self.path)  # the bot never reads half a number

    def advance(self, delta: timedelta) -> None:
        self.set(self.now() + delta)


def main() -> int:
    from bot import __main__ as entry
    from bot.commands import run
    from bot.services import Services

    path = Path(os.environ[CLOCK_ENV])

    def clock() -> datetime:
        return datetime.now(UTC) + _offset(path)

    setattr(run, "Services", functools.partial(Services, clock=clock))  # noqa: B010 - a module's name, replaced
    return entry.main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
