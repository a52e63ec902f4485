"""One person can never see, change or delete another's data, whatever buttons or arguments they send."""

from __future__ import annotations

import json
from datetime import date

from bot.domain.models import Entry
from bot.localapi.user import FakeUser
from tests.conftest import Harness, send

SECRET = "only-alice-knows-this"


async def press_as(h: Harness, user: FakeUser, data: str) -> None:
    await h.app.process_update(h.request.callback_update(user.id, data, bot=h.app.bot))


async def test_forged_buttons_and_arguments_cannot_reach_another_user(harness: Harness) -> None:
    alice, mallory = harness.user(1, "Alice"), harness.user(2, "Mallory")
    await harness.repo.append_entry(
        alice.id, Entry(kind="boundary", local_date=date(2026, 11, 20), data={"statement": SECRET})
    )
    await send(harness, alice, "/checkin")
    await send(harness, alice, SECRET)
    alice_before = await harness.repo.export_user(alice.id)
    draft_id = alice_before["draft"]["draft_id"]
    boundary_id = alice_before["entries"][0]["entry_id"]

    await send(harness, mallory, "/help")
    for data in (
        f"f:{draft_id}:1:0",
        f"fc:keep:{draft_id}",
        f"fc:drop:{draft_id}",
        f"fs:{draft_id}:pages",
        f"h:{boundary_id}",
        f"bd:{boundary_id}",
        "delete:yes",
    ):
        await press_as(harness, mallory, data)
    for command in (
        f"/history {alice.id}",
        f"/did {alice.id} 5m",
        f"/summary {alice.id}",
        "/export",
        "/boundaries",
    ):
        await send(harness, mallory, command)

    assert await harness.repo.export_user(alice.id) == alice_before
    seen_by_mallory = [m.content for m in mallory.all_messages()]
    assert not any(SECRET in text for text in seen_by_mallory)
    for call in harness.request.calls():
        if call.params.get("chat_id") == mallory.id:
            assert SECRET not in json.dumps(call.params, ensure_ascii=False)
            assert all(SECRET.encode() not in f.content for f in call.files.values())
