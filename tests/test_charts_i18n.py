"""The recap chart in Hebrew: Hebrew glyphs, labels in visual order, days running right to left."""

from __future__ import annotations

import warnings
from datetime import date, timedelta

import pytest
from bidi import get_display  # type: ignore[import-untyped]
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bot.bidi import FSI, PDI
from bot.charts import ChartLabels, draw_week, render_week
from bot.domain.formatting import first_weekday, weekday_names
from bot.domain.summary import Summary

START = date(2026, 11, 22)  # a Sunday

HEBREW = ChartLabels(
    title=f"השבוע שלך: {FSI}22{PDI} בנוב׳ – 28 בנוב׳",  # isolates as t() may add them
    intensity="עוצמה (1–5)",
    mix="הרגשות בתקופה",
    no_entry="–",
    weekdays=weekday_names("he"),
    rtl=True,
    week_start=first_weekday("he"),
)
ENGLISH = ChartLabels(
    title="Your week: 22 Nov – 28 Nov",
    intensity="Intensity (1–5)",
    mix="Feelings this period",
    no_entry="–",
    weekdays=weekday_names("en"),
)
NAMES = {"calm": "רגוע", "anxious": "חרד", "hurt": "פגוע (Anna)"}


def summary(days: int = 7) -> Summary:
    feelings = ["calm", "anxious", None, "hurt", "calm", None, "anxious"]
    daily = [
        (START + timedelta(days=n), (n % 5) + 1.0 if feelings[n % 7] else None, feelings[n % 7])
        for n in range(days)
    ]
    return Summary(start=START, end=START + timedelta(days=days - 1), days=days, checkin_days=5,
                   daily=daily, feeling_mix=[("calm", 2), ("anxious", 2), ("hurt", 1)])  # fmt: skip


def axes(figure: Figure) -> tuple[Axes, Axes]:
    top, bottom = figure.axes
    return top, bottom


def screen_x(ax: Axes, positions: list[float]) -> list[float]:
    return [float(ax.transData.transform((x, 0))[0]) for x in positions]


def test_hebrew_chart_renders_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font" is a warning
        png = render_week(summary(), HEBREW, NAMES)
        month = render_week(summary(30), HEBREW, NAMES)
    assert png.startswith(b"\x89PNG")
    assert month.startswith(b"\x89PNG")


def test_hebrew_labels_are_in_visual_order_without_bidi_controls() -> None:
    figure = draw_week(summary(), HEBREW, NAMES)
    top, bottom = axes(figure)
    title = figure.get_suptitle()
    assert title == get_display("השבוע שלך: 22 בנוב׳ – 28 בנוב׳", base_dir="R")
    assert title.startswith("׳בונב 28")  # what a right-to-left reader sees, left to right
    ticks = [label.get_text() for label in top.get_xticklabels()]
    expected_days = ["יום א׳", "יום ב׳", "יום ג׳", "יום ד׳", "יום ה׳", "יום ו׳", "שבת"]
    assert ticks == [get_display(day, base_dir="R") for day in expected_days]
    assert top.get_ylabel() == get_display("עוצמה (1–5)", base_dir="R")
    bars = {text.get_text() for text in top.texts}
    assert get_display("פגוע (Anna)", base_dir="R") in bars
    mix = [label.get_text() for label in bottom.get_yticklabels()]
    assert get_display("רגוע", base_dir="R") in mix
    assert bottom.get_title(loc="right") == get_display("הרגשות בתקופה", base_dir="R")
    every_text = [title, *ticks, *bars, *mix, top.get_ylabel()]
    assert not any(FSI in text or PDI in text for text in every_text)


def test_hebrew_days_run_right_to_left() -> None:
    top, bottom = axes(draw_week(summary(), HEBREW, NAMES))
    xs = screen_x(top, [tick.get_position()[0] for tick in top.get_xticklabels()])
    assert xs == sorted(xs, reverse=True)  # Sunday, the first day, is rightmost
    assert top.yaxis.get_ticks_position() == "right"
    assert str(top.yaxis.get_label_position()) == "right"  # (its type stub says top/bottom)
    assert bottom.xaxis_inverted()  # the mix bars grow leftwards


def test_english_chart_is_not_mirrored() -> None:
    figure = draw_week(summary(), ENGLISH, {"calm": "calm", "anxious": "anxious", "hurt": "hurt"})
    top, bottom = axes(figure)
    xs = screen_x(top, [tick.get_position()[0] for tick in top.get_xticklabels()])
    assert xs == sorted(xs)
    assert [label.get_text() for label in top.get_xticklabels()] == [
        "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
    ]  # fmt: skip
    assert top.yaxis.get_ticks_position() == "left"
    assert str(top.yaxis.get_label_position()) == "left"
    assert not bottom.xaxis_inverted()
    assert bottom.get_title(loc="left") == "Feelings this period"


@pytest.mark.parametrize(("labels", "bold_day"), [(HEBREW, 6), (ENGLISH, 0)])
def test_month_chart_marks_the_local_week_start(labels: ChartLabels, bold_day: int) -> None:
    top, _ = axes(draw_week(summary(30), labels, NAMES))
    bold = [
        (START + timedelta(days=n)).weekday()
        for n, tick in enumerate(top.get_xticklabels())
        if tick.get_fontweight() == "bold"
    ]
    assert bold
    assert set(bold) == {bold_day}
