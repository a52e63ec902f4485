"""The one place that wires configuration, storage, handlers and start-up work together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, timedelta
from functools import partial
from typing import Any

from telegram import BotCommand, Update
from telegram._utils.types import JSONDict
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import callbacks
from bot.charts import close_renderer
from bot.concurrency import PerUserUpdateProcessor
from bot.diagnostics import start_loop_probe
from bot.domain.flows import COMMAND_FLOWS, FLOWS
from bot.domain.partners import INVITE_PREFIX
from bot.domain.schedule import WeeklySlot
from bot.handlers import access, basic, data, partner, practice, recap, support
from bot.handlers.common import CONTEXT_TYPES, App, Context, Hooks, services
from bot.handlers.settings import language, reminders, setup
from bot.http import MAX_UPDATES_PER_POLL, AiohttpRequest
from bot.nudges import NudgeScheduler
from bot.observed import ObservedRepository
from bot.pacing import PacedRateLimiter
from bot.services import Services
from bot.texts import CATALOGS, DEFAULT_LANGUAGE, t

logger = logging.getLogger(__name__)

MENU_COMMANDS = {  # the command menu, in this order: command → its description
    "checkin": "command.checkin",
    "summary": "command.summary",
    "history": "command.history",
    "pages": "command.pages",
    "selfexam": "command.selfexam",
    "boundary": "command.boundary",
    "boundaries": "command.boundaries",
    "interests": "command.interests",
    "did": "command.did",
    "settings": "command.settings",
    "language": "command.language",
    "remind": "command.remind",
    "partner": "command.partner",
    "privacy": "command.privacy",
    "support": "command.support",
    "export": "command.export",
    "delete": "command.delete",
    "cancel": "command.cancel",
    "help": "command.help",
    "start": "command.start",
}
RATE_LIMIT_RETRIES = 3
# Telegram allows about 30 messages a second per bot: never more in any second (bot.pacing).
MESSAGES_PER_SECOND = 30
# Paid broadcasts (`[telegram] paid_broadcast`) may go up to this, all sends counted (bot.pacing).
PAID_MESSAGES_PER_SECOND = 1000
# Connections for Bot API calls (bot.http). 8 was fastest on loopback but caps sends at 8 per round
# trip to Telegram and is shared with the 8 nudge workers; 16 measured best with 100 ms of server
# latency (docs/benchmarks.md, HTTP pool, measured with httpx and kept for aiohttp).
CONNECTION_POOL_SIZE = 16
GET_UPDATES_POOL_SIZE = 1  # one long poll at a time


NETWORK_RETRIES = 3
NETWORK_BACKOFF = 0.5  # seconds, doubled after each failed attempt
# Called only while starting; until Telegram answers there is nothing to serve, so keep trying.
STARTUP_METHODS = frozenset({"getMe", "setMyCommands", "setWebhook", "deleteWebhook"})


class RetryingRateLimiter(PacedRateLimiter):
    """PacedRateLimiter (pacing, 429 handling) that also retries a bounded number of times on 5xx and
    timeouts.

    Bad requests and "blocked by the user" are final and not retried; getUpdates has its own
    back-off in PTB's updater. A timed-out send may have reached Telegram, so a retry can
    rarely show a message twice; losing it silently would be worse for a reminder.

    Start-up calls (`STARTUP_METHODS`) are retried without limit, the wait doubling up to
    `startup_max` seconds, one warning line per attempt: a bot started before the network is
    up (boot, container start) comes up when it is, instead of exiting.
    """

    def __init__(self, *, startup_max: float = 30.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.startup_max = startup_max

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        delay = NETWORK_BACKOFF
        attempt = 0
        while True:
            attempt += 1
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except BadRequest:
                raise
            except NetworkError as exc:
                if endpoint in STARTUP_METHODS:
                    delay = min(delay, self.startup_max)
                    logger.warning(
                        "Telegram cannot be reached at start (%s, %s, attempt %d); trying again in %.1f s",
                        endpoint,
                        type(exc).__name__,
                        attempt,
                        delay,
                    )
                elif endpoint == "getUpdates" or attempt > NETWORK_RETRIES:
                    raise
                else:
                    logger.warning("%s failed (%s); retrying in %.1f s", endpoint, type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay *= 2


def rate_limiter(*, limit: bool = True, startup_max: float = 30.0) -> AIORateLimiter:
    """What every request goes through: retries of 429, 5xx and timeouts (start-up calls until
    they succeed, waiting at most `startup_max` s between tries), and unless `limit` is off
    (benchmarks), at most 30 msg/s unpaid and 1,000 msg/s in all (bot.pacing), 20/min per group."""
    if not limit:
        return RetryingRateLimiter(group_max_rate=0, max_retries=RATE_LIMIT_RETRIES, startup_max=startup_max)
    return RetryingRateLimiter(
        per_second=MESSAGES_PER_SECOND,
        paid_per_second=PAID_MESSAGES_PER_SECOND,
        max_retries=RATE_LIMIT_RETRIES,
        startup_max=startup_max,
    )


ELSEWHERE_GROUP = -4  # commands for other bots are dropped before anything else
ACCESS_GROUP = -3  # before every other handler
VOICE_GROUP = -2  # the person's language and gender, before anything is said to them
DAMAGE_NOTICE_GROUP = -1  # after the gate, before any reply


def command_menu(language: str = DEFAULT_LANGUAGE) -> list[BotCommand]:
    return [BotCommand(name, t(key, language)) for name, key in MENU_COMMANDS.items()]


async def _post_init(app: App) -> None:
    """Start-up work before the first update: who we are, the command menu per language, the care
    check's phrase lists (compiled while the menu calls wait for the network), open exercises."""
    care_ready = asyncio.ensure_future(practice.prepare_care())
    me = await app.bot.get_me()
    await app.bot.set_my_commands(command_menu())
    for code in CATALOGS:
        if code != DEFAULT_LANGUAGE:
            await app.bot.set_my_commands(command_menu(code), language_code=code)
    await care_ready
    await practice.restore(app)
    await partner.restore(app)
    app.bot_data.loop_probe = start_loop_probe()
    scheduler = app.bot_data.nudges
    scheduler.load_in_background(app.bot_data.services.repo.iter_profiles())
    scheduler.start_workers(app.bot)
    assert app.job_queue is not None
    scheduler.start_ticking(app.job_queue, app.bot_data.services.config.tick_seconds)
    logger.info("Started as @%s", me.username)


