"""The anchors for end-to-end throughput: a bare python-telegram-bot echo bot, no rate limiter.

With BENCH_DURABLE_DIR set, the durability floor: before each reply, one durable append of the
message to the sender's file in that directory (write, fsync the file, fsync the directory, in a
worker thread), as a bot that keeps its promise "durable before the reply" must do at least.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.diagnostics import start_loop_probe

DURABLE_DIR = os.environ.get("BENCH_DURABLE_DIR")


def append_durably(directory: Path, name: str, line: str) -> None:
    fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line.encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    if DURABLE_DIR:
        assert update.effective_user is not None
        await asyncio.to_thread(
            append_durably, Path(DURABLE_DIR), str(update.effective_user.id), update.message.text
        )
    await update.message.reply_text(update.message.text)


async def start_probe(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The same loop probe as the bot's (CHECKIN_BOT_LOOP_PROBE), so stalls compare side by side."""
    app.bot_data["probe"] = start_loop_probe()


def main() -> None:
    app = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["BOT_API_BASE_URL"])
        .post_init(start_probe)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
