"""Right-to-left text that stays readable: left-to-right runs isolated inside Hebrew paragraphs.

Telegram gives each paragraph (line) the direction of its first strong character, and the
Unicode bidi algorithm then reorders neutral characters around embedded left-to-right runs: a
time, a /command, a date, a Latin name or a signed number inside a Hebrew sentence comes out
scrambled ("08:00 - 07:30", "5-"), and a line that starts with one is laid out left to right.
Wrapping each such run in FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE (U+2068 … U+2069)
makes it one neutral unit to the paragraph: it keeps its own order inside and no longer decides
the paragraph's direction. Lines without any right-to-left letter are left exactly as they are.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from typing import Final

FSI: Final = "\u2068"
PDI: Final = "\u2069"
_OPENERS: Final = frozenset("\u2066\u2067\u2068")  # LRI, RLI, FSI
BIDI_CONTROLS: Final = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")

# Punctuation that stays inside a run when more of the run follows: 07:30, 2026-11-30, a.b@c_d/e.
_IN_RUN: Final = frozenset(":.-/_@&'’+")
_SPACES: Final = frozenset(" \t\u00a0")
_SIGNS: Final = frozenset("+-−")
_ATOMIC: Final = frozenset({"code", "pre"})  # copied as typed: isolated whole, never inside


@dataclass(slots=True)
class _Token:
    raw: str  # exactly as in the source
    char: str = ""  # the character it stands for ("" for a tag)
    name: str = ""  # tag name, for tags and atoms
    closing: bool = False
    partner: int = -1  # index of the matching tag
    word: bool = False  # counts as left-to-right text (letters, digits, an LTR code element)


def _is_rtl(char: str) -> bool:
    return len(char) == 1 and unicodedata.bidirectional(char) in ("R", "AL")


def _is_word(char: str) -> bool:
    """A character that belongs to a left-to-right word: a left-to-right letter or a digit."""
    if "0" <= char <= "9":
        return True
    if unicodedata.category(char).startswith("M"):
        return True  # a combining mark continues the letter before it
    return char.isalpha() and unicodedata.bidirectional(char) == "L"


_TAG = re.compile(r"<(/?)([A-Za-z][\w-]*)[^>]*>")
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z]+);?")


def _tokenize(text: str) -> list[_Token]:
    """Tags, entities and characters, with tag pairs matched and `<code>`/`<pre>` kept whole."""
    tokens: list[_Token] = []
    stack: list[int] = []
    i = 0
    while i < len(text):
        if text[i] == "<" and (tag := _TAG.match(text, i)):
            token = _Token(tag.group(0), name=tag.group(2).lower(), closing=bool(tag.group(1)))
            if token.name in _ATOMIC and not token.closing:
                end = text.lower().find(f"</{token.name}>", tag.end())
                if end >= 0:
                    end += len(token.name) + 3
                    inner = html.unescape(_TAG.sub("", text[tag.end() : end]))
                    ltr = any(map(_is_word, inner)) and not any(map(_is_rtl, inner)) and "\n" not in inner
                    tokens.append(_Token(text[i:end], name=token.name, word=ltr))
                    i = end
                    continue
            if token.closing:
                if stack and tokens[stack[-1]].name == token.name:
                    token.partner = stack.pop()
                    tokens[token.partner].partner = len(tokens)
            else:
                stack.append(len(tokens))
            tokens.append(token)
            i = tag.end()
            continue
        if text[i] == "&" and (entity := _ENTITY.match(text, i)):
            char = html.unescape(entity.group(0))
            tokens.append(_Token(entity.group(0), char=char if len(char) == 1 else "&"))
            i = entity.end()
            continue
        tokens.append(_Token(text[i], char=text[i], word=_is_word(text[i])))
        i += 1
    return tokens


def _is_tag(token: _Token) -> bool:
    return not token.char and not token.word and token.name not in _ATOMIC


def _runs(tokens: list[_Token], start: int, stop: int) -> list[tuple[int, int]]:
    """Left-to-right runs in tokens[start:stop] (one paragraph) as (first, after last) indexes."""
    runs: list[tuple[int, int]] = []
    i = start
    while i < stop:
        token = tokens[i]
        if token.char in _OPENERS:  # already isolated: leave its inside alone
            depth, i = 1, i + 1
            while i < stop and depth:
                depth += 1 if tokens[i].char in _OPENERS else -1 if tokens[i].char == PDI else 0
                i += 1
            continue
        if not (token.word or _starts_run(tokens, i, start, stop)):
            i += 1
            continue
        first, last, j = i, i, i + 1
        while j < stop:
            t = tokens[j]
            if t.word:
                last = j
            elif not (_is_tag(t) or t.char in _IN_RUN or t.char in _SPACES):
                break
            j += 1
        runs.append((first, last + 1))
        i = last + 1
    return runs


def _starts_run(tokens: list[_Token], i: int, start: int, stop: int) -> bool:
    """A "/" before a word (/checkin), or a sign before a digit not glued to a word before it (+0.5)."""
    char = tokens[i].char
    if char != "/" and char not in _SIGNS:
        return False
    after = tokens[i + 1] if i + 1 < stop else None
    if after is None or not after.word or (char in _SIGNS and not after.char.isdigit()):
        return False
    before = tokens[i - 1].char if i > start else ""
    return not (before.isalnum() or unicodedata.category(before or " ").startswith("M"))


def _balanced(tokens: list[_Token], first: int, end: int) -> list[tuple[int, int]]:
    """The run [first, end) grown over adjacent tags to hold whole tag pairs, or split where it cannot."""
    changed = True
    while changed:
        changed = False
        if first > 0 and _is_tag(tokens[first - 1]) and first <= tokens[first - 1].partner < end:
            first, changed = first - 1, True
        if end < len(tokens) and _is_tag(tokens[end]) and first <= tokens[end].partner < end:
            end, changed = end + 1, True
    cuts = [k for k in range(first, end) if _is_tag(tokens[k]) and not first <= tokens[k].partner < end]
    if not cuts:
        return [(first, end)]
    pieces: list[tuple[int, int]] = []
    for a, b in zip([first - 1, *cuts], [*cuts, end], strict=True):
        words = [k for k in range(a + 1, b) if tokens[k].word or _starts_run(tokens, k, a + 1, b)]
        if words:
            pieces.extend(_balanced(tokens, words[0], _last_word(tokens, words[0], b) + 1))
    return pieces


def _last_word(tokens: list[_Token], first: int, stop: int) -> int:
    return max(k for k in range(first, stop) if tokens[k].word)


def isolate_ltr(text_html: str) -> str:
    """Wrap every left-to-right run inside a right-to-left line of Telegram HTML in FSI … PDI.

    A run starts with a left-to-right letter, a digit, a "/" before a word or a sign before a
    number, and goes on through such characters, in-run punctuation (`: . - / _ @ & ' +`) and the
    spaces between its words. Isolates never go inside a tag or an entity, always hold both tags
    of a pair or neither, and `<code>`/`<pre>` are isolated whole. Lines with no right-to-left
    letter are unchanged, runs already isolated are skipped (so it is idempotent), and removing
    U+2068/U+2069 gives back the input.
    """
    if not any(_is_rtl(char) for char in text_html):
        return text_html
    tokens = _tokenize(text_html)
    marks: dict[int, str] = {}  # token index → isolates before it
    start = 0
    lines = (k for k, tok in enumerate(tokens) if tok.char == "\n" or "\n" in tok.raw)
    for stop in [*lines, len(tokens)]:
        if any(_is_rtl(tok.char) for tok in tokens[start:stop]):
            for first, end in _runs(tokens, start, stop):
                for a, b in _balanced(tokens, first, end):
                    marks[a] = marks.get(a, "") + FSI
                    marks[b] = PDI + marks.get(b, "")
        start = stop + 1
    return "".join(marks.get(k, "") + tok.raw for k, tok in enumerate(tokens)) + marks.get(len(tokens), "")


def isolate_ltr_plain(text: str) -> str:
    """`isolate_ltr` for plain text (button labels, alerts), where `<` and `&` are just characters."""
    return html.unescape(isolate_ltr(html.escape(text, quote=False)))


def strip_isolates(text: str) -> str:
    """Text without bidi control characters (for renderers that lay out text themselves)."""
    return BIDI_CONTROLS.sub("", text)
