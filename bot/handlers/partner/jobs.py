"""At start and every tick: repair what a crash interrupted, deliver queued shares and due asks."""

from __future__ import annotations

import asyncio
import logging

from bot.handlers.common import (
    App,
    Context,
    person,
    services,
)
from bot.handlers.partner.delivery import deliver, tell, voice_for
from bot.handlers.partner.offers import offer_boundary
from bot.services import partners as couples

DELIVERY_JOB = "partner-deliveries"

logger = logging.getLogger(__name__)


async def restore(app: App) -> None:
    """At start: finish links a crash interrupted, settle shares it left in flight, and deliver
    what is due (night-time shares queued before a restart), then every tick."""
    svc = app.bot_data.services
    repaired = await asyncio.to_thread(svc.couples.repair)
    settled = await svc.couples.settle_interrupted()
    if repaired or settled:
        logger.info("Couple records repaired after a crash: %d links, %d shares", repaired, settled)
    assert app.job_queue is not None
    app.job_queue.run_repeating(deliver_due, interval=svc.config.tick_seconds, first=0, name=DELIVERY_JOB)


async def deliver_due(context: Context) -> None:
    """JobQueue callback: shares whose morning has come, and boundaries someone wanted to sleep on."""
    svc = services(context)
    while True:
        shares, asks = await couples.take_due(svc)  # one share at a time (see Couples.take_due)
        for item in shares:
            if await deliver(context, item) is False:
                names = await svc.couples.names(item.pairing_id)  # kept after the link ends
                await tell(context, item.sender, "share.not_delivered", partner=names.get(item.receiver, ""))
        for ask in asks:
            async with person(context, ask.author):
                await offer_boundary(
                    context, ask.author, await voice_for(svc, ask.author), ask.boundary_id, again=True
                )
        if not shares:
            return
