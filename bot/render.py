"""Showing people's words back: escaped, within Telegram's limits, and never losing any of them.

Pure functions (no network, no `telegram` import). Messages are Telegram HTML; Telegram
counts their length in UTF-16 code units of the text after the tags and entities are
parsed away, so that is what `plain_length` measures. Button labels are plain text and
are cut only between the characters a person sees (grapheme clusters).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MESSAGE_LIMIT = 4096  # characters of a message's text, after entity parsing
BUTTON_LIMIT = 64
ELLIPSIS = "…"

# A tag, an HTML entity, or one code point: the atoms a message may be cut between.
_ATOM = re.compile(r"<[^>]*>|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);|.", re.DOTALL)
_TAG_NAME = re.compile(r"</?\s*([A-Za-z][\w-]*)")


def _units(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


@dataclass(frozen=True, slots=True)
class _Atom:
    raw: str
    text: str  # the plain text it stands for ("" for a tag)
    tag: str | None = None  # the tag name, for tags
    closing: bool = False


def _atoms(source: str) -> list[_Atom]:
    atoms = []
    for match in _ATOM.finditer(source):
        raw = match.group()
        if raw.startswith("<") and len(raw) > 1:
            name = _TAG_NAME.match(raw)
            atoms.append(_Atom(raw, "", name.group(1).lower() if name else "", raw.startswith("</")))
        elif raw.startswith("&") and len(raw) > 1:
            atoms.append(_Atom(raw, html.unescape(raw)))
        else:
            atoms.append(_Atom(raw, raw))
    return atoms


def plain_text(source: str) -> str:
    """What a person reads of Telegram HTML: tags removed, entities decoded."""
    return "".join(atom.text for atom in _atoms(source))


def plain_length(source: str) -> int:
    """The length Telegram checks against its limits (UTF-16 code units of the plain text)."""
    return _units(plain_text(source))


_BREAKS = (" ", "\t", "\n", "\r")


def _break_at(atoms: Sequence[_Atom], start: int, end: int, limit: int) -> int:
    """Where to end a chunk that cannot take all of atoms[start:end]: the index of a whitespace
    atom, preferring a paragraph break, then a line break, then a space, each only if the chunk
    before it is at least half full; else the last whitespace; else `end` (a cut inside a word)."""
    candidates: dict[str, list[tuple[int, int]]] = {"paragraph": [], "line": [], "space": []}
    length = 0
    for index in range(start, end):
        text = atoms[index].text
        if index > start and text in _BREAKS:
            if text == "\n" and _next_text(atoms, index + 1) == "\n":
                candidates["paragraph"].append((index, length))
            if text == "\n":
                candidates["line"].append((index, length))
            candidates["space"].append((index, length))
        length += _units(text)
    for found in candidates.values():
        if found and found[-1][1] >= limit // 2:
            return found[-1][0]
    spaces = candidates["space"]
    return spaces[-1][0] if spaces else end


def _next_text(atoms: Sequence[_Atom], index: int) -> str:
    while index < len(atoms) and atoms[index].tag is not None:
        index += 1
    return atoms[index].text if index < len(atoms) else ""


def _visible(atom: _Atom) -> bool:
    return atom.tag is None and not atom.text.isspace()


def _track(stack: list[_Atom], atom: _Atom) -> None:
    """Keep `stack` as the tags open after `atom`."""
    if atom.tag is None:
        return
    if not atom.closing:
        stack.append(atom)
    elif stack and stack[-1].tag == atom.tag:
        stack.pop()


def split_html(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split Telegram HTML into messages of at most `limit` (as Telegram counts), losing nothing.

    Breaks at a paragraph, then a line, then a space; a word longer than `limit` is cut between
    code points. Never inside a tag or an entity: tags open at a break are closed at the end of
    the chunk and reopened at the start of the next. Only the whitespace at a break is dropped,
    and no chunk is blank. Assumes `text` is well-formed (as `bot.texts.t` makes it).
    """
    chunks, rest = _split(text, limit)
    return [*chunks, rest] if _has_visible(rest) else chunks


