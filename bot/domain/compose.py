"""Sentences made of a person's own answers: a template's slots filled so it reads as they
would say it (no doubled "when", no doubled full stop), each answer kept short."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

# Per language, slot → words meaning the same as a template's own lead-in to that slot, so an
# answer "whenever we visit" does not become "when whenever we visit". The lead-in itself is
# read from the template (`lead_ins`), so any language's template works; these add synonyms.
CONNECTIVES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "need": ("I need",),
        "when": ("whenever",),
        "why": ("cause", "'cause", "because of the fact that"),
    },
}
_SLOT = re.compile(r"\{(\w+)\}")
_AFTER_CONNECTIVE = r"[\s,:;.\-–—]*"  # the punctuation people type after one
_CLOSING = ".,;:"


def lead_ins(template: str) -> dict[str, tuple[str, bool]]:
    """Slot → (the word the template puts right before it, whether glued to it): "when" in
    "… when {when}, …", ("כש", glued) in "…כש{when}…". An answer must not repeat it."""
    found = {}
    previous = 0
    for match in _SLOT.finditer(template):
        lead = re.search(r"([^\W\d_]+)(\s*)$", template[previous : match.start()])
        if lead:
            found[match.group(1)] = (lead.group(1), not lead.group(2))
        previous = match.end()
    return found


def _drop_connective(text: str, connectives: Sequence[tuple[str, bool]]) -> str:
    """`text` without a leading connective (any case, with the punctuation after it), unless
    nothing would be left. A connective matches a whole word only, unless the template glues
    it to the answer (a Hebrew prefix like "כש")."""
    for word, glued in sorted(connectives, key=lambda c: len(c[0]), reverse=True):
        boundary = "" if glued else r"(?![\w'’])"
        match = re.match(re.escape(word) + boundary + _AFTER_CONNECTIVE, text, re.IGNORECASE)
        if match and any(ch.isalnum() for ch in text[match.end() :]):
            return text[match.end() :]
    return text


def compose(
    template: str,
    answers: Mapping[str, Any],
    clip: int = 600,
    connectives: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """Fill a COMPOSE template with earlier answers, each shortened so the message stays small.

    An answer starting with the connective the template already has before its slot ("when",
    "because", or a synonym from `connectives`, default `CONNECTIVES["en"]`) loses it, and one
    ending with the punctuation the template puts after it loses that, so the sentence reads
    as a person would say it.
    """
    extra = CONNECTIVES["en"] if connectives is None else connectives
    leads = lead_ins(template)

    def short(key: str, value: Any) -> str:
        text = " ".join(str(value or "").split())
        words = [(word, False) for word in extra.get(key, ())] + ([leads[key]] if key in leads else [])
        text = _drop_connective(text, words)
        after = template.split("{" + key + "}", 1)[-1][:1]
        if after and after in _CLOSING and text.rstrip(_CLOSING):
            text = text.rstrip(_CLOSING)
        return text if len(text) <= clip else text[: clip - 1] + "…"

    return template.format(**{key: short(key, value) for key, value in answers.items()})
