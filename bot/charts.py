"""The weekly chart as a PNG: intensity per day with the feeling named, and the week's mix.

Rendered with matplotlib's Agg backend (no display), sized for a phone: large type,
high contrast, nothing that needs zooming. Labels are passed in already translated.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

from bot.domain.summary import Summary

INK = "#1b2a41"
ACCENT = "#2f6f8f"
MUTED = "#c9d6df"


@dataclass(frozen=True, slots=True)
class ChartLabels:
    title: str
    intensity: str
    mix: str
    no_entry: str
    weekdays: tuple[str, ...]  # Monday first


def render_week(summary: Summary, labels: ChartLabels, feeling_names: dict[str, str]) -> bytes:
    """PNG bytes of the chart (about 900 × 1000 px)."""
    figure = Figure(figsize=(9, 10), dpi=100, facecolor="white")
    top, bottom = figure.subplots(2, 1, gridspec_kw={"height_ratios": [3, 2]})
    figure.suptitle(labels.title, fontsize=24, color=INK, fontweight="bold")

    days = summary.daily  # every day of the period, a month too
    week = len(days) <= 7
    xs = list(range(len(days)))
    heights = [value or 0 for _, value, _ in days]
    top.bar(xs, heights, color=[ACCENT if value else MUTED for _, value, _ in days], width=0.7)
    for x, (_, value, feeling) in zip(xs, days, strict=True):
        name = feeling_names.get(feeling or "", feeling or "") if value else labels.no_entry
        top.text(x, (value or 0) + 0.12, name, ha="center", va="bottom", rotation=0 if week else 90,
                 fontsize=15 if len(days) <= 14 else 11, color=INK)  # fmt: skip
    top.set_ylim(0, 6)
    top.set_yticks([1, 2, 3, 4, 5])
    # A week is named by weekdays; a longer period by day of the month, Mondays in bold.
    ticks = [labels.weekdays[day.weekday()] if week else str(day.day) for day, _, _ in days]
    top.set_xticks(xs, ticks, fontsize=16 if len(days) <= 14 else 11, color=INK)
    if not week:
        for tick, (day, _, _) in zip(top.get_xticklabels(), days, strict=True):
            tick.set_fontweight("bold" if day.weekday() == 0 else "normal")
    top.set_ylabel(labels.intensity, fontsize=17, color=INK)
    top.tick_params(axis="y", labelsize=15, colors=INK)
    for side in ("top", "right"):
        top.spines[side].set_visible(False)

    if summary.feeling_mix:
        names = [feeling_names.get(name, name) for name, _ in summary.feeling_mix][::-1]
        counts = [count for _, count in summary.feeling_mix][::-1]
        bottom.barh(names, counts, color=ACCENT, height=0.6)
        bottom.tick_params(labelsize=16, colors=INK)
        bottom.set_xticks(range(0, max(counts) + 1))
    else:
        bottom.set_axis_off()
    bottom.set_title(labels.mix, fontsize=18, color=INK, loc="left")
    for side in ("top", "right"):
        bottom.spines[side].set_visible(False)

    figure.tight_layout(rect=(0, 0, 1, 0.95))
    buffer = BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