def _split(text: str, limit: int) -> tuple[list[str], str]:
    """`text` as chunks that are full, and the rest after the last break: whole (its trailing
    whitespace kept), well-formed and at most `limit` long, so that more text can follow it."""
    if limit < 2:
        raise ValueError("limit must allow one character of any kind")
    atoms = _atoms(text)
    chunks: list[str] = []
    open_tags: list[_Atom] = []  # tags open where the current chunk starts
    start = 0
    while start < len(atoms):
        end, length = start, 0
        while end < len(atoms) and length + _units(atoms[end].text) <= limit:
            length += _units(atoms[end].text)
            end += 1
        if end == len(atoms):
            break
        cut = _break_at(atoms, start, end, limit)
        body = atoms[start:cut]
        while body and body[-1].tag is None and body[-1].text.isspace():  # the whitespace before a break goes
            body.pop()
        chunk, still_open = _enclosed(open_tags, body)
        if any(_visible(atom) for atom in body):
            chunks.append(chunk)
        open_tags, start = still_open, cut
        # The whitespace after a break goes too; tags among it are carried into the next chunk.
        while start < len(atoms) and not _visible(atoms[start]):
            _track(open_tags, atoms[start])
            start += 1
    return chunks, _enclosed(open_tags, atoms[start:])[0] if start < len(atoms) else ""


def _enclosed(open_tags: Sequence[_Atom], body: Sequence[_Atom]) -> tuple[str, list[_Atom]]:
    """`body` with the tags open before it reopened and those still open after it closed; and
    the tags still open (the next chunk reopens them)."""
    still_open = list(open_tags)
    for atom in body:
        _track(still_open, atom)
    html = (
        "".join(a.raw for a in open_tags)
        + "".join(a.raw for a in body)
        + "".join(f"</{a.tag}>" for a in reversed(still_open))
    )
    return html, still_open


def _has_visible(source: str) -> bool:
    """Whether Telegram HTML shows anything but whitespace (a blank message would be refused)."""
    return any(_visible(atom) for atom in _atoms(source))


def split_lines(lines: Iterable[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Join lines of Telegram HTML into as few messages as fit; a longer line is split, not cut.

    Each line must be well-formed on its own (one `t()` result, for instance). A line too long
    to join is split together with what came before it, and the rest of that split (whole, not
    a chunk with its trailing whitespace gone) is what the next line joins.
    """
    chunks: list[str] = []
    current, current_length = "", 0
    for line in lines:
        length = plain_length(line)
        if current and current_length + 1 + length <= limit:
            current, current_length = f"{current}\n{line}", current_length + 1 + length
            continue
        if length <= limit:
            if _has_visible(current):
                chunks.append(current)
            current, current_length = line, length
            continue
        whole, current = _split(f"{current}\n{line}" if current else line, limit)
        chunks.extend(whole)
        current_length = plain_length(current)
    if _has_visible(current):
        chunks.append(current)
    return chunks


# --- what a person sees as one character ---------------------------------------------------

_ZWJ = "\u200d"
_REGIONAL = range(0x1F1E6, 0x1F200)


def _extends(ch: str) -> bool:
    """Whether `ch` belongs to the character before it (marks, variation selectors, skin tones...)."""
    code = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or 0xFE00 <= code <= 0xFE0F
        or 0xE0100 <= code <= 0xE01EF
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tag characters (subdivision flags)
        or 0x1160 <= code <= 0x11FF  # Hangul medial vowels and final consonants
        or code == 0x200C
        or ch == _ZWJ
    )


def graphemes(text: str) -> list[str]:
    """`text` cut into the characters a person sees: an approximation of Unicode's extended
    grapheme clusters good for marks, emoji (skin tones, ZWJ sequences, flags, keycaps) and CR LF."""
    clusters: list[str] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        if text[i] == "\r" and j < n and text[j] == "\n":
            clusters.append("\r\n")
            i = j + 1
            continue
        if ord(text[i]) in _REGIONAL and j < n and ord(text[j]) in _REGIONAL:
            j += 1
        while j < n and (
            (text[j - 1] == _ZWJ and not text[j].isspace()) or (text[j] not in "\r\n" and _extends(text[j]))
        ):
            j += 1
        clusters.append(text[i:j])
        i = j
    return clusters


def clip(text: str, limit: int) -> str:
    """Plain `text` shortened to at most `limit` visible characters, ending with "…" when cut."""
    clusters = graphemes(text)
    if len(clusters) <= limit:
        return text
    return "".join(clusters[: max(limit - 1, 0)]) + ELLIPSIS


def button_label(text: str, limit: int = BUTTON_LIMIT) -> str:
    """A button's label from plain text (never HTML-escaped): one line, at most `limit` visible
    characters, ending with "…" when cut. Use `bot.texts.plain` for a template."""
    return clip(" ".join(text.split()), limit)
