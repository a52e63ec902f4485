"""Two languages: complete catalogs, both genders in Hebrew, plurals, and no English for a Hebrew speaker."""

from __future__ import annotations

import ast
import re
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from bot.bidi import strip_isolates
from bot.domain.flows import FLOWS
from bot.domain.models import Profile
from bot.handlers.practice.asking import FLOW_HINTS
from bot.handlers.settings.setup import SETUP_HINTS
from bot.localapi.builders import utf16_len
from bot.localapi.constants import MAX_TEXT_LENGTH
from bot.localapi.html_parser import parse_html
from bot.localapi.user import FakeUser
from bot.texts import CATALOGS, GENDERS, LOCALES, Voice, plain, t, template
from tests.conftest import Harness, press, send

PLACEHOLDER = re.compile(r"\{(\w*)\}")
SAMPLE = "<b>&amp; שלום & <i> 🌿"


def messages(language: str) -> dict[tuple[str | None, str], list[str]]:
    """(context, key) → the message's forms, straight from the .po file."""
    with (LOCALES / language / "LC_MESSAGES" / "bot.po").open("rb") as f:
        po = read_po(f, locale=language)
    found: dict[tuple[str | None, str], list[str]] = {}
    for message in po:
        if message.id:
            key = str(message.id[0] if isinstance(message.id, tuple | list) else message.id)
            strings = message.string if isinstance(message.string, tuple | list) else [message.string]
            found[(message.context, key)] = [str(form or "") for form in strings]
    return found


ENGLISH = messages("en")
HEBREW = messages("he")


def test_every_message_has_hebrew_in_both_genders_where_gendered() -> None:
    for _, key in ENGLISH:
        plain_entry = (None, key) in HEBREW
        gendered = [(gender, key) in HEBREW for gender in GENDERS]
        assert plain_entry != any(gendered), f"{key}: one plain entry, or a form per gender"
        assert plain_entry or all(gendered), f"{key}: a gendered message lacks a form"
        for forms in (HEBREW.get((context, key)) for context in (None, *GENDERS)):
            assert forms is None or all(forms), f"{key}: untranslated"
    assert not {key for _, key in HEBREW} - {key for _, key in ENGLISH}, "Hebrew keys English lacks"


def test_placeholders_are_the_same_in_every_language_and_form() -> None:
    for (_, key), english in ENGLISH.items():
        expected = {name for form in english for name in PLACEHOLDER.findall(form)}
        for (context, other_key), forms in HEBREW.items():
            if other_key == key:
                for form in forms:
                    assert set(PLACEHOLDER.findall(form)) == expected, (key, context, form)


def test_plural_messages_have_each_languages_forms() -> None:
    for (_, key), english in ENGLISH.items():
        if len(english) > 1:
            assert len(english) == 2
            hebrew = [HEBREW.get((c, key)) for c in (None, *GENDERS) if (c, key) in HEBREW]
            assert hebrew and all(len(forms) == 3 for forms in hebrew if forms), key


@pytest.mark.parametrize("language", ["en", "he"])
@pytest.mark.parametrize("gender", [None, *GENDERS])
def test_every_message_filled_with_hostile_values_is_valid_telegram_html(
    language: str, gender: str | None
) -> None:
    voice = Voice(language, gender)
    for key in CATALOGS["en"].all_keys():
        names = {name for form in ENGLISH.get((None, key), []) for name in PLACEHOLDER.findall(form)}
        values: dict[str, object] = {name: SAMPLE for name in names}
        for n in (0, 1, 2, 5, 11, 21):
            if "n" in names:
                values["n"] = n
            text = t(key, voice, **values)
            parsed = parse_html(text)  # raises on anything Telegram would refuse
            assert 0 < utf16_len(parsed.text.strip()) <= MAX_TEXT_LENGTH, key
            if "n" not in names:
                break


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", {0: "days", 1: "day", 2: "days", 5: "days", 11: "days", 21: "days"}),
        ("he", {0: "ימים", 1: "יום", 2: "ימים", 5: "ימים", 11: "ימים", 21: "ימים"}),
    ],
)
def test_plurals_follow_each_languages_rule(language: str, expected: dict[int, str]) -> None:
    for n, word in expected.items():
        text = plain("streak", Voice(language, "feminine"), n=n)
        assert f"{n} {word}" in text or (language == "he" and n == 1 and "יום" in text), (n, text)
    two = plain("streak", Voice("he", "feminine"), n=2)
    one = plain("streak", Voice("he", "feminine"), n=1)
    assert one != two  # Hebrew's own form for one