async def _post_shutdown(app: App) -> None:
    await app.bot_data.nudges.stop_workers()
    await app.bot_data.services.repo.close()
    close_renderer()


def build_application(
    svc: Services,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
) -> App:
    """An Application with every handler registered; `request` lets tests run it offline."""
    config = svc.config
    processor = PerUserUpdateProcessor()
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .context_types(CONTEXT_TYPES)
        .token(config.token.reveal())
        .base_url(config.base_url)
        .base_file_url(config.base_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=UTC))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .concurrent_updates(processor)
    )
    builder = builder.rate_limiter(
        rate_limiter(limit=config.rate_limit, startup_max=config.startup_retry_max)
    )
    builder = builder.request(request or AiohttpRequest(CONNECTION_POOL_SIZE)).get_updates_request(
        get_updates_request or AiohttpRequest(GET_UPDATES_POOL_SIZE, max_updates=MAX_UPDATES_PER_POLL)
    )
    app: App = builder.build()
    scheduler = NudgeScheduler(
        svc,
        weekly=WeeklySlot(config.weekly_day, config.weekly_time),
        catch_up=timedelta(hours=config.catch_up_hours),
        send_recap=partial(recap.send_recap, chart=False, encourage=True),  # the chart only on request
        user_lock=processor.locks.holding,  # a nudge's record waits for the person's update
    )
    if not isinstance(svc.repo, ObservedRepository):
        svc.repo = ObservedRepository(svc.repo, scheduler)
    else:
        svc.repo.scheduler = scheduler
    app.bot_data.locks = processor.locks  # jobs and updates share one lock per person
    app.bot_data.nudges = scheduler
    app.bot_data.services = svc
    app.bot_data.hooks = Hooks(
        finished=partner.after_finish,
        interest_rows=partner.interest_rows,
        interest_offers=partner.remember_interest_offers,
        deleting=partner.forget,
    )
    register_handlers(app)
    return app


async def _cancel(update: Update, context: Context) -> None:
    """/cancel: inside an exercise ask keep-or-discard; otherwise stop whatever setup step is open."""
    if not await practice.cancel_command(update, context):
        await setup.cancel(update, context)


async def _text(update: Update, context: Context) -> None:
    """Text from someone with an exercise open goes to it; if it has just closed, to setup's reading."""
    if not await practice.on_text(update, context):
        await setup.on_text(update, context)


async def _non_text(update: Update, context: Context) -> None:
    if not await practice.on_non_text(update, context):
        await setup.on_non_text(update, context)


