"""`checkin-bot demo`: the real bot in this terminal, talking to the in-package Bot API.

The session itself (`bot.commands.demo_session`) is imported only when the demo runs, so the
bot's own start-up (`checkin-bot run`) never loads the local Bot API.
"""

from __future__ import annotations

import argparse
from typing import Any


def demo(args: argparse.Namespace) -> int:
    from bot.commands.demo_session import demo as run_demo

    return run_demo(args)


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "demo", help="try the bot in this terminal, no token needed (data in a temporary directory)"
    )
    parser.add_argument("--data", metavar="DIR", help="keep the demo's data (and saved charts) in DIR")
    parser.add_argument(
        "--language",
        default="en",
        metavar="CODE",
        help="the language your pretend Telegram app uses (en, he)",
    )
    parser.set_defaults(run=demo)
