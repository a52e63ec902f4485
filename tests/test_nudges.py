"""Nudges in-process: due at local time, suppressed when done, blocked users, restarts, /remind."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from telegram import Chat, ChatMemberBanned, ChatMemberMember, ChatMemberUpdated, Update, User

from bot.concurrency import PerUserUpdateProcessor
from bot.domain.models import Entry, Profile
from bot.domain.schedule import WeeklySlot
from bot.localapi.user import FakeUser
from bot.nudges import COMPACT_SLACK, NudgeScheduler
from bot.services import Services
from bot.storage import StorageError
from bot.storage.memory import InMemoryRepository
from bot.storage.tinydb_store import TinyDBRepository
from tests.conftest import Clock, Harness, make_config, send

BERLIN_EVENING = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)  # 21:00 in Berlin


def scheduler(h: Harness) -> NudgeScheduler:
    return h.app.bot_data.nudges


async def tick(h: Harness) -> None:
    """Two ticks, as 20 s apart in production: a skipped stale nudge makes room for the next one."""
    for _ in range(2):
        await h.run_job("nudge-tick")
        await scheduler(h).drain()


async def onboarded(h: Harness, user: FakeUser, zone: str = "Europe/Berlin", **extra: object) -> Profile:
    fields: dict[str, object] = {"morning": time(7, 30), "evening": time(21, 0), **extra}
    profile = Profile(user_id=user.id, timezone=zone, onboarded=True, **fields)  # type: ignore[arg-type]
    await h.repo.save_profile(profile)
    return profile


def nudges_to(user: FakeUser) -> list[str]:
    return [m.content for m in user.all_messages() if "Two minutes for your emotion diary" in m.content]


async def test_evening_nudge_arrives_at_local_time_and_starts_the_checkin(
    harness: Harness, clock: Clock
) -> None:
    user = harness.user()
    clock.now = datetime(2026, 11, 28, 19, 59, tzinfo=UTC)
    await onboarded(harness, user)
    await tick(harness)
    assert nudges_to(user) == []
    clock.now = datetime(2026, 11, 28, 20, 0, 5, tzinfo=UTC)
    await tick(harness)
    nudge = await user.next_message()
    assert "Two minutes for your emotion diary" in nudge.content
    await user.press(nudge, "📓 Start check-in")
    await harness.pump()
    await user.wait_for(lambda m: "family of feelings" in m.content)
    profile = await harness.repo.get_profile(user.id)
    assert profile is not None and profile.last_nudged == {"evening": "2026-11-28"}
    await tick(harness)
    assert len(nudges_to(user)) == 1  # not twice the same day


async def test_no_nudge_when_already_done_today(harness: Harness, clock: Clock) -> None:
    user = harness.user()
    clock.now = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
    await onboarded(harness, user)
    await harness.repo.append_entry(
        user.id, Entry(kind="diary", local_date=date(2026, 11, 28), data={"feeling": "calm"})
    )
    clock.now = BERLIN_EVENING
    await tick(harness)
    assert nudges_to(user) == []
    profile = await harness.repo.get_profile(user.id)
    assert profile is not None and profile.last_nudged == {"evening": "2026-11-28"}


async def test_blocked_user_goes_inactive_and_others_still_get_theirs(harness: Harness, clock: Clock) -> None:
    blocked, fine = harness.user(1), harness.user(2, "Ben")
    clock.now = datetime(2026, 11, 28, 19, 0, tzinfo=UTC)
    await onboarded(harness, blocked)
    await onboarded(harness, fine)
    harness.request.api.block(blocked.id)
    clock.now = BERLIN_EVENING
    await tick(harness)
    assert len(nudges_to(fine)) == 1
    profile = await harness.repo.get_profile(blocked.id)
    assert profile is not None and not profile.active
    clock.now = datetime(2026, 11, 29, 20, 0, 5, tzinfo=UTC)
    calls_before = len(harness.request.calls("sendMessage"))
    await tick(harness)
    to_blocked = [
        c for c in harness.request.calls("sendMessage")[calls_before:] if c.params["chat_id"] == blocked.id
    ]
    assert to_blocked == []
    assert len(nudges_to(fine)) == 2
    harness.request.api.unblock(blocked.id)
    await blocked.send("/start")
    await harness.pump()
    profile = await harness.repo.get_profile(blocked.id)
    assert profile is not None and profile.active


async def test_restart_does_not_repeat_a_nudge_and_catches_up_once(
    clock: Clock, disk_repo_factory: Callable[[], TinyDBRepository]
) -> None:
    clock.now = datetime(2026, 11, 28, 19, 0, tzinfo=UTC)
    async with Harness(disk_repo_factory(), clock) as first:
        user = first.user()
        await onboarded(first, user)
    # The bot was down at 21:00 Berlin and is back at 21:40: the nudge comes late, once.
    clock.now = datetime(2026, 11, 28, 20, 40, tzinfo=UTC)
    async with Harness(disk_repo_factory(), clock) as second:
        user = second.user()
        await tick(second)
        assert len(nudges_to(user)) == 1
    async with Harness(disk_repo_factory(), clock) as third:
        user = third.user()
        await tick(third)
        assert nudges_to(user) == []  # this process never sent it again


async def test_missed_beyond_the_window_is_skipped(
    clock: Clock, disk_repo_factory: Callable[[], TinyDBRepository]
) -> None:
    clock.now = datetime(2026, 11, 28, 19, 0, tzinfo=UTC)
    async with Harness(disk_repo_factory(), clock) as first:
        await onboarded(first, first.user())
    clock.now = datetime(2026, 11, 28, 22, 30, tzinfo=UTC)  # 23:30 Berlin: 2.5 h late
    async with Harness(disk_repo_factory(), clock) as second:
        user = second.user()
        await tick(second)
        assert nudges_to(user) == []


async def test_remind_menu_toggles_days_and_pause(harness: Harness, clock: Clock) -> None:
    user = harness.user()
    clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    await onboarded(harness, user)
    await user.send("/remind")
    await harness.pump()
    menu = await user.next_message()
    assert "Evening diary at 21:00: on" in menu.content
    await user.press(menu, "Evening: turn off")
    await harness.pump()
    edited = await user.next_message()
    assert "Evening diary at 21:00: off" in edited.content
    clock.now = BERLIN_EVENING
    await tick(harness)
    assert nudges_to(user) == []
    await user.press(None, "📅 Choose days")
    await harness.pump()
    await user.press(None, "✓ Mon")
    await harness.pump()
    await user.press(None, "← Back")
    await harness.pump()
    await user.press(None, "⏸ Pause")
    await harness.pump()
    await user.press(None, "3 days")
    await harness.pump()
    profile = await harness.repo.get_profile(user.id)
    assert profile is not None
    assert profile.nudges_off == ["evening"] and 0 not in profile.weekdays
    assert profile.paused_until == date(2026, 12, 1)
    paused_menu = [m for m in user.all_messages() if "Reminders resume on Tue 2026-12-01" in m.content]
    assert paused_menu
    await user.press(None, "▶️ Resume")
    await harness.pump()
    profile = await harness.repo.get_profile(user.id)
    assert profile is not None and profile.paused_until is None


async def test_kicked_and_member_again(harness: Harness) -> None:
    user = harness.user()
    await onboarded(harness, user)
    bot_user = harness.app.bot.bot
    person = User(user.id, "Noa", is_bot=False)
    private = Chat(user.id, Chat.PRIVATE)
    kicked = ChatMemberUpdated(
        private, person, datetime(2026, 11, 28, tzinfo=UTC),
        ChatMemberMember(bot_user), ChatMemberBanned(bot_user, until_date=datetime(2026, 11, 28, tzinfo=UTC)),
    )  # fmt: skip
    await harness.app.process_update(Update(9001, my_chat_member=kicked))
    profile = await harness.repo.get_profile(user.id)
    assert profile is not None and not profile.active
    back = ChatMemberUpdated(
        private, person, datetime(2026, 11, 29, tzinfo=UTC),
        ChatMemberBanned(bot_user, until_date=datetime(2026, 11, 28, tzinfo=UTC)), ChatMemberMember(bot_user),
    )  # fmt: skip
    await harness.app.process_update(Update(9002, my_chat_member=back))
    profile = await harness.repo.get_profile(user.id)
    assert profile is not None and profile.active
    assert harness.request.sent_messages(user.id) == []  # unblocking alone sends nothing
    await send(harness, user, "/start")  # Telegram's "Restart" after unblocking
    welcome = (await user.next_message()).content
    assert "Welcome back" in welcome and "reminders are on again" in welcome
    await send(harness, user, "/start")
    assert "reminders are on again" not in (await user.next_message()).content


async def test_weekly_push_sends_the_recap_and_the_encourage_question(harness: Harness, clock: Clock) -> None:
    user = harness.user()
    clock.now = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)  # Sunday
    await onboarded(harness, user, nudges_off=["morning", "evening"])
    await harness.repo.append_entry(
        user.id, Entry(kind="diary", local_date=date(2026, 11, 29), data={"feeling": "calm", "intensity": 2})
    )
    clock.now = datetime(2026, 11, 29, 18, 0, 5, tzinfo=UTC)  # 19:00 Berlin
    before = len(user.all_messages())
    await tick(harness)
    (push,) = user.all_messages()[before:]  # one message a person: 100k at 30 msg/s in 56 min, not 1.9 h
    assert "Check-ins on 1 of 7 days" in push.content and "about your partner's own world" in push.content
    assert push.buttons == [["📊 Show the chart"], ["🤝 Answer it"]]
    await user.press(push, "🤝 Answer it")
    await harness.pump()
    await user.wait_for(lambda m: "encourage your partner's own interests" in m.content)


async def test_a_weekly_push_for_an_empty_week_is_one_message_too(harness: Harness, clock: Clock) -> None:
    user = harness.user()
    clock.now = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)  # Sunday
    await onboarded(harness, user, nudges_off=["morning", "evening"])
    before = len(user.all_messages())
    clock.now = datetime(2026, 11, 29, 18, 0, 5, tzinfo=UTC)  # 19:00 Berlin
    await tick(harness)
    (push,) = user.all_messages()[before:]
    assert "about your partner's own world" in push.content
    assert ["🤝 Answer it"] in push.buttons and len(push.buttons) == 2  # and the check-in button


def morning_nudges(user: FakeUser) -> list[str]:
    return [m.content for m in user.all_messages() if "morning pages?" in m.content]


async def test_a_time_passed_before_a_settings_change_does_not_come_now(
    harness: Harness, clock: Clock
) -> None:
    """Finishing setup (or resuming, or turning a nudge on) at 21:30 with the evening at 21:00:
    no late nudge now; tomorrow's comes. A nudge due but not yet picked up still comes."""
    late, pending = harness.user(1), harness.user(2, "Ben")
    clock.now = datetime(2026, 11, 28, 20, 30, tzinfo=UTC)  # 21:30 Berlin
    await tick(harness)
    await onboarded(harness, late)
    await tick(harness)
    assert nudges_to(late) == []
    clock.now = datetime(2026, 11, 29, 20, 0, 5, tzinfo=UTC)
    await tick(harness)
    assert len(nudges_to(late)) == 1
    # Ben's 21:15 is due a moment before he changes something, and before the next tick.
    clock.now = datetime(2026, 11, 29, 20, 10, tzinfo=UTC)
    await onboarded(harness, pending, evening=time(21, 15))
    await tick(harness)
    clock.now = datetime(2026, 11, 29, 20, 15, 10, tzinfo=UTC)
    profile = await harness.repo.get_profile(pending.id)
    assert profile is not None
    profile.interests = ["climbing"]
    await harness.repo.save_profile(profile)
    await tick(harness)
    assert len(nudges_to(pending)) == 1


