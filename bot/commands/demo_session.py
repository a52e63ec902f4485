"""`checkin-bot demo`: the real bot (handlers, storage, scheduler) on a local Bot API, chatted with
in the terminal. No token, no network: a way to see it work before creating a bot.

The person types: `1`, `2`, … to press a numbered button; plain text to send a message;
`/location Berlin` (or `/location 52.52,13.40`) to share a location; `:time +2h`, `:time 21:00`
to move the demo clock; `:quit` to leave.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from telegram import Update

from bot.app import build_application
from bot.commands.common import fail, open_storage
from bot.config import Config, ConfigError, Secret
from bot.handlers.common import App
from bot.localapi.builders import utf16_len
from bot.localapi.constants import DEFAULT_TOKEN
from bot.localapi.keyboards import find_button
from bot.localapi.offline import RecordingRequest
from bot.localapi.records import BotMessage
from bot.localapi.user import FakeUser
from bot.logs import configure_logging
from bot.services import Services

DEMO_USER_ID = 1001
CLOCK_STEP = timedelta(minutes=10)  # `:time` moves in steps, so each nudge on the way comes at its time
MAX_JUMP = timedelta(days=14)
REFRESH_SECONDS = 0.2  # how often messages that arrive on their own (timers, nudges) are printed

# A few places for `/location NAME` (the demo has no geocoder); coordinates work everywhere.
PLACES = {
    "berlin": (52.52, 13.405),
    "london": (51.507, -0.128),
    "new york": (40.713, -74.006),
    "tel aviv": (32.085, 34.782),
    "jerusalem": (31.768, 35.214),
    "paris": (48.857, 2.352),
    "tokyo": (35.676, 139.65),
    "sydney": (-33.869, 151.209),
    "san francisco": (37.775, -122.419),
    "kathmandu": (27.717, 85.324),
}

HELP = """\
Demo of the check-in bot: the real bot, on a local stand-in for Telegram (nothing leaves this computer).
  1, 2, …              press the numbered button
  any text             send it as a message (/help lists the bot's commands)
  /location Berlin     share a location ({places}, or "lat,lon")
  :time +2h            move the demo clock (+30m, +1d, or a time like 21:00 in your time zone)
  :help                this text
  :quit                leave"""

_STYLES = {  # entity type -> (start, end) escape codes
    "bold": ("\x1b[1m", "\x1b[22m"),
    "italic": ("\x1b[3m", "\x1b[23m"),
    "underline": ("\x1b[4m", "\x1b[24m"),
    "strikethrough": ("\x1b[9m", "\x1b[29m"),
    "code": ("\x1b[2m", "\x1b[22m"),
    "pre": ("\x1b[2m", "\x1b[22m"),
}
_JUMP = re.compile(r"^\+(\d+(?:\.\d+)?)\s*([mhd])$")
_CLOCK_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


def styled(text: str, entities: list[dict[str, Any]], *, ansi: bool, start: int = 0) -> str:
    """The message text from `start` on, with bold, italic… as terminal escapes (entity offsets
    count UTF-16 units)."""
    if not ansi:
        return text[start:]
    marks: dict[int, list[str]] = {}
    for entity in entities:
        codes = _STYLES.get(str(entity.get("type")))
        if codes is None:
            continue
        begin = int(entity["offset"])
        marks.setdefault(begin, []).append(codes[0])
        marks.setdefault(begin + int(entity["length"]), []).insert(0, codes[1])
    out: list[str] = []
    position = 0  # in UTF-16 units
    for index, char in enumerate(text):
        out += marks.pop(position, [])  # before `start` too: the escapes set the state, show nothing
        if index >= start:
            out.append(char)
        position += utf16_len(char)
    for rest in marks.values():
        out += rest
    return "".join(out) + ("\x1b[0m" if entities else "")


@dataclass
class DemoClock:
    """Real time plus an offset that `:time` grows; the bot reads time only through it."""

    offset: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


class Terminal:
    """Prints the bot's messages once each (edits when they change), numbering their buttons."""

    def __init__(self, user: FakeUser, files: Path, out: TextIO) -> None:
        self.user = user
        self.files = files
        self.out = out
        self.ansi = out.isatty()
        self.buttons: list[tuple[int, str]] = []  # number - 1 -> (message id, button text)
        self._seen = 0  # outbox seq printed up to
        self._shown: dict[int, tuple[str, list[list[str]]]] = {}  # message id -> what was printed

    def flush(self) -> bool:
        """Print what the bot sent since the last call; whether anything was printed."""
        printed = False
        for message in self.user.api.outbox(self.user.chat_id, after_seq=self._seen):
            self._seen = message.seq
            printed = self._show(message) or printed
        return printed

    def _show(self, message: BotMessage) -> bool:
        stored = self.user.api.message(message.chat_id, message.message_id)
        if stored is None or stored.deleted:
            return False
        buttons = message.buttons
        shown = self._shown.get(message.message_id)
        if shown is not None and (
            shown == (message.content, buttons) or (shown[0] == message.content and not buttons)
        ):
            return False  # an edit that changed nothing shown, or only took the buttons away
        self._shown[message.message_id] = (message.content, buttons)
        text = styled(message.content, message.entities, ansi=self.ansi)
        if shown is not None and message.content.startswith(shown[0]):  # an answer added below
            text = (
                "… " + styled(message.content, message.entities, ansi=self.ansi, start=len(shown[0])).strip()
            )
        label = "bot (edited)" if message.edited else "bot"
        lines = [f"{label}: {self._attachment(message)}{text}"]
        if buttons:
            self.buttons = []
            for row in buttons:
                cells = []
                for text in row:
                    self.buttons.append((message.message_id, text))
                    cells.append(f"[{len(self.buttons)}] {text}")
                lines.append("    " + "   ".join(cells))
        print("\n".join(lines) + "\n", file=self.out, flush=True)
        return True

    def live_buttons(self) -> list[tuple[int, str]]:
        """The numbered buttons, if their message still has them."""
        if not self.buttons:
            return []
        stored = self.user.api.message(self.user.chat_id, self.buttons[0][0])
        if stored is None or stored.deleted or find_button(stored.markup, self.buttons[0][1]) is None:
            return []
        return self.buttons

    def _attachment(self, message: BotMessage) -> str:
        """Saves a photo or document the bot sent into the data directory; says where."""
        photos = message.message.get("photo")
        document = message.message.get("document")
        if message.edited or not (photos or document):
            return ""
        file_id = photos[-1]["file_id"] if photos else (document or {})["file_id"]
        stored = self.user.api.file(file_id)
        if stored is None:
            return ""
        name = document.get("file_name") if document else None
        suffix = Path(name).suffix if name else ".png"
        path = self.files / f"{'photo' if photos else 'file'}-{message.message_id}{suffix}"
        path.write_bytes(stored.content)
        path.chmod(0o600)
        kind = "chart" if photos else "file"
        return f"[{kind} saved to {path}]\n"


class Demo:
    """The bot's Application on the local API, driven the way its poller would drive it."""

    def __init__(self, config: Config, language: str, out: TextIO) -> None:
        self.clock = DemoClock()
        self.request = RecordingRequest(token=DEFAULT_TOKEN)
        repo = open_storage(config, None)
        self.svc = Services(config=config, repo=repo, clock=self.clock, couples=repo.couple_store())
        self.app: App = build_application(self.svc, request=self.request, get_updates_request=self.request)
        self.user = FakeUser(self.request.api, DEMO_USER_ID, "Demo", language_code=language)
        self.terminal = Terminal(self.user, config.data_dir, out)
        self.out = out
        self._offset = 0  # getUpdates offset

    async def start(self) -> None:
        app = self.app
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)
        assert app.job_queue is not None
        await app.job_queue.start()

    async def stop(self) -> None:
        app = self.app
        assert app.job_queue is not None
        await app.job_queue.stop(wait=False)
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
        await app.shutdown()

    async def pump(self) -> None:
        """Hand every update the person sent to the bot, as its poller would, and wait for the replies."""
        updates: tuple[Update, ...] = await self.app.bot.get_updates(offset=self._offset, timeout=0)
        for update in updates:
            self._offset = update.update_id + 1
            await self.app.update_processor.process_update(update, self.app.process_update(update))
        await self.app.bot_data.nudges.drain()

    async def handle(self, line: str) -> bool:
        """One line the person typed; False when they leave."""
        text = line.strip()
        if not text:
            return True
        if text in (":quit", ":q", ":exit"):
            return False
        if text in (":help", ":h"):
            self.say(HELP.format(places=", ".join(name.title() for name in PLACES)))
        elif text.startswith(":time"):
            await self.move_clock(text.removeprefix(":time").strip())
        elif text.startswith(":"):
            self.say(f"Unknown demo command {text.split()[0]!r}; :help lists them.")
        elif text.isdigit():
            await self.press(int(text))
        elif text.split()[0] == "/location":
            await self.share_location(text.removeprefix("/location").strip())
        else:
            await self.user.send(text)
        await self.pump()
        self.terminal.flush()
        return True

    def say(self, text: str) -> None:
        print(f"[demo] {text}\n", file=self.out, flush=True)

    async def press(self, number: int) -> None:
        """Presses button `number`; with no buttons on screen any more, the digits are a message."""
        buttons = self.terminal.live_buttons()
        if not buttons:
            await self.user.send(str(number))
        elif not 1 <= number <= len(buttons):
            self.say(f"There is no button {number}; the buttons are 1 to {len(buttons)}.")
        else:
            message_id, label = buttons[number - 1]
            await self.user.press(message_id, label)

    async def share_location(self, where: str) -> None:
        place = PLACES.get(where.lower())
        if place is None:
            numbers = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*[, ]\s*(-?\d+(?:\.\d+)?)\s*", where)
            if numbers is None:
                known = ", ".join(name.title() for name in PLACES)
                self.say(f"Give a place ({known}) or coordinates like 52.52,13.40.")
                return
            place = (float(numbers[1]), float(numbers[2]))
        await self.user.send_location(*place)

    async def move_clock(self, spec: str) -> None:
        """`+30m`, `+2h`, `+1d`, or `HH:MM` (next such time where the person lives)."""
        delta = await self._delta(spec)
        if delta is None:
            self.say("Use :time +30m, :time +2h, :time +1d or :time 21:00.")
            return
        if delta > MAX_JUMP:
            self.say(f"At most {MAX_JUMP.days} days at a time.")
            return
        moved = timedelta()
        while moved < delta:
            step = min(CLOCK_STEP, delta - moved)
            moved += step
            self.clock.offset += step
            await self._run_due_jobs(step)
            self.terminal.flush()
        zone = await self._zone()
        self.say(f"The demo clock now says {self.clock().astimezone(zone):%a %d %b %H:%M} ({zone.key}).")

    async def _delta(self, spec: str) -> timedelta | None:
        if jump := _JUMP.match(spec):
            amount, unit = float(jump[1]), jump[2]
            return (
                timedelta(minutes=amount)
                if unit == "m"
                else timedelta(**{"hours" if unit == "h" else "days": amount})
            )
        if at := _CLOCK_TIME.match(spec):
            hour, minute = int(at[1]), int(at[2])
            if hour > 23 or minute > 59:
                return None
            now = self.clock().astimezone(await self._zone())
            target = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
            if target <= now:
                target += timedelta(days=1)
            return target - now + timedelta(seconds=1)
        return None

    async def _zone(self) -> ZoneInfo:
        profile = await self.svc.repo.get_profile(DEMO_USER_ID)
        return ZoneInfo(profile.timezone if profile and profile.timezone else self.svc.config.timezone)

    async def _run_due_jobs(self, step: timedelta) -> None:
        """What the job queue would have run in `step`: repeating jobs (the nudge tick, the idle
        sweep) run once; one-off timers (writing windows) come `step` sooner, or run now if due."""
        job_queue = self.app.job_queue
        assert job_queue is not None
        now = datetime.now(UTC)
        for job in job_queue.jobs():
            when = job.next_t
            if when is None:
                continue
            if getattr(job.job.trigger, "interval", None) is not None:
                await job.run(self.app)
            elif when - step <= now:
                job.schedule_removal()
                await job.run(self.app)
            else:
                job.job.modify(next_run_time=when - step)
        await self.app.bot_data.nudges.drain()


