"""/support: warm words and the help lines that fit the person's language and country."""

from __future__ import annotations

from telegram import Update

from bot.handlers.common import Context, lang, reply, services, user_id
from bot.services.support import as_list, support_lines


async def support_command(update: Update, context: Context) -> None:
    svc = services(context)
    profile = await svc.repo.get_profile(user_id(update))
    lines = support_lines(svc.config, lang(update, context), profile.timezone if profile else None)
    await reply(update, context, "support", lines=as_list(lines))