async def test_pause_and_weekdays_hold_at_the_time_itself(harness: Harness, clock: Clock) -> None:
    paused, weekdays, control = harness.user(1), harness.user(2, "Ben"), harness.user(3, "Cy")
    clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # Saturday
    await onboarded(harness, paused, paused_until=date(2026, 11, 30))
    await onboarded(harness, weekdays, weekdays=[0, 1, 2, 3, 4])  # not at the weekend
    await onboarded(harness, control)
    for day in (28, 29, 30):
        clock.now = datetime(2026, 11, day, 20, 0, 5, tzinfo=UTC)
        await tick(harness)
    assert len(nudges_to(control)) == 3
    assert len(nudges_to(paused)) == 1  # Monday 30th only: paused until then
    assert len(nudges_to(weekdays)) == 1  # Monday only


async def test_fall_back_day_sends_once_and_spring_forward_gap_still_comes(
    harness: Harness, clock: Clock
) -> None:
    user = harness.user()
    clock.now = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)
    await onboarded(harness, user, morning=time(2, 30))  # Berlin; 02:30 happens twice on 25 October
    for moment in (datetime(2026, 10, 25, 0, 30, 5), datetime(2026, 10, 25, 1, 30, 5)):
        clock.now = moment.replace(tzinfo=UTC)
        await tick(harness)
    assert len(morning_nudges(user)) == 1
    clock.now = datetime(2027, 3, 27, 12, 0, tzinfo=UTC)
    await tick(harness)
    await harness.repo.save_profile((await harness.repo.get_profile(user.id)) or Profile(user.id))
    clock.now = datetime(2027, 3, 28, 1, 30, 5, tzinfo=UTC)  # 03:30 CEST: 02:30 did not exist
    await tick(harness)
    assert len(morning_nudges(user)) == 2


