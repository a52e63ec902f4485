"""Left-to-right runs inside Hebrew lines are isolated (FSI … PDI) without breaking Telegram HTML."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.bidi import FSI, PDI, isolate_ltr, isolate_ltr_plain, strip_isolates
from bot.localapi.html_parser import parse_html


def shown(text: str) -> str:
    """Isolates made visible, so expectations read easily."""
    return text.replace(FSI, "[").replace(PDI, "]")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("תזכורת בשעה 07:30 מחר.", "תזכורת בשעה [07:30] מחר."),
        ("/checkin כדי לכתוב עכשיו", "[/checkin] כדי לכתוב עכשיו"),
        ("שלום Anna Cohen, מה שלומך?", "שלום [Anna Cohen], מה שלומך?"),
        ("נכתב ב-2026-11-30", "נכתב ב-[2026-11-30]"),
        ("שינוי של +0.3 מהשבוע שעבר", "שינוי של [+0.3] מהשבוע שעבר"),
        ("כתבת: I'm tired.", "כתבת: [I'm tired]."),
        ("כתובת anna_c@example.com בבקשה", "כתובת [anna_c@example.com] בבקשה"),
        ("מ-07:30 עד 08:00", "מ-[07:30] עד [08:00]"),
        ("<b>Anna</b> Cohen אמרה", "[<b>Anna</b> Cohen] אמרה"),
        ("<b>שלום Anna</b> Cohen", "<b>שלום [Anna]</b> [Cohen]"),
        ("הקלידו <code>/remind</code> עכשיו", "הקלידו [<code>/remind</code>] עכשיו"),
        ("AT&amp;T &lt;3 שלום", "[AT&amp;T] &lt;[3] שלום"),
        ("Hello Anna\nשלום 12:00", "Hello Anna\nשלום [12:00]"),
    ],
)
def test_isolates_ltr_runs(source: str, expected: str) -> None:
    assert shown(isolate_ltr(source)) == expected


def test_english_text_is_unchanged() -> None:
    text = "<b>Your week: 22 Nov – 28 Nov</b>\nCheck-ins on 4 of 7 days · streak 4 at 07:30 /checkin"
    assert isolate_ltr(text) == text


def test_plain_text_keeps_its_angle_brackets_and_ampersands() -> None:
    assert shown(isolate_ltr_plain("שלום <Anna> & Tom")) == "שלום <[Anna]> & [Tom]"


def test_strip_isolates() -> None:
    assert strip_isolates(f"שלום {FSI}Anna{PDI}") == "שלום Anna"


# --- properties -----------------------------------------------------------------------------

WORDS = st.sampled_from(
    ["שלום", "היום", "ב-", "מה", "Anna", "Cohen", "07:30", "/checkin", "2026-11-30", "+0.3", "x.y",
     "a_b@c", "I'm", "5", "–", ",", ".", ":", "-", "/", "&amp;", "&lt;", "&gt;", "&quot;", "&#1488;",
     "🙂", "ё", "'", "é", "(", ")"]
)  # fmt: skip
SPACES = st.sampled_from([" ", " ", "  ", "\n", ""])
TAGS = st.sampled_from(["b", "i", "u", "s", "code", "tg-spoiler", "a"])


@st.composite
def telegram_html(draw: st.DrawFn, depth: int = 0) -> str:
    """Valid Telegram HTML: words, spaces and lines, with nested tags (no tag inside code)."""
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 6))):
        if depth < 2 and draw(st.booleans()) and draw(st.booleans()):
            tag = draw(TAGS)
            inner = draw(telegram_html(depth=99 if tag == "code" else depth + 1))
            opening = '<a href="https://example.com/a?b=1&amp;c=2">' if tag == "a" else f"<{tag}>"
            parts.append(f"{opening}{inner}</{tag}>")
        else:
            parts.append(draw(WORDS))
        parts.append(draw(SPACES))
    return "".join(parts)


def element_spans(text: str) -> list[tuple[int, int]]:
    """(start of opening tag, end of closing tag) of every element in `text`."""
    spans: list[tuple[int, int]] = []
    stack: list[int] = []
    for tag in re.finditer(r"<(/?)[^>]*>", text):
        if tag.group(1):
            spans.append((stack.pop(), tag.end()))
        else:
            stack.append(tag.start())
    return spans


def isolate_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    stack: list[int] = []
    for i, char in enumerate(text):
        if char == FSI:
            stack.append(i)
        elif char == PDI:
            spans.append((stack.pop(), i + 1))
    return spans


@settings(max_examples=400, deadline=None)
@given(telegram_html())
def test_isolate_ltr_properties(source: str) -> None:
    parse_html(source)  # the generator makes only valid messages
    out = isolate_ltr(source)
    # Removing the isolates gives back the input; running again adds nothing.
    assert out.replace(FSI, "").replace(PDI, "") == source
    assert isolate_ltr(out) == out
    # Still a message Telegram accepts, with the same text apart from isolates.
    parse_html(out)
    assert strip_isolates(parse_html(out, strip=False).text) == parse_html(source, strip=False).text
    # Balanced in every line: never a PDI before its FSI, none left open at the end of a line.
    for line in out.split("\n"):
        depth = 0
        for char in line:
            depth += (char == FSI) - (char == PDI)
            assert depth >= 0
        assert depth == 0
    # Never inside a tag or an entity.
    assert not re.search(f"<[^>]*[{FSI}{PDI}]", out)
    assert not re.search(f"&[#A-Za-z0-9]*[{FSI}{PDI}]", out)
    # Never splits a tag pair: isolates and elements nest properly, and code is never entered.
    for a, b in isolate_spans(out):
        for c, d in element_spans(out):
            assert b <= c or d <= a or (a <= c and d <= b) or (c < a and b < d)
    for code in re.findall(r"<code>.*?</code>", out, flags=re.S):
        assert FSI not in code
        assert PDI not in code
    # Lines without Hebrew are untouched.
    for before, after in zip(source.split("\n"), out.split("\n"), strict=True):
        if not re.search("[\u0590-\u05ff]", html.unescape(re.sub("<[^>]*>", "", before))):
            assert after == before


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="ascii", exclude_characters="<&"), max_size=60))
def test_text_without_rtl_is_unchanged(text: str) -> None:
    assert isolate_ltr(text) == text


@settings(max_examples=200, deadline=None)
@given(telegram_html())
def test_every_ltr_word_in_a_hebrew_line_is_isolated(source: str) -> None:
    def keep_lines(code: re.Match[str]) -> str:  # code is copied as it is: not checked
        return "\n" * code.group(0).count("\n")

    out = re.sub(r"<code>.*?</code>", keep_lines, isolate_ltr(source), flags=re.S)
    for line in out.split("\n"):
        if not re.search("[\u05d0-\u05ea]", line):
            continue
        outside = re.sub(f"{FSI}[^{PDI}]*{PDI}", "", line)  # isolates do not nest here
        outside = re.sub(r"<[^>]*>|&[#A-Za-z0-9]+;", "", outside)
        assert not re.search("[A-Za-z0-9]", outside), shown(line)
