"""The bot reads compiled catalogs (`bot.mo`): they must say exactly what the `.po` files say.

A translator who edits a `.po` and forgets `python -m bot.locales` fails here, and the loader of
the `.mo` files must give the same catalogs (so the same `t()` text) as reading the `.po` files did.
"""

from __future__ import annotations

import gettext
import io
import string
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from bot import texts
from bot.texts import CATALOGS, GENDERS, LOCALES, Catalog, Voice, compile_catalog, load_catalog, t

LANGUAGES = sorted(path.parent.parent.name for path in LOCALES.glob("*/LC_MESSAGES/bot.po"))
COUNTS = [*range(0, 30), 100, 101, 102, 111, 1000, 1001, 10**6]


def po_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / "bot.po"


def catalog_from_po(language: str) -> Catalog:
    """The loader the bot used before the `.mo` files: Babel parses the `.po`, fuzzy and empty left out."""
    with po_path(language).open("rb") as f:
        po = read_po(f, locale=language)
    catalog = Catalog(language, plural=gettext.c2py(po.plural_expr))
    for message in po:
        if not message.id or message.fuzzy:
            continue
        key = message.id[0] if isinstance(message.id, tuple | list) else message.id
        if isinstance(message.string, tuple | list):
            forms = tuple(str(form) for form in message.string)
            if all(forms):
                catalog.plurals[(message.context, key)] = forms
        elif message.string:
            if message.context in GENDERS:
                catalog.gendered[(message.context, key)] = message.string
            else:
                catalog.messages[key] = message.string
    return catalog


def as_data(catalog: Catalog) -> tuple[Any, ...]:
    """Everything `t()` reads from a catalog, comparable (the plural rule as its value for many counts)."""
    rule = tuple(catalog.plural(n) for n in range(0, 1001))
    return catalog.language, catalog.messages, catalog.gendered, catalog.plurals, rule


def test_every_po_has_a_compiled_mo_and_no_mo_is_left_without_its_po() -> None:
    compiled = sorted(path.parent.parent.name for path in LOCALES.glob("*/LC_MESSAGES/bot.mo"))
    assert compiled == LANGUAGES, "compile the catalogs: python -m bot.locales"
    assert set(CATALOGS) == set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_mo_is_what_its_po_compiles_to(language: str) -> None:
    committed = load_catalog(po_path(language).with_suffix(".mo"), language)
    fresh = load_catalog(io.BytesIO(compile_catalog(po_path(language), language)), language)
    assert as_data(committed) == as_data(fresh), f"bot/locales/{language} is stale: python -m bot.locales"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_bot_loads_the_catalogs_reading_the_po_gave(language: str) -> None:
    assert as_data(CATALOGS[language]) == as_data(catalog_from_po(language))


def test_compiling_leaves_out_fuzzy_and_untranslated_messages(tmp_path: Path) -> None:
    po = tmp_path / "bot.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n'
        '"Plural-Forms: nplurals=3; plural=(n == 1 ? 0 : n == 2 ? 1 : 2);\\n"\n\n'
        'msgid "done"\nmsgstr "בוצע"\n\n'
        '#, fuzzy\nmsgid "guess"\nmsgstr "ניחוש"\n\n'
        'msgid "empty"\nmsgstr ""\n\n'
        'msgctxt "feminine"\nmsgid "ready"\nmsgstr "מוכנה"\n\n'
        'msgctxt "masculine"\nmsgid "ready"\nmsgstr ""\n\n'
        'msgid "days"\nmsgid_plural "days.plural"\nmsgstr[0] "יום"\nmsgstr[1] "יומיים"\nmsgstr[2] "ימים"\n\n'
        'msgid "half"\nmsgid_plural "half.plural"\nmsgstr[0] "חצי"\nmsgstr[1] ""\nmsgstr[2] ""\n\n'
        'msgctxt "feminine"\nmsgid "left"\nmsgid_plural "left.plural"\n'
        'msgstr[0] "נותרה"\nmsgstr[1] "נותרו"\nmsgstr[2] "נותרו"\n',
        encoding="utf-8",
    )
    catalog = load_catalog(io.BytesIO(compile_catalog(po, "he")), "he")
    assert catalog.messages == {"done": "בוצע"}
    assert catalog.gendered == {("feminine", "ready"): "מוכנה"}
    assert catalog.plurals == {
        (None, "days"): ("יום", "יומיים", "ימים"),
        ("feminine", "left"): ("נותרה", "נותרו", "נותרו"),
    }
    assert [catalog.plural(n) for n in (0, 1, 2, 3, 11)] == [2, 0, 1, 2, 2]


def test_t_says_byte_for_byte_what_it_said_from_the_po_files(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = sorted(set().union(*(catalog.all_keys() for catalog in CATALOGS.values())))
    voices = [Voice(language, gender) for language in LANGUAGES for gender in (None, *GENDERS)]

    def every_text() -> dict[tuple[str, str, str | None, int | None], str]:
        said: dict[tuple[str, str, str | None, int | None], str] = {}
        for key in keys:
            names = _placeholders(key)
            values: dict[str, Any] = {name: f"<{name}> & 7" for name in names - {"n"}}
            counts = [*COUNTS] if "n" in names else [None, *COUNTS] if _is_plural(key) else [None]
            for voice in voices:
                for n in counts:
                    said[(key, str(voice), voice.gender, n)] = t(
                        key, voice, **values, **({} if n is None else {"n": n})
                    )
        return said

    from_mo = every_text()
    for language in LANGUAGES:
        monkeypatch.setitem(CATALOGS, language, catalog_from_po(language))
    assert texts.CATALOGS is CATALOGS
    from_po = every_text()
    assert len(from_mo) > 1000
    assert from_mo == from_po


def _placeholders(key: str) -> set[str]:
    """The `{names}` in any form of the message, in any language."""
    forms = [text for catalog in CATALOGS.values() for (_, k), text in catalog.gendered.items() if k == key]
    forms += [
        f for catalog in CATALOGS.values() for (_, k), fs in catalog.plurals.items() if k == key for f in fs
    ]
    forms += [catalog.messages[key] for catalog in CATALOGS.values() if key in catalog.messages]
    return {name for form in forms for _, name, _, _ in string.Formatter().parse(form) if name}


def _is_plural(key: str) -> bool:
    return any(k == key for catalog in CATALOGS.values() for _, k in catalog.plurals)
