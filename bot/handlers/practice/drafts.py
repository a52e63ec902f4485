"""The open exercise of each person: stored after every answer, mirrored in memory for routing and timers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from telegram.ext import Job, JobQueue

from bot.domain.engine import Draft
from bot.handlers.common import BotData, Context, services
from bot.services import exercises

JobCallback = Any  # a JobQueue callback; typed loosely to avoid importing the writing module here
_T = TypeVar("_T")


async def load(context: Context, uid: int) -> Draft | None:
    """The person's draft; None if there is none (or it could not be resumed and was kept as an entry)."""
    draft = await exercises.load_draft(services(context), uid)
    if draft is None:
        context.bot_data.flows.forget(uid)
    return draft


async def save(context: Context, uid: int, draft: Draft) -> None:
    """Store the draft durably, then route the person's messages to it (unless it was set aside)."""
    await services(context).repo.save_draft(uid, draft.to_dict())
    flows = context.bot_data.flows
    if draft.paused:
        flows.forget(uid)
    else:
        flows.active.add(uid)
        flows.last_activity[uid] = draft.updated_at


async def save_while(context: Context, uid: int, draft: Draft, prepare: Callable[[], Awaitable[_T]]) -> _T:
    """Store the draft durably while `prepare` works out the reply, and hand that over only once the
    draft is stored: the CPU work overlaps the disk wait, and nothing is sent before the write is
    durable. If storing fails, its error is raised and what was prepared is dropped unsent.

    `prepare` must only read and compute: it sends nothing and changes nothing the reply promises.
    """
    saving = asyncio.ensure_future(save(context, uid, draft))
    try:
        await asyncio.sleep(0)  # the save hands its write to a worker thread before the work below
        return await prepare()
    finally:
        await saving


async def clear(context: Context, uid: int) -> None:
    """Remove the draft and every in-memory trace of it."""
    await services(context).repo.clear_draft(uid)
    context.bot_data.flows.forget(uid)


def stop_timer(context: Context, uid: int) -> None:
    job = context.bot_data.flows.writing_jobs.pop(uid, None)
    if job is not None:
        job.schedule_removal()


def start_timer(context: Context, uid: int, until: datetime, callback: JobCallback) -> Job[Any]:
    """Run `callback` for the person when their writing window ends (replacing an older timer)."""
    stop_timer(context, uid)
    assert context.job_queue is not None
    return schedule_timer(context.job_queue, context.bot_data, uid, until, callback)


def schedule_timer(
    job_queue: JobQueue[Any], bot_data: BotData, uid: int, until: datetime, callback: JobCallback
) -> Job[Any]:
    """The writing-window timer job (also rebuilt from stored drafts at start)."""
    delay = max(0.0, (until - bot_data.services.clock()).total_seconds())
    job = job_queue.run_once(callback, when=delay, data=uid, name=f"writing:{uid}", user_id=uid)
    bot_data.flows.writing_jobs[uid] = job
    return job
