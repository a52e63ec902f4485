"""The phrase lists behind the gentle note (issue 15): every sentence that points to danger is
noticed, and ordinary diary writing (idioms about dying and killing included) almost never is."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.domain import care
from bot.domain.care import note_due, points_to_danger

POSITIVE = {
    "en": [
        "I want to die.",
        "Honestly I just want to die and I don't know who to tell.",
        "Last night I wanted to die",
        "sometimes i wanna die",
        "I wish I was dead",
        "I wish I had never been born",
        "Everyone would be better off dead than stuck with me, I'd be better off dead",
        "I keep thinking I should kill myself",
        "I've been thinking about killing myself",
        "I want to end my life",
        "I thought about ending my own life today",
        "I'm scared I'll take my own life",
        "I've been feeling suicidal since the weekend",
        "I am suicidal",
        "The suicidal thoughts came back tonight",
        "I have nothing to live for",
        "There's no reason to live anymore",
        "I don't want to live anymore.",
        "I DONT WANT TO BE ALIVE",
        "I do not want to wake up ever again",
        "I hope I don't wake up tomorrow",
        "I just want to end it all",
        "Everyone would be better off without me",
        "my family is better off without me",
        "I wanted to hurt myself after the fight",
        "I've been cutting myself again",
        "I keep having thoughts of harming myself",
        "I started self-harming again",
        "He hits me when he's drunk",
        "she slapped me in front of the kids",
        "Yesterday he choked me",
        "My boyfriend beat me up",
        "He threatened to kill me if I leave",
        "He grabbed me by the throat",
        "he pushed me against the wall",
        "I'm afraid of my husband",
        "I'm scared of him.",
        "I am terrified of him when he drinks",
        "I'm afraid he'll hurt me",
        "I'm scared of what he might do",
        "I'm afraid to go home tonight",
        "I fear for my life",
        "I don’t feel safe at home",
        "I don't feel safe with him",
    ],
    "he": [
        "אני רוצה למות",
        "בא לי למות.",
        "לפעמים בא לי פשוט למות",
        "אתמול בלילה רציתי למות",
        "אני חושבת להתאבד",
        "שוב יש לי מחשבות אובדניות",
        "אני רוצה לשים קץ לחיים שלי",
        "בא לי לגמור עם עצמי",
        "חשבתי להרוג את עצמי",
        "אין לי בשביל מה לחיות",
        "אין לי סיבה לחיות",
        "אני לא רוצה לחיות יותר",
        "אני לא רוצה להיות בחיים",
        "אין לי כוח לחיות",
        "הלוואי שלא הייתי נולדת",
        "הלוואי שהייתי מת",
        "עדיף לכולם בלעדיי",
        "לכולם יהיה יותר טוב בלעדי",
        "יש לי דחף לפגוע בעצמי",
        "אני שוב חותכת את עצמי",
        "אני מפחדת ממנו",
        "אני מפחד ממנה",
        "אני פשוט מפחדת ממנו כשהוא שותה",
        "הוא מרביץ לי",
        "הוא הרביץ לי אתמול מול הילדים",
        "היא מאיימת עליי",
        "הוא איים להרוג אותי אם אעזוב",
        "הוא הרים עליי יד",
        "אני מפחדת מבעלי",
        "אני מפחד מאשתי",
        "אני מפחדת שהוא יפגע בי",
        "אני מפחדת לחזור הביתה",
        "אני מפחדת לחיים שלי",
        "אני לא מרגישה בטוחה בבית",
        "הוא דחף אותי לקיר",
        "כשאני לבד אני רוצה למות",
    ],
}

NEGATIVE = {
    "en": [
        "I'm dying to see the concert on Friday!",
        "This deadline is killing me",
        "I could kill for a coffee right now",
        "I almost died laughing at his joke",
        "I wanted to die of embarrassment when I tripped on stage",
        "I could kill myself for forgetting her birthday",
        "I've been killing myself at the gym this week",
        "My phone died in the middle of our call",
        "We watched a documentary about the Titanic",
        "Grandpa died two years ago today and I miss him",
        "I don't want to die without seeing Japan",
        "I don't want to live in this city forever",
        "I hit my knee on the table",
        "I cut myself while chopping onions",
        "I hurt myself falling off the bike",
        "She hit me up after work to ask about dinner",
        "It hit me that we haven't talked about money in months",
        "He beat me at chess again",
        "He pushed me to apply for the job",
        "I'm afraid of her reaction when I tell her about the trip",
        "I'm scared of him leaving for three months",
        "I'm afraid of heights, so the balcony was hard",
        "He said I'm killing it at work",
        "I was scared to tell him I was hurt by his comment",
        "He hurt me when he forgot our anniversary",
        "My feelings were hurt, but I said so calmly",
        "I'm not afraid of him anymore, I'm just tired",
        "I'm not suicidal, just exhausted and sad",
        "I want to disappear under a blanket all weekend",
        "I'm so tired I could sleep for a week",
        "I felt like screaming into a pillow",
        "We argued about the dishes again",
        "He didn't text back and I felt ignored",
        "I noticed I wanted her to agree with me",
        "I stayed calm when she raised her voice",
        "We laughed so hard our stomachs hurt",
        "The movie was about a man who wanted to end his career",
        "My back is killing me after moving the couch",
        "I need to stop beating myself up about small mistakes",
        "She said the traffic was murder today",
        "My mom will kill me if I forget to call",
        "I'm terrified of the exam next week",
        "I dread going home to all the laundry",
        "I felt safe enough to say what I needed",
        "I went home early because I had a headache",
        "I was afraid to go to the dentist",
        "The plant is dying, I forgot to water it",
        "He hit the gym before work",
        "She kicked off the meeting with a joke",
        "I'm afraid I was a bit harsh with him",
        "I kept my position without attacking her",
        "He threw me a surprise party",
        "I'm dying of curiosity about what she's planning",
        "The heat is unbearable, I'm dying here",
        "I'd rather be alone tonight",
        "I'm scared of losing him",
        "It was a good day, we cooked together",
        "I want to live closer to my sister",
        "I took my time and answered from my own values",
        "She has nothing to worry about",
        "I'm finally enjoying my life again",
        "We talked about the end of my contract",
    ],
    "he": [
        "אני מת על השיר הזה",
        "הורגים אותי בעבודה",
        "מתתי מצחוק",
        "בא לי למות מצחוק",
        "רציתי למות מבושה כשנפלתי",
        "אני מתה מרעב",
        "השיר הזה הורג אותי",
        "הבוס הורג אותי עם הדדליינים",
        "אני מתה לראות את ההופעה",
        "הטלפון מת באמצע השיחה",
        "סבתא נפטרה לפני שנה ואני מתגעגעת",
        "אני לא רוצה לגור בעיר הזאת",
        "אני לא מפחדת ממנו יותר",
        "הוא לא מרביץ לי, הוא פשוט צועק",
        "נפגעתי ממה שהוא אמר",
        "הוא פגע בי כששכח את יום ההולדת",
        "חתכתי את האצבע כשחתכתי סלט",
        "נפלתי ופגעתי בברך",
        "אני מפחדת מהמבחן מחר",
        "אני מפחד מגבהים",
        "אני מפחדת מהתגובה שלו",
        "אני מפחדת שהוא יעזוב",
        "הבוס איים לפטר את כל הצוות",
        "הילד הרביץ לאחותו והענשנו אותו",
        "היא הכתה אותי בשחמט שוב",
        "היה יום טוב, בישלנו ביחד",
        "רבנו על הכלים ושוב הרגשתי לא מובנת",
        "הוא לא ענה להודעה והרגשתי מוזנחת",
        "הצלחתי להישאר רגועה כשהיא הרימה את הקול",
        "בא לי להיעלם מתחת לשמיכה כל הסופ״ש",
        "אני כל כך עייפה שבא לי לישון שבוע",
        "רציתי לצרוח לתוך הכרית",
        "צחקנו עד שכאבה לנו הבטן",
        "החום הזה הורג אותי",
        "אני מתה עלייך",
        "מתתי מפחד בסרט האימה",
        "אמא שלי תהרוג אותי אם אשכח להתקשר",
        "אני רוצה לחיות קרוב יותר לאחותי",
        "אני רוצה לחיות לפי הערכים שלי",
        "הוא דחף אותי להגיש מועמדות",
        "היא דחפה אותי להתחיל טיפול",
        "הרגשתי בטוחה מספיק להגיד מה אני צריכה",
        "חזרתי הביתה מוקדם בגלל כאב ראש",
        "פחדתי ללכת לרופא שיניים",
        "העציץ מת, שכחתי להשקות",
        "מתתי לספר לה אבל חיכיתי",
        "אני מפחדת לאבד אותו",
        "שמתי לב שרציתי שהיא תסכים איתי",
        "שמרתי על העמדה שלי בלי לתקוף",
        "הוא זרק לי מסיבת הפתעה",
        "אין לי כוח לכביסה היום",
        "אין לי סיבה לכעוס עליו",
        "נמאס לי מהפקקים",
        "אני סוף סוף נהנית מהחיים שוב",
        "דיברנו על סוף החוזה שלי",
        "אין טעם לריב על זה",
        "הוא מכה על חטא ומתנצל",
        "הלוואי שהייתי בחופש",
        "עדיף לי לישון מוקדם הלילה",
        "לא רציתי לפגוע בה",
        "אני משתדלת לא לפגוע בעצמי בביקורת",
        "אני לא רוצה לחיות יותר עם הבלגן הזה בסלון",
    ],
}


#: Ordinary sentences the lists still catch, kept in the table above so the cost is visible. Hebrew
#: "הכה אותי" is how a person says they were hit, so it stays even though it can mean beaten at a game.
ACCEPTED_FALSE_POSITIVES = {"en": set[str](), "he": {"היא הכתה אותי בשחמט שוב"}}


@pytest.mark.parametrize("lang", ["en", "he"])
def test_the_table_is_large_enough(lang: str) -> None:
    assert len(POSITIVE[lang]) >= 30
    assert len(NEGATIVE[lang]) >= 60


@pytest.mark.parametrize("lang", ["en", "he"])
def test_no_false_negatives(lang: str) -> None:
    missed = [sentence for sentence in POSITIVE[lang] if not points_to_danger(sentence)]
    assert missed == []


@pytest.mark.parametrize("lang", ["en", "he"])
def test_at_most_one_false_positive(lang: str) -> None:
    flagged = [sentence for sentence in NEGATIVE[lang] if points_to_danger(sentence)]
    assert len(flagged) <= 1, flagged
    assert set(flagged) <= ACCEPTED_FALSE_POSITIVES[lang]


@pytest.mark.parametrize(
    "template", [t for by in care.PHRASES.values() for templates in by.values() for t in templates]
)
def test_every_listed_phrase_is_noticed_alone_and_in_a_sentence(template: str) -> None:
    for phrase in care._expand(template.removesuffix("$")):
        assert points_to_danger(phrase), phrase
        assert points_to_danger(f"Today, {phrase}."), phrase


@pytest.mark.parametrize(
    "text",
    [
        "I WANT TO DIE",
        "i   want\t to  die",
        "I want... to die",
        "I want … to die",
        "Ｉ ｗａｎｔ ｔｏ ｄｉｅ",
        "I don't want to live anymore",
        "I dont want to live anymore",
        "I don’t want to live anymore",
        "I donʼt want to live anymore",
        "I don‘t want to live anymore",
        "I don`t want to live anymore",
        "self-harm again today",
        "אֲנִי רוֹצָה לָמוּת",
        "אני\u200f רוצה למות",
        "אני רוצה-למות",
        "הוא מאיים עלי",
        "הוא מאיים עליי",
        "הוא מאים עליי",
        "בסופ״ש הוא הרביץ לי",
        'בסופ"ש הוא הרביץ לי',
        "בסופ׳ הוא הרביץ לי",
        "ושהוא מרביץ לי כל הזמן",
        "כשאני לבד אני רוצה למות",
        "Work was fine. אני מפחדת ממנו",
        "היום היה קשה, I want to die",
    ],
)
def test_folding_and_mixed_languages(text: str) -> None:
    assert points_to_danger(text)


@pytest.mark.parametrize(
    "text",
    [
        "I'm afraid of her reaction",
        "I'm not afraid of him",
        "I'm never scared of him",
        "I don't want to die",
        "I want to. Die Hard is on tonight",
        "I want to\ndie laughing",
        "I'm afraid of her... mother",
        "אני לא מפחדת ממנו",
        "הוא לא מרביץ לי",
        "בא לי למות מצחוק",
        "בא לי ממש למות מרוב בושה",
        "I wanted to die of embarrassment",
        "",
        "   ",
    ],
)
def test_negations_idioms_and_clause_ends(text: str) -> None:
    assert not points_to_danger(text)


def test_a_phrase_at_the_end_of_its_clause_only() -> None:
    assert points_to_danger("I'm afraid of her, she throws things")
    assert not points_to_danger("I'm afraid of her mother")


def test_the_note_comes_at_most_once_a_local_day() -> None:
    today = date(2025, 3, 14)
    assert note_due(None, today)
    assert not note_due(today, today)
    assert note_due(date(2025, 3, 13), today)
    assert note_due(date(2024, 12, 31), today)
    # after flying west the local date can go back: still no second note that day
    assert not note_due(date(2025, 3, 15), today)


def scanned_everywhere(text: str) -> bool:
    """The plain rule, trying the phrases at every position of every clause (as the check did before
    it learnt to try them only where a phrase's first word stands)."""
    phrases, idioms, _ = care._matchers()
    for clause in care._CLAUSE_END.split(text):
        folded = idioms.sub("~", care._fold(clause))
        for match in phrases.finditer(folded):
            before = folded[: match.start()].split()[-1:]
            if not before or before[0] not in care.NEGATIONS:
                return True
    return False


def _listed_words() -> list[str]:
    templates = [t for by in care.PHRASES.values() for ts in by.values() for t in ts]
    templates += list(itertools.chain.from_iterable(care.HARMLESS_IDIOMS.values()))
    phrases = {p for template in templates for p in care._expand(template.removesuffix("$"))}
    return sorted({word for phrase in phrases for word in phrase.split()} | phrases)


LISTED = _listed_words()
PIECES = st.one_of(
    st.sampled_from(LISTED),
    st.sampled_from(LISTED).map(lambda word: "ו" + word),  # a Hebrew prefix letter
    st.sampled_from(sorted(care.NEGATIONS)),
    st.sampled_from(["I", "we", "so", "really", "today", "היום", "מאוד", "...", ".", ",", "!", "\n", "—"]),
    st.text(max_size=6),
)


@given(st.lists(PIECES, max_size=14).map(" ".join))
@example("arent הייתי רוצה כבר למות")  # a phrase begins inside a negated one: finditer skips it
def test_trying_phrases_only_at_first_words_decides_as_scanning_everywhere(text: str) -> None:
    care.prepare()
    assert points_to_danger(text) == scanned_everywhere(text)
