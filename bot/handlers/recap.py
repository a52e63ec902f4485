"""/summary (text and chart), /history, and the weekly recap push."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import callbacks
from bot.charts import ChartLabels, render_elsewhere
from bot.domain.journal import OPTION_LABELS, boundary_statements, headline, kind_label, shown_fields
from bot.domain.models import Entry, EntryKind
from bot.domain.partners import Share, can_see
from bot.domain.summary import Period, Summary, parse_period, period_bounds, summarise
from bot.formatting import first_weekday, format_day, is_rtl, weekday_names
from bot.handlers.common import Context, lang, pressed, services, share_gist, user_id
from bot.render import clip, split_lines
from bot.services import Services, exercises, partners
from bot.texts import plain, t, words_in

logger = logging.getLogger(__name__)

HISTORY_DEFAULT = 7
HISTORY_MAX = 100
TITLE = {
    Period.WEEK: "summary.title.week",
    Period.LAST: "summary.title.last",
    Period.MONTH: "summary.title.month",
}
CAPTION = {
    Period.WEEK: "summary.chart_caption.week",
    Period.LAST: "summary.chart_caption.last",
    Period.MONTH: "summary.chart_caption.month",
}
ENCOURAGED = {
    "yes": "summary.encouraged.yes",
    "a_little": "summary.encouraged.a_little",
    "no": "summary.encouraged.no",
}
DIARY = EntryKind.DIARY
GIST_LENGTH = 80


def feeling_names(language: str) -> dict[str, str]:
    """Feeling values as plain words, as on the buttons without the emoji (typed ones stay as typed)."""
    names = {f: plain(key, language).split(" ", 1)[-1] for f, key in OPTION_LABELS[(DIARY, "family")].items()}
    names.update({w: plain(key, language) for w, key in OPTION_LABELS[(DIARY, "feeling")].items()})
    return names


def _local_today(svc: Services, timezone: str | None) -> date:
    return svc.clock().astimezone(ZoneInfo(timezone or svc.config.timezone)).date()


def recap_lines(summary: Summary, period: Period, language: str) -> list[str]:
    """The recap as lines of Telegram HTML, one per fact, each only when there is data."""
    names = feeling_names(language)
    start, end = format_day(summary.start, language), format_day(summary.end, language)
    title = t(TITLE[period], language, start=start, end=end)
    lines = [f"<b>{title}</b>"]
    if summary.checkin_days:
        lines.append(
            t(
                "summary.checkins",
                language,
                count=summary.checkin_days,
                n=summary.days,
                streak=summary.streak,
            )
        )
    if summary.top_feelings:
        text = ", ".join(f"{names.get(name, name)} ×{count}" for name, count in summary.top_feelings)
        lines.append(t("summary.feelings", language, feelings=text))
    if summary.average_intensity is not None:
        value = f"{summary.average_intensity:.1f}"
        if summary.previous_average_intensity is not None:
            change = f"{summary.average_intensity - summary.previous_average_intensity:+.1f}"
            lines.append(t("summary.intensity_change", language, value=value, change=change))
        else:
            lines.append(t("summary.intensity", language, value=value))
    if summary.whose:
        counts = {k: summary.whose.get(k, 0) for k in ("mine", "partner", "both", "unsure")}
        lines.append(t("summary.whose", language, **counts))
    relevant = sum(summary.expressed.get(k, 0) for k in ("yes", "partly", "no"))
    if relevant:
        lines.append(
            t("summary.expressed", language, shared=summary.expressed.get("yes", 0), total=relevant,
              partly=summary.expressed.get("partly", 0))
        )  # fmt: skip
    if summary.pages_sessions or summary.pages_words:
        lines.append(t("summary.pages", language, n=summary.pages_sessions, words=summary.pages_words))
    for key, rating in sorted(summary.ratings.items()):
        lines.append(
            t("summary.rating", language, number=key[1:], latest=rating.latest, first=rating.first,
              first_date=rating.first_date.isoformat())
        )  # fmt: skip
    if summary.boundaries_set or summary.boundaries_shared:
        lines.append(
            t("summary.boundaries", language, set=summary.boundaries_set, shared=summary.boundaries_shared)
        )
    if summary.interest_minutes:
        lines.append(t("summary.interests", language, minutes=summary.interest_minutes))
    if summary.encouraged in ENCOURAGED:
        lines.append(t(ENCOURAGED[summary.encouraged], language))
    lines.append("")
    lines.append(t("summary.question", language, question=t(summary.question, language)))
    return lines


async def send_recap(
    bot: Bot,
    svc: Services,
    uid: int,
    language: str,
    period: Period = Period.WEEK,
    *,
    chart: bool = True,
    encourage: bool = False,
) -> None:
    """Send the recap of `period` to `uid`: chart and text, or an encouraging word when empty.

    Shared by /summary and the weekly push. A chart that fails to render never stops the text.
    Without `chart` (the weekly push to everyone) the text carries a button that sends it: one
    render per person (~0.1 s of CPU) would make a push to 100k people take hours. `encourage`
    (the weekly push) ends the same message with the week's question about the partner's own
    world: one message a person, so 100k people at 30 msg/s take 56 minutes, not two hours.
    """
    summary, period_days = await _summary_of(svc, uid, period)
    with_partner = await _partner_lines(svc, uid, language, *period_days)
    question = [t("nudge.weekly_encourage", language)] if encourage else []
    last_rows = (
        [[_button("nudge.button_encourage", language, callbacks.START.data("encourage"))]]
        if encourage
        else []
    )
    if summary.empty:
        checkin = _button("summary.button_checkin", language, callbacks.START.data("checkin"))
        text = "\n\n".join([t("summary.empty", language), *with_partner, *question])
        await bot.send_message(uid, text, reply_markup=InlineKeyboardMarkup([[checkin], *last_rows]))
        return
    if summary.checkin_days and chart:
        await _send_chart(bot, uid, language, period, summary, period_days)
    elif summary.checkin_days:
        last_rows.insert(0, [_button("summary.button_chart", language, callbacks.CHART.data(period))])
    markup = InlineKeyboardMarkup(last_rows) if last_rows else None
    lines = recap_lines(summary, period, language)
    lines[-2:-2] = with_partner
    lines += ["", *question] if question else []
    chunks = split_lines(lines)
    for number, chunk in enumerate(chunks, start=1):
        await bot.send_message(uid, chunk, reply_markup=markup if number == len(chunks) else None)


def _button(key: str, language: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(t(key, language), callback_data=data)


async def _summary_of(svc: Services, uid: int, period: Period) -> tuple[Summary, tuple[date, date]]:
    """The person's recap of `period` as of their local today, and the period's first and last day."""
    profile = await svc.repo.get_profile(uid)
    today = _local_today(svc, profile.timezone if profile else None)
    start, end = period_bounds(period, today)
    history = await svc.repo.list_entries(uid)
    return summarise(history, start, end, today), (start, end)


async def _send_chart(
    bot: Bot, uid: int, language: str, period: Period, summary: Summary, days: tuple[date, date]
) -> None:
    first, last = format_day(days[0], language), format_day(days[1], language)
    labels = ChartLabels(
        title=plain(TITLE[period], language, start=first, end=last),
        intensity=plain("chart.intensity", language),
        mix=plain("chart.mix", language),
        no_entry=plain("chart.no_entry", language),
        weekdays=weekday_names(language),
        rtl=is_rtl(language),
        week_start=first_weekday(language),
    )
    try:
        png = await render_elsewhere(summary, labels, feeling_names(language))
    except Exception as exc:  # the text recap still goes out
        logger.error("Chart rendering failed for user %s: %s", uid, type(exc).__name__)
    else:
        await bot.send_photo(uid, png, caption=t(CAPTION[period], language))


async def on_chart_button(update: Update, context: Context) -> None:
    """The button under a pushed recap: its chart, as of today."""
    query, (period,) = pressed(update, callbacks.CHART)
    await query.answer()
    uid, language = user_id(update), lang(update, context)
    summary, days = await _summary_of(services(context), uid, Period(period))
    if summary.checkin_days:
        await _send_chart(context.bot, uid, language, Period(period), summary, days)


async def _partner_lines(svc: Services, uid: int, language: str, start: date, end: date) -> list[str]:
    """How much the person shared with their partner and received in the period: their own counts only."""
    profile = await svc.repo.get_profile(uid)
    zone = ZoneInfo(exercises.zone_name(svc, profile))
    since = datetime.combine(start, time(), zone)
    until = datetime.combine(end + timedelta(days=1), time(), zone)
    counts = await partners.week(svc, uid, since, until)
    if not (counts.shared or counts.received):
        return []
    return [t("summary.partner", language, shared=counts.shared, acknowledged=counts.acknowledged,
              received=counts.received)]  # fmt: skip


async def summary_command(update: Update, context: Context) -> None:
    period = parse_period(context.args or [])
    if period is None:
        assert update.effective_chat is not None
        await update.effective_chat.send_message(t("summary.usage", lang(update, context)))
        return
    await send_recap(context.bot, services(context), user_id(update), lang(update, context), period)


async def on_summary_button(update: Update, context: Context) -> None:
    """The button on the weekly push: the recap of the last 7 days."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    await send_recap(context.bot, services(context), user_id(update), lang(update, context))


