"""Telegram-flavoured HTML into plain text + entities, refusing what Telegram refuses (400)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from telegram import MessageEntity

from bot.localapi.builders import utf16_len
from bot.localapi.constants import JSON
from bot.localapi.errors import TelegramAPIError, bad_request

_HTML_ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "tg-spoiler",
        "span",
        "blockquote",
        "tg-emoji",
    }
)
_HTML_ENTITY_TYPES = {
    "b": MessageEntity.BOLD,
    "strong": MessageEntity.BOLD,
    "i": MessageEntity.ITALIC,
    "em": MessageEntity.ITALIC,
    "u": MessageEntity.UNDERLINE,
    "ins": MessageEntity.UNDERLINE,
    "s": MessageEntity.STRIKETHROUGH,
    "strike": MessageEntity.STRIKETHROUGH,
    "del": MessageEntity.STRIKETHROUGH,
    "tg-spoiler": MessageEntity.SPOILER,
    "span": MessageEntity.SPOILER,
    "a": MessageEntity.TEXT_LINK,
    "code": MessageEntity.CODE,
    "pre": MessageEntity.PRE,
    "blockquote": MessageEntity.BLOCKQUOTE,
    "tg-emoji": MessageEntity.CUSTOM_EMOJI,
}
_NAMED_HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


@dataclass(frozen=True)
class ParsedText:
    """Text after entity parsing: plain text plus entities (offsets in UTF-16 units)."""

    text: str
    entities: list[JSON]


def _html_error(message: str) -> TelegramAPIError:
    return bad_request(f"can't parse entities: {message}")


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode())


def _decode_html_entity(source: str, i: int, *, strict: bool) -> tuple[str | None, int]:
    """Decode ``&...;`` at ``source[i]``; return (character or None, next index)."""
    n = len(source)
    j = i + 1
    char: str | None = None
    if j < n and source[j] == "#":
        j += 1
        base = 10
        if j < n and source[j] in "xX":
            base, j = 16, j + 1
        start = j
        digits = "0123456789abcdefABCDEF" if base == 16 else "0123456789"
        while j < n and source[j] in digits:
            j += 1
        if j > start:
            code = int(source[start:j], base)
            if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                char = chr(code)
    else:
        start = j
        while j < n and source[j].isascii() and source[j].isalpha():
            j += 1
        char = _NAMED_HTML_ENTITIES.get(source[start:j])
    if char is None:
        if strict:
            raise _html_error(
                f"character '&' at byte offset {_byte_offset(source, i)} does not start a supported "
                "HTML entity (use &amp;)"
            )
        return None, i + 1
    if j < n and source[j] == ";":
        j += 1
    return char, j


_ATTR_RE = re.compile(r"""\s*([A-Za-z_][\w-]*)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")


def _parse_tag_attributes(source: str, i: int, tag_start: int) -> tuple[dict[str, str], int]:
    """Parse attributes from ``source[i]`` up to the closing ``>``; return (attrs, index after >)."""
    attrs: dict[str, str] = {}
    n = len(source)
    while True:
        while i < n and source[i].isspace():
            i += 1
        if i >= n:
            raise _html_error(f"unclosed start tag at byte offset {_byte_offset(source, tag_start)}")
        if source[i] == ">":
            return attrs, i + 1
        if source[i] == "/" and i + 1 < n and source[i + 1] == ">":
            raise _html_error(
                f"unsupported self-closing tag at byte offset {_byte_offset(source, tag_start)}"
            )
        match = _ATTR_RE.match(source, i)
        if not match or match.end() == i:
            raise _html_error(
                f"empty attribute name in the tag at byte offset {_byte_offset(source, tag_start)}"
            )
        name, dq, sq, bare = match.groups()
        value = next((v for v in (dq, sq, bare) if v is not None), "")
        attrs[name.lower()] = _unescape(value)
        i = match.end()


