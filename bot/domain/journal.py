"""Views of entries as a person reads them: the Markdown journal of `/export`, `/history` lines.

Entries store language-independent codes ("a_little", "partner", True); these views show the
words the buttons showed, looked up through `Words` (a text key → plain words in the reader's
language), and what a person typed exactly as typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.domain.flows import FLOWS, Kind
from bot.domain.models import Entry, EntryKind

Words = Callable[[str], str | None]
"""Plain words for a text key in the reader's language, or None when there is no such text."""

# Answer keys in the order a person wrote them, per kind; unknown keys follow, sorted.
FIELD_ORDER: dict[str, tuple[str, ...]] = {
    EntryKind.DIARY: (
        "family",
        "feeling",
        "intensity",
        "happened",
        "whose",
        "expressed",
        "expressed_why",
        "need",
    ),
    EntryKind.SELFEXAM: ("minutes", "q1", "q1_rating", "q2", "q2_rating", "q3", "q3_rating"),
    EntryKind.PAGES: ("text",),
    EntryKind.BOUNDARY: ("area", "need", "when", "why", "statement"),
    EntryKind.BOUNDARY_UPDATE: ("boundary_id", "shared", "outcome"),
    EntryKind.INTEREST_TIME: ("interest", "minutes"),
    EntryKind.ENCOURAGE: ("encouraged", "how"),
}
HIDDEN = frozenset({"text_words", "q1_words", "q2_words", "q3_words", "followed_up"})
YES, NO = "value.yes", "value.no"


def _option_labels() -> dict[tuple[str, str], dict[str, str]]:
    """(entry kind, answer key) → {stored value: text key of its button}, from every flow."""
    table: dict[tuple[str, str], dict[str, str]] = {}
    for flow in FLOWS.values():
        for step in flow.steps:
            if not flow.kind or step.kind is not Kind.CHOICE:
                continue
            options = list(step.options)
            if step.options_by is not None:
                options += [option for group in step.options_by[1].values() for option in group]
            table.setdefault((flow.kind, step.key), {}).update({o.value: o.label for o in options})
    return table


OPTION_LABELS = _option_labels()


@dataclass(frozen=True, slots=True)
class Field:
    """One answer as shown: both parts are plain text (escape them for the place they go)."""

    key: str
    label: str
    text: str


def fields(entry: Entry) -> list[tuple[str, Any]]:
    """The entry's stored answers in writing order, without bookkeeping values or empty answers."""
    order = FIELD_ORDER.get(entry.kind, ())
    keys = [k for k in order if k in entry.data] + sorted(k for k in entry.data if k not in order)
    return [(k, entry.data[k]) for k in keys if k not in HIDDEN and entry.data[k] not in (None, "")]


def boundary_statements(entries: Iterable[Entry]) -> dict[str, str]:
    """Boundary entry id → its statement, to show a boundary update by what it is about."""
    return {
        e.entry_id: str(e.data["statement"])
        for e in entries
        if e.kind == EntryKind.BOUNDARY and e.data.get("statement")
    }


def shown_value(
    entry: Entry, key: str, value: Any, words: Words, statements: Mapping[str, str]
) -> str | None:
    """An answer as the person saw it when giving it: a button's words for a stored code, yes or
    no for a flag, the boundary itself for a boundary's id (None if it is gone), typed text as typed."""
    if key == "boundary_id":
        return statements.get(str(value))
    if isinstance(value, bool):
        return words(YES if value else NO) or str(value)
    label = OPTION_LABELS.get((entry.kind, key), {}).get(str(value))
    return (words(label) if label else None) or str(value)