def test_gendered_messages_differ_and_no_slash_forms() -> None:
    differing = 0
    for (context, key), forms in HEBREW.items():
        for form in forms:
            assert not re.search(r"[\u0590-\u05ff]/[\u0590-\u05ff]", re.sub(r"<[^>]+>", "", form)), (
                key,
                form,
            )
        if context == "feminine":
            differing += forms != HEBREW[("masculine", key)]
    assert differing >= 20  # the catalog really speaks to each reader in their own gender
    assert template("boundary.template", Voice("he", "feminine")).startswith("אני צריכה")
    assert template("boundary.template", Voice("he", "masculine")).startswith("אני צריך ")


# --- A Hebrew speaker ------------------------------------------------------------------------------

ALLOWED_LATIN = re.compile(
    r"/\w+(@\w+)?( last| month)?"  # commands and their Latin arguments
    r"|\b[A-Z][a-z]+/[A-Za-z_]+\b"  # zone names like Asia/Jerusalem
    r"|\bUTC\b|\bGMT\b|\bJSON\b|\bMarkdown\b"
    r"|\b\d+[a-z]{0,3}\b"  # numbers, 40m, 1h30
    r"|\b(English|Noa)\b"  # a language's own name; the person's name
)


def english_words(text: str) -> list[str]:
    """Latin words a Hebrew speaker would have to read, after what is allowed (commands, zones, names)."""
    return re.findall(r"[A-Za-z]{3,}", ALLOWED_LATIN.sub(" ", text))


async def hebrew_speaker(h: Harness) -> FakeUser:
    user = h.user(2001, "Noa", language_code="he")
    await send(h, user, "/start")
    await press(h, user, "בלשון נקבה")
    await send(h, user, "Asia/Jerusalem")
    await press(h, user, "07:00")
    await send(h, user, "21:00")
    await press(h, user, plain("button_confirm", Voice("he", "feminine")))
    return user


async def test_a_hebrew_speaker_walks_everything_without_meeting_english(harness: Harness) -> None:
    user = await hebrew_speaker(harness)
    profile = await harness.repo.get_profile(user.id)
    assert profile is not None and profile.language == "he" and profile.gender == "feminine"
    assert profile.onboarded and profile.evening == time(21, 0)
    feminine = Voice("he", "feminine")
    await send(harness, user, "/checkin")
    await press(harness, user, plain("family.sadness", feminine))
    await press(harness, user, plain("feeling.lonely", feminine))
    await press(harness, user, "4")
    await send(harness, user, "כן")  # a yes/no answer gets the one gentle follow-up
    await send(harness, user, "הוא חזר מאוחר ולא אמר כלום, והרגשתי לבד בבית")
    await press(harness, user, plain("whose.partner", feminine))
    await press(harness, user, plain("expressed.no", feminine))
    await send(harness, user, "פחדתי מריב לפני השינה")
    await send(harness, user, "/skip")
    (entry,) = await harness.repo.list_entries(user.id, "diary")
    assert entry.data["family"] == "sadness" and entry.data["feeling"] == "lonely"  # codes, not words
    assert entry.data["whose"] == "partner" and entry.data["expressed"] == "no"
    for command in ("/pages",):
        await send(harness, user, command)
        await send(harness, user, "כתבתי קצת על הבוקר")
        await send(harness, user, "/done")
    await send(harness, user, "/boundary")
    await press(harness, user, plain("area.work", feminine))
    await send(harness, user, "שקט של חצי שעה אחרי העבודה")
    await send(harness, user, "כשאני חוזרת הביתה")
    await send(harness, user, "כי אני מותשת ומתפרצת")
    await press(harness, user, plain("boundary.button_use", feminine))
    (boundary,) = await harness.repo.list_entries(user.id, "boundary")
    assert boundary.data["statement"].startswith("אני צריכה שקט")
    assert "כשכש" not in boundary.data["statement"] and "כי כי" not in boundary.data["statement"]
    for command in ("/encourage",):
        await send(harness, user, command)
        await press(harness, user, plain("encouraged.a_little", feminine))
        await send(harness, user, "/skip")
    await send(harness, user, "/did ציור 40m")
    for command in (
        "/summary",
        "/history",
        "/interests",
        "/boundaries",
        "/help",
        "/privacy",
        "/settings",
        "/remind",
    ):
        await send(harness, user, command)
    await send(harness, user, "/delete")
    await press(harness, user, plain("button_delete_cancel", feminine))
    leaks = {
        m.content: words
        for m in user.all_messages()
        if (words := english_words(m.content + " " + " ".join(m.button_texts)))
    }
    assert not leaks, leaks


