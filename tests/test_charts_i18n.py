"""The recap chart in Hebrew: Hebrew glyphs, labels in visual order, days running right to left."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import warnings
from datetime import date, timedelta
from pathlib import Path

import pytest
from bidi.algorithm import get_display  # type: ignore[import-untyped]
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.textpath import TextToPath

from bot import charts
from bot.bidi import FSI, PDI, strip_isolates
from bot.charts import ChartLabels, draw_week, render_week
from bot.domain.summary import Summary
from bot.formatting import first_weekday, weekday_names

ROOT = Path(__file__).resolve().parents[1]
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


async def test_the_chart_is_drawn_in_its_own_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a worker thread, ~100 ms of matplotlib held the GIL against the event loop (8 people
    answering, a chart a second: stalls of 23-30 ms against 10-11 in a process). So a change to
    this process's drawing must not reach the chart; and the chart process serves the next one too."""

    def here(*args: object) -> Figure:
        raise AssertionError("drawn in the bot's own process")

    monkeypatch.setattr(charts, "draw_week", here)
    try:
        first = await charts.render_elsewhere(summary(), HEBREW, NAMES)
        second = await charts.render_elsewhere(summary(30), ENGLISH, NAMES)
    finally:
        charts.close_renderer()
    assert first.startswith(b"\x89PNG") and second.startswith(b"\x89PNG") and first != second


def test_the_chart_process_does_not_outlive_a_killed_bot(tmp_path: Path) -> None:
    """Killed (a crash, an OOM kill), the bot left its chart process running, 60 MB for good and
    holding its supervisor's pipes open; it now ends itself when the bot is gone."""
    out = tmp_path / "pids"
    with out.open("w") as sink:  # a file, not a pipe: a surviving child would hold a pipe open
        run = subprocess.run(
            [sys.executable, "-m", "tests.chart_orphan"], cwd=ROOT, stdout=sink, timeout=60, check=False
        )
    assert run.returncode == -signal.SIGKILL
    pids = [int(pid) for pid in out.read_text().split()]
    assert pids
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in pids)


def alive(pid: int) -> bool:
    """Running (a zombie waiting for a parent that does not reap it has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def drawn(text: str) -> list[int]:
    """The glyphs matplotlib draws for `text`, left to right (spaces and invisible controls left out)."""
    glyphs, _, _ = TextToPath().get_glyphs_with_font(FONT, text)
    ids = [int(name.rsplit("-", 1)[1], 16) for name, *_ in glyphs]
    return [glyph for glyph in ids if glyph != SPACE]


def visual(logical: str) -> list[int]:
    """The glyphs of `logical` in right-to-left visual order, as a Hebrew reader expects them."""
    order = get_display(strip_isolates(logical), base_dir="R")
    return [FONT.get_char_index(ord(char)) for char in order if char != " "]


FONT = get_font(findfont(FontProperties()))
SPACE = FONT.get_char_index(ord(" "))
HEBREW_DAYS = ["יום א׳", "יום ב׳", "יום ג׳", "יום ד׳", "יום ה׳", "יום ו׳", "שבת"]  # from Sunday


def chart_texts(figure: Figure) -> dict[str, list[str]]:
    top, bottom = axes(figure)
    return {
        "title": [figure.get_suptitle()],
        "days": [label.get_text() for label in top.get_xticklabels()],
        "intensity": [top.get_ylabel()],
        "bars": [text.get_text() for text in top.texts],
        "mix": [label.get_text() for label in bottom.get_yticklabels()],
        "mix title": [bottom.get_title(loc="right")],
    }


LOGICAL = {
    "title": [HEBREW.title],
    "days": HEBREW_DAYS,
    "intensity": [HEBREW.intensity],
    "bars": ["רגוע", "חרד", "–", "פגוע (Anna)", "רגוע", "–", "חרד"],
    "mix": ["פגוע (Anna)", "חרד", "רגוע"],
    "mix title": [HEBREW.mix],
}


def test_hebrew_labels_are_drawn_in_visual_order() -> None:
    texts = chart_texts(draw_week(summary(), HEBREW, NAMES))
    for part, logical in LOGICAL.items():
        assert [drawn(text) for text in texts[part]] == [visual(text) for text in logical], part
    # Brackets are mirrored: "(Anna)" still opens on its left.
    assert drawn(texts["bars"][3])[0] == FONT.get_char_index(ord("("))


def test_without_libraqm_labels_are_given_in_visual_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """Older matplotlib draws characters as given: the labels themselves are python-bidi's output."""
    monkeypatch.setattr(charts, "LAYS_OUT_BIDI", False)
    texts = chart_texts(draw_week(summary(), HEBREW, NAMES))
    for part, logical in LOGICAL.items():
        expected = [get_display(strip_isolates(text), base_dir="R") for text in logical]
        assert texts[part] == expected, part
    assert texts["title"][0].startswith("׳בונב 28")  # what a right-to-left reader sees, left to right
    assert not any(FSI in text or PDI in text for part in texts.values() for text in part)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        render_week(summary(), HEBREW, NAMES)


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
