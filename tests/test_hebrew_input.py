"""Understanding Hebrew input: short answers, durations, times, places and word counts."""

from __future__ import annotations

import contextlib
from datetime import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import engine
from bot.domain.parsing import ParseError, parse_did, parse_duration, parse_time, parse_zone
from bot.domain.zones import HEBREW_PLACES

PROPERTY = settings(database=None, deadline=None, max_examples=200)

HEBREW_SHORT = [
    "כן", "לא", "אולי", "לא יודעת", "לא יודע", "בסדר", "סבבה", "אין לי מושג", "ככה ככה",
    "לפעמים", "נכון", "ממש לא", "בטח", "טוב",
    # four words and more: the word count alone lets these through
    "אין לי מושג בכלל", "אני לא כל כך יודעת", "אני באמת לא יודע", "לא יודעת מה להגיד",
]  # fmt: skip
ENGLISH_LONG_SHORT = ["I have no idea", "I don't really know", "I'm not really sure"]
NIQQUD = [chr(c) for c in (*range(0x05B0, 0x05BD), 0x05C1, 0x05C2)]
FINALS = str.maketrans("כמנפצ", "ךםןףץ")


# --------------------------------------------------------------------------- short answers


@pytest.mark.parametrize("text", HEBREW_SHORT + ENGLISH_LONG_SHORT)
def test_short_answers_get_the_follow_up(text: str) -> None:
    assert engine.needs_more(text)
    assert engine.needs_more(f"{text}.")
    assert engine.needs_more(f"  {text}!! ")


def test_the_phrase_lists_are_keyed_by_language() -> None:
    assert set(engine.SHORT_ANSWERS) >= {"en", "he"}
    assert "אין לי מושג" in engine.SHORT_ANSWERS["he"]
    assert "i don't know" in engine.SHORT_ANSWERS["en"]


@PROPERTY
@given(
    st.sampled_from(HEBREW_SHORT),
    st.lists(st.sampled_from(NIQQUD), max_size=12),
    st.sampled_from(["", ".", "!", "...", "?!", " :)", "\u200f"]),
    st.booleans(),
    st.booleans(),
)
def test_decorated_hebrew_short_answers_get_the_follow_up(
    phrase: str, points: list[str], ending: str, maqaf: bool, wrong_finals: bool
) -> None:
    text = phrase.translate(FINALS) if wrong_finals else phrase
    letters = list(text)
    for i, point in enumerate(points):  # a vowel point after some letters
        at = (i * 3) % len(letters)
        if "\u05d0" <= letters[at] <= "\u05ea":
            letters[at] += point
    text = "".join(letters)
    if maqaf:
        text = text.replace(" ", "\u05be")
    assert engine.needs_more(text + ending)


@pytest.mark.parametrize(
    "text",
    [
        "כשהוא מאחר בלי להודיע",
        "כשאני עייפה אני נסגרת",
        "כשהיא שותקת אני נבהל מאוד",
        "Only when I have slept well",
    ],
)
def test_a_real_short_sentence_is_not_flagged(text: str) -> None:
    assert not engine.needs_more(text)
    assert not engine.needs_more(text + ".")


@PROPERTY
@given(
    st.lists(st.sampled_from(["אני", "כשהוא", "מאחר", "בלי", "להודיע", "הרגשתי", "שקט", "בבית"]), min_size=4)
)
def test_four_real_hebrew_words_are_enough(words: list[str]) -> None:
    text = " ".join(words)
    if text not in engine.SHORT_ANSWERS["he"]:
        assert not engine.needs_more(text)


# --------------------------------------------------------------------------- word counts


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("צ'יפס", 1),
        ("צ׳יפס", 1),  # U+05F3 geresh
        ('צה"ל', 1),
        ("צה״ל", 1),  # U+05F4 gershayim
        ("צה”ל", 1),  # a phone's smart quote for gershayim
        ("אכלנו צ׳יפס ליד בסיס צה״ל", 5),
        ("שָׁלוֹם עוֹלָם", 2),
        ("ג׳ירפה", 1),
        ("דוקטור ג׳ ושות׳", 3),
        ("בית־ספר", 2),  # maqaf: counted like a hyphen, see `engine.word_count`
        ("בית-ספר", 2),
        ("בית ספר", 2),
        ('he said "yes"', 3),
        ("don't stop", 2),
    ],
)
def test_hebrew_word_count(text: str, words: int) -> None:
    assert engine.word_count(text) == words


