"""Every sentence the bot says, from gettext catalogs (`bot/locales/<language>/LC_MESSAGES/bot.po`).

Messages are looked up by a stable key (the msgid); the catalogs hold Telegram HTML. Values passed
to `t()` are escaped (unless they are `Html`, i.e. already rendered), so user-typed words can never
break the markup. Hebrew addresses the person in the grammatical gender they chose: a gendered
message has a `msgctxt "feminine"` and a `msgctxt "masculine"` form. Plural messages choose their
form by the value `n` with each language's plural rule. At import the compiled `bot.mo` next to each
`.po` is read with the standard library, which is much faster than parsing the `.po`; after editing a
`.po`, compile with `python -m bot.locales` (see docs/translating.md).
"""

from __future__ import annotations

import gettext
import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from io import BytesIO
from pathlib import Path
from types import MappingProxyType
from typing import Any, BinaryIO, Final

from bot.bidi import isolate_ltr
from bot.formatting import is_rtl

DEFAULT_LANGUAGE: Final = "en"
LOCALES: Final = Path(__file__).parent / "locales"
GENDERS: Final = ("feminine", "masculine")


@dataclass(frozen=True, slots=True)
class Catalog:
    """One language's messages: plain, per gender, and plural forms with the language's rule."""

    language: str
    messages: dict[str, str] = field(default_factory=dict)
    gendered: dict[tuple[str, str], str] = field(default_factory=dict)  # (gender, key) -> text
    plurals: dict[tuple[str | None, str], tuple[str, ...]] = field(default_factory=dict)
    plural: Callable[[int], int] = lambda n: int(n != 1)

    def all_keys(self) -> set[str]:
        return set(self.messages) | {k for _, k in self.gendered} | {k for _, k in self.plurals}


class _Compiled(gettext.GNUTranslations):
    """A parsed `.mo` file, with the attributes `GNUTranslations` fills in (its stub leaves them out)."""

    _catalog: dict[str | tuple[str, int], str]  # "context\x04msgid" or (msgid, form index) -> text
    plural: Callable[[int], int]


def load_catalog(mo: Path | BinaryIO, language: str) -> Catalog:
    """Read one compiled catalog (`compile_catalog` left out fuzzy and untranslated messages)."""
    if isinstance(mo, Path):
        with mo.open("rb") as f:
            compiled = _Compiled(f)
    else:
        compiled = _Compiled(mo)
    catalog = Catalog(language, plural=compiled.plural)
    forms: dict[tuple[str | None, str], dict[int, str]] = {}
    for entry, text in compiled._catalog.items():
        msgid, index = entry if isinstance(entry, tuple) else (entry, None)
        context, _, key = msgid.rpartition("\x04")  # gettext joins "context\x04msgid"
        if not key:  # the header
            continue
        if index is not None:
            forms.setdefault((context or None, key), {})[index] = text
        elif context in GENDERS:
            catalog.gendered[(context, key)] = text
        else:
            catalog.messages[key] = text
    catalog.plurals.update({k: tuple(by_index[i] for i in sorted(by_index)) for k, by_index in forms.items()})
    return catalog


def compile_catalog(po: Path, language: str) -> bytes:
    """The `.mo` for one `.po`, made with Babel: fuzzy and empty translations are left out, so English
    shows instead (a plural goes only with all its forms; Babel alone would fill gaps with the msgid)."""
    from babel.messages.mofile import write_mo  # only to compile: the running bot never parses a .po
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f, locale=language)
    for message in list(catalog):  # a copy: deleting while iterating
        if isinstance(message.string, tuple | list) and not all(message.string):
            catalog.delete(message.id, message.context)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    return compiled.getvalue()


def _load_all() -> dict[str, Catalog]:
    return {
        path.parent.parent.name: load_catalog(path, path.parent.parent.name)
        for path in sorted(LOCALES.glob("*/LC_MESSAGES/bot.mo"))
    }


CATALOGS: Final[dict[str, Catalog]] = _load_all()


class Voice(str):
    """A language code that also carries how the person is addressed ("feminine", "masculine" or None).

    It is a `str`, so everything that takes a language keeps working; `t()` uses the gender.
    """

    __slots__ = ("gender",)
    gender: str | None

    def __new__(cls, language: str, gender: str | None = None) -> Voice:
        voice = super().__new__(cls, language)
        voice.gender = gender if gender in GENDERS else None
        return voice