def _read_lines(loop: asyncio.AbstractEventLoop, lines: asyncio.Queue[str | None]) -> None:
    """stdin in a daemon thread (it must not keep the process alive after `:quit`)."""
    for line in sys.stdin:
        loop.call_soon_threadsafe(lines.put_nowait, line)
    loop.call_soon_threadsafe(lines.put_nowait, None)


async def chat(demo: Demo) -> None:
    out = demo.out
    prompt = "> "
    await demo.start()
    try:
        demo.say(HELP.format(places=", ".join(name.title() for name in PLACES)))
        await demo.handle("/start")  # as pressing Start in Telegram
        lines: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        threading.Thread(target=_read_lines, args=(loop, lines), daemon=True).start()
        while True:
            print(prompt, end="", file=out, flush=True)
            line: str | None = None
            while line is None:
                try:
                    line = await asyncio.wait_for(lines.get(), REFRESH_SECONDS)
                except TimeoutError:
                    if demo.terminal.flush():  # a timer or a nudge, in real time
                        print(prompt, end="", file=out, flush=True)
                    continue
                if line is None:
                    print(file=out)
                    return  # end of input (Ctrl-D)
            if not await demo.handle(line):
                return
    finally:
        await demo.stop()


def demo(args: argparse.Namespace) -> int:
    keep = args.data is not None
    data_dir = Path(args.data) if keep else Path(tempfile.mkdtemp(prefix="checkin-bot-demo-"))
    config = Config(token=Secret(DEFAULT_TOKEN), data_dir=data_dir, rate_limit=False, log_level="WARNING")
    configure_logging(config)
    try:
        session = Demo(config, args.language, sys.stdout)
    except ConfigError as exc:
        return fail(str(exc))
    try:
        asyncio.run(chat(session))
    except KeyboardInterrupt:
        print(file=sys.stdout)
    finally:
        if keep:
            print(f"[demo] Your demo data is in {data_dir}.")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
            print("[demo] Demo data removed (use --data DIR to keep it).")
    return 0
