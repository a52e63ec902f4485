"""IntMap behaves like the dict it replaces, in a fraction of the memory."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.intmap import IntMap

KEYS = st.integers(-(2**63), 2**63 - 1)
VALUES = st.integers(-(2**63), 2**63 - 1)
OPS = st.lists(
    st.tuples(st.sampled_from(["set", "pop", "del", "get"]), st.integers(0, 40) | KEYS, VALUES), max_size=200
)


@given(OPS, st.sampled_from([1, 3, 1024]))
def test_it_answers_like_a_dict(ops: list[tuple[str, int, int]], buckets: int) -> None:
    compact, model = IntMap(buckets), dict[int, int]()
    for op, key, value in ops:
        if op == "set":
            compact[key] = model[key] = value
        elif op == "pop":
            assert compact.pop(key, -1) == model.pop(key, -1)
        elif op == "del":
            if key in model:
                del compact[key], model[key]
            else:
                with pytest.raises(KeyError):
                    del compact[key]
        assert compact.get(key) == model.get(key)
        assert (key in compact) == (key in model) and len(compact) == len(model)
    assert sorted(compact.items()) == sorted(model.items())
    for key, value in model.items():
        assert compact[key] == value


def test_a_missing_key_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        IntMap()[5]
    assert "5" not in IntMap() and IntMap().get(5, 7) == 7


def test_a_hundred_thousand_people_take_under_two_megabytes() -> None:
    compact = IntMap()
    for n in range(100_000):
        compact[6_000_000_000 + n * 7919] = 1_800_000_000 << 2 | n % 3
    assert len(compact) == 100_000
    assert compact.nbytes() < 2_000_000  # a dict of ints: about 12.6 MB