FIELD_LABELS: dict[str, str] = {
    "area": "field.area",
    "boundary_id": "field.boundary_id",
    "encouraged": "field.encouraged",
    "expressed": "field.expressed",
    "expressed_why": "field.expressed_why",
    "family": "field.family",
    "feeling": "field.feeling",
    "happened": "field.happened",
    "how": "field.how",
    "intensity": "field.intensity",
    "interest": "field.interest",
    "late": "field.late",
    "minutes": "field.minutes",
    "need": "field.need",
    "outcome": "field.outcome",
    "q1": "field.q1",
    "q1_rating": "field.q1_rating",
    "q2": "field.q2",
    "q2_rating": "field.q2_rating",
    "q3": "field.q3",
    "q3_rating": "field.q3_rating",
    "shared": "field.shared",
    "statement": "field.statement",
    "text": "field.text",
    "when": "field.when",
    "whose": "field.whose",
    "why": "field.why",
}

KIND_LABELS: dict[str, str] = {
    EntryKind.BOUNDARY: "kind.boundary",
    EntryKind.BOUNDARY_UPDATE: "kind.boundary_update",
    EntryKind.DIARY: "kind.diary",
    EntryKind.ENCOURAGE: "kind.encourage",
    EntryKind.INTEREST_TIME: "kind.interest_time",
    EntryKind.PAGES: "kind.pages",
    EntryKind.RECOVERED_DRAFT: "kind.recovered_draft",
    EntryKind.SELFEXAM: "kind.selfexam",
}


def field_label(key: str, words: Words) -> str:
    label = FIELD_LABELS.get(key)
    return (words(label) if label else None) or key.replace("_", " ")


def kind_label(kind: str, words: Words) -> str:
    label = KIND_LABELS.get(kind)
    return (words(label) if label else None) or kind


def shown_fields(entry: Entry, words: Words, statements: Mapping[str, str] | None = None) -> list[Field]:
    """The entry's answers as a person reads them, in writing order."""
    shown = []
    for key, value in fields(entry):
        text = shown_value(entry, key, value, words, statements or {})
        if text is not None:
            shown.append(Field(key, field_label(key, words), text))
    return shown


def headline(entry: Entry, words: Words) -> str:
    """A one-line gist: the feeling, the statement, the first words written... (not shortened)."""
    data = entry.data
    for key in ("feeling", "family", "statement", "interest", "text", "q1", "outcome", "encouraged"):
        value = data.get(key)
        if value not in (None, ""):
            text = " ".join(str(shown_value(entry, key, value, words, {})).split())
            if key == "interest":
                minutes = (words("minutes.option") or "{minutes}").format(minutes=data.get("minutes", "?"))
                text = f"{text}, {minutes}"
            elif key == "feeling" and data.get("intensity"):
                text = f"{text} ({data['intensity']}/5)"
            return text
    return ""


_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<>&|~])")
_MARKDOWN_LINE_START = re.compile(r"^(\s*)(?:([#+=-])|(\d+)([.)]))")


def markdown_escape(text: str, *, line_start: bool = False) -> str:
    """`text` (one line) so that Markdown shows it literally: emphasis, code, links, HTML and
    entities always escaped; headings, quotes, lists and underlines too when it starts a line."""
    escaped = _MARKDOWN_INLINE.sub(r"\\\1", text)
    if line_start:
        escaped = _MARKDOWN_LINE_START.sub(
            lambda m: f"{m[1]}\\{m[2]}" if m[2] else f"{m[1]}{m[3]}\\{m[4]}", escaped, count=1
        )
    return escaped


def markdown_journal(entries: Sequence[Entry], title: str, words: Words) -> str:
    """The whole history as Markdown, grouped by local date, then kind; what people wrote is
    escaped so it reads exactly as written."""
    statements = boundary_statements(entries)
    lines = [f"# {title}", ""]
    current_date = None
    for entry in sorted(entries, key=lambda e: (e.local_date, e.kind, e.created_at)):
        if entry.local_date != current_date:
            current_date = entry.local_date
            lines += [f"## {current_date.isoformat()}", ""]
        lines += [f"### {kind_label(entry.kind, words)}", ""]
        for field in shown_fields(entry, words, statements):
            text = field.text.strip()
            if "\n" in text:
                quoted = (f"> {markdown_escape(line, line_start=True)}" for line in text.splitlines())
                lines += [f"**{field.label}:**", "", *quoted, ""]
            else:
                lines.append(f"- **{field.label}:** {markdown_escape(text)}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
