"""Text as people type it on a phone, for the parsers of times, zones and durations.

What every parser shares: `ParseError` and its stable codes, the one rule for "did the person
write anything?" (`is_blank`, `trim_blank`), and folding typed text (full-width digits, dashes,
Hebrew points and quotes, accents, case) so spelling variants read the same. Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Final, Literal, get_args

ErrorCode = Literal[
    "blank",
    "time.format",
    "time.range",
    "time.ampm_range",
    "zone.unknown",
    "zone.ambiguous",
    "zone.offset_format",
    "zone.offset_range",
    "zone.offset_unsupported",
    "location.invalid",
    "duration.format",
    "duration.range",
    "did.format",
]
#: Every code a parser here can raise, so a test can check each one has a UI hint.
ERROR_CODES: Final[tuple[ErrorCode, ...]] = get_args(ErrorCode)


class ParseError(ValueError):
    """The text could not be understood; `code` says why, as a stable translation key."""

    def __init__(self, code: ErrorCode) -> None:
        super().__init__(code)
        self.code: ErrorCode = code


# Anything longer than this is not a time or a place someone typed on purpose.
MAX_INPUT = 100


# Dashes people (and phone keyboards) use for a minus sign. NFKC already maps the
# full-width and small hyphen-minus forms to "-".
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2796\u05be", "-"))
# Hebrew geresh and gershayim, and the smart quotes phones put in their place ("ק׳", "ת״א").
_HEBREW_QUOTES = str.maketrans({"\u05f3": "'", "\u2019": "'", "\u05f4": '"', "\u201d": '"'})
# Hebrew points and cantillation marks: optional when typing, so they are dropped.
_HEBREW_POINTS = re.compile(r"[\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7]")
# Letters NFKD does not decompose but that people still type without the accent.
_LETTER_FOLDS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe"})
SPACES = re.compile(r"\s+")
_NON_ALNUM = re.compile(r"[\W_]+")
_SAINT = re.compile(r"\b(?:saint|sankt)\b")


# Characters that show nothing yet are neither spaces nor format characters (category Cf):
# the combining grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian variation
# selectors, the braille blank and variation selectors (which only restyle what precedes them).
_BLANK_EXTRAS: Final = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u2800\u3164\uffa0"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(map(chr, range(0xE0100, 0xE01F0)))
)
_INVISIBLE_CATEGORIES: Final = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})
# Invisible characters that belong to what comes before them, so they are never trimmed:
# variation selectors ("❤️"), the grapheme joiner and emoji tag sequences (flags such as 🏴󠁧󠁢󠁳󠁣󠁴󠁿).
_TAGS: Final = range(0xE0000, 0xE0080)


def _shows_nothing(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) in _INVISIBLE_CATEGORIES or char in _BLANK_EXTRAS


def _trimmable(char: str) -> bool:
    return _shows_nothing(char) and unicodedata.category(char) != "Mn" and ord(char) not in _TAGS


def is_blank(text: str) -> bool:
    """Whether `text` would show nothing in a chat: only spaces, format characters (zero-width
    space and joiners, direction marks, BOM, soft hyphen...) and blank fillers.

    The one rule for "did the person write anything?", used by every typed answer.
    """
    return all(map(_shows_nothing, text))


def trim_blank(text: str) -> str:
    """`text` without spaces and invisible marks at either end (a direction mark an RTL keyboard
    added, a pasted BOM). Inside the text nothing changes: a ZWNJ in a Persian word, the joiners
    of an emoji sequence and a trailing variation selector or flag tag all stay."""
    start, end = 0, len(text)
    while start < end and _trimmable(text[start]):
        start += 1
    while end > start and _trimmable(text[end - 1]):
        end -= 1
    return text[start:end]


def normalise(text: str) -> str:
    """Compatibility-fold (full-width digits, ligatures), unify dashes (and the Hebrew maqaf),
    quotes (geresh, gershayim), lower-case, drop Hebrew points, squeeze spaces.

    Format characters (direction marks, zero-width spaces) mean nothing in a time, a zone or
    a duration, so they are dropped.
    """
    text = unicodedata.normalize("NFKC", text).translate(_DASHES).translate(_HEBREW_QUOTES).casefold()
    text = _HEBREW_POINTS.sub("", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return SPACES.sub(" ", text).strip()


def read_typed(text: str, limit: int) -> str:
    """`normalise` a typed value, at most `limit` characters of it; "blank" if it shows nothing."""
    if is_blank(text):
        raise ParseError("blank")
    return normalise(text.strip()[: limit * 4])


def _strip_accents(text: str) -> str:
    """Fold "São Paulo" to "sao paulo": drop combining marks so accents are optional when typing."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTER_FOLDS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def key_fold(text: str) -> str:
    """Fold an IANA key or typed key for comparison: case, accents, `_` vs space, spaces around `/`."""
    folded = _strip_accents(normalise(text)).replace("_", " ")
    folded = SPACES.sub(" ", folded)
    return re.sub(r" ?/ ?", "/", folded).strip()


def name_fold(text: str) -> str:
    """Fold a place name: case, accents, punctuation ("St. John's" = "st johns"), "Saint" = "St"."""
    folded = _strip_accents(normalise(text)).replace("'", "").replace("’", "")
    folded = _NON_ALNUM.sub(" ", folded).strip()
    return _SAINT.sub("st", folded)


def alternatives(words: Iterable[str]) -> str:
    """A regex alternation of `words`, longest first so "אחת עשרה" wins over "אחת"."""
    return "|".join(map(re.escape, sorted(words, key=len, reverse=True)))