async def test_two_nudges_due_at_the_same_moment_both_come(harness: Harness, clock: Clock) -> None:
    user = harness.user()
    clock.now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)  # Sunday
    await onboarded(harness, user, evening=time(19, 0))  # the weekly recap is at 19:00 too
    clock.now = datetime(2026, 11, 29, 18, 0, 5, tzinfo=UTC)
    await tick(harness)
    assert len(nudges_to(user)) == 1
    assert any("about your partner's own world" in m.content for m in user.all_messages())
    profile = await harness.repo.get_profile(user.id)
    assert profile is not None and profile.last_nudged == {"evening": "2026-11-29", "weekly": "2026-11-29"}


class FlakyRepository(InMemoryRepository):
    """Storage that fails the first few reads of entries (a disk hiccup)."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def list_entries(self, *args: object, **kwargs: object) -> list[Entry]:
        if self.failures:
            self.failures -= 1
            raise StorageError("disk hiccup")
        return await super().list_entries(*args, **kwargs)  # type: ignore[arg-type]


async def test_a_storage_failure_is_retried_and_the_person_stays_scheduled(clock: Clock) -> None:
    async with Harness(FlakyRepository(failures=1), clock) as h:
        user, other = h.user(1), h.user(2, "Ben")
        clock.now = datetime(2026, 11, 28, 19, 0, tzinfo=UTC)
        await onboarded(h, user)
        await onboarded(h, other, evening=time(21, 1))
        clock.now = datetime(2026, 11, 28, 20, 0, 5, tzinfo=UTC)
        await h.run_job("nudge-tick")
        await scheduler(h).drain()
        assert nudges_to(user) == [] and scheduler(h).failed == 1
        clock.now = datetime(2026, 11, 28, 20, 1, 5, tzinfo=UTC)
        await tick(h)
        assert len(nudges_to(user)) == 1  # the next tick tried again
        assert len(nudges_to(other)) == 1
        clock.now = datetime(2026, 11, 29, 20, 1, 5, tzinfo=UTC)
        await tick(h)
        assert len(nudges_to(user)) == 2  # and the day after as usual


async def test_a_nudge_waits_for_the_persons_update_and_never_undoes_it(
    harness: Harness, clock: Clock
) -> None:
    user = harness.user()
    clock.now = datetime(2026, 11, 28, 19, 0, tzinfo=UTC)
    await onboarded(harness, user)
    processor = harness.app.update_processor
    assert isinstance(processor, PerUserUpdateProcessor)
    clock.now = BERLIN_EVENING
    async with processor.holding(user.id):  # the person is mid-update: turning the evening nudge off
        ticking = asyncio.create_task(tick(harness))
        for _ in range(50):
            await asyncio.sleep(0)
        assert not ticking.done() and nudges_to(user) == []
        profile = await harness.repo.get_profile(user.id)
        assert profile is not None
        profile.nudges_off = ["evening"]
        await harness.repo.save_profile(profile)
    await ticking
    assert nudges_to(user) == []
    profile = await harness.repo.get_profile(user.id)
    assert profile is not None and profile.nudges_off == ["evening"] and profile.last_nudged == {}


async def test_settings_changes_do_not_grow_the_index(clock: Clock) -> None:
    """Each change leaves a superseded heap item behind until its time; the heap is compacted."""
    repo = InMemoryRepository()
    index = NudgeScheduler(
        Services(config=make_config(), repo=repo, clock=clock), weekly=WeeklySlot(6, time(19, 0)),
        catch_up=timedelta(hours=2),
    )  # fmt: skip
    clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    people = [
        Profile(user_id=n, timezone="Europe/Berlin", evening=time(21, 0), onboarded=True) for n in range(50)
    ]
    for round_ in range(200):
        for profile in people:
            profile.evening = time(20 + round_ % 3, 0)
            index.plan(profile)
    assert len(index) == 50
    assert len(index._heap) <= 2 * len(index) + COMPACT_SLACK < 10_000 // 5  # 10,000 changes were made
    clock.now = datetime(2026, 11, 28, 20, 0, 5, tzinfo=UTC)  # 21:00 Berlin, the evening last chosen
    assert sorted(user_id for user_id, _, _ in index.pop_due(clock.now)) == list(range(50))


async def test_who_goes_first_among_people_due_at_once_changes_from_day_to_day(clock: Clock) -> None:
    """In a long fan-out the last ones wait minutes; it must not be the same people every day."""
    index = NudgeScheduler(
        Services(config=make_config(), repo=InMemoryRepository(), clock=clock),
        weekly=WeeklySlot(6, time(19, 0)), catch_up=timedelta(hours=2),
    )  # fmt: skip
    people = [Profile(user_id=n, timezone="UTC", evening=time(20, 0), onboarded=True) for n in range(1, 41)]
    orders = []
    for day in (28, 29):
        clock.now = datetime(2026, 11, day, 12, 0, tzinfo=UTC)
        for profile in people:
            index.plan(profile)
        due = index.pop_due(datetime(2026, 11, day, 20, 0, tzinfo=UTC))
        assert sorted(user_id for user_id, _, _ in due) == list(range(1, 41))
        orders.append([user_id for user_id, _, _ in due])
    assert orders[0] != orders[1]
    assert orders[0][-10:] != orders[1][-10:]


class _Recorder:
    """Stands in for the Bot: records when each message was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, float]] = []

    async def send_message(self, chat_id: int, text: str, **kwargs: object) -> None:
        self.sent.append((chat_id, asyncio.get_running_loop().time()))