async def test_switching_language_mid_exercise_keeps_the_answers(harness: Harness) -> None:
    user = harness.user(2002, "Noa", language_code="en")
    await harness.repo.save_profile(
        Profile(user_id=user.id, timezone="Asia/Jerusalem", morning=time(7), evening=time(21), onboarded=True)
    )
    await send(harness, user, "/checkin")
    await press(harness, user, "😢 Sadness")
    await send(harness, user, "/language")
    await press(harness, user, "עברית")
    await press(harness, user, "בלשון זכר")
    await send(harness, user, "/checkin")
    question = user.all_messages()[-1]
    assert "יומן" in question.content or "?" in question.content
    assert not english_words(question.content + " ".join(question.button_texts))
    draft = await harness.repo.get_draft(user.id)
    assert draft is not None and draft["answers"]["family"] == "sadness"
    await press(harness, user, plain("feeling.sad", Voice("he", "masculine")))
    draft = await harness.repo.get_draft(user.id)
    assert draft is not None and draft["answers"]["feeling"] == "sad"
    profile = await harness.repo.get_profile(user.id)
    assert profile is not None and (profile.language, profile.gender) == ("he", "masculine")


@pytest.mark.parametrize("code", ["he", "he-IL", "iw"])
async def test_hebrew_telegram_clients_get_hebrew_and_the_gender_question(
    harness: Harness, code: str
) -> None:
    user = harness.user(2003, "Noa", language_code=code)
    await send(harness, user, "/start")
    texts = [m.content for m in user.all_messages()]
    assert any("איך נכון לך שאפנה אליך" in text for text in texts)
    assert not any(english_words(text) for text in texts), texts


async def test_english_speakers_are_not_asked_about_gender(harness: Harness) -> None:
    user = harness.user(2004, "Sam", language_code="en")
    await send(harness, user, "/start")
    assert not any("address you" in m.content for m in user.all_messages())
    assert "Hello, Sam" in user.all_messages()[0].content


async def test_follow_up_idle_cancel_keep_and_resume_work_the_same_in_hebrew(
    harness: Harness, clock: Any
) -> None:
    user = await hebrew_speaker(harness)
    voice = Voice("he", "feminine")
    await send(harness, user, "/boundary")
    await press(harness, user, plain("area.money", voice))
    await send(harness, user, "לא יודעת")
    assert t("flow.follow_up", voice) == user.all_messages()[-1].content
    await send(harness, user, "/cancel")
    await press(harness, user, plain("flow.button_keep", voice))
    draft = await harness.repo.get_draft(user.id)
    assert draft is not None and draft["paused"] and draft["answers"]["need"] == "לא יודעת"
    await send(harness, user, "/boundary")
    assert (
        plain("flow.resumed", voice, title=plain("flow.boundary.title", voice))
        in user.all_messages()[-2].content
    )
    await send(harness, user, "כסף משותף ונפרד")
    clock.now += timedelta(minutes=31)
    await harness.run_job("idle-flows")
    idle = user.all_messages()[-1].content
    assert idle == t("flow.idle", voice, title=t("flow.boundary.title", voice), command="boundary")
    assert not english_words(idle)


