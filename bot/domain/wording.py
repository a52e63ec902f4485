"""How much an answer says: words as a person counts them in any script, and the short
answers (yes, no, "I don't know") that deserve one gentle follow-up. `phrase_fold` is the one
way typed text is compared with phrase lists (here and in `bot.domain.care`)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

SHORT_ANSWER_WORDS = 4
#: Answers that say yes, no or "I don't know" without saying more, per language. `needs_more`
#: checks every language at once, since people mix them; spelling variants are folded there
#: (case, punctuation, Hebrew points and final letters), so each phrase is written once.
SHORT_ANSWERS: Mapping[str, frozenset[str]] = {
    "en": frozenset(
        {
            "yes", "no", "yeah", "yep", "yup", "nope", "nah", "sure", "ok", "okay", "maybe",
            "not really", "i don't know", "i dont know", "idk", "dunno", "fine", "good", "bad",
            "a bit", "kind of", "sort of", "of course", "definitely", "never", "always", "sometimes",
            "no idea", "i have no idea", "not sure", "i'm not sure", "im not sure", "i don't really know",
            "i dont really know", "i'm not really sure", "im not really sure", "i really don't know",
            "i really dont know",
        }
    ),
    "he": frozenset(
        {
            "כן", "לא", "אולי", "לא יודעת", "לא יודע", "אני לא יודעת", "אני לא יודע", "בסדר", "סבבה",
            "אחלה", "אוקיי", "אוקי", "טוב", "רע", "ככה ככה", "לפעמים", "נכון", "לא נכון", "ממש לא",
            "בטח", "ברור", "בהחלט", "לגמרי", "קצת", "די", "לא ממש", "לא באמת", "לא כל כך",
            "כנראה", "כנראה שכן", "כנראה שלא", "נראה לי", "נראה לי שכן", "נראה לי שלא", "תמיד",
            "אף פעם", "אף פעם לא", "סוג של", "פחות או יותר", "כן ולא", "לא משנה", "לא בטוחה",
            "לא בטוח", "אני לא בטוחה", "אני לא בטוח", "לא זוכרת", "לא זוכר", "אין לי מושג",
            "אין לי מושג בכלל", "אני לא כל כך יודעת", "אני לא כל כך יודע", "אני באמת לא יודעת",
            "אני באמת לא יודע", "לא יודעת מה להגיד", "לא יודע מה להגיד", "אין לי מה להגיד",
            "אין לי תשובה",
        }
    ),
}  # fmt: skip
# A geresh or gershayim inside a Hebrew word ("צ׳יפס", "צה״ל", typed as ' " ׳ ״ or a phone's
# smart quote) keeps it one word; an apostrophe does the same in any script ("don't").
_WORD = re.compile(r"\w+(?:(?:['’׳]|(?<=[\u05d0-\u05ea])[\"״”](?=[\u05d0-\u05ea]))\w+)*")
_ZERO_WIDTH_SPACE = "\u200b"
_INSIDE_WORDS = frozenset({"Mn", "Mc", "Me", "Cf"})  # marks and format characters
_FINAL_LETTERS = str.maketrans("ךםןףץ׳’", "כמנפצ''")
_NOT_IN_PHRASE = re.compile(r"[^\w\s']+")


def _letters_only(text: str) -> str:
    """Drop what sits inside words without being a letter to `\\w`: vowel signs and viramas
    (Devanagari), points (Hebrew), ZWNJ/ZWJ (Persian), soft hyphens. A zero-width space
    still separates words."""
    if text.isascii():
        return text
    return "".join(
        " " if ch == _ZERO_WIDTH_SPACE else "" if unicodedata.category(ch) in _INSIDE_WORDS else ch
        for ch in text
    )


def word_count(text: str) -> int:
    """Words as a person would count them, in any script that separates words with spaces.

    A Hebrew maqaf joins two words the way a hyphen does, and counts as two like a hyphen
    ("בית־ספר" = "בית-ספר" = "בית ספר" = 2), so the count does not depend on which dash a
    keyboard offers. Geresh and gershayim stay inside their word ("צ׳יפס", "צה״ל" = 1).
    """
    return len(_WORD.findall(_letters_only(text)))


def phrase_fold(text: str) -> str:
    """Fold typed text for comparing with phrase lists (`SHORT_ANSWERS`, `bot.domain.care`): case,
    points, final letters, punctuation and spacing ("לא-יודעת!" = "לא יודעת")."""
    folded = _letters_only(text).casefold().translate(_FINAL_LETTERS)
    return " ".join(_NOT_IN_PHRASE.sub(" ", folded).split())


_KNOWN_SHORT = frozenset(phrase_fold(phrase) for phrases in SHORT_ANSWERS.values() for phrase in phrases)


def needs_more(text: str) -> bool:
    """A yes/no or a few-word answer, in any language, which deserves one gentle follow-up."""
    return word_count(text) < SHORT_ANSWER_WORDS or phrase_fold(text) in _KNOWN_SHORT