class _NoJobs:
    def run_repeating(self, *args: object, **kwargs: object) -> None:
        """The backstop tick never comes in this test."""


async def test_a_nudge_goes_at_its_instant_not_at_the_next_tick() -> None:
    loop = asyncio.get_running_loop()
    started, base = loop.time(), datetime(2026, 11, 28, 19, 59, 59, 700_000, tzinfo=UTC)

    def real_clock() -> datetime:
        return base + timedelta(seconds=loop.time() - started)

    repo = InMemoryRepository()
    index = NudgeScheduler(
        Services(config=make_config(), repo=repo, clock=real_clock),
        weekly=WeeklySlot(6, time(19, 0)), catch_up=timedelta(hours=2),
    )  # fmt: skip
    profile = Profile(user_id=5, timezone="UTC", evening=time(20, 0), onboarded=True)
    await repo.save_profile(profile)
    index.plan(profile)
    bot = _Recorder()
    index.start_workers(bot)  # type: ignore[arg-type]
    index.start_ticking(_NoJobs(), interval=3600)  # type: ignore[arg-type]
    try:
        for _ in range(300):
            if bot.sent:
                break
            await asyncio.sleep(0.01)
    finally:
        await index.stop_workers()
    assert [chat for chat, _ in bot.sent] == [5]
    late = bot.sent[0][1] - (started + 0.3)
    assert 0 <= late < 0.5