def _history_count(args: list[str]) -> int | None:
    if not args:
        return HISTORY_DEFAULT
    if len(args) == 1 and args[0].isdigit() and 1 <= int(args[0]) <= HISTORY_MAX:
        return int(args[0])
    return None


async def history_command(update: Update, context: Context) -> None:
    """/history [N]: the last N entries, newest first, one line each; a button shows one in full."""
    uid, language = user_id(update), lang(update, context)
    count = _history_count(context.args or [])
    if count is None:
        await context.bot.send_message(uid, t("history.usage", language))
        return
    svc = services(context)
    stored = await svc.repo.list_entries(uid)
    entries = sorted(stored, key=lambda e: (e.local_date, e.created_at), reverse=True)[:count]
    shared = await _shares_in_history(svc, uid, entries, count)
    if not entries and not shared:
        await context.bot.send_message(uid, t("history.empty", language))
        return
    words = words_in(language)
    lines: list[str] = [t("history.header", language, n=len(entries) + len(shared))]
    items = [
        (day, share.created_at, _share_line(share, name, uid, day, language)) for share, name, day in shared
    ]
    for number, entry in enumerate(entries, start=1):
        gist = clip(headline(entry, words), GIST_LENGTH)
        day = entry.local_date.isoformat()
        line = t(
            "history.line", language, number=number, date=day, kind=kind_label(entry.kind, words), gist=gist
        )
        items.append((entry.local_date, entry.created_at, line))
    lines += [line for _, _, line in sorted(items, key=lambda item: (item[0], item[1]), reverse=True)]
    buttons = [
        InlineKeyboardButton(str(number), callback_data=callbacks.ENTRY.data(entry.entry_id))
        for number, entry in enumerate(entries, start=1)
    ]
    rows = [buttons[i : i + 5] for i in range(0, len(buttons), 5)]
    chunks = split_lines(lines)
    for chunk in chunks[:-1]:
        await context.bot.send_message(uid, chunk)
    await context.bot.send_message(uid, chunks[-1], reply_markup=InlineKeyboardMarkup(rows) if rows else None)


