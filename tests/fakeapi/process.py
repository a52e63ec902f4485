"""Run the real bot (`python -m bot`) as a subprocess against a FakeTelegramServer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Self

from tests.fakeapi.server import FakeTelegramServer
from tests.fakeapi.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0


class BotProcess:
    """One bot process; its config points at the fake server and a data dir of the test's."""

    def __init__(
        self,
        server: FakeTelegramServer,
        workdir: Path,
        *,
        log_level: str = "DEBUG",
        extra_toml: str = "",
        telegram_toml: str = "",
        ready_method: str = "getUpdates",
        module: str = "bot",
        env: dict[str, str] | None = None,
    ) -> None:
        """`telegram_toml` adds keys to the [telegram] table; `ready_method` is the call that shows
        the bot is up (getUpdates when polling, setWebhook in webhook mode). `module` is what
        `python -m` runs (tests.fakeapi.clocked_bot: the bot with a movable clock), `env` is
        added to its environment."""
        self.server = server
        self.workdir = workdir
        self.config_path = workdir / "config.toml"
        self.config_path.write_text(
            f"""
[telegram]
base_url = "{server.base_url}"
base_file_url = "{server.base_file_url}"
{telegram_toml}
[storage]
data_dir = "{workdir / "data"}"
[logging]
level = "{log_level}"
{extra_toml}
""",
            encoding="utf-8",
        )
        self.log_path = workdir / "bot.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.ready_method = ready_method
        self.module = module
        self.extra_env = dict(env or {})

    async def start(self) -> None:
        """Start the process and wait until it polls for updates (or sets its webhook)."""
        calls_before = len(self.server.calls(self.ready_method))
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": self.server.token,
            "PYTHONPATH": str(ROOT),
            "PTB_TIMEDELTA": "true",
            **self.extra_env,
        }
        env.pop("CHECKIN_BOT_CONFIG", None)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(  # noqa: ASYNC220 - returns at once; we poll below
                [sys.executable, "-m", self.module, "--config", str(self.config_path)],
                cwd=self.workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        proc = self.proc

        def polling() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"bot exited with {proc.returncode}:\n{self.logs()}")
            new_calls = self.server.calls(self.ready_method)[calls_before:]
            return any(c.status in (None, 200) for c in new_calls)  # answered, or a long poll still open

        await wait_until(polling, f"the bot calls {self.ready_method}", START_TIMEOUT, details=self.logs)

    async def settle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until every update sent so far was confirmed by a later getUpdates offset.

        PTB confirms a batch when it asks for the next one, which can be before it has handled the
        batch: to know an update was handled, wait for what handling it sends first."""
        await wait_until(
            lambda: not self.server.api.pending_updates(),
            "every update is confirmed",
            timeout,
            details=self.logs,
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash or power cut."""
        self._end(signal.SIGKILL)

    def stop(self) -> int:
        """SIGTERM: the normal way a supervisor stops the bot. Returns the exit code."""
        return self._end(signal.SIGTERM)

    def _end(self, sig: signal.Signals) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(timeout=5)

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    def assert_logs_private(self) -> None:
        """No log line may carry the token or anything a user wrote (at DEBUG level included)."""
        logs = self.logs()
        assert self.server.token not in logs and self.server.token.split(":")[1] not in logs
        for text in self.server.api.user_texts:
            if len(text) >= 6 and not text.startswith("/"):
                assert text not in logs, f"a user's text reached the log: {text[:20]!r}…"

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.kill()
        if exc_type is None:
            self.assert_logs_private()
