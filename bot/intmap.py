"""A map of 64-bit ints to 64-bit ints kept in arrays, for per-person indexes held in memory.

A `dict[int, int]` costs about 126 bytes an entry (two int objects and the table); 100,000
people's next nudges took 12.6 MB of the bot's idle memory. Here an entry is 16 bytes. Keys are
spread over buckets of sorted arrays, so an insert moves at most a few kilobytes and nothing ever
rehashes the whole map (which would stall the event loop).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterator
from typing import overload

BUCKETS = 1024


class IntMap:
    """The subset of `dict[int, int]` the scheduler uses; keys and values must fit in 64 bits."""

    __slots__ = ("_keys", "_len", "_values")

    def __init__(self, buckets: int = BUCKETS) -> None:
        self._keys = [array("q") for _ in range(buckets)]
        self._values = [array("q") for _ in range(buckets)]
        self._len = 0

    def _slot(self, key: int) -> tuple[int, int, bool]:
        """(bucket, position, whether the key is there)."""
        bucket = key % len(self._keys)
        keys = self._keys[bucket]
        at = bisect_left(keys, key)
        return bucket, at, at < len(keys) and keys[at] == key

    @overload
    def get(self, key: int) -> int | None: ...
    @overload
    def get(self, key: int, default: int) -> int: ...
    def get(self, key: int, default: int | None = None) -> int | None:
        bucket, at, found = self._slot(key)
        return self._values[bucket][at] if found else default

    def __getitem__(self, key: int) -> int:
        bucket, at, found = self._slot(key)
        if not found:
            raise KeyError(key)
        return self._values[bucket][at]

    def __setitem__(self, key: int, value: int) -> None:
        bucket, at, found = self._slot(key)
        if found:
            self._values[bucket][at] = value
            return
        self._keys[bucket].insert(at, key)
        self._values[bucket].insert(at, value)
        self._len += 1

    def pop(self, key: int, default: int | None = None) -> int | None:
        """Remove `key`; its value, or `default` if it was not there."""
        bucket, at, found = self._slot(key)
        if not found:
            return default
        value = self._values[bucket][at]
        del self._keys[bucket][at]
        del self._values[bucket][at]
        self._len -= 1
        return value

    def __delitem__(self, key: int) -> None:
        if key not in self:
            raise KeyError(key)
        self.pop(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, int) and self._slot(key)[2]

    def __len__(self) -> int:
        return self._len

    def items(self) -> Iterator[tuple[int, int]]:
        """Every (key, value), in no particular order."""
        for keys, values in zip(self._keys, self._values, strict=True):
            yield from zip(keys, values, strict=True)

    def nbytes(self) -> int:
        """Bytes held by the arrays' buffers (without the arrays' own headers)."""
        return sum(a.buffer_info()[1] * a.itemsize for a in (*self._keys, *self._values))
