"""Start-up and background upkeep of open exercises: restoring timers, setting idle ones aside."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.domain.engine import Draft
from bot.domain.flows import FLOWS
from bot.handlers.common import App, Context, person, say, services
from bot.handlers.practice import drafts
from bot.handlers.practice.asking import writing_time_up
from bot.texts import t, voice_of

logger = logging.getLogger(__name__)

IDLE_CHECK_SECONDS = 30.0
IDLE_JOB = "idle-flows"


async def restore(app: App) -> None:
    """Rebuild routing and writing timers from stored drafts (post_init)."""
    flows = app.bot_data.flows
    svc = app.bot_data.services
    assert app.job_queue is not None
    for uid in await svc.repo.users_with_drafts():
        raw = await svc.repo.get_draft(uid)
        if raw is None:
            continue
        try:
            draft = Draft.from_dict(raw)
        except (KeyError, TypeError, ValueError):
            flows.active.add(uid)  # its owner's next message converts it safely (see drafts.load)
            continue
        if draft.paused:
            continue
        flows.active.add(uid)
        flows.last_activity[uid] = draft.updated_at
        if draft.writing is not None:
            drafts.schedule_timer(app.job_queue, app.bot_data, uid, draft.writing.until, writing_time_up)
    app.job_queue.run_repeating(
        sweep_idle, interval=IDLE_CHECK_SECONDS, first=IDLE_CHECK_SECONDS, name=IDLE_JOB
    )
    logger.info("Restored %d open exercises", len(flows.active))


async def sweep_idle(context: Context) -> None:
    """Set aside exercises untouched for `idle_minutes`; each person's under their own lock."""
    svc = services(context)
    flows = context.bot_data.flows
    limit = svc.clock() - timedelta(minutes=svc.config.idle_minutes)
    for uid in [
        u for u, seen in flows.last_activity.items() if seen <= limit and u not in flows.writing_jobs
    ]:
        try:
            async with person(context, uid):
                await set_aside_if_idle(context, uid)
        except Exception as exc:  # one person's trouble (storage, network) must not stop the sweep
            logger.warning("Could not set aside the exercise of user %s: %s", uid, type(exc).__name__)


async def set_aside_if_idle(context: Context, uid: int) -> None:
    """The draft is kept (paused) and the person told; a message that came meanwhile keeps it open."""
    svc = services(context)
    draft = await drafts.load(context, uid)
    if draft is None or draft.paused or draft.writing is not None:
        return
    if draft.updated_at > svc.clock() - timedelta(minutes=svc.config.idle_minutes):
        context.bot_data.flows.last_activity[uid] = draft.updated_at
        return
    draft.paused = True
    await drafts.save(context, uid, draft)
    profile = await svc.repo.get_profile(uid)
    language = voice_of(profile.language, profile.gender) if profile else voice_of(None)
    flow = FLOWS[draft.flow]
    await say(context, uid, language, "flow.idle", title=t(flow.title, language), command=flow.name)
