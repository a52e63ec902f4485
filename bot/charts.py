"""The weekly chart as a PNG: intensity per day with the feeling named, and the week's mix.

Rendered with matplotlib's Agg backend (no display), sized for a phone: large type,
high contrast, nothing that needs zooming. Labels are passed in already translated.

A right-to-left chart has a mirrored layout (days run from right to left, the value axis on
the right, the mix's bars grow leftwards) and its labels shown in right-to-left order. Matplotlib
3.11+ lays text out with libraqm, which applies the Unicode bidi algorithm itself: it is given the
logical text behind a RIGHT-TO-LEFT MARK (so a label starting with a Latin name still reads right
to left). Older matplotlib draws characters in the order given, so it gets python-bidi's visual
order instead (its pure-Python algorithm, which mirrors brackets; the isolates it cannot take are
removed first, and so never reach a font with no glyph for them).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.connection
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from typing import TYPE_CHECKING

from bidi.algorithm import get_display  # type: ignore[import-untyped]

from bot.bidi import strip_isolates
from bot.domain.summary import Summary

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

INK = "#1b2a41"
ACCENT = "#2f6f8f"
MUTED = "#c9d6df"
RLM = "\u200f"


@cache
def _matplotlib() -> type[Figure]:
    """Import matplotlib (with numpy: ~0.3 s and ~55 MB) on the first chart, not at start-up."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure


LAYS_OUT_BIDI: bool | None = None  # matplotlib orders RTL text itself (libraqm, 3.11+); known once imported


def lays_out_bidi() -> bool:
    global LAYS_OUT_BIDI
    if LAYS_OUT_BIDI is None:
        _matplotlib()
        from matplotlib import ft2font

        LAYS_OUT_BIDI = hasattr(ft2font, "__libraqm_version__")
    return LAYS_OUT_BIDI


@dataclass(frozen=True, slots=True)
class ChartLabels:
    title: str
    intensity: str
    mix: str
    no_entry: str
    weekdays: tuple[str, ...]  # Monday first
    rtl: bool = False  # a right-to-left language: visual-order labels, mirrored layout
    week_start: int = 0  # the weekday a week starts on (Monday = 0), in bold on a month chart

    def visual(self, text: str) -> str:
        """`text` as this matplotlib must be given it to show it in the chart's direction."""
        if lays_out_bidi():
            return RLM + text if self.rtl else text
        text = strip_isolates(text)
        return str(get_display(text, base_dir="R")) if self.rtl else text


_renderer: ProcessPoolExecutor | None = None
_renderer_lock = threading.Lock()


async def render_elsewhere(summary: Summary, labels: ChartLabels, feeling_names: dict[str, str]) -> bytes:
    """`render_week` in the chart process, started at the first chart and kept for the next ones.

    Not a worker thread: a chart is ~100 ms of matplotlib (the first also ~0.3 s of imports) that
    would hold the GIL in 5 ms slices against the event loop, whose every socket call then waits
    (measured with 8 people answering and a chart a second: the loop's longest stall 23-30 ms on a
    thread against 10-11 ms here, their p99 40-45 against 26-31 ms). A renderer that died is
    replaced at the next chart; this one's error is raised."""
    global _renderer
    with _renderer_lock:
        if _renderer is None:
            _renderer = ProcessPoolExecutor(
                1, mp_context=multiprocessing.get_context("spawn"), initializer=_end_with_the_bot
            )
        renderer = _renderer
    try:
        return await asyncio.get_running_loop().run_in_executor(
            renderer, render_week, summary, labels, feeling_names
        )
    except BrokenProcessPool:
        with _renderer_lock:
            if _renderer is renderer:
                _renderer = None
        raise


def _end_with_the_bot() -> None:
    """In the chart process: exit as soon as the bot's process has ended, however it ended (a
    killed bot never says goodbye, and a left-over renderer would hold 60 MB and its pipes)."""
    bot = multiprocessing.parent_process()
    if bot is not None:
        threading.Thread(target=_exit_after, args=(bot.sentinel,), name="bot-watch", daemon=True).start()


def _exit_after(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(0)


def close_renderer() -> None:
    """Stop the chart process, if one was started (at shutdown)."""
    global _renderer
    with _renderer_lock:
        renderer, _renderer = _renderer, None
    if renderer is not None:
        renderer.shutdown(wait=False, cancel_futures=True)


def render_week(summary: Summary, labels: ChartLabels, feeling_names: dict[str, str]) -> bytes:
    """PNG bytes of the chart (about 900 × 1000 px)."""
    figure = draw_week(summary, labels, feeling_names)
    buffer = BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def draw_week(summary: Summary, labels: ChartLabels, feeling_names: dict[str, str]) -> Figure:
    """The chart as a laid-out matplotlib figure (what `render_week` saves)."""
    show = labels.visual
    start_side = "right" if labels.rtl else "left"
    figure = _matplotlib()(figsize=(9, 10), dpi=100, facecolor="white")
    top, bottom = figure.subplots(2, 1, gridspec_kw={"height_ratios": [3, 2]})
    figure.suptitle(show(labels.title), fontsize=24, color=INK, fontweight="bold")

    days = summary.daily  # every day of the period, a month too
    week = len(days) <= 7
    xs = list(range(len(days)))
    heights = [value or 0 for _, value, _ in days]
    top.bar(xs, heights, color=[ACCENT if value else MUTED for _, value, _ in days], width=0.7)
    for x, (_, value, feeling) in zip(xs, days, strict=True):
        name = feeling_names.get(feeling or "", feeling or "") if value else labels.no_entry
        top.text(x, (value or 0) + 0.12, show(name), ha="center", va="bottom", rotation=0 if week else 90,
                 fontsize=15 if len(days) <= 14 else 11, color=INK)  # fmt: skip
    top.set_ylim(0, 6)
    top.set_yticks([1, 2, 3, 4, 5])
    # A week is named by weekdays; a longer period by day of the month, week starts in bold.
    ticks = [show(labels.weekdays[day.weekday()]) if week else str(day.day) for day, _, _ in days]
    top.set_xticks(xs, ticks, fontsize=16 if len(days) <= 14 else 11, color=INK)
    if not week:
        for tick, (day, _, _) in zip(top.get_xticklabels(), days, strict=True):
            tick.set_fontweight("bold" if day.weekday() == labels.week_start else "normal")
    top.set_ylabel(show(labels.intensity), fontsize=17, color=INK)
    top.tick_params(axis="y", labelsize=15, colors=INK)
    if labels.rtl:
        top.invert_xaxis()
    _start_on(top, start_side)

    if summary.feeling_mix:
        names = [show(feeling_names.get(name, name)) for name, _ in summary.feeling_mix][::-1]
        counts = [count for _, count in summary.feeling_mix][::-1]
        bottom.barh(names, counts, color=ACCENT, height=0.6)
        bottom.tick_params(labelsize=16, colors=INK)
        bottom.set_xticks(range(0, max(counts) + 1))
        if labels.rtl:
            bottom.invert_xaxis()
    else:
        bottom.set_axis_off()
    bottom.set_title(show(labels.mix), fontsize=18, color=INK, loc=start_side)
    _start_on(bottom, start_side)

    figure.tight_layout(rect=(0, 0, 1, 0.95))
    return figure


def _start_on(axes: Axes, side: str) -> None:
    """Put the value axis (ticks, label, spine) on `side`, where a reader starts a line."""
    if side == "right":
        axes.yaxis.tick_right()
        axes.yaxis.set_label_position("right")
    for spine in ("top", "left" if side == "right" else "right"):
        axes.spines[spine].set_visible(False)