async def _shares_in_history(
    svc: Services, uid: int, entries: list[Entry], count: int
) -> list[tuple[Share, str, date]]:
    """Items the person sent their partner or received, as recent as the entries shown (at most
    `count`): each with the partner's name and its local date."""
    profile = await svc.repo.get_profile(uid)
    zone = ZoneInfo(exercises.zone_name(svc, profile))
    oldest = entries[-1].local_date if len(entries) == count else date.min
    found = []
    for share, names in await svc.couples.shares_of(uid):
        day = share.created_at.astimezone(zone).date()
        if can_see(uid, share) and day >= oldest:
            other = share.receiver if share.sender == uid else share.sender
            found.append((share, names.get(other, ""), day))
    return found[-count:]


def _share_line(share: Share, partner: str, uid: int, day: date, language: str) -> str:
    key = "history.shared" if share.sender == uid else "history.received"
    return t(key, language, date=day.isoformat(), partner=partner,
             gist=clip(share_gist(share.payload, language), GIST_LENGTH))  # fmt: skip


def entry_lines(entry: Entry, language: str, statements: Mapping[str, str] | None = None) -> list[str]:
    """One entry in full, as Telegram HTML lines: every word written, the buttons' words for codes.

    `statements` (boundary id → statement) lets a boundary update show which boundary it was.
    """
    words = words_in(language)
    day, kind = entry.local_date.isoformat(), kind_label(entry.kind, words)
    lines: list[str] = [t("history.entry_title", language, date=day, kind=kind)]
    for field in shown_fields(entry, words, statements):
        lines.append(t("history.field", language, label=field.label, value=field.text))
    return lines


async def on_entry_button(update: Update, context: Context) -> None:
    """Show one of the presser's own entries in full (an id from anyone else is not found)."""
    query, (entry_id,) = pressed(update, callbacks.ENTRY)
    uid, language = user_id(update), lang(update, context)
    entries = await services(context).repo.list_entries(uid)
    found = next((e for e in entries if e.entry_id == entry_id), None)
    if found is None:
        await query.answer(t("history.not_found", language))
        return
    await query.answer()
    for chunk in split_lines(entry_lines(found, language, boundary_statements(entries))):
        await context.bot.send_message(uid, chunk)
