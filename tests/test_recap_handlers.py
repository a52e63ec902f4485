"""/summary, /history, /export and /delete in-process."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.domain.models import Entry, Profile
from bot.localapi.builders import utf16_len
from bot.localapi.constants import MAX_TEXT_LENGTH
from bot.localapi.user import FakeUser
from bot.storage.memory import InMemoryRepository
from bot.storage.tinydb_store import TinyDBRepository
from tests.conftest import Clock, Harness, send

SECRET = "zebra-violin-7731"


async def seed_week(h: Harness, user: FakeUser) -> list[Entry]:
    await h.repo.save_profile(
        Profile(user_id=user.id, timezone="Europe/Berlin", morning=time(7), evening=time(21), onboarded=True)
    )
    today = date(2026, 11, 28)
    written = []
    for n in range(5):
        entry = Entry(
            kind="diary",
            local_date=today - timedelta(days=n),
            data={"family": "fear", "feeling": "anxious", "intensity": 1 + n % 5, "whose": "partner",
                  "happened": f"{SECRET} <b>&amp; day {n}", "expressed": "no"},
        )  # fmt: skip
        await h.repo.append_entry(user.id, entry)
        written.append(entry)
    return written


async def test_summary_sends_chart_and_text(harness: Harness) -> None:
    user = harness.user()
    await seed_week(harness, user)
    await send(harness, user, "/summary")
    photo = await user.wait_for(lambda m: m.method == "sendPhoto")
    assert photo.caption == "Your week at a glance"
    upload = harness.request.calls("sendPhoto")[-1]
    assert next(iter(upload.files.values())).content.startswith(b"\x89PNG")
    text = (await user.wait_for(lambda m: "Your week" in m.content and m.method == "sendMessage")).content
    assert "Check-ins on 5 of 7 days" in text and "streak 5" in text
    assert "anxious ×5" in text
    assert "your partner's mood 5" in text
    assert "echoes of your partner's mood" in text  # the question chosen from the week


async def test_summary_when_chart_fails_still_sends_text(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.handlers import recap

    async def broken(*args: object) -> bytes:
        raise RuntimeError("no fonts")

    monkeypatch.setattr(recap, "render_elsewhere", broken)
    user = harness.user()
    await seed_week(harness, user)
    await send(harness, user, "/summary")
    await user.wait_for(lambda m: "Check-ins on 5 of 7 days" in m.content)
    assert not harness.request.calls("sendPhoto")


async def test_empty_week_is_encouraging_with_button(harness: Harness) -> None:
    user = harness.user()
    await send(harness, user, "/summary last")
    message = await user.next_message()
    assert "Nothing written in this period yet" in message.content
    await user.press(message, "📓 Start a check-in")
    await harness.pump()
    await user.wait_for(lambda m: "family of feelings" in m.content)


async def test_summary_bad_argument(harness: Harness) -> None:
    user = harness.user()
    await send(harness, user, "/summary yesterday please")
    assert "/summary last" in (await user.next_message()).content


async def test_history_lines_buttons_and_full_entry(harness: Harness) -> None:
    user = harness.user()
    await seed_week(harness, user)
    await send(harness, user, "/history 3")
    listing = await user.next_message()
    assert listing.content.count("emotion diary") == 3
    assert listing.button_texts == ["1", "2", "3"]
    await user.press(listing, "1")  # newest first
    await harness.pump()
    full = await user.next_message()
    assert f"{SECRET} <b>&amp; day 0" in full.content  # shown as typed, escaped for Telegram
    await send(harness, user, "/history -5")
    assert "1 to 100" in (await user.next_message()).content


async def test_history_splits_long_output(harness: Harness) -> None:
    user = harness.user()
    for n in range(100):
        await harness.repo.append_entry(
            user.id,
            Entry(kind="pages", local_date=date(2026, 8, 1) + timedelta(days=n), data={"text": "w " * 2000}),
        )
    await send(harness, user, "/history 100")
    parts = [m for m in user.all_messages() if m.method == "sendMessage"]
    assert len(parts) >= 2
    assert all(utf16_len(m.content) <= MAX_TEXT_LENGTH for m in parts)  # as Telegram counts


async def test_other_users_entry_cannot_be_opened(harness: Harness) -> None:
    owner, intruder = harness.user(1), harness.user(2, "Eve")
    written = await seed_week(harness, owner)
    await send(harness, intruder, "/help")
    forged = harness.request.callback_update(intruder.id, f"h:{written[0].entry_id}", bot=harness.app.bot)
    await harness.app.process_update(forged)
    assert (
        harness.request.calls("answerCallbackQuery")[-1].params.get("text")
        == "That entry isn't there any more."
    )
    assert not any(SECRET in m.content for m in intruder.all_messages())


async def test_export_json_round_trips_and_journal(harness: Harness) -> None:
    user = harness.user()
    written = await seed_week(harness, user)
    await send(harness, user, "/export")
    json_doc = await user.wait_for(lambda m: m.method == "sendDocument")
    md_doc = await user.wait_for(lambda m: m.method == "sendDocument")
    raw = await (
        await harness.app.bot.get_file(json_doc.message["document"]["file_id"])
    ).download_as_bytearray()
    exported = json.loads(raw)
    assert exported["schema"] == 1 and exported["profile"]["timezone"] == "Europe/Berlin"
    assert sorted((Entry.from_dict(e) for e in exported["entries"]), key=lambda e: e.entry_id) == sorted(
        written, key=lambda e: e.entry_id
    )
    journal = (
        await (await harness.app.bot.get_file(md_doc.message["document"]["file_id"])).download_as_bytearray()
    ).decode()
    assert journal.startswith("# My check-in journal")
    assert "## 2026-11-28" in journal and "**What happened:**" in journal and SECRET in journal


async def test_delete_leaves_no_byte_of_user_text(clock: Clock, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    async with Harness(TinyDBRepository(data_dir), clock) as h:
        user, other = h.user(), h.user(2002, "Ari")
        await seed_week(h, user)
        await h.repo.append_entry(
            other.id, Entry(kind="pages", local_date=date(2026, 11, 28), data={"text": "other"})
        )
        await send(h, user, "/checkin")
        await send(h, user, SECRET)  # an open draft too
        await send(h, user, "/delete")
        await user.press(None, "Keep my data")
        await h.pump()
        assert any(SECRET.encode() in p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
        await send(h, user, "/delete")
        await user.press(None, "🗑 Yes, erase everything")
        await h.pump()
        await user.wait_for(lambda m: "has been erased" in m.content)
        leftovers = [p for p in data_dir.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]
        assert leftovers == []
        assert not any(str(user.id) == p.name for p in data_dir.rglob("*"))
        assert await h.repo.users_with_drafts() == []
        assert [e.data["text"] for e in await h.repo.list_entries(other.id)] == ["other"]


async def test_local_day_near_midnight(clock: Clock) -> None:
    clock.now = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)  # already the 29th in Tokyo
    async with Harness(InMemoryRepository(), clock) as h:
        user = h.user()
        await h.repo.save_profile(Profile(user_id=user.id, timezone="Asia/Tokyo", onboarded=True))
        await send(h, user, "/did running 30m")
        (entry,) = await h.repo.list_entries(user.id)
        assert entry.local_date == date(2026, 11, 29)


async def test_export_of_a_year_of_daily_entries(clock: Clock, tmp_path: Path) -> None:
    async with Harness(TinyDBRepository(tmp_path / "data"), clock) as h:
        user = h.user()
        await h.repo.save_profile(Profile(user_id=user.id, timezone="UTC", onboarded=True))
        for n in range(365):
            await h.repo.append_entry(
                user.id,
                Entry(kind="diary", local_date=date(2026, 11, 28) - timedelta(days=n),
                      data={"feeling": "calm", "intensity": 2, "happened": "ש" * 300 + f" {n}"}),
            )  # fmt: skip
        await send(h, user, "/export")
        json_doc = await user.wait_for(lambda m: m.method == "sendDocument")
        md_doc = await user.wait_for(lambda m: m.method == "sendDocument")
        raw = await (
            await h.app.bot.get_file(json_doc.message["document"]["file_id"])
        ).download_as_bytearray()
        assert len(json.loads(raw)["entries"]) == 365
        journal = await (
            await h.app.bot.get_file(md_doc.message["document"]["file_id"])
        ).download_as_bytearray()
        assert journal.decode().count("### emotion diary") == 365
