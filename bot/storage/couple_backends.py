"""Where couple documents live: in dicts (tests, local runs) or as sealed files under
`<data_dir>/couples`, each replaced atomically and durably (layout in `bot.storage.couples`)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from bot.storage import files, threads
from bot.storage.couples import Couples, Document
from bot.storage.crypto import Cipher
from bot.storage.files import CorruptFileError
from bot.storage.layout import COUPLE_MARKERS, COUPLES_DIR
from bot.storage.sealing import couple_role, seal, unseal
from bot.storage.table_format import encode_json

logger = logging.getLogger("bot.storage")
_T = TypeVar("_T")


class MemoryCouples(Couples):
    """Documents in dicts, JSON round-tripped like on disk (tests and local runs)."""

    def __init__(self) -> None:
        super().__init__()
        self._docs: dict[str, dict[str, str]] = {}

    def _read(self, kind: str, name: str) -> Document | None:
        raw = self._docs.get(kind, {}).get(name)
        return json.loads(raw) if raw is not None else None

    def _write(self, kind: str, name: str, document: Document) -> None:
        self._docs.setdefault(kind, {})[name] = json.dumps(document, ensure_ascii=False)

    def _remove(self, kind: str, name: str) -> None:
        self._docs.get(kind, {}).pop(name, None)

    def _names(self, kind: str) -> list[str]:
        return sorted(self._docs.get(kind, {}))


_DIRS = {"pairings": "", "members": "members", "invites": "invites", "linking": "linking", "due": "due"}
_MARKERS = frozenset(COUPLE_MARKERS)


class FileCouples(Couples):
    """Documents as sealed JSON files under `<data_dir>/couples`, each replaced atomically and durably."""

    def __init__(self, data_dir: Path, cipher: Cipher | None) -> None:
        super().__init__()
        self._root = Path(data_dir) / COUPLES_DIR
        self._cipher = cipher

    async def _call(self, body: Callable[[], _T]) -> _T:
        return await threads.run(body)

    def _dir(self, kind: str) -> Path:
        return self._root / _DIRS[kind]

    def _read(self, kind: str, name: str) -> Document | None:
        if kind in _MARKERS:
            return {} if os.path.lexists(self._dir(kind) / name) else None
        path = self._dir(kind) / f"{name}.json"
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            document = json.loads(unseal(self._cipher, raw, couple_role(kind, name)).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, CorruptFileError) as exc:
            logger.error("Couple file %s is unreadable (%s); treated as missing", path, type(exc).__name__)
            return None
        return document if isinstance(document, dict) else None

    def _write(self, kind: str, name: str, document: Document) -> None:
        directory = self._dir(kind)
        files.make_dirs(directory)
        if kind in _MARKERS:
            files.create_marker(directory, name)
            return
        payload = seal(self._cipher, encode_json(document), couple_role(kind, name))
        files.write_durably(directory, f"{name}.json", payload)

    def _remove(self, kind: str, name: str) -> None:
        filename = name if kind in _MARKERS else f"{name}.json"
        files.remove_marker(self._dir(kind), filename, durable=True)

    def _names(self, kind: str) -> list[str]:
        try:
            with os.scandir(self._dir(kind)) as items:
                names = [item.name for item in items if item.is_file() and not files.is_temp_file(item.name)]
        except FileNotFoundError:
            return []
        if kind in _MARKERS:
            return sorted(names)
        return sorted(name.removesuffix(".json") for name in names if name.endswith(".json"))
