"""Guided flows in-process: every exercise end to end, plus skip, back, cancel, stale buttons, timers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.models import Entry, Profile
from bot.localapi.user import FakeUser
from bot.storage.memory import InMemoryRepository
from bot.storage.tinydb_store import TinyDBRepository
from tests.conftest import Clock, Harness, press, send


async def question(user: FakeUser, marker: str) -> str:
    return (await user.wait_for(lambda m: marker in m.content and not m.edited)).content


async def expect(user: FakeUser, *fragments: str) -> list[str]:
    """Read the bot's new messages (edits aside); assert there is one per fragment, holding it, in order.

    In-process, whatever the bot sends is recorded by the time `send`, `press` or `run_job` returns.
    """
    new = user.pending()
    if new:
        last = new[-1].seq
        await user.wait_for(lambda m: m.seq == last)
    texts = [m.content for m in new if not m.edited]
    assert len(texts) == len(fragments), texts
    assert all(f in text for f, text in zip(fragments, texts, strict=True)), texts
    return texts


def due_in(h: Harness, job: str) -> timedelta:
    """How long until the JobQueue runs `job` by itself (it keeps real time; the bot reads the fake clock)."""
    assert h.app.job_queue is not None
    (scheduled,) = h.app.job_queue.get_jobs_by_name(job)
    assert scheduled.next_t is not None
    return scheduled.next_t - datetime.now(UTC)


async def entries(h: Harness, user: FakeUser, kind: str) -> list[Entry]:
    return await h.repo.list_entries(user.id, kind)


async def test_checkin_end_to_end(harness: Harness) -> None:
    user = harness.user()
    await harness.repo.save_profile(Profile(user_id=user.id, timezone="Asia/Jerusalem", onboarded=True))
    await send(harness, user, "/checkin")
    assert "1/8" in await question(user, "family of feelings")
    await press(harness, user, "😟 Fear")
    await question(user, "Which word fits best?")
    await press(harness, user, "anxious")
    await question(user, "How strong is it?")
    await press(harness, user, "4")
    await question(user, "What happened")
    await send(harness, user, "work")
    await question(user, "say a little more")
    await send(harness, user, "My partner was quiet all evening and I took it personally.")
    await question(user, "Whose feeling is this?")
    await press(harness, user, "A reaction to my partner's mood")
    await question(user, "Did you share this feeling")
    await press(harness, user, "Partly")
    await question(user, "What made that easy or hard?")
    await send(harness, user, "I was afraid of starting a fight before sleep.")
    await question(user, "What do you need right now?")
    await send(harness, user, "/skip")
    done = await question(user, "Saved.")
    assert "Streak: 1 day in a row" in done
    (entry,) = await entries(harness, user, "diary")
    assert entry.data["family"] == "fear" and entry.data["feeling"] == "anxious"
    assert (
        entry.data["intensity"] == 4
        and entry.data["whose"] == "partner"
        and entry.data["expressed"] == "partly"
    )
    assert entry.data["happened"] == "work\nMy partner was quiet all evening and I took it personally."
    assert entry.data["need"] is None
    assert await harness.repo.get_draft(user.id) is None


async def test_yes_no_follow_up_fires_once(harness: Harness) -> None:
    user = harness.user()
    await send(harness, user, "/boundary")
    await press(harness, user, "Work")
    await send(harness, user, "yes")
    await question(user, "say a little more")
    await send(harness, user, "no")
    assert "When, or in which situations?" in (await user.next_message()).content
    draft = await harness.repo.get_draft(user.id)
    assert draft is not None and draft["answers"]["need"] == "yes\nno"


async def test_skip_refused_on_required_and_back(harness: Harness) -> None:
    user = harness.user()
    await send(harness, user, "/checkin")
    await send(harness, user, "/skip")
    assert "can't be skipped" in (await user.wait_for(lambda m: "skipped" in m.content)).content
    await press(harness, user, "😊 Joy")
    await question(user, "Which word fits best?")
    await send(harness, user, "/back")
    await question(user, "family of feelings")
    await press(harness, user, "🤍 Love")
    await question(user, "Which word fits best?")
    await press(harness, user, "tender")
    draft = await harness.repo.get_draft(user.id)
    assert draft is not None and draft["answers"] == {"family": "love", "feeling": "tender"}


async def test_stale_and_forged_buttons(harness: Harness) -> None:
    user = harness.user()
    await send(harness, user, "/checkin")
    first = await user.wait_for(lambda m: "family of feelings" in m.content)
    await press(harness, user, "😊 Joy")
    await question(user, "Which word fits best?")
    # the first question's buttons were removed; replay its callback data as a forged press
    forged = harness.request.callback_update(user.id, "f:00000000:0:1", bot=harness.app.bot)
    await harness.app.process_update(forged)
    answers = harness.request.calls("answerCallbackQuery")
    assert answers[-1].params.get("text") == "That question has passed."
    draft = await harness.repo.get_draft(user.id)
    assert draft is not None and draft["answers"] == {"family": "joy"}
    assert first.message_id


async def test_cancel_keep_then_resume_and_cancel_discard(harness: Harness) -> None:
    user = harness.user()
    await harness.repo.save_profile(
        Profile(user_id=user.id, timezone="UTC", morning=time(7), evening=time(21), onboarded=True)
    )
    await send(harness, user, "/checkin")
    await send(harness, user, "sadness")
    await question(user, "Which word fits best?")
    await send(harness, user, "/cancel")
    await question(user, "Stop the emotion diary here?")
    await press(harness, user, "Keep it for later")
    await question(user, "Send /checkin")
    await send(harness, user, "just chatting")  # no longer routed into the exercise
    assert "/checkin" in (await user.next_message()).content
    await send(harness, user, "/checkin")
    await expect(user, "Welcome back to your emotion diary", "Which word fits best?")
    await send(harness, user, "/cancel")
    await press(harness, user, "Discard it")
    await question(user, "Nothing from this emotion diary was kept")
    assert await harness.repo.get_draft(user.id) is None
    assert await entries(harness, user, "diary") == []


async def test_other_commands_mid_flow_keep_the_question(harness: Harness) -> None:
    user = harness.user()
    await send(harness, user, "/checkin")
    await send(harness, user, "joy")
    await send(harness, user, "/help")
    assert "What I can do" in (await user.wait_for(lambda m: "What I can do" in m.content)).content
    await send(harness, user, "glad")
    await question(user, "How strong is it?")


async def test_starting_another_flow_asks_first(harness: Harness) -> None:
    user = harness.user()
    await send(harness, user, "/checkin")
    await send(harness, user, "/boundary")
    await question(user, "unfinished")
    await press(harness, user, "Discard it and start")
    await question(user, "Where do you need more space")
    draft = await harness.repo.get_draft(user.id)
    assert draft is not None and draft["flow"] == "boundary"


async def test_non_text_in_flow_repeats_question(harness: Harness) -> None:
    user = harness.user()
    await send(harness, user, "/checkin")
    await question(user, "family of feelings")
    await user.send_sticker()
    await harness.pump()
    await expect(user, "only read text in an exercise", "family of feelings")


async def test_selfexam_with_done_and_previous_answer_on_retake(clock: Clock) -> None:
    async with Harness(InMemoryRepository(), clock, writing_minutes=(3.0, 5.0)) as h:
        user = h.user()
        for round_no in (1, 2):
            await send(h, user, "/selfexam")
            await question(user, "How long would you like")
            await press(h, user, "3 min")
            q1, _ = await expect(user, "Can I tell my partner", "The clock is running: 3 min")
            if round_no == 2:
                assert "Last time (2026-11-28) you began with: “Round one, first line”" in q1
            await send(h, user, f"Round {'one' if round_no == 1 else 'two'}, first line\nand more")
            await send(h, user, "Second message here.")
            await expect(user)  # writing is taken quietly while the window is open
            await send(h, user, "/done")
            closed, _ = await expect(user, "Closed. You wrote 9 words.", "sharing your true feelings")
            assert "You wrote <b>" not in closed
            await press(h, user, "4")
            await expect(user, "Do I stay myself", "The clock is running")
            await send(h, user, "/done")
            await expect(user, "Closed. You wrote 0 words.", "No words this time", "sense of self")
            await press(h, user, "3")
            await expect(user, "Do I respect my own boundaries", "The clock is running")
            await send(h, user, "Boundaries are hard.")
            await send(h, user, "/done")
            await expect(user, "Closed. You wrote 3 words.", "respect both your boundaries")
            await press(h, user, "2")
            await expect(user, "That was real work")
        found = await h.repo.list_entries(user.id, "selfexam")
        assert len(found) == 2
        assert found[0].data["q1"] == "Round one, first line\nand more\n\nSecond message here."
        assert found[0].data["q1_words"] == 9 and found[0].data["q2_words"] == 0
        assert (found[0].data["q1_rating"], found[0].data["q2_rating"], found[0].data["q3_rating"]) == (
            4,
            3,
            2,
        )


async def test_pages_window_times_up_on_its_own_and_late_text_is_offered(clock: Clock) -> None:
    async with Harness(InMemoryRepository(), clock, pages_minutes=10, pages_goal=10) as h:
        user = h.user()
        await send(h, user, "/pages")
        await expect(user, "Empty your head", "Today's goal is 10 words", "The clock is running: 10 min")
        assert timedelta(minutes=9, seconds=50) < due_in(h, f"writing:{user.id}") <= timedelta(minutes=10)
        await send(h, user, "one two three four five six seven")
        await expect(user)  # the window is open: the writing is taken quietly
        clock.now += timedelta(minutes=10, seconds=1)
        await h.run_job(f"writing:{user.id}")
        times_up, done = await expect(user, "Time's up", "of 10 words today")
        assert "You wrote 7 words" in times_up
        assert "Saved: 7 of 10" in done
        await send(h, user, "eight nine ten eleven")
        await expect(user, "Add this message to today's morning pages")
        await send(h, user, "twelve")
        await expect(user)  # kept with the late text until the person decides
        await press(h, user, "Add it")
        (added,) = await expect(user, "Added.")
        assert "now have 12 words" in added
        assert sum(e.data["text_words"] for e in await entries(h, user, "pages")) == 12


async def test_boundary_compose_list_and_share(harness: Harness) -> None:
    user = harness.user()
    await send(harness, user, "/boundary")
    await press(harness, user, "Time alone")
    await send(harness, user, "an hour to myself <after> work & rest")
    await send(harness, user, "I come home")
    await send(harness, user, "it lets me arrive as myself")
    statement = await question(user, "Here's a way to say it")
    assert "I need an hour to myself <after> work & rest when I come home" in statement
    await press(harness, user, "✅ Use this")
    await question(user, "/boundaries shows all")
    await send(harness, user, "/boundaries")
    listing = await question(user, "Your boundaries")
    assert "not shared yet" in listing
    await press(harness, user, "Mark 1 as shared")
    await question(user, "How did sharing it go?")
    await send(harness, user, "She listened, and we agreed on Tuesdays.")
    await question(user, "Marked as shared")
    await send(harness, user, "/boundaries")
    assert "(shared)" in await question(user, "Your boundaries")
    (update,) = await entries(harness, user, "boundary_update")
    assert update.data["shared"] is True and update.data["outcome"].startswith("She listened")


async def write_boundary(h: Harness, user: FakeUser) -> None:
    """The person writes down a boundary (and keeps it to themselves for now)."""
    await send(h, user, "/boundary")
    for answer in ("Phone", "no phones at dinner, please, really", "we eat", "I want to be present with you"):
        await send(h, user, answer)
    await press(h, user, "✅ Use this")
    await question(user, "/boundaries shows all")


async def test_unshared_boundary_gets_one_follow_up(harness: Harness, clock: Clock) -> None:
    user = harness.user()
    await write_boundary(harness, user)
    clock.now += timedelta(days=4)
    await send(harness, user, "/did piano 30m")
    await expect(user, "Logged 30 min of piano", "gentle nudge")
    await send(harness, user, "/did piano 20m")
    await expect(user, "Logged 20 min of piano")


async def test_boundary_follow_up_comes_after_a_finished_exercise(harness: Harness, clock: Clock) -> None:
    user = harness.user()
    await write_boundary(harness, user)
    clock.now += timedelta(days=4)
    await send(harness, user, "/encourage")
    await press(harness, user, "Not this week")
    await question(user, "next week?")
    await send(harness, user, "/skip")
    await expect(user, "separate worlds", "gentle nudge")


async def test_interests_and_did(harness: Harness) -> None:
    user = harness.user()
    await harness.repo.save_profile(Profile(user_id=user.id, timezone="Europe/Berlin", onboarded=True))
    await send(harness, user, "/interests")
    await question(user, "No interests listed yet")
    await press(harness, user, "➕ Add")
    await question(user, "What's the interest?")
    await send(harness, user, "pottery")
    await question(user, "Added pottery")
    await send(harness, user, "/did pottery 1h30")
    assert "Logged <b>" not in await question(user, "Logged 90 min of pottery")
    await send(harness, user, "/did x")
    await question(user, "Log time on an interest like this")
    await send(harness, user, "/did")
    await press(harness, user, "pottery")
    await press(harness, user, "45 min")
    assert "This week: 135 min" in await question(user, "Logged 45 min of pottery")
    await send(harness, user, "/interests")
    await press(harness, user, "✕ pottery")
    await question(user, "Removed pottery")
    profile = await harness.repo.get_profile(user.id)
    assert profile is not None and profile.interests == []


async def test_idle_flow_is_set_aside(harness: Harness, clock: Clock) -> None:
    user = harness.user()
    await send(harness, user, "/checkin")
    await send(harness, user, "joy")
    await question(user, "Which word fits best?")
    clock.now += timedelta(minutes=29)
    await harness.run_job("idle-flows")
    await expect(user)  # not idle long enough yet
    clock.now += timedelta(minutes=2)
    await harness.run_job("idle-flows")
    await expect(user, "I've set your emotion diary aside")
    draft = await harness.repo.get_draft(user.id)
    assert draft is not None and draft["paused"] and draft["answers"] == {"family": "joy"}


async def test_restart_mid_flow_resumes(
    clock: Clock, disk_repo_factory: Callable[[], TinyDBRepository]
) -> None:
    async with Harness(disk_repo_factory(), clock) as first:
        user = first.user()
        await send(first, user, "/checkin")
        await send(first, user, "calm")
        await send(first, user, "relieved")
        await question(user, "How strong is it?")
    async with Harness(disk_repo_factory(), clock) as second:
        user = second.user()
        await send(second, user, "3")
        await question(user, "What happened")
        draft = await second.repo.get_draft(user.id)
        assert draft is not None and draft["answers"] == {
            "family": "calm",
            "feeling": "relieved",
            "intensity": 3,
        }


async def test_writing_window_survives_restart(
    clock: Clock, disk_repo_factory: Callable[[], TinyDBRepository]
) -> None:
    async with Harness(disk_repo_factory(), clock, pages_minutes=10) as first:
        user = first.user()
        await send(first, user, "/pages")
        await question(user, "The clock is running")
        await send(first, user, "before the restart")
    clock.now += timedelta(minutes=4)  # the bot was down for part of the window
    async with Harness(disk_repo_factory(), clock, pages_minutes=10) as second:
        user = second.user()
        # the timer is rebuilt for what is left of the window, not a fresh one
        assert timedelta(minutes=5, seconds=50) < due_in(second, f"writing:{user.id}") <= timedelta(minutes=6)
        await send(second, user, "after it")
        await expect(user)  # still inside the window
        clock.now += timedelta(minutes=6, seconds=1)
        await second.run_job(f"writing:{user.id}")
        times_up, _ = await expect(user, "Time's up", "Saved:")
        assert "You wrote 5 words" in times_up
        (entry,) = await second.repo.list_entries(user.id, "pages")
        assert entry.data["text"] == "before the restart\n\nafter it"


EVENTS = st.lists(
    st.one_of(
        st.text(max_size=30).map(lambda s: ("text", s)),
        st.sampled_from(
            ["/skip", "/back", "/done", "/cancel", "/help", "/checkin", "/pages", "/boundary"]
        ).map(lambda s: ("text", s)),
        st.integers(0, 9).map(lambda i: ("press", i)),
        st.just(("sticker", None)),
    ),
    max_size=25,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.sampled_from(["/checkin", "/selfexam", "/pages", "/boundary", "/did", "/encourage"]),
    events=EVENTS,
)
async def test_random_input_never_breaks_a_flow(
    clock: Clock, start: str, events: list[tuple[str, object]]
) -> None:
    async with Harness(InMemoryRepository(), clock) as h:
        user = h.user()
        await send(h, user, start)
        for kind, value in events:
            if kind == "text":
                await send(h, user, str(value) or " ")
            elif kind == "sticker":
                await user.send_sticker()
                await h.pump()
            else:
                pressable = [m for m in user.all_messages() if m.buttons]
                if pressable:
                    buttons = [b for row in pressable[-1].buttons for b in row]
                    assert isinstance(value, int)
                    await user.press(pressable[-1], buttons[value % len(buttons)])
                    await h.pump()
        texts = [m.content for m in user.all_messages()]
        assert not any("something went wrong" in text for text in texts), texts
        export = await h.repo.export_user(user.id)
        for raw in export["entries"]:
            Entry.from_dict(raw)


async def test_many_long_boundaries_are_listed_in_messages_under_the_limit(harness: Harness) -> None:
    user = harness.user()
    for n in range(20):
        await harness.repo.append_entry(
            user.id,
            Entry(
                kind="boundary", local_date=harness.clock().date(), data={"statement": f"{n} " + "<&> " * 200}
            ),
        )
    await send(harness, user, "/boundaries")
    listing = [m for m in user.all_messages() if "not shared yet" in m.content]
    assert len(listing) >= 2
    assert all(len(m.content.encode("utf-16-le")) // 2 <= 4096 for m in listing)  # as Telegram counts
    assert listing[-1].buttons  # the share buttons come with the last part


async def test_encourage_weekly_question(harness: Harness) -> None:
    user = harness.user()
    await send(harness, user, "/encourage")
    await press(harness, user, "A little")
    await question(user, "How?")
    await send(harness, user, "/skip")
    await question(user, "separate worlds")
    (entry,) = await entries(harness, user, "encourage")
    assert entry.data == {"encouraged": "a_little", "how": None}
