"""The couple store's contract, in memory and on disk (with and without a data key): linking is
atomic and repaired after a crash, queued shares are handed out once, forgetting a person leaves
no byte of what they sent, and `encrypt-data` seals couple files too."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.partners import InviteRefusal, PartnerInvite, Share, ShareKind, ShareState
from bot.storage.couple_backends import FileCouples, MemoryCouples
from bot.storage.couples import Couples
from bot.storage.crypto import Cipher, is_sealed, new_key
from bot.storage.tinydb_store import TinyDBRepository

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
A, B, C = 1, 2, 3
KEY = Cipher.from_text(new_key())


@pytest.fixture(params=["memory", "files", "sealed"])
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Couples]:
    """A factory, so a test can open the same store again (as after a restart)."""
    if request.param == "memory":
        memory = MemoryCouples()
        return lambda: memory
    cipher = KEY if request.param == "sealed" else None
    return lambda: FileCouples(tmp_path, cipher)


def invite(code: str = "c" * 16, inviter: int = A, name: str = "Dana<&>") -> PartnerInvite:
    return PartnerInvite(code, inviter, name, NOW, NOW + timedelta(days=7))


def share(pairing_id: str, sender: int, receiver: int, n: int, deliver_at: datetime = NOW) -> Share:
    return Share(
        share_id=f"{n:032x}", pairing_id=pairing_id, sender=sender, receiver=receiver,
        kind=ShareKind.INTEREST, payload={"interest": f"secret-{sender}-{n}"}, created_at=NOW,
        deliver_at=deliver_at,
        state=ShareState.QUEUED if deliver_at > NOW else ShareState.SENDING,
    )  # fmt: skip


def every_byte(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def markers(root: Path) -> list[os.DirEntry[str]]:
    return list(os.scandir(root / "couples" / "due"))


def couple_files(root: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted((root / "couples").rglob("*.json"))]


async def link(store: Couples) -> str:
    await store.create_invite(invite())
    outcome = await store.accept("c" * 16, B, "Noam", NOW, "ab" * 8)
    assert not isinstance(outcome, InviteRefusal)
    return outcome[1].pairing_id


async def test_accept_links_both_once(store_factory: Callable[[], Couples]) -> None:
    store = store_factory()
    pairing_id = await link(store)
    for person in (A, B):
        current = await store.current(person)
        assert current is not None and current.pairing_id == pairing_id
    assert await store.accept("c" * 16, C, "Tal", NOW, "cd" * 8) is InviteRefusal.USED
    assert await store.accept("x" * 16, C, "Tal", NOW, "cd" * 8) is InviteRefusal.FORGED
    couple = await store_factory().couple(A)  # as read after a restart
    assert couple is not None and couple[1] == {A: "Dana<&>", B: "Noam"}


async def test_a_link_interrupted_by_a_crash_is_finished_at_start(tmp_path: Path) -> None:
    store = FileCouples(tmp_path, None)
    await store.create_invite(invite())
    writes: list[str] = []
    real_write = store._write

    def crash_after_the_document(kind: str, name: str, document: dict[str, object]) -> None:
        if kind == "members":
            raise KeyboardInterrupt  # the process dies between the couple's document and the members
        writes.append(kind)
        real_write(kind, name, document)

    store._write = crash_after_the_document  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        await store.accept("c" * 16, B, "Noam", NOW, "ab" * 8)
    assert writes == ["linking", "pairings"]
    restarted = FileCouples(tmp_path, None)
    assert await restarted.current(A) is None  # one side not yet written: neither sees a link
    assert restarted.repair() == 1
    assert (await restarted.current(A)) == (await restarted.current(B)) is not None
    assert (await restarted.get_invite("c" * 16)) is not None
    assert await restarted.accept("c" * 16, C, "Tal", NOW, "cd" * 8) is InviteRefusal.USED
    assert restarted.repair() == 0


async def test_a_link_that_never_got_its_document_is_dropped(tmp_path: Path) -> None:
    store = FileCouples(tmp_path, None)
    await store.create_invite(invite())
    store._mark("linking", "ab" * 8)  # the crash came right after the marker
    assert store.repair() == 0
    assert await store.current(A) is None
    outcome = await store.accept("c" * 16, B, "Noam", NOW, "ef" * 8)  # the invite still works
    assert not isinstance(outcome, InviteRefusal)


async def test_queued_shares_go_out_once_and_interrupted_ones_count_delivered(
    store_factory: Callable[[], Couples],
) -> None:
    store = store_factory()
    pairing_id = await link(store)
    await store.save_share(share(pairing_id, A, B, 1, deliver_at=NOW + timedelta(hours=8)))
    assert await store.take_due(NOW) == ([], [])
    later = NOW + timedelta(hours=9)
    (due,), _ = await store.take_due(later)
    assert due.state is ShareState.SENDING
    assert await store_factory().take_due(later) == ([], [])  # handed out once, even after a restart
    assert await store_factory().settle_interrupted() == 1
    ((settled, _),) = await store.shares_of(B)
    assert settled.state is ShareState.DELIVERED
    assert await store.settle_interrupted() == 0


async def test_forgetting_a_person_leaves_nothing_they_sent(
    store_factory: Callable[[], Couples], tmp_path: Path
) -> None:
    store = store_factory()
    pairing_id = await link(store)
    await store.save_share(share(pairing_id, A, B, 1))
    await store.save_share(share(pairing_id, B, A, 2))
    await store.create_invite(invite("d" * 16))
    removed, told = await store.forget(A, NOW)
    assert [s.payload for s in removed] == [{"interest": "secret-1-1"}] and told == [B]
    assert await store.current(B) is None
    assert [s.payload for s, _ in await store.shares_of(B)] == [{"interest": "secret-2-2"}]
    assert await store.export(A) == {"links": []}
    on_disk = every_byte(tmp_path)
    assert b"secret-1-1" not in on_disk and b"Dana" not in on_disk


async def test_encrypt_data_seals_couple_files(tmp_path: Path) -> None:
    plain = FileCouples(tmp_path, None)
    pairing_id = await link(plain)
    await plain.save_share(share(pairing_id, A, B, 1))
    repo = TinyDBRepository(tmp_path)
    repo.prepare()
    cipher = Cipher.from_text(new_key())
    assert TinyDBRepository(tmp_path, cipher=cipher).encrypt_existing() >= 4
    assert all(is_sealed(raw) for raw in couple_files(tmp_path)), couple_files(tmp_path)
    sealed = FileCouples(tmp_path, cipher)
    ((read, _),) = await sealed.shares_of(B)
    assert read.payload == {"interest": "secret-1-1"}
    assert not any(marker.stat().st_size for marker in markers(tmp_path))  # markers stay empty
