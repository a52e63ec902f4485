"""Operator tools: `doctor`, `backup`, `restore`, `stats`, `rotate-key`, `import-user`.

Exit codes: 0 done (doctor: healthy), 1 the work found or hit a problem (named on stderr),
2 the configuration or the data key is wrong. Nothing people wrote is ever printed: problems
name a file and a reason, statistics are counts. The work itself is in `bot.storage.maintenance`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bot.commands.common import data_cipher, fail
from bot.config import Config, ConfigError, load_config
from bot.storage import maintenance
from bot.storage.crypto import KEY_ENV, Cipher, DataKeyError
from bot.storage.maintenance import MaintenanceError
from bot.storage.tinydb_store import TinyDBRepository

EXIT_PROBLEM = 1
NEW_KEY_ENV = "CHECKIN_BOT_NEW_DATA_KEY"
GETME_TIMEOUT = 5.0


class ProgressLine:
    """`label  done/total  pct%` redrawn on stderr, only when stderr is a terminal."""

    def __init__(self, label: str) -> None:
        self._label = label
        self._shown = sys.stderr.isatty()
        self._last = -1

    def __call__(self, done: int, total: int) -> None:
        if not self._shown or total <= 0:
            return
        percent = done * 100 // total
        if percent != self._last or done == total:
            self._last = percent
            bar = "#" * (percent // 5)
            sys.stderr.write(f"\r{self._label} [{bar:<20}] {done}/{total} {percent:3d}%")
            if done == total:
                sys.stderr.write("\n")
            sys.stderr.flush()


def problem(message: str) -> int:
    """One line on stderr naming what went wrong; exit code 1."""
    print(f"checkin-bot: {message}", file=sys.stderr)
    return EXIT_PROBLEM


def _setup(args: argparse.Namespace) -> tuple[Config, Cipher | None]:
    return load_config(args.config, require_token=False), data_cipher()


# -- doctor ------------------------------------------------------------------------------------


def doctor(args: argparse.Namespace) -> int:
    """Check everything an operator can get wrong; a line per check, exit 1 on any problem."""
    report: list[tuple[bool, str]] = []
    try:
        config = load_config(args.config, require_token=True)
    except ConfigError as exc:
        report.append((False, f"config: {exc}"))
        try:
            config = load_config(args.config, require_token=False)
        except ConfigError:
            return _print_report(report)
    else:
        report.append((True, "config and token format"))
        if not args.offline:
            report.append(_check_get_me(config))
    try:
        cipher = data_cipher()
    except ConfigError as exc:
        report.append((False, f"data key: {exc}"))
        return _print_report(report)
    data_dir = config.data_dir
    if not data_dir.is_dir():
        report.append((False, f"data directory {data_dir} does not exist"))
        return _print_report(report)
    permissions = maintenance.permission_problems(data_dir)
    report += [(False, f"permissions: {line}") for line in permissions] or [(True, "permissions")]
    key = maintenance.key_problem(data_dir, cipher)
    report.append((key is None, f"data key: {key}" if key else "data key"))
    if key is None:
        unreadable = maintenance.check_files(data_dir, cipher, ProgressLine("checking files"))
        report += [(False, f"unreadable: {line}") for line in unreadable] or [(True, "every data file reads")]
    return _print_report(report)


def _check_get_me(config: Config) -> tuple[bool, str]:
    """getMe when Telegram is reachable; never prints the token (errors name their type only)."""
    url = f"{config.base_url}{config.token.reveal()}/getMe"
    try:
        response = httpx.get(url, timeout=GETME_TIMEOUT)
    except httpx.HTTPError as exc:
        return True, f"getMe skipped: Telegram not reachable ({type(exc).__name__})"
    if response.status_code in (401, 404):
        return False, "getMe: Telegram refused the token (revoked or mistyped?)"
    try:
        username = response.json()["result"]["username"]
    except (ValueError, KeyError, TypeError):
        return False, f"getMe: unexpected answer (HTTP {response.status_code})"
    return True, f"getMe: the token belongs to @{username}"


def _print_report(report: list[tuple[bool, str]]) -> int:
    for ok, line in report:
        print(f"{'ok  ' if ok else 'FAIL'} {line}")
    failures = sum(not ok for ok, _ in report)
    print("healthy" if not failures else f"{failures} problem(s) found")
    return EXIT_PROBLEM if failures else 0


# -- backup and restore ------------------------------------------------------------------------


def backup(args: argparse.Namespace) -> int:
    try:
        config, _ = _setup(args)
    except ConfigError as exc:
        return fail(str(exc))
    try:
        count = maintenance.snapshot(config.data_dir, Path(args.path), ProgressLine("backing up"))
    except MaintenanceError as exc:
        return problem(str(exc))
    except OSError as exc:
        return problem(f"backup failed: {exc.strerror or type(exc).__name__}")
    print(f"Backed up {count} files to {args.path}.")
    return 0


def restore(args: argparse.Namespace) -> int:
    try:
        config, cipher = _setup(args)
    except ConfigError as exc:
        return fail(str(exc))
    try:
        count = maintenance.restore(Path(args.path), config.data_dir, cipher, ProgressLine("restoring"))
    except MaintenanceError as exc:
        return problem(str(exc))
    except OSError as exc:
        return problem(f"restore failed: {exc.strerror or type(exc).__name__}")
    print(f"Restored {count} files into {config.data_dir}; every file reads back.")
    return 0


# -- stats -------------------------------------------------------------------------------------


def stats(args: argparse.Namespace) -> int:
    try:
        config, cipher = _setup(args)
        key = maintenance.key_problem(config.data_dir, cipher)
        if key:
            raise ConfigError(key)
    except ConfigError as exc:
        return fail(str(exc))
    counts = maintenance.stats(config.data_dir, cipher, datetime.now(UTC), ProgressLine("counting"))
    rows: list[tuple[str, Any]] = [
        ("people", counts.people),
        ("active in the last 7 days", counts.active_7_days),
        *((f"entries: {kind}", number) for kind, number in sorted(counts.entries.items())),
        ("entries in all", sum(counts.entries.values())),
        ("nudges sent today", counts.nudges_today),
        ("data files", counts.files),
        ("data size (bytes)", counts.data_bytes),
    ]
    if args.json:
        print(json.dumps(dict(rows)))
    else:
        for label, value in rows:
            print(f"{label:<28}{value}")
    if counts.unreadable:
        return problem(f"{counts.unreadable} entry files could not be read (run `checkin-bot doctor`)")
    return 0


# -- rotate-key --------------------------------------------------------------------------------


def rotate_key(args: argparse.Namespace) -> int:
    try:
        config, cipher = _setup(args)
        if cipher is None:
            raise ConfigError(f"set {KEY_ENV} to the current data key")
        new_text = os.environ.get(NEW_KEY_ENV, "").strip()
        if not new_text:
            raise ConfigError(f"set {NEW_KEY_ENV} to the new key (make one with `checkin-bot keygen`)")
        try:
            new = Cipher.from_text(new_text)
        except DataKeyError as exc:
            raise ConfigError(f"{NEW_KEY_ENV}: {exc}") from None
    except ConfigError as exc:
        return fail(str(exc))
    try:
        count = maintenance.rotate_key(config.data_dir, cipher, new, ProgressLine("re-encrypting"))
    except MaintenanceError as exc:
        return fail(str(exc))
    print(
        f"Re-encrypted {count} files in {config.data_dir}. Now set {KEY_ENV} to the new key "
        "and keep it safe; the old key no longer opens anything."
    )
    return 0


# -- import-user -------------------------------------------------------------------------------


def import_user(args: argparse.Namespace) -> int:
    try:
        config, cipher = _setup(args)
    except ConfigError as exc:
        return fail(str(exc))
    try:
        with open(args.export, "rb") as handle:
            document = json.loads(handle.read().decode("utf-8"))
        export = maintenance.parse_export(document)
    except OSError as exc:
        return problem(f"{args.export} cannot be read: {exc.strerror}")
    except (UnicodeDecodeError, ValueError):
        return problem(f"{args.export} is not UTF-8 JSON")
    except MaintenanceError as exc:
        return problem(str(exc))
    repo = TinyDBRepository(config.data_dir, cipher=cipher)
    try:
        repo.prepare()
    except (OSError, DataKeyError) as exc:
        return fail(str(exc) if isinstance(exc, DataKeyError) else f"{config.data_dir}: {exc.strerror}")
    try:
        added = asyncio.run(maintenance.import_export(repo, export, ProgressLine("importing")))
    except MaintenanceError as exc:
        return problem(str(exc))
    print(f"Imported user {export.user_id}: profile, {added} entries{', a draft' if export.draft else ''}.")
    return 0


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "doctor",
        help="check config, token, data directory, data key and every data file",
        description="Prints one line per check; exits 0 when healthy, 1 when a problem is found.",
    )
    parser.add_argument("--offline", action="store_true", help="do not call Telegram's getMe")
    parser.set_defaults(run=doctor)
    parser = commands.add_parser(
        "backup",
        help="write a consistent .tar.gz snapshot of the data directory (safe while the bot runs)",
        description="Encrypted files stay encrypted. Exit 0 done, 1 failed, 2 config error.",
    )
    parser.add_argument("path", help="the archive to write, e.g. backup-2026-01-31.tar.gz")
    parser.set_defaults(run=backup)
    parser = commands.add_parser(
        "restore",
        help="unpack a backup into the (empty) data directory and check every file",
        description=f"Needs {KEY_ENV} when the backup is encrypted. Exit 0 done, 1 failed, 2 config error.",
    )
    parser.add_argument("path", help="an archive written by `checkin-bot backup`")
    parser.set_defaults(run=restore)
    parser = commands.add_parser(
        "stats", help="counts only: people, activity, entries per kind, nudges today, data size"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=stats)
    commands.add_parser(
        "rotate-key",
        help=f"re-encrypt every file from {KEY_ENV} to {NEW_KEY_ENV} (stop the bot; safe to rerun)",
        description="Crash-safe: rerun it after an interruption. The bot refuses to start until it is done.",
    ).set_defaults(run=rotate_key)
    parser = commands.add_parser(
        "import-user",
        help="bring a person's /export JSON into this data directory (docs/export-schema.md)",
        description="Refuses a person who already has a profile here; rerun after an interruption.",
    )
    parser.add_argument("export", help="the checkin-export-YYYY-MM-DD.json file")
    parser.set_defaults(run=import_user)
