"""Entry point: `python -m bot` or `checkin-bot [command]`. Without a command, runs the bot.

Commands live in `bot/commands/`, one module each (run, demo, keygen, encrypt-data, ...).
"""

from __future__ import annotations

import gc

if __name__ == "__main__":  # `python -m bot`: importing makes next to no cyclic garbage; collecting
    gc.disable()  # it anyway cost ~30 ms of the cold start (main() turns the collector back on)

import argparse
import sys
from collections.abc import Sequence

from bot import __version__
from bot.commands import demo, keys, ops, run

COMMANDS = (run, demo, keys, ops)  # each module's register() adds its sub-commands, in this order


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--config",
        default=argparse.SUPPRESS,
        help="path to a TOML config file (default: $CHECKIN_BOT_CONFIG or ./config.toml)",
    )
    parser = argparse.ArgumentParser(prog="checkin-bot", description=__doc__, parents=[options])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="command")
    for module in COMMANDS:
        module.register(_WithOptions(commands, options))
    parser.set_defaults(run=run.run, config=None)
    return parser.parse_args(argv)


class _WithOptions:
    """Adds the shared options (`--config`) to every sub-command, so they may follow its name."""

    def __init__(
        self, commands: argparse._SubParsersAction[argparse.ArgumentParser], options: argparse.ArgumentParser
    ) -> None:
        self._commands = commands
        self._options = options

    def add_parser(self, name: str, **kwargs: object) -> argparse.ArgumentParser:
        return self._commands.add_parser(name, parents=[self._options], **kwargs)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    if not gc.isenabled():
        gc.freeze()  # what the imports made lives as long as the process: keep it out of every scan
        gc.enable()
    args = parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