# --- Every message used, every used message present ------------------------------------------------

BOT = Path(__file__).resolve().parent.parent / "bot"


def keys_in_code() -> tuple[set[str], set[str]]:
    """String literals in bot/ and the flows' data (keys), and the constant prefixes of f-string keys."""
    literals: set[str] = set()
    prefixes: set[str] = set()
    for path in BOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                literals.add(node.value)
            elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                prefixes.add(str(node.values[0].value))
    for flow in FLOWS.values():
        literals |= {flow.title, flow.intro, flow.done}
        for step in flow.steps:
            literals |= {step.prompt, step.template or ""}
            options = list(step.options) + [
                o for group in (step.options_by or ("", {}))[1].values() for o in group
            ]
            literals |= {option.label for option in options}
    return literals, {p for p in prefixes if "." in p or p.endswith("_")}


def test_every_message_is_used_and_every_used_key_exists() -> None:
    literals, prefixes = keys_in_code()
    catalog = CATALOGS["en"].all_keys()
    unused = {k for k in catalog if k not in literals and not any(k.startswith(p) for p in prefixes)}
    assert not unused, f"messages no code uses: {sorted(unused)}"
    missing = {k for k in looked_up() if k not in catalog}
    assert not missing, f"keys the code looks up that no catalog has: {sorted(missing)}"


KEY_ARGUMENT = {"t": 0, "plain": 0, "has_text": 0, "words": 0, "reply": 2, "say": 3}


def looked_up() -> set[str]:
    """Literal keys passed to the lookup functions, the hint tables and the flows' data."""
    found: set[str] = set(FLOW_HINTS.values()) | set(SETUP_HINTS.values())
    for path in BOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                index = KEY_ARGUMENT.get(name)
                if index is not None and len(node.args) > index:
                    argument = node.args[index]
                    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                        found.add(argument.value)
    for flow in FLOWS.values():
        found |= {flow.title, flow.done} | ({flow.intro} if flow.intro else set())
        for step in flow.steps:
            found |= {step.prompt} | ({step.template} if step.template else set())
    return found


def test_every_refusal_has_its_hint() -> None:
    domain = "".join(path.read_text(encoding="utf-8") for path in sorted((BOT / "domain").glob("*.py")))
    engine_codes = set(re.findall(r'Invalid\("([^"]+)"\)', domain))
    parse_codes = set(re.findall(r'ParseError\("([^"]+)"\)', domain))
    assert engine_codes and parse_codes
    flow_codes = engine_codes | {c for c in parse_codes if c.startswith("duration.")}
    setup_codes = {c for c in parse_codes if c.split(".")[0] in ("time", "zone", "location", "blank")}
    assert flow_codes <= FLOW_HINTS.keys(), flow_codes - FLOW_HINTS.keys()
    assert setup_codes | {"location.ocean"} <= SETUP_HINTS.keys(), setup_codes - SETUP_HINTS.keys()
    for key in (*FLOW_HINTS.values(), *SETUP_HINTS.values()):
        assert key in CATALOGS["en"].all_keys() and key in CATALOGS["he"].all_keys(), key


async def test_language_and_gender_buttons_change_state_once(harness: Harness) -> None:
    user = harness.user(2005, "Noa", language_code="en")
    await send(harness, user, "/language")
    for _ in range(3):
        await user.press(None, "עברית")
    await harness.pump()
    for _ in range(2):
        await user.press(None, "בלשון נקבה")
    await harness.pump()
    texts = [strip_isolates(m.content) for m in user.all_messages()]
    assert sum(plain("language.set", "he") in text for text in texts) == 1
    assert sum(plain("gender.set", Voice("he", "feminine")) in text for text in texts) == 1
    profile = await harness.repo.get_profile(user.id)
    assert profile is not None and (profile.language, profile.gender) == ("he", "feminine")
