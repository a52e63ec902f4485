"""Benchmark: the nudge fan-out at its limits (issue 13): loop stall and lateness vs the physical limit.

Run: python bench/nudge_limits.py [--stall N] [--fan-out N:R ...] [--paid N:R ...] [--repeats R] [--base DIR]
[--section NAME].
Each measurement runs in its own process (bench/scheduler.py), variants interleaved:
- the longest event-loop stall while N people due at the same instant are handed to the workers and
  sent (fast sender that yields like a real send; profiles kept as text, as on disk);
- N people due at the same instant sent through the real rate limiter to the fake Bot API enforcing
  30 msg/s: rate, 429s, and lateness (arrival at the server after the due instant) p95 and max beside
  the physical limit, where the i-th message cannot arrive before i/30 s;
- `--paid`: the same with `[telegram] paid_broadcast` on, the fake Bot API also enforcing 1,000/s
  for paid sends, beside the ideal i/1000 s; the fake server in this process (GIL shared, as above)
  and in its own process (the bot's CPU alone), with each one's CPU time per message.
`--base DIR` runs an older checkout's bot the same way (`git archive <commit> | tar -x -C DIR`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import write_section  # noqa: E402


def child(mode: str, count: int, base: str | None, *flags: str) -> dict[str, Any]:
    env = {**os.environ, **({"BENCH_BOT_ROOT": base} if base else {})}
    output = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scheduler.py"), f"--{mode}", str(count), *flags],
        capture_output=True, text=True, check=True, timeout=3600, env=env,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    return result


def cell(values: list[float], fmt: str) -> str:
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}–{max(values):{fmt}})"


def paid_table(paid: dict[tuple[int, str, int], list[dict[str, Any]]]) -> list[str]:
    """The paid fan-outs' rows, each against issue 13's targets at the paid rate."""
    lines = [
        "",
        "Fan-out with paid broadcasts on (`[telegram] paid_broadcast = true`): every nudge sent with "
        "`allow_paid_broadcast`, the fake Bot API enforcing 30 msg/s for unpaid sends and 1,000 msg/s for all "
        "(429 beyond). Ideal: the i-th cannot arrive before i/1000 s. Target: p95 ≤ 1.05 × ideal + 2 s, 0 answered "
        "429, ≥ 97% of 1,000 msg/s. Server \"same\": the fake server's threads in the bot's process (GIL shared, "
        'as in the 30/s rows); "own": in its own process, like Telegram. CPU per message: the bot\'s process '
        "(with the server's threads when \"same\"), and the server process's. Latency: the server answers each "
        "send that long after it arrives (0: loopback).",
        "",
        "| People due at once | Server | Latency | Runs | msg/s | share of 1,000/s | 429s | lost | paid sends | p95 lateness "
        "| ideal p95 | max lateness | ideal max | p95 / ideal | longest stall | bot CPU/msg | server CPU/msg "
        "| targets |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for (count, server, latency), rows in sorted(
        paid.items(), key=lambda i: (i[0][0], i[0][2], i[0][1] != "own")
    ):
        rate = statistics.median(r["rate"] for r in rows)
        p95 = statistics.median(r["p95_s"] for r in rows)
        ideal = rows[0]["ideal_p95_s"]
        rejected = sum(r["429s"] for r in rows)
        met = [
            f"p95 {'met' if p95 <= 1.05 * ideal + 2 else 'missed'}",
            f"429 {'met' if rejected == 0 else 'missed'}",
            f"rate {'met' if rate >= 0.97 * 1000 else 'missed'}",
        ]
        server_cpu = [r["server_cpu_ms"] for r in rows if r["server_cpu_ms"] == r["server_cpu_ms"]]  # not NaN
        lines.append(
            f"| {count:,} | {server} | {latency} ms | {len(rows)} | {cell([r['rate'] for r in rows], '.0f')} | {rate / 1000:.1%} | "
            f"{cell([r['429s'] for r in rows], '.0f')} | {sum(r['lost'] for r in rows)} | "
            f"{min(r['paid_sends'] for r in rows):,} | {cell([r['p95_s'] for r in rows], '.1f')} s | {ideal:.1f} s | "
            f"{cell([r['max_s'] for r in rows], '.1f')} s | {rows[0]['ideal_max_s']:.1f} s | {p95 / ideal:.2f} | "
            f"{cell([r['stall_ms'] for r in rows], '.0f')} ms | {cell([r['bot_cpu_ms'] for r in rows], '.2f')} ms | "
            f"{cell(server_cpu, '.2f') + ' ms' if server_cpu else '–'} | {', '.join(met)} |"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--stall", type=int, default=100_000, help="people due at once for the stall (0: skip)"
    )
    parser.add_argument("--fan-out", nargs="*", default=["1800:3"], help="N:R, N people due at once, R runs")
    parser.add_argument(
        "--paid", nargs="*", default=[],
        help="N:R[:MS], N people due at once, R runs, paid broadcasts at 1,000/s, server latency MS",
    )  # fmt: skip
    parser.add_argument(
        "--paid-server", choices=("own", "same", "both"), default="both",
        help="where the fake server runs for --paid: its own process, this one, or each in turn",
    )  # fmt: skip
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--base", help="an older checkout of the bot to compare with")
    parser.add_argument("--base-fan-out", action="store_true", help="also run the fan-outs on --base")
    parser.add_argument("--section", default="nudge-limits")
    args = parser.parse_args()
    variants: list[tuple[str, str | None]] = [("this branch", None)] + (
        [("base", args.base)] if args.base else []
    )
    loads: list[float] = []
    stalls: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in variants}
    if args.stall:
        for repeat in range(args.repeats):
            for name, base in variants[repeat % len(variants) :] + variants[: repeat % len(variants)]:
                loads.append(os.getloadavg()[0])
                stalls[name].append(child("stall", args.stall, base))
                print("stall", name, stalls[name][-1], flush=True)
    fans: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for spec in args.fan_out:
        count, runs = (int(part) for part in spec.split(":"))
        for repeat in range(runs):
            chosen = variants if args.base_fan_out else variants[:1]
            for name, base in chosen[repeat % len(chosen) :] + chosen[: repeat % len(chosen)]:
                loads.append(os.getloadavg()[0])
                fans.setdefault((count, name), []).append(child("fan-out", count, base))
                print("fan-out", count, name, fans[(count, name)][-1], flush=True)
    servers = ["own", "same"] if args.paid_server == "both" else [args.paid_server]
    paid: dict[tuple[int, str, int], list[dict[str, Any]]] = {}
    for spec in args.paid:
        count, runs, latency = (int(part) for part in (spec + ":0").split(":")[:3])
        for repeat in range(runs):
            for server in servers[repeat % len(servers) :] + servers[: repeat % len(servers)]:
                loads.append(os.getloadavg()[0])
                flags = ["--paid", "--latency", str(latency), *(["--separate"] if server == "own" else [])]
                key = (count, server, latency)
                paid.setdefault(key, []).append(child("fan-out", count, None, *flags))
                print("paid fan-out", key, paid[key][-1], flush=True)
    command = " ".join(["python bench/nudge_limits.py", *sys.argv[1:]])
    only_paid = paid and not fans and not args.stall
    lines = [
        "## Nudges at the limits: loop stall and lateness" + (", paid broadcasts" if only_paid else ""),
        "",
        f"- Run: `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {platform.machine()}, {os.cpu_count()} CPUs "
        f"shared with other sessions' work, Python {platform.python_version()}; each run in its own process.",
        f"- Load average (1 min) at the start of each run: median {statistics.median(loads):.2f}, "
        f"{min(loads):.2f}–{max(loads):.2f}. Cells: median (min–max) over the runs.",
    ]
    if args.stall:
        lines += [
            "",
            f"Longest event-loop stall, {args.stall:,} people due at the same instant over 20 zones, handed to the "
            "workers by the real JobQueue tick and sent by a fast sender (target ≤ 20 ms):",
            "",
            "| Variant | Runs | Longest stall | All sent in | Missed / duplicated |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, _ in variants:
            rows = stalls[name]
            lines.append(
                f"| {name} | {len(rows)} | {cell([r['stall_ms'] for r in rows], '.1f')} ms | "
                f"{cell([r['seconds'] for r in rows], '.1f')} s | "
                f"{sum(r['missed'] for r in rows)} / {sum(r['duplicated'] for r in rows)} |"
            )
    if fans:
        lines += [
            "",
            "Fan-out against the fake Bot API enforcing 30 msg/s (429 beyond it), through the bot's rate limiter. "
            "Lateness: arrival at the server after the due instant; ideal: the i-th cannot arrive before i/30 s. "
            "Target: p95 ≤ 1.05 × ideal + 2 s, 0 answered 429, ≥ 97% of 30 msg/s. The loop stall here includes "
            "the fake server's threads in the same process (GIL), unlike the stall table above.",
            "",
            "| People due at once | Variant | Runs | msg/s | share of 30/s | 429s | lost | p95 lateness | ideal p95 "
            "| max lateness | ideal max | p95 / ideal | longest stall |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for (count, name), rows in fans.items():
            p95 = statistics.median(r["p95_s"] for r in rows)
            ideal = rows[0]["ideal_p95_s"]
            lines.append(
                f"| {count:,} | {name} | {len(rows)} | {cell([r['rate'] for r in rows], '.2f')} | "
                f"{statistics.median(r['rate'] for r in rows) / 30:.1%} | {cell([r['429s'] for r in rows], '.0f')} | "
                f"{sum(r['lost'] for r in rows)} | {cell([r['p95_s'] for r in rows], '.1f')} s | {ideal:.1f} s | "
                f"{cell([r['max_s'] for r in rows], '.1f')} s | {rows[0]['ideal_max_s']:.1f} s | {p95 / ideal:.3f} | "
                f"{cell([r['stall_ms'] for r in rows], '.0f')} ms |"
            )
    if paid:
        lines += paid_table(paid)
    print("\n".join(lines))
    write_section(args.section, "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
