"""Benchmark: the real bot process against the fake Bot API, beside a bare PTB echo bot.

Run: python bench/e2e.py [--quick]. Measures, side by side in one run:
- round trips per second and p50/p99 latency for 1, 8 and 64 simulated people answering
  check-in questions as fast as replies come (anchor: an echo bot, same harness; rate limiters off);
- the longest event-loop stall inside the bot during the 64-person run and during a nudge fan-out;
- cold start (process start to first getUpdates) and RSS with many people on disk, idle and after
  a nudge to everyone.
Writes the e2e section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "true")

from bench.populate import write_people  # noqa: E402
from bench.report import write_section  # noqa: E402
from bot.domain.models import Profile  # noqa: E402
from bot.localapi.user import FakeUser, Predicate  # noqa: E402
from tests.fakeapi.server import FakeTelegramServer  # noqa: E402

CHECKIN = [
    ("/checkin", "family of feelings"),
    ("joy", "Which word fits best?"),
    ("glad", "How strong is it?"),
    ("3", "What happened"),
    ("We cooked dinner together and laughed a lot", "Whose feeling"),
    ("Mine", "Did you share"),
    ("No", "What made that easy"),
    ("I did not want to break the calm moment", "What do you need"),
    ("Nothing more, thank you so much", "Saved."),
]
POLL = 0.5  # only a safety net: a simulated person wakes when the reply arrives (bot/localapi/user.py)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Process:
    """A bot process (ours or the echo anchor) polling the fake server."""

    def __init__(
        self,
        server: FakeTelegramServer,
        workdir: Path,
        *,
        echo: bool,
        extra_toml: str = "",
        launcher: list[str] | None = None,
        pythonpath: str = str(ROOT),
        durable: bool = False,
    ) -> None:
        self.server, self.workdir, self.echo = server, workdir, echo
        self.durable = workdir / "durable" if durable else None  # the echo anchor appends durably there
        self.probe = workdir / "loop-probe.json"
        config = workdir / "config.toml"
        config.write_text(
            f'[telegram]\nbase_url = "{server.base_url}"\nbase_file_url = "{server.base_file_url}"\n'
            f'rate_limit = false\n[storage]\ndata_dir = "{workdir / "data"}"\n[logging]\nlevel = "WARNING"\n'
            + extra_toml
        )
        self.pythonpath = pythonpath
        self.args = [sys.executable, str(ROOT / "bench" / "echo_bot.py")] if echo else [
            *(launcher or [sys.executable, "-m", "bot"]), "--config", str(config)]  # fmt: skip
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> float:
        """Seconds from process start to its first getUpdates."""
        polls = len(self.server.calls("getUpdates"))
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": self.server.token, "BOT_API_BASE_URL": self.server.base_url,
               "PYTHONPATH": self.pythonpath, "CHECKIN_BOT_LOOP_PROBE": str(self.probe)}  # fmt: skip
        if self.durable is not None:
            self.durable.mkdir(exist_ok=True)
            env["BENCH_DURABLE_DIR"] = str(self.durable)
        started = time.monotonic()
        self.proc = subprocess.Popen(self.args, cwd=self.workdir, env=env, stderr=subprocess.DEVNULL)  # noqa: ASYNC220
        while len(self.server.calls("getUpdates")) <= polls:
            if self.proc.poll() is not None:
                raise RuntimeError("bot exited")
            await asyncio.sleep(0.005)
        return time.monotonic() - started

    def loop_lag_ms(self, figure: str = "max_lag_ms") -> float:
        """The probe's longest stall; `max_busy_lag_ms`: the longest while the loop's thread was
        working (not waiting for the CPU or the GIL); NaN when the bot reports no such figure."""
        report = json.loads(self.probe.read_text()) if self.probe.exists() else {}
        return float(report.get(figure, float("nan")))

    def reset_probe(self) -> None:
        self.probe.unlink(missing_ok=True)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()


def showing(marker: str) -> Predicate:
    """Matches a bot message whose text contains `marker`."""
    return lambda message: marker in message.content


async def person(user: FakeUser, echo: bool, deadline: float, latencies: list[float]) -> int:
    """Answer as fast as replies come until the deadline; returns the round trips made."""
    trips = 0
    while time.monotonic() < deadline:
        script = [(f"hello {trips}", f"hello {trips}")] if echo else CHECKIN
        for text, marker in script:
            sent = time.monotonic()
            await user.send(text)
            await user.wait_for(showing(marker), timeout=60, include_edits=False)
            latencies.append(time.monotonic() - sent)
            trips += 1
    return trips


async def throughput(
    echo: bool,
    people: int,
    seconds: float,
    launcher: list[str] | None = None,
    pythonpath: str = str(ROOT),
    reply_delay: float = 0.0,
    durable: bool = False,
) -> dict[str, float]:
    """Round trips/s, p50/p99 and the longest loop stall; `launcher`/`pythonpath` run a variant of
    ours; `reply_delay` seconds before the server answers each sendMessage stand in for network latency."""
    with tempfile.TemporaryDirectory() as workdir, FakeTelegramServer() as server:
        process = Process(
            server, Path(workdir), echo=echo, launcher=launcher, pythonpath=pythonpath, durable=durable
        )
        await process.start()
        try:
            users = [server.user(10_000 + n, f"P{n}") for n in range(people)]
            for user in users:
                user.poll_interval = POLL
            await asyncio.sleep(1.0)  # let start-up work finish before the probe window
            if reply_delay:
                server.inject_fault("sendMessage", delay=reply_delay, times=None)
            process.reset_probe()
            latencies: list[float] = []
            started = time.monotonic()
            trips = await asyncio.gather(*(person(u, echo, started + seconds, latencies) for u in users))
            elapsed = time.monotonic() - started
            await asyncio.sleep(1.1)
            lag, busy = process.loop_lag_ms(), process.loop_lag_ms("max_busy_lag_ms")
        finally:
            process.stop()
    latencies.sort()
    return {
        "rps": sum(trips) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "lag_ms": lag,
        "busy_ms": busy,
    }


def populate(data_dir: Path, count: int, due: clock_time) -> None:
    """`count` people on disk (written directly, as a year of sign-ups would), all due at `due` UTC."""
    created = datetime(2026, 1, 1, tzinfo=UTC)

    def person(user_id: int) -> tuple[Profile, tuple[()]]:
        profile = Profile(user_id=user_id, timezone="UTC", morning=None, evening=due, onboarded=True,
                          created_at=created)  # fmt: skip
        return profile, ()

    write_people(data_dir, count, person)


async def cold_start_and_fan_out(people: int) -> dict[str, float]:
    """Start with `people` on disk whose evening nudge just passed: cold start, idle RSS, then all
    nudged (catch-up), RSS after, and the longest loop stall during the fan-out."""
    with tempfile.TemporaryDirectory() as workdir, FakeTelegramServer() as server:
        due = (datetime.now(UTC) - timedelta(minutes=1)).time().replace(second=0, microsecond=0)
        populate(Path(workdir) / "data", people, due)
        process = Process(server, Path(workdir), echo=False, extra_toml="[nudges]\ntick_seconds = 0.5\n")
        cold = await process.start()
        assert process.proc is not None
        idle_rss = rss_mb(process.proc.pid)
        started = time.monotonic()
        while True:
            sent = sum(1 for c in server.calls("sendMessage") if c.status == 200)
            if sent >= people or time.monotonic() - started > 1800:
                break
            await asyncio.sleep(0.5)
        fan_seconds = time.monotonic() - started
        await asyncio.sleep(1.2)
        after_rss = rss_mb(process.proc.pid)
        lag, busy = process.loop_lag_ms(), process.loop_lag_ms("max_busy_lag_ms")
        process.stop()
    return {"cold_s": cold, "idle_mb": idle_rss, "after_mb": after_rss, "sent": sent, "fan_s": fan_seconds,
            "lag_ms": lag, "busy_ms": busy}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 s runs, 2,000 people on disk")
    parser.add_argument("--fan-out-only", type=int, metavar="N", help="only: N people on disk nudged at once")
    args = parser.parse_args()
    if args.fan_out_only:
        big = asyncio.run(cold_start_and_fan_out(args.fan_out_only))
        print(json.dumps({**big, "load": os.getloadavg()[0]}))
        return 0
    seconds = 3.0 if args.quick else 20.0
    people_on_disk = 2_000 if args.quick else 100_000
    rows = []
    for people in (1, 8, 64):
        echo = asyncio.run(throughput(True, people, seconds))
        ours = asyncio.run(throughput(False, people, seconds))
        rows.append((people, ours, echo))
    big = asyncio.run(cold_start_and_fan_out(people_on_disk))
    lines = [
        "## End to end: the real bot process against the fake Bot API",
        "",
        f"- Run: `python bench/e2e.py{' --quick' if args.quick else ''}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}; {seconds:.0f} s per run; rate limiters off.",
        "- A round trip: a person sends an answer and the bot's next question arrives (ours: the check-in;"
        " anchor: a bare PTB echo bot, `bench/echo_bot.py`, same harness).",
        "",
        "| People | Ours: round trips/s | p50 | p99 | Echo: round trips/s | p50 | p99 | Ours / echo | Target |"
        " Longest loop stall (ours) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for people, ours, echo in rows:
        ratio = ours["rps"] / echo["rps"]
        lines.append(
            f"| {people} | {ours['rps']:.1f} | {ours['p50_ms']:.1f} ms | {ours['p99_ms']:.1f} ms | {echo['rps']:.1f} | "
            f"{echo['p50_ms']:.1f} ms | {echo['p99_ms']:.1f} ms | {ratio:.2f}× | ≥ 0.9× "
            f"{'met' if ratio >= 0.9 else 'missed'} | {ours['lag_ms']:.1f} ms |"
        )
    stall = rows[-1][1]["lag_ms"]
    lines += [
        "",
        "| Measure | Value | Target | Result |",
        "|---|---:|---|---|",
        f"| longest event-loop stall, 64 people | {stall:.1f} ms | ≤ 20 ms | {'met' if stall <= 20 else 'missed'} |",
        f"| cold start to first getUpdates, {people_on_disk:,} people on disk | {big['cold_s']:.2f} s | ≤ 3 s | "
        f"{'met' if big['cold_s'] <= 3 else 'missed'} |",
        f"| RSS idle, {people_on_disk:,} people on disk | {big['idle_mb']:.0f} MB | ≤ 150 MB | "
        f"{'met' if big['idle_mb'] <= 150 else 'missed'} |",
        f"| RSS after a nudge to each of them ({big['sent']:,.0f} sent in {big['fan_s']:.0f} s) | {big['after_mb']:.0f} MB | "
        f"≤ 150 MB | {'met' if big['after_mb'] <= 150 else 'missed'} |",
        f"| longest event-loop stall during that fan-out | {big['lag_ms']:.1f} ms | ≤ 20 ms | "
        f"{'met' if big['lag_ms'] <= 20 else 'missed'} |",
    ]
    print("\n".join(lines))
    write_section("e2e", "\n".join(lines))
    return 0


if __name__ == "__main__":
    random.seed(0)
    raise SystemExit(main())
