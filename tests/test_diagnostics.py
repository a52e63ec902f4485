"""The benchmarks' loop probe tells a stall the bot caused (its thread busy) from one it did not."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from bot.diagnostics import PROBE_ENV, STACKS_ENV, start_loop_probe


def _spin(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


async def _report(path: Path) -> dict[str, Any]:
    for _ in range(300):
        await asyncio.sleep(0.01)
        if path.exists():  # noqa: ASYNC240 (a test's tiny local file)
            figures: dict[str, Any] = json.loads(path.read_text())  # noqa: ASYNC240
            return figures
    raise AssertionError("no report")


@pytest.mark.parametrize(("block", "busy"), [(_spin, True), (time.sleep, False)])
async def test_the_probe_tells_busy_stalls_from_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: object, busy: bool
) -> None:
    path = tmp_path / "probe.json"
    monkeypatch.setenv(PROBE_ENV, str(path))
    monkeypatch.setenv(STACKS_ENV, "1")
    task = start_loop_probe()
    assert task is not None
    try:
        await asyncio.sleep(0.05)
        block(0.06)  # type: ignore[operator]
        await asyncio.sleep(1.1)
        path.unlink(missing_ok=True)
        report = await _report(path)
    finally:
        task.cancel()
    assert report["max_lag_ms"] >= 50
    assert (report["max_busy_lag_ms"] >= 40) is busy
    assert any("test_diagnostics.py" in stack for stack, _ in report["late_stacks"])  # names the culprit


def test_no_probe_without_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROBE_ENV, raising=False)
    assert start_loop_probe() is None
