"""bot.render: splitting Telegram HTML within limits without losing a character; button labels."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.localapi.builders import utf16_len
from bot.localapi.html_parser import parse_html
from bot.render import (
    button_label,
    clip,
    graphemes,
    plain_length,
    plain_text,
    split_html,
    split_lines,
)
from bot.texts import plain, t

HEBREW = "אבגדהוזחטיכלמנסעפצקרשתךםןףץ"
EMOJI = ["😢", "👍🏽", "👩🏽‍💻", "🇮🇱", "1️⃣", "❤️", "שָׁ", "é"]
SYMBOLS = "<>&\"'#*_`[]"
TAGS = [
    ("<b>", "</b>"),
    ("<i>", "</i>"),
    ("<u>", "</u>"),
    ("<s>", "</s>"),
    ("<code>", "</code>"),
    ('<a href="https://example.org/?a=1&amp;b=2">', "</a>"),
    ('<span class="tg-spoiler">', "</span>"),
    ("<blockquote>", "</blockquote>"),
]

letters = st.one_of(
    st.sampled_from("abcdefghij"), st.sampled_from(HEBREW), st.sampled_from(EMOJI), st.sampled_from(SYMBOLS)
)
words = st.lists(letters, min_size=1, max_size=60).map("".join)
separators = st.sampled_from([" ", " ", " ", "\n", "\n\n", "  ", ""])
# Any limit from the smallest `split_html` takes (2: one character of any kind), mostly tiny ones,
# where every break and every open tag matters.
LIMITS = st.one_of(st.integers(2, 12), st.integers(13, 300))


@st.composite
def telegram_html(draw: st.DrawFn, depth: int = 0) -> str:
    """Well-formed Telegram HTML: escaped words, separators, and nested formatting tags."""
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 12))):
        if depth < 2 and draw(st.integers(0, 4)) == 0:
            opening, closing = draw(st.sampled_from(TAGS))
            parts.append(opening + draw(telegram_html(depth + 1)) + closing)
        else:
            parts.append(html.escape(draw(words), quote=False))
        parts.append(draw(separators))
    return "".join(parts)


def plain_of(chunk: str) -> str:
    """What the fake Bot API (strict like Telegram) reads of a chunk; raises on invalid HTML."""
    return parse_html(chunk, strip=False).text


def assert_valid_split(source: str, chunks: list[str], limit: int) -> None:
    original = plain_of(source)
    plains = [plain_of(chunk) for chunk in chunks]
    for text in plains:
        assert utf16_len(text) <= limit
        assert text.strip(), "a blank message would be refused"
    pattern = r"\s*" + r"\s*".join(re.escape(text) for text in plains) + r"\s*"
    assert re.fullmatch(pattern, original), "only whitespace at a break may go"
    if not original.strip():
        assert chunks == []


@settings(max_examples=300, deadline=None)
@given(telegram_html(), LIMITS)
def test_split_html_chunks_are_valid_fit_and_lose_nothing(source: str, limit: int) -> None:
    assert_valid_split(source, split_html(source, limit), limit)


def repeated_past_the_limit(source: str) -> str:
    return source * min(5000 // max(plain_length(source), 1) + 1, 2000)


@settings(max_examples=40, deadline=None)
@given(telegram_html().map(repeated_past_the_limit))
def test_split_html_at_telegrams_limit(source: str) -> None:
    assert_valid_split(source, split_html(source), 4096)


def long_html() -> str:
    word = "<b>שלום</b> &lt;tag&gt; &amp; 👩🏽‍💻 " + "x" * 30 + " <i>" + "é" * 5 + "</i>"
    return "\n\n".join(f"{n}: " + " ".join([word] * (n % 7 + 1)) for n in range(300))


def test_long_text_is_split_at_paragraphs_and_fits() -> None:
    source = long_html()
    assert plain_length(source) > 3 * 4096
    chunks = split_html(source)
    assert_valid_split(source, chunks, 4096)
    assert all(plain_length(chunk) > 4096 // 2 for chunk in chunks[:-1])
    assert all(re.match(r"\d+: ", plain_of(chunk)) for chunk in chunks)  # each starts a paragraph


def test_surrogate_pairs_count_twice() -> None:
    source = "😢" * 5000  # 10,000 UTF-16 code units; Telegram would refuse more than 4,096
    chunks = split_html(source)
    assert [len(c) for c in chunks] == [2048, 2048, 904]
    assert_valid_split(source, chunks, 4096)


def test_a_word_longer_than_the_limit_is_cut_between_entities() -> None:
    source = "&amp;" * 30
    chunks = split_html(source, 7)
    assert chunks == ["&amp;" * 7] * 4 + ["&amp;" * 2]


def test_open_tags_are_closed_and_reopened() -> None:
    source = '<b>bold <a href="https://x.org">one two three</a> four</b> five'
    chunks = split_html(source, 9)
    assert_valid_split(source, chunks, 9)
    assert chunks[1] == '<b><a href="https://x.org">two</a></b>'
    assert all(chunk.startswith("<b>") for chunk in chunks[:-1])


def test_blank_and_empty_input() -> None:
    assert split_html("") == []
    assert split_html(" \n\n <b> </b> ") == []
    assert split_lines(["", " "]) == []
    assert split_lines(["<b> </b>", "<i>\n</i>"]) == []  # blank once the tags are parsed away


def test_split_lines_keeps_lines_whole_and_splits_only_a_long_one() -> None:
    lines = ["<b>Title</b>", *(f"{n}. entry &amp; more" for n in range(10)), "word " * 30, "end"]
    chunks = split_lines(lines, 60)
    for chunk in chunks:
        assert plain_length(chunk) <= 60
        parse_html(chunk)
    joined = "\n".join(plain_of(chunk) for chunk in chunks)
    for n in range(10):
        assert any(f"{n}. entry & more" in plain_of(chunk) for chunk in chunks)
    assert "".join(joined.split()) == "".join(plain_text("\n".join(lines)).split())


def test_split_lines_splits_a_long_line_instead_of_cutting_it() -> None:
    line = "a " * 3000
    chunks = split_lines(["x", line])
    assert len(chunks) == 2 and "".join(chunks).count("a") == 3000


def test_graphemes_keep_what_a_person_sees_as_one_character() -> None:
    assert graphemes("👩🏽‍💻👍🏽🇮🇱🇩🇪1️⃣שָׁe\u0301\r\nx") == [
        "👩🏽‍💻", "👍🏽", "🇮🇱", "🇩🇪", "1️⃣", "שָׁ", "e\u0301", "\r\n", "x",
    ]  # fmt: skip


@given(st.lists(st.one_of(st.sampled_from(EMOJI), letters), max_size=80).map("".join), st.integers(1, 70))
def test_clip_never_splits_a_character(text: str, limit: int) -> None:
    clipped = clip(text, limit)
    assert len(graphemes(clipped)) <= limit
    if clipped != text:
        assert clipped.endswith("…")
        assert text.startswith(clipped[:-1])
        assert graphemes(clipped[:-1]) == graphemes(text)[: len(graphemes(clipped)) - 1]


def test_button_label_is_plain_and_cut_by_visible_characters() -> None:
    assert button_label("<b>piano</b> & more") == "<b>piano</b> & more"
    assert button_label("line one\nline two") == "line one line two"
    assert button_label("👍🏽" * 70) == "👍🏽" * 63 + "…"
    assert button_label("ab", 64) == "ab"


def test_plain_formats_a_template_without_escaping() -> None:
    assert plain("interests.button_remove", "en", name="<b>piano</b> & co") == "✕ <b>piano</b> & co"
    assert t("interests.button_remove", "en", name="<b>") == "✕ &lt;b&gt;"
    assert plain("boundaries.header", "en") == "Your boundaries"
    assert plain("did.minutes", "en").endswith("like 40m or 1h30.")


@pytest.mark.parametrize("limit", [0, 1])
def test_limit_must_fit_any_character(limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        split_html("x", limit)


@settings(max_examples=150, deadline=None)
@given(st.lists(telegram_html(), max_size=8), LIMITS)
# A long line's split used to hand its last chunk, with the whitespace after its last break gone,
# to the next line: that whitespace was lost inside a message ("👍🏽\n\n\n\nx" came out "👍🏽\nx").
@example(["<b><b>a </b> </b> ", "<b><b>a\n\n</b> </b> ", "a <b><b>a </b> </b> "], 4)
@example(
    ['<blockquote><a href="https://x.org">😢 <code>👍🏽</code>\n\n\n\n\n\n\n</a></blockquote>', "<i>x</i>"],
    9,
)
def test_split_lines_fit_are_valid_and_lose_nothing(lines: list[str], limit: int) -> None:
    chunks = split_lines(lines, limit)
    assert_valid_split("\n".join(lines), chunks, limit)