def register_handlers(app: App) -> None:
    """Handlers for private chats; elsewhere the bot only points people to a private chat."""
    private = filters.ChatType.PRIVATE
    in_flow = practice.InFlow(app.bot_data.flows)
    settings_question = setup.SettingsQuestion(app.user_data)
    commands: dict[str, Any] = {
        "start": setup.start,
        "settings": setup.settings,
        "remind": reminders.remind_command,
        "cancel": _cancel,
        "skip": practice.skip_command,
        "back": practice.back_command,
        "done": practice.done_command,
        "boundaries": practice.boundaries_command,
        "interests": practice.interests_command,
        "did": practice.did_command,
        "summary": recap.summary_command,
        "history": recap.history_command,
        **{name: practice.start_command(FLOWS[name]) for name in COMMAND_FLOWS},
        "help": basic.help_command,
        "privacy": basic.privacy,
        "support": support.support_command,
        "export": data.export,
        "delete": data.delete,
        "invite": access.invite_command,
        "partner": partner.partner_command,
        "language": language.language_command,
    }
    app.add_handler(MessageHandler(basic.FOR_ANOTHER_BOT, basic.ignore), group=ELSEWHERE_GROUP)
    app.add_handler(TypeHandler(Update, access.gate), group=ACCESS_GROUP)
    app.add_handler(TypeHandler(Update, language.load_voice), group=VOICE_GROUP)
    app.add_handler(TypeHandler(Update, basic.damage_notice), group=DAMAGE_NOTICE_GROUP)
    invite_link = filters.Regex(rf"^/start(@\w+)?\s+{INVITE_PREFIX}")  # t.me/<bot>?start=p-<code>
    app.add_handler(CommandHandler("start", partner.start_with_invite, filters=private & invite_link))
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback, filters=private))
    buttons: list[tuple[callbacks.Button, Any]] = [
        (callbacks.TIME, setup.on_time_button),
        (callbacks.EDIT, setup.on_edit_button),
        (callbacks.CONFIRM, setup.on_confirm),
        (callbacks.SETTINGS_DONE, setup.on_settings_done),
        (callbacks.SETTINGS_OPEN, language.on_settings_button),
        (callbacks.LANGUAGE, language.on_language_button),
        (callbacks.GENDER, language.on_gender_button),
        (callbacks.REMIND, reminders.on_button),
        (callbacks.DELETE, data.on_delete_button),
        (callbacks.ANSWER, practice.on_button),
        (callbacks.DECISION, practice.on_decision),
        (callbacks.SWITCH, practice.on_switch),
        (callbacks.SHARE, practice.on_share_button),
        (callbacks.INTEREST_ADD, practice.on_add_button),
        (callbacks.INTEREST_REMOVE, practice.on_remove_button),
        (callbacks.START, practice.on_start_button),
        (callbacks.SUMMARY, recap.on_summary_button),
        (callbacks.CHART, recap.on_chart_button),
        (callbacks.ENTRY, recap.on_entry_button),
        (callbacks.PARTNER_INVITE, partner.on_invite_button),
        (callbacks.PARTNER_JOIN, partner.on_join_button),
        (callbacks.PARTNER_UNLINK, partner.on_unlink_button),
        (callbacks.PARTNER_HOURS, partner.on_hours_button),
        (callbacks.PARTNER_REPLY, partner.on_reply_button),
        (callbacks.SHARE_BOUNDARY, partner.on_boundary_button),
        (callbacks.SHARE_FEELING, partner.on_feeling_button),
        (callbacks.SHARE_INTEREST, partner.on_interest_button),
        (callbacks.TAKE_BACK, partner.on_take_back_button),
    ]
    for button, callback in buttons:
        app.add_handler(CallbackQueryHandler(callback, pattern=button.pattern))
    app.add_handler(CallbackQueryHandler(basic.on_unknown_button))  # malformed, very old or forged
    app.add_handler(ChatMemberHandler(reminders.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(private & filters.COMMAND, basic.unknown_command))
    message = private & filters.UpdateType.MESSAGE
    app.add_handler(
        MessageHandler(message & partner.NoteOpen(app.user_data) & filters.TEXT, partner.on_note_text)
    )
    app.add_handler(MessageHandler(message & settings_question & filters.TEXT, setup.on_text))
    app.add_handler(MessageHandler(message & in_flow & filters.TEXT, _text))
    app.add_handler(MessageHandler(message & in_flow & ~filters.LOCATION, _non_text))
    app.add_handler(MessageHandler(message & filters.TEXT, setup.on_text))
    app.add_handler(MessageHandler(message & filters.LOCATION, setup.on_location))
    app.add_handler(MessageHandler(message, setup.on_non_text))
    app.add_handler(MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, basic.on_edited))
    app.add_handler(MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, basic.not_private))
    app.add_error_handler(basic.on_error)


__all__ = ["build_application", "command_menu", "services"]