def _unescape(value: str) -> str:
    """Decode HTML entities in an attribute value (bare ``&`` kept)."""
    out, i = [], 0
    while i < len(value):
        if value[i] == "&":
            decoded, i = _decode_html_entity(value, i, strict=False)
            out.append(decoded if decoded is not None else "&")
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse_html(source: str, *, strict_ampersand: bool = True, strip: bool = True) -> ParsedText:
    """Parse Telegram-flavoured HTML into plain text + entities, raising 400 like Telegram.

    ``strict_ampersand``: reject a bare ``&`` (real Telegram passes it through literally); strict
    is the default because it catches unescaped user content.
    """
    out: list[str] = []
    out_len = 0  # UTF-16 length of ``out``
    entities: list[JSON] = []
    stack: list[tuple[str, int, dict[str, str], int]] = []  # (tag, offset, attrs, source index)
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "&":
            decoded, i = _decode_html_entity(source, i, strict=strict_ampersand)
            text = decoded if decoded is not None else "&"
            out.append(text)
            out_len += utf16_len(text)
            continue
        if ch != "<":
            out.append(ch)
            out_len += 2 if ord(ch) > 0xFFFF else 1
            i += 1
            continue
        tag_start = i
        if i + 1 < n and source[i + 1] == "/":
            end = source.find(">", i)
            if end == -1:
                raise _html_error(f"unclosed end tag at byte offset {_byte_offset(source, tag_start)}")
            name = source[i + 2 : end].strip().lower()
            if not stack:
                raise _html_error(
                    f'unexpected end tag "{name}" at byte offset {_byte_offset(source, tag_start)}'
                )
            open_tag, offset, attrs, _ = stack.pop()
            if name != open_tag:
                raise _html_error(
                    f"unmatched end tag at byte offset {_byte_offset(source, tag_start)}, "
                    f'expected "</{open_tag}>", found "</{name}>"'
                )
            length = out_len - offset
            if length > 0:
                entities.append(_html_entity(open_tag, offset, length, attrs, stack))
            i = end + 1
            continue
        j = i + 1
        while j < n and not source[j].isspace() and source[j] not in "/>":
            j += 1
        name = source[i + 1 : j].lower()
        if name not in _HTML_ALLOWED_TAGS:
            raise _html_error(
                f'unsupported start tag "{name}" at byte offset {_byte_offset(source, tag_start)}'
            )
        attrs, i = _parse_tag_attributes(source, j, tag_start)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise _html_error(
                f'tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(source, tag_start)}'
            )
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise _html_error(
                f'tag "tg-emoji" must have a numeric "emoji-id" '
                f"at byte offset {_byte_offset(source, tag_start)}"
            )
        stack.append((name, out_len, attrs, tag_start))
    if stack:
        raise _html_error(f'can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    text = "".join(out)
    if strip:
        text, entities = _strip_with_entities(text, entities)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText(text, entities)


def _html_entity(
    tag: str,
    offset: int,
    length: int,
    attrs: Mapping[str, str],
    stack: list[tuple[str, int, dict[str, str], int]],
) -> JSON:
    kind = _HTML_ENTITY_TYPES[tag]
    kwargs: JSON = {}
    if tag == "a":
        kwargs["url"] = attrs.get("href", "")
    elif tag == "code" and stack and stack[-1][0] == "pre" and attrs.get("class", "").startswith("language-"):
        kind = MessageEntity.PRE
        kwargs["language"] = attrs["class"].removeprefix("language-")
    elif tag == "blockquote" and "expandable" in attrs:
        kind = MessageEntity.EXPANDABLE_BLOCKQUOTE
    elif tag == "tg-emoji":
        kwargs["custom_emoji_id"] = attrs["emoji-id"]
    return MessageEntity(type=kind, offset=offset, length=length, **kwargs).to_dict()


def _strip_with_entities(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Strip surrounding whitespace like Telegram and shift/clip the entities accordingly."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    head = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    result = []
    for entity in entities:
        start = max(entity["offset"] - head, 0)
        end = min(entity["offset"] + entity["length"] - head, total)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result
