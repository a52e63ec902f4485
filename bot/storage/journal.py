"""Append-only journal files: the draft's each save is one record appended and fsynced.

Why not replace the draft file atomically like every other table: a replacement costs a new
inode, a rename and a directory fsync (two journal commits of the file system, measured at
~370 µs against ~150 µs for an append), and a draft is saved on every answer. An append to
an existing file needs one fsync and no directory fsync.

A journal is ``HEADER`` then records, each ``length (4 bytes, big-endian) + crc32 (4) +
payload``; the last whole record is the file's content. A payload is exactly what a whole
table file would hold (sealed when a data key is set), so every reader that opens, checks,
encrypts or re-keys files sees through a journal with `current` and writes one back with
`rewrap`.

A crash can only cut the record being appended, and that save was never reported done: a
torn last record is ignored (and cut off by the owner before it appends again). A bad record
with more after it is damage.
"""

from __future__ import annotations

import struct
import zlib

from bot.storage.files import CorruptFileError

SUFFIX = ".log"
HEADER = b"checkin-bot journal 1\n"
_FRAME = struct.Struct(">II")


def is_journal(filename: str) -> bool:
    """Whether a data file is a journal (by its name; the header is checked on reading)."""
    return filename.endswith(SUFFIX)


def frame(payload: bytes) -> bytes:
    """One record holding `payload`."""
    return _FRAME.pack(len(payload), zlib.crc32(payload)) + payload


def latest(raw: bytes) -> tuple[bytes | None, int]:
    """The last whole record's payload (None if there is none) and where the whole records end.

    CorruptFileError for a file that is not a journal or has a bad record before its end.
    """
    if len(raw) < len(HEADER):
        if HEADER.startswith(raw):
            return None, 0  # cut while its first record was being written
        raise CorruptFileError("not a journal")
    if not raw.startswith(HEADER):
        raise CorruptFileError("not a journal")
    offset, found, size = len(HEADER), None, len(raw)
    while offset < size:
        if size - offset < _FRAME.size:
            break
        length, crc = _FRAME.unpack_from(raw, offset)
        end = offset + _FRAME.size + length
        if end > size:
            break
        payload = raw[offset + _FRAME.size : end]
        if zlib.crc32(payload) != crc:
            if end == size:
                break
            raise CorruptFileError("a journal record is damaged")
        found, offset = payload, end
    return found, offset if found is not None else 0


def current(filename: str, raw: bytes) -> bytes | None:
    """What a whole-file reader should see in `raw`: the file itself, or a journal's last record.

    None for a journal without a whole record (nothing was ever saved in it).
    """
    if not is_journal(filename):
        return raw
    return latest(raw)[0]


def rewrap(filename: str, payload: bytes) -> bytes:
    """The file bytes holding `payload` as its only content (the inverse of `current`)."""
    return HEADER + frame(payload) if is_journal(filename) else payload
