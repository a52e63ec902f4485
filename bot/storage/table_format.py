"""The JSON format of one table file: names, encoding, validation and schema migration.

A table file is ``{"schema": N, "table": <name>, "docs": {<doc_id>: {...}, ...}}``, compact
UTF-8 JSON. Profile and draft tables hold one document; entries live in one table per local
month, so a write costs one month of one user. The draft, saved on every answer, lives in a
journal (`bot.storage.journal`) whose last record is such a file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any, NoReturn, Self

from bot.domain.models import Entry, Profile
from bot.storage import journal
from bot.storage.base import SCHEMA_VERSION
from bot.storage.files import CorruptFileError

PROFILE_TABLE = "profile"
DRAFT_TABLE = "draft"
SINGLE_DOC_ID = 1
"""The id of the only document of the profile and draft tables."""
JOURNALLED = frozenset({DRAFT_TABLE})
"""Tables kept in an append-only journal, `<table>.log`, rather than in `<table>.json`."""
TABLE_NAME = re.compile(r"(?:profile|draft|entries-(\d{4})-(0[1-9]|1[0-2]))")
_DOC_ID = re.compile(r"[1-9][0-9]{0,17}")

Tables = dict[str, dict[str, Any]]


def table_filename(name: str) -> str:
    """The file a table lives in."""
    return f"{name}{journal.SUFFIX}" if name in JOURNALLED else f"{name}.json"


def month_table(day: date) -> str:
    """Name of the table holding entries written on `day` (local date)."""
    return f"entries-{day.year:04d}-{day.month:02d}"


def table_month(name: str) -> tuple[int, int] | None:
    """(year, month) of an entries table, None for any other table."""
    match = TABLE_NAME.fullmatch(name)
    if match is None or match.group(1) is None:
        return None
    return int(match.group(1)), int(match.group(2))


def json_copy(value: Any) -> Any:
    """Deep copy of a JSON value (dicts, lists, scalars); much cheaper than `copy.deepcopy`."""
    if isinstance(value, dict):
        return {key: json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_copy(item) for item in value]
    return value


def normalised(record: dict[str, Any]) -> dict[str, Any]:
    """A deep, JSON-normalised copy, so the cache holds exactly what the file will.

    Raises TypeError/ValueError for values JSON cannot hold, before anything is touched.
    """
    result: dict[str, Any] = json.loads(json.dumps(record, ensure_ascii=False, allow_nan=False))
    return result


def encode_json(value: Any) -> bytes:
    """Compact UTF-8 JSON for one value."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates (possible from a JSON "\ud800" escape) cannot be UTF-8: escape them.
        return json.dumps(value, separators=(",", ":"), allow_nan=False).encode("ascii")


def file_bytes(name: str, members: list[bytes]) -> bytes:
    """A table file from its encoded `"doc_id":{...}` members.

    Byte for byte what `json.dumps({"schema": ..., "table": name, "docs": docs},
    ensure_ascii=False, separators=(",", ":"))` gives, without re-encoding every document.
    """
    header = b'{"schema":%d,"table":%s,"docs":{' % (SCHEMA_VERSION, encode_json(name))
    return header + b",".join(members) + b"}}"


class FrozenDoc(dict[str, Any]):
    """A stored entry document, which must never change in place.

    Entries are append-only and the storage re-uses each document's encoded bytes while
    the document object is unchanged, so an in-place edit would silently not be written.
    Refuse it loudly instead (store a new dict object to change a document).
    """

    __slots__ = ()

    def _refuse(self) -> NoReturn:
        raise TypeError("stored entry documents are immutable; replace the document instead")

    def __setitem__(self, key: str, value: Any) -> None:
        self._refuse()

    def __delitem__(self, key: str) -> None:
        self._refuse()

    def __ior__(self, other: Any) -> Self:  # type: ignore[override,misc]
        self._refuse()

    def clear(self) -> None:
        self._refuse()

    def pop(self, *args: Any) -> Any:
        self._refuse()

    def popitem(self) -> tuple[str, Any]:
        self._refuse()

    def setdefault(self, *args: Any) -> Any:
        self._refuse()

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._refuse()


def _migrate(document: dict[str, Any]) -> dict[str, Any]:
    """Upgrade a file written with an older `schema` to SCHEMA_VERSION, in memory.

    No older versions exist yet. When SCHEMA_VERSION is raised, add one step per version
    here (``if document["schema"] == 1: ...; document["schema"] = 2``). The upgraded table
    is written back the next time it changes.
    """
    document["schema"] = SCHEMA_VERSION
    return document


def decode(name: str, raw: bytes) -> dict[str, Any]:
    """Parse and validate one table file, returning its docs; CorruptFileError if untrustworthy."""
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CorruptFileError(f"not valid UTF-8 JSON ({type(exc).__name__})") from None
    if not isinstance(document, dict):
        raise CorruptFileError("top level is not an object")
    schema = document.get("schema")
    if type(schema) is not int or schema < 1:
        raise CorruptFileError("missing or invalid schema")
    if schema > SCHEMA_VERSION:
        raise CorruptFileError(f"schema {schema} is newer than this program's {SCHEMA_VERSION}")
    if document.get("table") != name:
        raise CorruptFileError("table name does not match the file name")
    if not isinstance(document.get("docs"), dict):
        raise CorruptFileError("docs is not an object")
    if schema < SCHEMA_VERSION:
        document = _migrate(document)
    docs: dict[str, Any] = document["docs"]
    parse: Callable[[dict[str, Any]], object] = Entry.from_dict
    if name == PROFILE_TABLE:
        parse = Profile.from_dict
    elif name == DRAFT_TABLE:
        parse = _check_draft_doc
    for doc_id, doc in docs.items():
        if not _DOC_ID.fullmatch(doc_id) or not isinstance(doc, dict):
            raise CorruptFileError("malformed document")
        try:
            parse(doc)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise CorruptFileError("document does not have the expected fields") from None
    return docs


def _check_draft_doc(doc: dict[str, Any]) -> object:
    if not isinstance(doc.get("draft"), dict):
        raise ValueError("draft document without a draft")
    return doc
