"""bot.domain.journal: entries as a person reads them, and Markdown that shows their words literally."""

from __future__ import annotations

import re
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.journal import (
    OPTION_LABELS,
    boundary_statements,
    headline,
    markdown_escape,
    markdown_journal,
    shown_fields,
)
from bot.domain.models import Entry
from bot.texts import words_in

DAY = date(2026, 11, 28)
WORDS = words_in("en")


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


@given(st.text(alphabet=st.sampled_from("ab #>*_`[]()<>&|~\\=-+.)1 2!")))
def test_markdown_escape_is_reversible_and_starts_no_block(line: str) -> None:
    escaped = markdown_escape(line, line_start=True)
    assert unescape(escaped) == line
    assert not re.match(r"\s*([#>*+=-]|\d+[.)])", escaped)
    assert not re.search(r"(?<!\\)[`*_\[\]<>&|~]", escaped)


def test_inline_escape_leaves_line_starts_alone() -> None:
    assert markdown_escape("# 1. - fine") == "# 1. - fine"
    assert markdown_escape("# 1. - fine", line_start=True) == "\\# 1. - fine"
    assert markdown_escape("  12) list", line_start=True) == "  12\\) list"


def test_option_labels_come_from_the_flows() -> None:
    assert OPTION_LABELS[("diary", "whose")]["partner"] == "whose.partner"
    assert OPTION_LABELS[("diary", "feeling")]["let_down"] == "feeling.let_down"
    assert OPTION_LABELS[("encourage", "encouraged")]["a_little"] == "encouraged.a_little"


def test_shown_fields_label_codes_and_keep_typed_words() -> None:
    entry = Entry(
        kind="diary",
        local_date=DAY,
        data={"family": "my own word", "intensity": 4, "whose": "both", "expressed": "not_relevant",
              "need": "", "happened": "we_talked <b>"},
    )  # fmt: skip
    assert [(f.label, f.text) for f in shown_fields(entry, WORDS)] == [
        ("Feeling family", "my own word"),
        ("Intensity (1–5)", "4"),
        ("What happened", "we_talked <b>"),
        ("Whose feeling", "Both"),
        ("Shared with my partner", "Not relevant"),
    ]


def test_a_boundary_update_shows_its_boundary_or_nothing() -> None:
    boundary = Entry(kind="boundary", local_date=DAY, data={"statement": "I need an hour."})
    update = Entry(
        kind="boundary_update", local_date=DAY, data={"boundary_id": boundary.entry_id, "shared": False}
    )
    statements = boundary_statements([boundary, update])
    assert [(f.label, f.text) for f in shown_fields(update, WORDS, statements)] == [
        ("Boundary", "I need an hour."),
        ("Shared", "No"),
    ]
    assert [f.key for f in shown_fields(update, WORDS)] == ["shared"]


def test_headline_uses_labels_and_is_not_cut() -> None:
    assert headline(Entry(kind="diary", local_date=DAY, data={"family": "hurt"}), WORDS) == "💔 Hurt"
    long = "word " * 100
    assert headline(Entry(kind="pages", local_date=DAY, data={"text": long}), WORDS) == long.strip()


def test_journal_quotes_multiline_text_literally() -> None:
    entry = Entry(kind="pages", local_date=DAY, data={"text": "# one\n\n> two *three*"})
    journal = markdown_journal([entry], "Mine", WORDS)
    assert "> \\# one\n> \n> \\> two \\*three\\*\n" in journal