@PROPERTY
@given(st.lists(st.sampled_from(["צ׳יפס", "צה״ל", "צ'יפס", 'צה"ל', "שָׁלוֹם", "ת״א", "בסדר"]), max_size=20))
def test_every_hebrew_word_counts_once(words: list[str]) -> None:
    assert engine.word_count(" ".join(words)) == len(words)
    assert engine.word_count(", ".join(words) + ".") == len(words)


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("40 דקות", 40),
        ("40 דק'", 40),
        ("40 דק׳", 40),
        ("40דקות", 40),
        ("90 דק", 90),
        ("דקה", 1),
        ("דקה אחת", 1),
        ("5 דקות", 5),
        ("חמש דקות", 5),
        ("עשר דקות", 10),
        ("שעה", 60),
        ("שעה אחת", 60),
        ("שעתיים", 120),
        ("שתי שעות", 120),
        ("חצי שעה", 30),
        ("רבע שעה", 15),
        ("שלושת רבעי שעה", 45),
        ("שעה וחצי", 90),
        ("שעה ורבע", 75),
        ("שעתיים וחצי", 150),
        ("3 שעות", 180),
        ("שלוש שעות", 180),
        ("3 שעות וחצי", 210),
        ("1.5 שעות", 90),
        ("1,5 שעות", 90),
        ("1 שעה 20 דקות", 80),
        ("שעה 20 דקות", 80),
        ("שעה ו-20 דקות", 80),
        ("שעה ו20", 80),
        ("שָׁעָה וָחֵצִי", 90),
        ("40m", 40),
        ("1h30", 90),
        ("2 hours", 120),
        ("90", 90),
    ],
)
def test_hebrew_durations(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("0 דקות", "duration.range"),
        ("25 שעות", "duration.range"),
        ("2000 דקות", "duration.range"),
        ("שעות", "duration.format"),
        ("דקות", "duration.format"),
        ("קצת", "duration.format"),
        ("וחצי", "duration.format"),
        ("שעה וחצי וחצי", "duration.format"),
        ("שעתיים 3", "duration.format"),
        ("שעה 75 דקות", "duration.format"),
    ],
)
def test_hebrew_durations_reject(text: str, code: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_duration(text)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ציור 40 דקות", ("ציור", 40)),
        ("ריצה שעה", ("ריצה", 60)),
        ("ריצה שעה וחצי", ("ריצה", 90)),
        ("יוגה 1 שעה 20 דקות", ("יוגה", 80)),
        ("שחייה בים חצי שעה", ("שחייה בים", 30)),
        ("rock climbing 1h", ("rock climbing", 60)),
        ("painting 40m", ("painting", 40)),
        ("פרק 3 20 דקות", ("פרק 3", 20)),
    ],
)
def test_hebrew_did(text: str, expected: tuple[str, int]) -> None:
    assert parse_did(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("ציור", "did.format"),
        ("40 דקות", "did.format"),
        ("ציור קצת", "duration.format"),
        ("ריצה 30 שעות", "duration.range"),
    ],
)
def test_hebrew_did_rejects(text: str, code: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_did(text)
    assert caught.value.code == code


@PROPERTY
@given(st.integers(1, 23), st.sampled_from([0, 15, 30]), st.sampled_from(["ציור", "ריצה בפארק", "x"]))
def test_hours_and_fractions_in_hebrew(hours: int, extra: int, name: str) -> None:
    fraction = {0: "", 15: " ורבע", 30: " וחצי"}[extra]
    unit = "שעה" if hours == 1 else "שעות"
    text = f"{hours} {unit}{fraction}"
    assert parse_duration(text) == hours * 60 + extra
    assert parse_did(f"{name} {text}") == (name, hours * 60 + extra)


@PROPERTY
@given(st.text(alphabet="0123456789 .,'-׳שעהתייםדקוחצירבאל", max_size=20))
def test_hebrew_like_durations_only_raise_parse_error(text: str) -> None:
    for parser in (parse_duration, parse_did):
        with contextlib.suppress(ParseError):
            parser(text)


# --------------------------------------------------------------------------- times


HEBREW_HOURS = [
    "אחת",
    "שתיים",
    "שלוש",
    "ארבע",
    "חמש",
    "שש",
    "שבע",
    "שמונה",
    "תשע",
    "עשר",
    "אחת עשרה",
    "שתים עשרה",
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7:30", time(7, 30)),
        ("07:30", time(7, 30)),
        ("7 וחצי", time(7, 30)),
        ("7 ורבע", time(7, 15)),
        ("שבע וחצי", time(7, 30)),
        ("שבע", time(7)),
        ("שבע וחצי בבוקר", time(7, 30)),
        ("שבע וחצי בערב", time(19, 30)),
        ("21:00", time(21)),
        ("תשע בערב", time(21)),
        ("8 בבוקר", time(8)),
        ("8:15 בערב", time(20, 15)),
        ("עשר בלילה", time(22)),
        ("11 בלילה", time(23)),
        ("שתיים בלילה", time(2)),
        ("12 בלילה", time(0)),
        ("שתיים בצהריים", time(14)),
        ("4 אחר הצהריים", time(16)),
        ("4 אחה״צ", time(16)),
        ("בשבע בבוקר", time(7)),
        ("ב-8 בערב", time(20)),
        ("שְׁבַע וָחֵצִי", time(7, 30)),
        ("שבעה וחצי", time(7, 30)),
        ("7:30 pm", time(19, 30)),
    ],
)
def test_hebrew_times(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("שלושה עשר בערב", "time.format"),
        ("21:00 בערב", "time.ampm_range"),
        ("7:75 בבוקר", "time.range"),
        ("בוקר", "time.format"),
        ("וחצי", "time.format"),
        ("25 וחצי", "time.range"),
    ],
)
def test_hebrew_times_reject(text: str, code: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_time(text)
    assert caught.value.code == code


@PROPERTY
@given(st.integers(1, 12), st.sampled_from([("", 0), (" ורבע", 15), (" וחצי", 30)]), st.booleans())
def test_hebrew_hour_words_morning_and_evening(hour: int, fraction: tuple[str, int], digits: bool) -> None:
    said = str(hour) if digits else HEBREW_HOURS[hour - 1]
    suffix, minute = fraction
    assert parse_time(f"{said}{suffix} בבוקר") == time(hour % 12, minute)
    assert parse_time(f"{said}{suffix} בערב") == time(hour % 12 + 12, minute)


# --------------------------------------------------------------------------- places

ISRAEL = [
    "ירושלים", "תל אביב", "תל-אביב", "תל־אביב", 'ת"א', "ת״א", "תל אביב יפו", "חיפה", "באר שבע", "אילת",
    "נתניה", "ראשון לציון", "פתח תקווה", "פתח תקוה", "אשדוד", "חולון", "רמת גן", "הרצליה", "כפר סבא",
    "רעננה", "מודיעין", "בית שמש", "רחובות", "עכו", "נצרת", "טבריה", "צפת", "קריית שמונה", "קרית שמונה",
    "ק' שמונה", "ק׳ שמונה", "אשקלון", "ישראל", "בחיפה", "בתל אביב", "ירושלים, ישראל", "  יְרוּשָׁלַיִם ",
]  # fmt: skip


@pytest.mark.parametrize("text", ISRAEL)
def test_israeli_places_in_hebrew(text: str) -> None:
    choice = parse_zone(text)
    assert choice.key == "Asia/Jerusalem"
    assert choice.kind == "place"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("לונדון", "Europe/London"),
        ("ניו יורק", "America/New_York"),
        ("ניו-יורק", "America/New_York"),
        ("פריז", "Europe/Paris"),
        ("ברלין", "Europe/Berlin"),
        ("Tel Aviv", "Asia/Jerusalem"),
        ("Europe/Berlin", "Europe/Berlin"),
    ],
)
def test_world_cities_in_hebrew(text: str, key: str) -> None:
    assert parse_zone(text).key == key


@pytest.mark.parametrize(
    ("text", "code"),
    [("ארצות הברית", "zone.ambiguous"), ('ארה"ב', "zone.ambiguous"), ("בלה בלה", "zone.unknown")],
)
def test_hebrew_places_that_are_not_one_zone(text: str, code: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_zone(text)
    assert caught.value.code == code


@pytest.mark.parametrize(("name", "key"), sorted(HEBREW_PLACES.items()))
def test_every_hebrew_place_reads_back_as_its_zone(name: str, key: str) -> None:
    choice = parse_zone(name)
    assert (choice.key, choice.kind) == (key, "place")
    assert choice.label == f"{name} ({key})"