async def test_the_weekly_push_sends_the_chart_only_when_asked(harness: Harness, clock: Clock) -> None:
    """Rendering a chart per person (~0.1 s of CPU) would make a push to 100k people take hours."""
    user = harness.user()
    clock.now = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)  # Sunday
    await onboarded(harness, user, nudges_off=["morning", "evening"])
    await harness.repo.append_entry(
        user.id, Entry(kind="diary", local_date=date(2026, 11, 29), data={"feeling": "calm", "intensity": 2})
    )
    clock.now = datetime(2026, 11, 29, 18, 0, 5, tzinfo=UTC)  # 19:00 Berlin
    await tick(harness)
    assert harness.request.calls("sendPhoto") == []
    recap = next(m for m in user.all_messages() if "Check-ins on 1 of 7 days" in m.content)
    await user.press(recap, "📊 Show the chart")
    await harness.pump()
    photo = await user.wait_for(lambda m: m.method == "sendPhoto")
    assert photo.caption == "Your week at a glance"


async def test_a_push_waiting_its_turn_longer_than_the_catch_up_window_still_goes(clock: Clock) -> None:
    """The window is for time the bot was down; a long fan-out makes people wait, never skips them."""
    repo = InMemoryRepository()
    sent: list[int] = []

    async def slow_recap(bot: object, svc: Services, uid: int, language: str) -> None:
        sent.append(uid)
        clock.now += timedelta(hours=3)  # each recap "takes" three hours

    index = NudgeScheduler(
        Services(config=make_config(), repo=repo, clock=clock), weekly=WeeklySlot(6, time(19, 0)),
        catch_up=timedelta(hours=2), send_recap=slow_recap,
    )  # fmt: skip
    clock.now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)  # Sunday
    for uid in (1, 2):
        profile = Profile(user_id=uid, timezone="UTC", morning=None, evening=None, onboarded=True)
        await repo.save_profile(profile)
        index.plan(profile)
    index.start_workers(_Recorder())  # type: ignore[arg-type]
    clock.now = datetime(2026, 11, 29, 19, 0, 5, tzinfo=UTC)
    try:
        await index.enqueue_due()
        await index.drain()
    finally:
        await index.stop_workers()
    assert sorted(sent) == [1, 2]
