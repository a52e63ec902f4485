"""Plain-text views of entries: the Markdown journal of `/export` and `/history` lines."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.domain.models import Entry

# Answer keys in the order a person wrote them, per kind; unknown keys follow, sorted.
FIELD_ORDER: dict[str, tuple[str, ...]] = {
    "diary": ("family", "feeling", "intensity", "happened", "whose", "expressed", "expressed_why", "need"),
    "selfexam": ("minutes", "q1", "q1_rating", "q2", "q2_rating", "q3", "q3_rating"),
    "pages": ("text",),
    "boundary": ("area", "need", "when", "why", "statement"),
    "boundary_update": ("boundary_id", "shared", "outcome"),
    "interest_time": ("interest", "minutes"),
    "encourage": ("encouraged", "how"),
}
HIDDEN = frozenset({"text_words", "q1_words", "q2_words", "q3_words", "followed_up"})


def fields(entry: Entry) -> list[tuple[str, Any]]:
    """The entry's answers in writing order, without bookkeeping values or empty answers."""
    order = FIELD_ORDER.get(entry.kind, ())
    keys = [k for k in order if k in entry.data] + sorted(k for k in entry.data if k not in order)
    return [(k, entry.data[k]) for k in keys if k not in HIDDEN and entry.data[k] not in (None, "")]


def headline(entry: Entry, limit: int = 80) -> str:
    """A one-line gist: the feeling, the statement, the first words written..."""
    data = entry.data
    for key in ("feeling", "family", "statement", "interest", "text", "q1", "outcome", "encouraged"):
        value = data.get(key)
        if value not in (None, ""):
            text = " ".join(str(value).split())
            if key == "interest":
                text = f"{text}, {data.get('minutes', '?')} min"
            elif key == "feeling" and data.get("intensity"):
                text = f"{text} ({data['intensity']}/5)"
            return text if len(text) <= limit else text[: limit - 1] + "…"
    return ""


def markdown_journal(
    entries: Sequence[Entry], kind_names: Mapping[str, str], title: str, label: Callable[[str], str]
) -> str:
    """The whole history as Markdown, grouped by local date, then kind."""
    lines = [f"# {title}", ""]
    current_date = None
    for entry in sorted(entries, key=lambda e: (e.local_date, e.kind, e.created_at)):
        if entry.local_date != current_date:
            current_date = entry.local_date
            lines += [f"## {current_date.isoformat()}", ""]
        lines += [f"### {kind_names.get(entry.kind, entry.kind)}", ""]
        for key, value in fields(entry):
            text = str(value).strip()
            if "\n" in text:
                lines += [f"**{label(key)}:**", "", *(f"> {line}" for line in text.splitlines()), ""]
            else:
                lines.append(f"- **{label(key)}:** {text}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
