"""Notice, gently, when free text points to danger: thoughts of suicide or self-harm, or fear of
violence from a partner.

The lists are short and specific on purpose: a person who writes "I'm dying to see the concert"
must never be sent help lines. A match only decides whether one calm note with the support
lines follows the saved answer (at most once a day); nothing is blocked, stored or logged about
it. Pure: no Telegram, no storage, no clock.

Phrases are data, written as templates: "{a|b|}" stands for each alternative in turn (an empty
one drops the part) and a trailing "$" means the phrase must end its clause ("afraid of her." but
not "afraid of her reaction"). Text and phrases are folded the same way (`_fold`), so case,
punctuation, spacing, Hebrew points, final letters, full and defective spelling ("עליי" = "עלי")
and apostrophes ("don't" = "dont" = "don’t") do not matter. Hebrew phrases also match after the
prefix letters ו, ש, כ, ה, ב, ל, מ ("שאני רוצה למות"). A phrase right after a negation ("not",
"לא") does not count: "I'm not afraid of him", "אני לא מפחדת ממנו".
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from functools import cache
from typing import Final, Literal

from bot.domain.wording import phrase_fold

__all__ = [
    "HARMLESS_IDIOMS",
    "NEGATIONS",
    "PHRASES",
    "Concern",
    "note_due",
    "points_to_danger",
    "prepare",
    "prepared",
]

Concern = Literal["self_harm", "partner_violence"]

_AFRAID = "{afraid|scared|frightened|terrified}"
_PARTNER = "{husband|wife|partner|boyfriend|girlfriend|ex}"
_HE_AFRAID = "{מפחדת|מפחד|פוחדת|פוחד}"

#: Phrases per language and concern, reviewed for false positives on ordinary diary writing
#: (tests/test_care_detection.py). Prefer fewer, specific phrases to single words.
PHRASES: Final[Mapping[str, Mapping[Concern, tuple[str, ...]]]] = {
    "en": {
        "self_harm": (
            "{want|wanted|wanting} to {just |}die",
            "wanna {just |}die",
            "wish i could die",
            "wish i {was|were} dead",
            "{better off|rather be} dead",
            "wish i {was|had} never {been |}born",
            "kill myself",
            "killing myself",
            "{end|ending} my {own |}life",
            "{take|taking} my own life",
            "{feel|feeling|felt|am|im|been} suicidal",
            "suicidal {thoughts|feelings}",
            "{thoughts|thinking|thought} {of|about} suicide",
            "{commit|committing} suicide",
            "{no reason|nothing} to live for",
            "no reason to live",
            "no point {in |}living",
            "{dont|do not} want to live {anymore|any more|like this}",
            "{dont|do not} want to {be alive|exist}",
            "{dont|do not} want to wake up {anymore|again|ever again}",
            "hope i {dont|never} wake up",
            "cant go on living",
            "{want|wanted|going} to end it all",
            "{everyone|everybody|the world|my family|they|theyd|everyones} {would be |will be |is |be |}"
            "better off without me",
            "{want|wanted|urge|going|need|tempted} to {hurt|harm|cut} myself",
            "{been|started|keep|kept} {hurting|harming|cutting} myself",
            "{thinking|thought|thoughts|think} {about|of} {hurting|harming|cutting} myself",
            "{harm|harming} myself",
            "self {harm|harming}",
        ),
        "partner_violence": (
            "{he|she} {hits|hit|slaps|slapped|punches|punched|kicks|kicked|shoves|shoved} me",
            "{he|she} {choked|chokes|strangled|strangles} me",
            "{he|she|husband|wife|partner|boyfriend|girlfriend} {beats|beat} me up",
            "{hurts|hurt} me physically",
            "{threatens|threatened|threatening} to {kill|hurt|harm|hit} me",
            "{grabbed|grabs} me by the {throat|neck|hair}",
            "{pushed|pushes|shoved|shoves|threw|throws} me {against the wall|into the wall|down the stairs}",
            "{raised|raises|raise} {his|her|a} hand {to|at|against} me",
            _AFRAID + " of my " + _PARTNER,
            _AFRAID + " of {him|her}$",
            _AFRAID + " of {him|her} {when|because}",
            _AFRAID + " {he|she|hell|shell|hed|shed} {will |might |is going to |would |}{hurt|kill|hit} me",
            _AFRAID + " of what {he|she|hell|shell|hed|shed} {will |might |could |would |}do",
            _AFRAID + " to go home",
            "{fear|afraid|scared} for my {life|safety}",
            "{dont|do not} feel safe {at home|with him|with her|around him|around her}",
        ),
    },
    "he": {
        "self_harm": (
            "{רוצה|רציתי|בא לי|מתחשק לי|התחשק לי|הייתי רוצה} {פשוט |ממש |כבר |}למות",
            "{רוצה|רציתי|בא לי|חושב|חושבת|חשבתי|ניסיתי|מתכנן|מתכננת|שוקל|שוקלת} להתאבד",
            "מחשבות {אובדניות|על התאבדות}",
            "לשים {קץ|סוף} {לחיי|לחיים שלי}",
            "{לסיים|לגמור} את החיים שלי",
            "לגמור עם {החיים|עצמי}",
            "להרוג את עצמי",
            "אין לי {בשביל מה|למה|סיבה|טעם} לחיות",
            "אין {טעם|סיבה} לחיות",
            "לא רוצה {לחיות יותר|לחיות ככה|לחיות עוד|להמשיך לחיות|להיות בחיים|להתעורר יותר}",
            "{אין לי כוח|נמאס לי} לחיות",
            "הלוואי {ש|ו}{הייתי מת|הייתי מתה|אמות|לא הייתי נולד|לא הייתי נולדת|לא הייתי קיים|לא הייתי קיימת}",
            "{עדיף|יהיה טוב יותר|יהיה יותר טוב} לכולם בלעדיי",
            "לכולם יהיה {טוב יותר|יותר טוב} בלעדיי",
            "עדיף {שאמות|לי למות|לי להיות מת|לי להיות מתה}",
            "{לפגוע|פגיעה} בעצמי",
            "פגיעה עצמית",
            "{לחתוך|חותך|חותכת} את עצמי",
        ),
        "partner_violence": (
            _HE_AFRAID + " {ממנו|ממנה}",
            _HE_AFRAID + " {מבעלי|מאשתי|מבן הזוג שלי|מבת הזוג שלי|מבן זוגי|מבת זוגי|מהבעל שלי|מהאישה שלי"
            "|מהחבר שלי}",
            _HE_AFRAID + " {שהוא יפגע בי|שהוא ירביץ לי|שהוא יהרוג אותי|שהיא תפגע בי|שהיא תרביץ לי"
            "|שהיא תהרוג אותי}",
            _HE_AFRAID + " {מה|ממה ש}{הוא יעשה|היא תעשה} לי",
            _HE_AFRAID + " לחזור הביתה",
            "{מפחדת|מפחד|פוחדת|פוחד|חוששת|חושש} {לחיי|לחיים שלי}",
            "{מרביץ|מרביצה|הרביץ|הרביצה} לי",
            "{הוא|היא} {סטר לי|סטרה לי|בועט בי|בועטת בי|בעט בי|בעטה בי}",
            "{הוא|היא} {מכה|היכה|הכה|היכתה|הכתה} אותי",
            "{הוא|היא} {חנק|חנקה} אותי",
            "{מאיים|מאיימת|איים|איימה} {להרוג אותי|לפגוע בי|להרביץ לי}",
            "{הוא מאיים|היא מאיימת|הוא איים|היא איימה} עליי",
            "{הרים|הרימה|מרים|מרימה} {עליי יד|יד עליי}",
            "{דחף|דחפה|דוחף|דוחפת} אותי {לקיר|על הקיר|במדרגות|מהמדרגות}",
            "{לא מרגישה בטוחה|לא מרגיש בטוח} בבית",
        ),
    },
}

#: Figures of speech that contain a phrase but mean no danger; they are taken out of the text
#: before matching ("I want to die of embarrassment", "בא לי למות מצחוק", "she hit me up").
HARMLESS_IDIOMS: Final[Mapping[str, tuple[str, ...]]] = {
    "en": (
        "die {of|from} {embarrassment|shame|boredom|laughter|laughing|cringe}",
        "die laughing",
        "kill myself laughing",
        "killing myself {to|at|over|for|laughing}",
        "could kill myself for",
        "{hit|hits} me up",
    ),
    "he": (
        "למות {מ|מרוב }{צחוק|בושה|קנאה|רעב|התרגשות|שעמום|חום|עייפות|פדיחה|מבוכה}",
        "לחיות {יותר |עוד |}עם",
    ),
}

#: A phrase right after one of these words is negated and does not count.
NEGATIONS: Final = frozenset(
    {
        "not", "never", "no", "nor", "dont", "doesnt", "didnt", "wont", "isnt", "arent", "wasnt",
        "werent", "cant", "cannot", "hardly",
        "לא", "ולא", "שלא", "כשלא", "אל", "איני", "אינני", "בלי",
    }
)  # fmt: skip

# Apostrophes phones and keyboards type for "'" that `phrase_fold` does not already unify.
_APOSTROPHES: Final = str.maketrans(dict.fromkeys("‘ʼ`´′", "'"))
# Punctuation that ends a clause: a phrase never spans it, and "$" phrases end at it. An
# ellipsis is a pause, not an end ("I want... to die").
_CLAUSE_END: Final = re.compile(r"(?<!\.)\.(?!\.)|[!?;:,\n\r\u05c3]+")
_DOUBLED: Final = re.compile(r"([יו])\1+")
_TEMPLATE_PART: Final = re.compile(r"\{([^{}]*)\}")
_PREFIXES: Final = "ושכהבלמ"
_PREFIX_LETTERS: Final = frozenset(_PREFIXES)
_HEBREW_PREFIX: Final = f"(?:[{_PREFIXES}]{{1,3}})?"
_WORD: Final = re.compile(r"\S+")


def _fold(text: str) -> str:
    """Fold text and phrases alike: `phrase_fold` (case, points, final letters, punctuation,
    spacing), then apostrophes dropped ("don't" = "dont") and doubled yod and vav single."""
    folded = phrase_fold(unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)).replace("'", "")
    return _DOUBLED.sub(r"\1", folded)


def _expand(template: str) -> Iterator[str]:
    """Every phrase a template stands for: "{a|b} c" -> "a c", "b c"."""
    parts = _TEMPLATE_PART.split(template)
    choices = [part.split("|") if index % 2 else [part] for index, part in enumerate(parts)]
    for combination in itertools.product(*choices):
        yield "".join(combination)


def _pattern(template: str) -> str:
    """A regex alternation for every phrase of `template`, on whole words of folded text."""
    at_end = template.endswith("$")
    alternatives = []
    for phrase in _expand(template.removesuffix("$")):
        folded = _fold(phrase)
        prefix = _HEBREW_PREFIX if "\u05d0" <= folded[:1] <= "\u05ea" else ""
        alternatives.append(prefix + re.escape(folded))
    return r"(?<!\S)(?:" + "|".join(alternatives) + (r")$" if at_end else r")(?!\S)")


def _compile(templates: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(map(_pattern, templates)))


def _first_words(templates: Iterable[str]) -> frozenset[str] | None:
    """The first word of every phrase the templates stand for (folded): a phrase can only begin at
    such a word, or at one with Hebrew prefix letters before it. None if some phrase has none."""
    words = set()
    for template in templates:
        for phrase in _expand(template.removesuffix("$")):
            first = _WORD.match(_fold(phrase))
            if first is None:  # empty, or begins with a space: it could begin anywhere
                return None
            words.add(first.group())
    return frozenset(words)


@cache
def _matchers() -> tuple[re.Pattern[str], re.Pattern[str], frozenset[str] | None]:
    """(phrases of every language, harmless idioms of every language, the phrases' first words),
    compiled once."""
    phrases = [template for by in PHRASES.values() for templates in by.values() for template in templates]
    idioms = _compile(itertools.chain.from_iterable(HARMLESS_IDIOMS.values()))
    return _compile(phrases), idioms, _first_words(phrases)


def prepare() -> None:
    """Compile the phrase lists: about 50 ms of pure-Python regex work, once. The bot does it at
    start-up, on a worker thread, before it takes the first update: done later, beside the event
    loop, it held the GIL against the loop and stalled everyone's updates for about as long."""
    _matchers()


def prepared() -> bool:
    """Whether `prepare` has run: checks are then quick enough for the event loop."""
    return _matchers.cache_info().currsize > 0


def _starts(folded: str, firsts: frozenset[str] | None) -> Iterator[int]:
    """Where in `folded` a phrase may begin: each word that is a phrase's first word, possibly
    after up to three Hebrew prefix letters (every word if the first words are not known)."""
    for word in _WORD.finditer(folded):
        text = word.group()
        if (
            firsts is None
            or text in firsts
            or any(text[k:] in firsts for k in range(1, 4) if _PREFIX_LETTERS.issuperset(text[:k]))
        ):
            yield word.start()


def _clause_points_to_danger(clause: str) -> bool:
    """As `finditer` over the whole clause, trying the phrases only where one may begin: the
    alternation costs microseconds at each position it is tried, and most words begin none."""
    phrases, idioms, firsts = _matchers()
    folded = _fold(clause)
    if next(_starts(folded, firsts), None) is None:  # hiding idioms ("~") never adds a first word
        return False
    folded = idioms.sub("~", folded)
    end = 0
    for start in _starts(folded, firsts):
        match = phrases.match(folded, start) if start >= end else None
        if match is None:
            continue
        before = folded[:start].split()[-1:]
        if not before or before[0] not in NEGATIONS:
            return True
        end = match.end()
    return False


def points_to_danger(text: str) -> bool:
    """Whether `text` contains a listed phrase of any language (people mix them), outside a
    harmless idiom and not negated."""
    return any(_clause_points_to_danger(clause) for clause in _CLAUSE_END.split(text))


def note_due(last_noted: date | None, today: date) -> bool:
    """Whether the gentle note may be sent on the person's local `today`: at most once a local
    day. A `last_noted` after `today` (they flew west) waits until that day has passed.

    The caller keeps `last_noted` in memory only (`UserData.care_noted`), on purpose: writing it
    to storage would store that a match happened, which nothing may. The price is that after a
    restart the note can come a second time that day; a repeated note is the lesser harm."""
    return last_noted is None or last_noted < today