class Html(str):
    """Text that is already Telegram HTML (e.g. another `t()` result), inserted unescaped."""

    __slots__ = ()


def _catalog(lang: str | None) -> Catalog:
    return CATALOGS.get(lang or DEFAULT_LANGUAGE) or CATALOGS[DEFAULT_LANGUAGE]


def _template(key: str, lang: str | None, n: Any = None) -> str:
    """The message in the person's language, gender and plural form, falling back to English."""
    gender = getattr(lang, "gender", None)
    for catalog in (_catalog(lang), CATALOGS[DEFAULT_LANGUAGE]):
        forms = catalog.plurals.get((gender, key)) or catalog.plurals.get((None, key))
        if forms:
            return forms[min(catalog.plural(int(n)), len(forms) - 1)] if n is not None else forms[-1]
        if gender is not None and (text := catalog.gendered.get((gender, key))):
            return text
        if (text := catalog.messages.get(key)) is not None:
            return text
        if (text := catalog.gendered.get((GENDERS[0], key))) is not None:  # no gender chosen yet
            return text
    raise KeyError(key)


def t(key: str, lang: str | None = None, /, **values: Any) -> Html:
    """The text for `key` in `lang` (a language or a `Voice`), with `values` HTML-escaped in.

    A plural message takes its form from the value `n`. In a right-to-left language, embedded
    left-to-right runs (times, commands, numbers, Latin names) are wrapped in Unicode isolates so a
    phone shows them in the right place.
    """
    text = _template(key, lang, values.get("n"))
    if values:
        text = text.format(
            **{k: v if isinstance(v, Html) else html.escape(str(v), quote=False) for k, v in values.items()}
        )
    return Html(isolate_ltr(text) if is_rtl(lang) and (values or "{" not in text) else text)


def template(key: str, lang: str | None = None, /) -> str:
    """The message with its `{placeholders}` unfilled (for a sentence the domain assembles itself)."""
    return _template(key, lang)


_TAG = re.compile(r"<[^>]*>")


def plain(key: str, lang: str | None = None, /, **values: Any) -> str:
    """The text for `key` as plain text, `values` put in as they are (never escaped).

    For what Telegram shows without parsing HTML: button labels, answers to button presses.
    Tags in the template are dropped and its entities decoded. Pass the result through
    `bot.render.button_label` for a button.
    """
    return _plain_template(key, lang, values.get("n")).format(**values)


def _plain_template(key: str, lang: str | None, n: Any = None) -> str:
    return html.unescape(_TAG.sub("", _template(key, lang, n)))


def words_in(lang: str | None) -> Callable[[str], str | None]:
    """Plain words for text keys in `lang`, None for a key without text (for `bot.domain.journal`)."""

    def words(key: str) -> str | None:
        return _plain_template(key, lang) if has_text(key, lang) else None

    return words


def labels(lang: str | None) -> Mapping[str, str]:
    """Every message as plain text in `lang` (what buttons say), so typed button words can be matched."""
    return _labels(str(lang or DEFAULT_LANGUAGE), getattr(lang, "gender", None))


@cache
def _labels(language: str, gender: str | None) -> Mapping[str, str]:
    voice = Voice(language, gender)
    keys = CATALOGS[DEFAULT_LANGUAGE].all_keys() | _catalog(language).all_keys()
    return MappingProxyType({key: _plain_template(key, voice) for key in keys})


def has_text(key: str, lang: str | None = None) -> bool:
    return key in _catalog(lang).all_keys() or key in CATALOGS[DEFAULT_LANGUAGE].all_keys()


ALIASES: Final = {"iw": "he"}  # Hebrew's old ISO code, still sent by some clients


def has_genders(language: str) -> bool:
    """Whether the language addresses a woman and a man differently (its catalog has gendered forms)."""
    catalog = CATALOGS.get(language)
    return catalog is not None and bool(catalog.gendered)


def voice_of(language: str | None, gender: str | None = None) -> Voice:
    """How to speak to someone with this stored language and gender."""
    return Voice(language_for(language), gender)


def language_for(code: str | None) -> str:
    """Our language for a Telegram `language_code` ("he-IL" or "iw" → "he"; one we lack → English)."""
    if code:
        base = code.split("-")[0].lower()
        base = ALIASES.get(base, base)
        if base in CATALOGS:
            return base
    return DEFAULT_LANGUAGE
