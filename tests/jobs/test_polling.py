"""The polling schedule: a job's own progress places the poll just after it will be done."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.jobs import following
from bot.jobs.callbacks import CallbackTrust
from bot.jobs.model import Job
from bot.jobs.polling import Durations, Pace, PollPolicy, poll_delay
from bot.jobs.waiting import on_tick, wait_event
from tests.conftest import a_job
from tests.fakes.bfl import FakeBFL
from tests.fakes.ttapi import FakeTTAPI
from tests.helpers import MANAGER_ENV_STORE, finished_job, manager_env, submit

POLICY = PollPolicy(min_interval=0.5, max_interval=15.0, jitter=0.0)
WINDOW = Durations(8.0, 10.0, 15.0)


def test_one_report_is_read_as_progress_since_the_submit():
    pace = Pace()
    pace.report(6.0, 0.6)
    assert pace.finish() == pytest.approx(10.0)


def test_two_reports_measure_the_pace_so_time_queued_at_the_provider_does_not_count():
    pace = Pace()
    pace.report(4.0, 0.1)  # it waited ~3.5 s in the provider's queue, then runs at 20 %/s
    pace.report(6.0, 0.5)
    assert pace.finish() == pytest.approx(8.5)


def test_missing_repeated_and_backward_figures():
    pace = Pace()
    pace.report(1.0, 1.0)  # over: nothing to learn from, no estimate
    assert pace.finish() is None
    pace.report(2.0, 0.2)
    pace.report(3.0, 0.2)  # the same figure again: the pace is not "zero"
    assert pace.finish() == pytest.approx(10.0)
    pace.report(4.0, 0.1)  # backwards (the provider restarted it, when is not known): no estimate ...
    assert pace.finish() is None
    assert pace.measuring
    pace.report(5.0, 0.3)  # ... until a second figure measures the pace again
    assert pace.finish() == pytest.approx(8.5)
    assert not pace.measuring


def test_a_figure_after_the_job_was_seen_queued_waits_for_a_second_one_to_measure_the_pace():
    pace = Pace()
    pace.report(8.0, None)  # `Pending` without a figure: still in the provider's queue
    pace.report(20.0, 0.0)  # nor is 0 a figure: not started
    pace.report(31.0, 0.03)  # 0.3 s into a 10-s run: as linear since the submit, done at ~17 min
    assert pace.finish() is None
    assert pace.measuring
    # The next poll measures its pace one step of the model's window later (not a minute, the cap).
    assert poll_delay(31.0, WINDOW, POLICY, measuring=True) == pytest.approx(1.0)
    pace.report(32.0, 0.13)
    assert not pace.measuring
    assert pace.finish() == pytest.approx(32.0 + 0.87 * 10.0)
    stuck = Pace()
    stuck.report(8.0, None)
    stuck.report(31.0, 0.03)
    stuck.report(32.0, 0.03)  # the measuring poll reads the same figure: one such poll, no more ...
    assert not stuck.measuring
    assert stuck.finish() is None  # ... the model's window decides, as for a job without a figure
    stuck.report(40.0, 0.1)
    assert stuck.finish() == pytest.approx(40.0 + 0.9 * 9 / 0.07)
    running = Pace()
    running.report(3.0, 0.3)  # running when first looked at: linear since the submit, as before
    assert running.finish() == pytest.approx(10.0)
    assert not running.measuring
    running.report(4.0, None)  # a figure missing later changes nothing
    assert running.finish() == pytest.approx(10.0)


def test_a_job_that_queued_at_the_provider_is_seen_seconds_after_its_end_not_up_to_a_minute():
    # A 10-s job (the model's usual time) that first waited 8.5 to 156 s in the provider's queue,
    # `Pending` without a figure until it runs (BFL's figure, to 2 decimals), looked at from the
    # window's fast end (8 s) on. Before, the first figure (a few %) was read as linear since the
    # submit, putting its end minutes away: the next poll came a minute (the cap) later.
    queues = [8.5 + 0.37 * n for n in range(400)]
    before = [looks_queued(queued, 10.0, seen_queued=False) for queued in queues]
    after = [looks_queued(queued, 10.0) for queued in queues]
    late_before = sorted(late for _, late in before)
    late_after = sorted(late for _, late in after)
    assert late_before[len(queues) // 2] > 25.0  # the median job: half a minute late
    assert late_before[-1] > 50.0
    assert late_after[len(queues) // 2] < 0.5
    assert late_after[int(len(queues) * 0.9)] < 3.0
    # The slowest: a first figure of 0 (it had just started), then the window's cap (15 s) as for
    # any job without a figure.
    assert late_after[-1] <= POLICY.max_interval
    # At most one poll more per job: the one that measures the pace.
    assert all(0 <= polls - was <= 1 for (polls, _), (was, _) in zip(after, before, strict=True))


LEARNED = Durations(8.0, 10.0, 15.0, samples=20)


def test_a_first_figure_far_too_small_for_the_time_since_the_submit_is_measured_not_believed():
    pace = Pace(beyond=LEARNED.high * POLICY.queued_beyond)
    pace.report(8.0, 0.02)  # as linear since the submit: done at 400 s, 27 times the slow end (15 s)
    assert pace.finish() is None
    assert pace.measuring
    pace.report(9.0, 0.12)  # a step later: 10 %/s, it left BFL's queue just before the first poll
    assert pace.finish() == pytest.approx(9.0 + 0.88 * 10.0)
    assert not pace.measuring  # two figures: nothing more to doubt
    for figure in (0.3, 0.6):  # within twice the slow end (30 s): believed, as before
        believed = Pace(beyond=LEARNED.high * POLICY.queued_beyond)
        believed.report(8.0, figure)
        assert not believed.measuring
        assert believed.finish() == pytest.approx(8.0 / figure)


def looks_queued(
    queued: float,
    length: float,
    window: Durations = WINDOW,
    *,
    seen_queued: bool = True,
    doubt: bool = False,
) -> tuple[int, float]:
    """Polls of a job of `length` s that waited `queued` s in the provider's queue (`Pending`
    without a figure, then BFL's figure to 2 decimals), first looked at at the window's fast end:
    (polls, seen late). `seen_queued`: the answers without a figure are read (before 8718177 they
    were not); `doubt`: a first figure too small for a learned window is measured, as
    bot/jobs/following.py does (3823503)."""
    learned = doubt and window.samples >= POLICY.min_samples
    pace = Pace(beyond=window.high * POLICY.queued_beyond if learned else None)
    elapsed, polls = window.low, 1
    end = queued + length
    while elapsed < end:
        running = elapsed - queued
        figure = None if running < 0 else round(min(0.99, running / length), 2)
        if figure is not None or seen_queued:
            pace.report(elapsed, figure)
        elapsed += poll_delay(
            elapsed,
            window,
            POLICY,
            finish=pace.finish(),
            steady=pace.steady(POLICY.steady),
            measuring=pace.measuring,
        )
        polls += 1
    return polls, elapsed - end


def test_a_job_that_left_the_providers_queue_just_before_its_first_poll_is_seen_just_after_its_end():
    # 10-s jobs (the model's learned time) that waited 0-7.96 s in the provider's queue and so
    # had just started when first looked at (8 s): a few % read as linear since the submit put the
    # end of the late starters minutes away, and the next poll went up to a minute (the cap) later.
    queues = [0.02 * n for n in range(399)]
    before = [looks_queued(q, 10.0, LEARNED, doubt=False) for q in queues]
    after = [looks_queued(q, 10.0, LEARNED, doubt=True) for q in queues]
    late_before = sorted(late for _, late in before)
    late_after = sorted(late for _, late in after)
    assert late_before[len(queues) // 2] > 5.0
    assert late_before[int(len(queues) * 0.9)] > 30.0
    assert late_before[-1] > 45.0
    assert late_after[len(queues) // 2] < 1.0
    assert late_after[int(len(queues) * 0.9)] < 8.0  # a first figure of 18-27 %: believed, as before
    assert late_after[-1] < 9.0
    # At most one poll more each: the one that measures the pace.
    assert all(0 <= polls - was <= 1 for (polls, _), (was, _) in zip(after, before, strict=True))


def test_a_first_figure_is_believed_without_a_learned_window_and_for_jobs_within_twice_the_slow_end():
    # The catalogue's guess (no history yet): a new model or size may be that much slower, and
    # the 10,000-job benchmark's jobs of minutes are first looked at that way: unchanged.
    guessed = dataclasses.replace(LEARNED, samples=0)
    for queued, length in ((6.0, 10.0), (0.0, 240.0)):
        assert looks_queued(queued, length, guessed, doubt=True) == looks_queued(
            queued, length, guessed, doubt=False
        )
    # Learned: jobs running all along for 6-30 s (up to twice the slow end) are polled as before.
    for length in (6.0 + 0.06 * n for n in range(400)):
        assert looks_queued(0.0, length, LEARNED, doubt=True) == looks_queued(
            0.0, length, LEARNED, doubt=False
        )
    # The price: a 4-minute job of a model learned at 10 s is polled 8 times instead of 5 (a pace
    # measured over one step from 2-decimal figures is rough), and still seen within 3 s of its end.
    polls, late = looks_queued(0.0, 240.0, LEARNED, doubt=True)
    assert (polls, looks_queued(0.0, 240.0, LEARNED, doubt=False)[0]) == (8, 5)
    assert late < 3.0


def test_the_poll_goes_just_after_the_predicted_finish_within_the_bounds():
    # Without progress: the model's window (wait until its fast end).
    assert poll_delay(2.0, WINDOW, POLICY) == pytest.approx(6.0)
    # With it: just after the finish (margin 0.1 s + 2 % of the time to go) ...
    assert poll_delay(8.0, WINDOW, POLICY, finish=9.0) == pytest.approx(1.0 + 0.1 + 0.02)
    # ... never sooner than the minimum interval, never later than the cap ...
    assert poll_delay(8.9, WINDOW, POLICY, finish=9.0) == POLICY.min_interval
    assert poll_delay(1.0, WINDOW, POLICY, finish=20.0) == POLICY.max_interval
    # ... and once the predicted moment has passed, the window decides again.
    assert poll_delay(12.0, WINDOW, POLICY, finish=11.0) == pytest.approx(poll_delay(12.0, WINDOW, POLICY))


def test_a_finish_minutes_away_is_approached_in_halves_at_most_a_minute_apart():
    # 99 s to go: half way (49.5 s), not the 15 s cap; 200 s: the minute; 24 s: the cap, as before.
    assert poll_delay(1.0, WINDOW, POLICY, finish=100.0) == pytest.approx(49.5)
    assert poll_delay(0.0, WINDOW, POLICY, finish=200.0) == POLICY.max_predicted_interval
    assert poll_delay(1.0, WINDOW, POLICY, finish=25.0) == POLICY.max_interval
    # A 4-minute job whose progress is linear, first seen at 8 s: 7 polls, not one every 15 s (17).
    elapsed, polls = 8.0, 1
    while elapsed < 240.0:
        elapsed += poll_delay(elapsed, WINDOW, POLICY, finish=240.0)
        polls += 1
    assert polls == 7
    assert elapsed - 240.0 < 0.5  # and it is seen within half a second of its end


def test_the_pace_is_steady_once_two_paces_measured_agree_on_the_end():
    linear = Pace()
    linear.report(8.0, 0.03)  # a 240 s job: read as linear since the submit, done at 267 s
    linear.report(68.0, 0.28)  # its first pace: 241 s
    assert not linear.steady(POLICY.steady)  # one pace: nothing to agree with (nor the guess)
    linear.report(128.0, 0.53)  # its second: 241 s again
    assert linear.steady(POLICY.steady)
    queued = Pace()
    queued.report(4.0, 0.1)  # it waited in the provider's queue: not 40 s ...
    queued.report(6.0, 0.5)  # ... but 8.5 s
    assert not queued.steady(POLICY.steady)
    queued.report(7.0, 0.7)  # the same end again: 8.5 s
    assert queued.steady(POLICY.steady)
    queued.report(7.5, 0.75)  # slower now: 8.85 s, 0.35 s off of the 1.35 s it had to go
    assert not queued.steady(POLICY.steady)
    queued.report(8.0, 0.5)  # backwards (a retry at the provider): nothing is known again
    queued.report(9.0, 0.6)
    assert not queued.steady(POLICY.steady)


def test_once_the_pace_is_steady_the_poll_goes_just_after_the_end_at_most_a_minute_away():
    # 99 s to go: halving went 49.5 s; with two agreeing readings, the minute's cap ...
    assert poll_delay(1.0, WINDOW, POLICY, finish=100.0, steady=True) == POLICY.max_predicted_interval
    # ... and 40 s to go: just after the end (0.1 s + 2 % of it), where halving went 20 s.
    assert poll_delay(60.0, WINDOW, POLICY, finish=100.0, steady=True) == pytest.approx(40.0 + 0.1 + 0.8)
    assert poll_delay(60.0, WINDOW, POLICY, finish=100.0) == pytest.approx(20.0)


def test_a_job_of_minutes_with_a_steady_pace_takes_5_polls_not_8():
    # A 4-minute job whose progress is linear (BFL's figure, to 2 decimals), first seen at 8 s.
    def looks(trust: bool) -> tuple[int, float]:
        pace, elapsed, polls = Pace(), 8.0, 1
        while elapsed < 240.0:
            pace.report(elapsed, round(min(0.99, elapsed / 240.0), 2))
            steady = trust and pace.steady(POLICY.steady)
            elapsed += poll_delay(elapsed, WINDOW, POLICY, finish=pace.finish(), steady=steady)
            polls += 1
        return polls, elapsed

    assert looks(trust=False)[0] == 8  # halving: 8, 68, 128, 184, 212, 227, 239, 242 s
    polls, seen = looks(trust=True)
    assert polls == 5  # 8, 68, 128, 188 s (each a minute: the cap), then just after its end
    assert seen - 240.0 < 2.0  # seen within 2 s of its end (0.1 s + 2 % of the last 52 s)


def test_a_job_of_minutes_still_running_after_its_predicted_end_is_looked_at_again_soon():
    # A 4-minute job predicted to end at 240 s, found still running just after: 1 % of its length
    # (its last figure, 0.99, leaves about that much) plus half of how late it is ...
    assert poll_delay(240.2, WINDOW, POLICY, finish=240.0) == pytest.approx(0.1 + 2.4 + 0.1)
    assert poll_delay(250.0, WINDOW, POLICY, finish=240.0) == pytest.approx(0.1 + 2.4 + 5.0)
    # ... at most the cap apart, where the model's window (long passed) waited the cap at once.
    assert poll_delay(300.0, WINDOW, POLICY, finish=240.0) == POLICY.max_interval
    assert poll_delay(240.2, WINDOW, dataclasses.replace(POLICY, overdue=0.0), finish=240.0) == (
        POLICY.max_interval
    )
    # A job of under a minute is left to the model's window, as before ...
    assert poll_delay(12.0, WINDOW, POLICY, finish=11.0) == pytest.approx(poll_delay(12.0, WINDOW, POLICY))
    assert poll_delay(45.0, WINDOW, POLICY, finish=40.0) == pytest.approx(poll_delay(45.0, WINDOW, POLICY))
    # ... and so are the fallback polls of a job whose callback will say it is over.
    callbacks = POLICY.for_callbacks()
    assert poll_delay(250.0, WINDOW, callbacks, finish=240.0) == poll_delay(250.0, WINDOW, callbacks)


def test_jobs_of_minutes_whose_last_figure_reads_099_twice_are_seen_within_3_s_of_their_end():
    # BFL's figure to two decimals, held at 0.99 until the job is over (as tests/fakes/bfl.py
    # answers): a pace measured from rounded figures can place the end a little early, the poll
    # just after it reads 0.99 again, and the model's window, long passed, waited the cap (15 s).
    def looks(policy: PollPolicy, length: float, first: float) -> tuple[int, float]:
        pace, elapsed, polls = Pace(), first, 1
        while elapsed < length:
            pace.report(elapsed, round(min(0.99, elapsed / length), 2))
            steady = pace.steady(policy.steady)
            elapsed += poll_delay(elapsed, WINDOW, policy, finish=pace.finish(), steady=steady)
            polls += 1
        return polls, elapsed - length

    jobs = [(120.0 + 0.37 * n, 6.0 + (n % 5)) for n in range(500)]  # 2 to 5 minutes, first seen at 6-10 s
    before = [looks(dataclasses.replace(POLICY, overdue=0.0), *job) for job in jobs]
    after = [looks(POLICY, *job) for job in jobs]
    assert max(late for _, late in before) > 10.0  # the tail this fixes
    assert max(late for _, late in after) < 3.5
    # The same number of polls, give or take one for the few that were late.
    assert all(0 <= polls - was <= 1 for (polls, _), (was, _) in zip(after, before, strict=True))


async def test_a_bfl_job_is_polled_once_for_its_pace_and_once_when_it_is_done(tmp_path, fake_bfl: FakeBFL):
    # The model's window is guessed as 0.8 … 1.5 × 1 s; the job really takes 1.4 s. Polling the
    # window every 0.1 s would take ~7 polls; its progress (≈ 57 % at 0.8 s) says when it ends.
    fake_bfl.duration = 1.4
    policy = PollPolicy(min_interval=0.05, max_interval=5.0, typical_override=1.0, jitter=0.0)
    async with manager_env(tmp_path, bfl=fake_bfl, policy=policy) as (services, sink, _):
        job = await submit(services, 1, provider="bfl")
        done = await services.manager.wait_for(job.id, 10)
    assert done.state.value == "delivered"
    assert sink.delivered == {job.id: 1}
    assert 1 <= done.polls <= 2
    assert len(fake_bfl.polls()) == done.polls


async def one_delivered_bfl_job(tmp_path: Path, fake_bfl: FakeBFL, policy: PollPolicy) -> Job:
    """One BFL job polled on `policy`, which must be delivered, once: the job as it ended."""
    async with manager_env(tmp_path, bfl=fake_bfl, policy=policy) as (services, sink, _):
        job = await submit(services, 1, provider="bfl")
        done = await services.manager.wait_for(job.id, 15)
    assert done.state.value == "delivered"
    assert sink.delivered == {job.id: 1}
    return done


@pytest.mark.usefixtures("on_each_backend")
async def test_a_long_bfl_job_is_polled_just_after_its_end_once_two_readings_agree(
    tmp_path, fake_bfl: FakeBFL
):
    # Minutes on a scale of seconds: halving beyond 1 s to go, at most 3 s apart. The job takes
    # 6 s: read at 0.4 s (7 %: done at ~5.7 s), half way to that (3.05 s, 51 %: its pace says 6 s),
    # half way again (4.5 s, 75 %: 6 s again), then, the two paces agreeing, just after its end:
    # 4 polls. Halving all the way read it at 0.4, 3.05, 4.5, 5.3, 5.8 and 6.1 s: 6.
    fake_bfl.duration = 6.0
    policy = PollPolicy(
        min_interval=0.05, max_interval=0.5, max_predicted_interval=3.0, typical_override=0.5, jitter=0.0
    )
    done = await one_delivered_bfl_job(tmp_path, fake_bfl, policy)
    assert done.polls == 4 == len(fake_bfl.polls())
    assert done.ready_at is not None
    assert done.submitted_at is not None
    # Seen just after its end: the margin (0.1 s) and 2 % of the 1.5 s to go.
    assert done.ready_at - done.submitted_at - 6.0 <= 0.1 + 0.03 + SLACK


def test_a_wait_before_a_poll_ends_on_a_tick_of_at_most_a_tenth_of_it():
    assert following.poll_tick(0.4) == following.poll_tick(0.99) == 0.0  # a job about to end: exact
    assert following.poll_tick(1.0) == following.poll_tick(4.9) == 0.1
    assert following.poll_tick(5.0) == following.poll_tick(9.9) == 0.5
    assert following.poll_tick(10.0) == following.poll_tick(60.0) == 1.0
    # Each tick a multiple of the one before: a coarse tick's polls go with the fine ticks' ones.
    ticks = following.POLL_TICKS
    assert all(round(b / a, 9) == int(round(b / a, 9)) for a, b in itertools.pairwise(ticks))


async def test_a_wait_of_a_second_or_more_before_a_poll_ends_on_the_shared_tick(
    tmp_path, fake_bfl: FakeBFL, monkeypatch: pytest.MonkeyPatch
):
    # The 6 s job above: its waits are 0.4 s (the window's first look), then 2.65, 1.45 and ~1.5 s
    # (its pace). Those of a second or more end on the next 100 ms of the loop's clock, where the
    # polls of the other jobs due then go too; the short one is left exact.
    waits: list[tuple[float, float, float, float]] = []  # timeout, tick, started, ended

    async def recorded(event: asyncio.Event, timeout: float, *, tick: float = 0.0) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await wait_event(event, timeout, tick=tick)
        waits.append((timeout, tick, started, loop.time()))

    monkeypatch.setattr(following, "wait_event", recorded)
    fake_bfl.duration = 6.0
    policy = PollPolicy(
        min_interval=0.05, max_interval=0.5, max_predicted_interval=3.0, typical_override=0.5, jitter=0.0
    )
    done = await one_delivered_bfl_job(tmp_path, fake_bfl, policy)
    assert done.polls == 4 == len(fake_bfl.polls()) == len(waits)
    short = [w for w in waits if w[0] < 1.0]
    long = [w for w in waits if w[0] >= 1.0]
    assert len(short) == 1
    assert len(long) == 3
    assert all(tick == 0.0 for _, tick, _, _ in short)
    for timeout, tick, started, ended in long:
        assert tick == 0.1
        assert ended >= on_tick(started + timeout, tick) - 0.002  # not before its tick
    # Still seen just after its end: the margin, 2 % of the time to go and at most one tick.
    assert done.ready_at is not None
    assert done.submitted_at is not None
    assert done.ready_at - done.submitted_at - 6.0 <= 0.1 + 0.03 + 0.1 + SLACK


def looks_until_over(policy: PollPolicy, *, end: float, first: float = 30.0) -> tuple[int, float]:
    """A job first looked at `first` s in, whose progress predicts `end`: how many looks until one
    comes after it, and when that one comes (seconds since submission)."""
    elapsed, polls = first, 1
    while elapsed < end:
        elapsed += poll_delay(elapsed, WINDOW, policy, finish=end)
        polls += 1
    return polls, elapsed


def test_with_a_callback_coming_the_fallback_polls_go_a_grace_after_the_predicted_end():
    fallback = POLICY.for_callbacks()
    # 185 s to go: a minute (the cap of a fallback poll), where polling proper approaches in halves.
    assert poll_delay(15.0, WINDOW, fallback, finish=200.0) == fallback.callback_max_interval
    # 10 s to go: its end + the grace (5 s), by when the callback should have come.
    assert poll_delay(190.0, WINDOW, fallback, finish=200.0) == pytest.approx(10.0 + 5.0 + 0.2)
    # A 4-minute job first seen at 30 s: 5 looks in all if its callback were lost (on the window alone: 21).
    polls, elapsed = looks_until_over(fallback, end=240.0)
    assert polls == 5
    assert 5.0 <= elapsed - 240.0 < 6.0


def test_while_callbacks_are_trusted_the_fallback_poll_waits_for_the_predicted_end_however_far():
    trusting = POLICY.for_callbacks(trusted=True)
    # 185 s to go: one look, a grace after its end (not every minute: 5 looks for a 4-minute job).
    assert poll_delay(15.0, WINDOW, trusting, finish=200.0) == pytest.approx(185.0 + 5.0 + 3.7)
    polls, _ = looks_until_over(trusting, end=240.0)
    assert polls == 2
    # The bound on a lost callback: never more than five minutes between two looks.
    assert poll_delay(15.0, WINDOW, trusting, finish=900.0) == trusting.callback_trusted_interval == 300.0
    assert poll_delay(1500.0, WINDOW, trusting) == 300.0  # no progress, long past its window


def test_a_providers_callbacks_are_trusted_until_a_poll_finds_a_job_over_before_its_callback():
    now = [0.0]
    trust = CallbackTrust(distrust=600.0, clock=lambda: now[0])
    assert trust.trusted("bfl")
    assert trust.missed("bfl") is True  # the miss that ends the trust
    assert not trust.trusted("bfl")
    assert trust.trusted("ttapi")
    now[0] = 300.0
    assert trust.missed("bfl") is False  # already not trusted: 10 minutes from this one
    now[0] = 899.0
    assert not trust.trusted("bfl")
    now[0] = 900.0
    assert trust.trusted("bfl")


# Fallback polls on a scale of seconds: the model's window guessed from 0.2 s (its slow end 0.3 s:
# the first fallback poll), a grace of 0.2 s after a predicted end, caps of 0.5 s (not trusted) and
# 5 s (trusted).
FALLBACK = PollPolicy(
    min_interval=0.05,
    max_interval=0.2,
    typical_override=0.2,
    jitter=0.0,
    callback_max_interval=0.5,
    callback_grace=0.2,
    callback_trusted_interval=5.0,
)
#: How late a look may come on a shared machine under load (seconds).
SLACK = 0.5


@pytest.fixture
def on_each_backend(database_url: str) -> Iterator[None]:
    MANAGER_ENV_STORE["database_url"] = database_url
    yield
    MANAGER_ENV_STORE.clear()


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


@pytest.mark.usefixtures("on_each_backend")
async def test_a_bfl_job_that_waited_in_bfls_queue_is_found_just_after_its_end(tmp_path, fake_bfl: FakeBFL):
    # It waits 2.5 s in BFL's queue (`Pending`, progress null), then runs for 1 s. Looked at from
    # 1.6 s every 0.2 s (the window's step); the first figure (~10 % at ~2.6 s) used to be read as
    # linear since the submit (done at ~26 s), so the next poll went 3 s later (the cap here), 2 s
    # after the job was over. Now one step later measures its pace, and a poll goes just after it.
    fake_bfl.queued, fake_bfl.duration = 2.5, 1.0
    policy = PollPolicy(
        min_interval=0.05, max_interval=0.5, max_predicted_interval=3.0, typical_override=2.0, jitter=0.0
    )
    done = await one_delivered_bfl_job(tmp_path, fake_bfl, policy)
    assert done.ready_at is not None
    assert done.submitted_at is not None
    assert done.ready_at - done.submitted_at - 3.5 <= 0.1 + SLACK
    assert done.polls == len(fake_bfl.polls())


@pytest.mark.usefixtures("on_each_backend")
async def test_a_bfl_job_that_left_bfls_queue_just_before_its_first_poll_is_found_just_after_its_end(
    tmp_path, fake_bfl: FakeBFL
):
    # The model's jobs took 2 s each (five in the store: a learned window, 2 s at its slow end).
    # This one waits 1.6 s in BFL's queue, then runs 2 s; the first poll (at the window's fast end,
    # 2 s) reads ~20 %: as linear since the submit, done at ~10 s, and the next poll went 3 s
    # later (the cap here), 1.4 s after the job was over. Now 20 % that late is doubted: one step
    # later (0.2 s) a second figure measures its pace, and a poll goes just after its end (3.6 s).
    fake_bfl.queued, fake_bfl.duration = 1.6, 2.0
    policy = PollPolicy(min_interval=0.05, max_interval=3.0, max_predicted_interval=3.0, jitter=0.0)
    async with manager_env(tmp_path, bfl=fake_bfl, policy=policy) as (services, sink, _):
        for n in range(policy.min_samples):
            earlier = dataclasses.replace(a_job(), id=f"earlier{n}", seq=n + 1, provider="bfl")
            await finished_job(services, earlier, took=2.0)
        job = await submit(services, 1, provider="bfl")
        done = await services.manager.wait_for(job.id, 15)
    assert done.state.value == "delivered"
    assert sink.delivered == {job.id: 1}
    assert done.ready_at is not None
    assert done.submitted_at is not None
    assert done.ready_at - done.submitted_at - 3.6 <= 0.1 + SLACK
    assert done.polls == len(fake_bfl.polls()) <= 4


@pytest.mark.usefixtures("on_each_backend")
async def test_with_callbacks_arriving_a_job_is_polled_once_for_its_pace(tmp_path, fake_bfl: FakeBFL):
    # A 2 s job: one poll at 0.3 s reads its pace (15 %), the next would go at 2.2 s; its callback
    # comes at 2 s. With the untrusted cap (0.5 s) it was polled at 0.3, 0.8, 1.3 and 1.8 s.
    fake_bfl.duration = 2.0
    async with manager_env(tmp_path, bfl=fake_bfl, callbacks=True, policy=FALLBACK) as (services, sink, _):
        job = await submit(services, 1, provider="bfl")
        done = await services.manager.wait_for(job.id, 15)
        assert services.manager.mailbox.trust.trusted("bfl")
    assert done.state.value == "delivered"
    assert sink.delivered == {job.id: 1}
    assert done.polls == 1 == len(fake_bfl.polls())
    assert len(fake_bfl.callbacks_sent) == 1


@pytest.mark.usefixtures("on_each_backend")
async def test_a_lost_bfl_callback_is_found_a_grace_after_the_predicted_end_then_polls_close_up(
    tmp_path, fake_bfl: FakeBFL
):
    fake_bfl.duration = 2.0
    fake_bfl.lose_callbacks = True
    async with manager_env(tmp_path, bfl=fake_bfl, callbacks=True, policy=FALLBACK) as (services, sink, _):
        first = await submit(services, 1, provider="bfl")
        done = await services.manager.wait_for(first.id, 15)
        # Trusted: its pace at 0.3 s, then one look at its end + the grace, where it is found.
        assert done.polls == 2
        assert done.ready_at is not None
        assert done.submitted_at is not None
        assert done.ready_at - done.submitted_at - 2.0 <= FALLBACK.callback_grace + 0.04 + SLACK
        # That look found it over without its callback: BFL's callbacks are not trusted now, and
        # the next job's fallback polls are at most the closer cap apart.
        assert not services.manager.mailbox.trust.trusted("bfl")
        second = await submit(services, 2, provider="bfl")
        again = await services.manager.wait_for(second.id, 15)
    assert sink.delivered == {first.id: 1, second.id: 1}
    looks = [r.at for r in fake_bfl.polls() if r.query.get("id") == again.provider_job_id]
    assert len(looks) >= 4
    assert max(gaps(looks)) <= FALLBACK.callback_max_interval + SLACK


@pytest.mark.usefixtures("on_each_backend")
async def test_a_lost_ttapi_callback_without_progress_is_found_within_the_trusted_cap(
    tmp_path, fake_ttapi: FakeTTAPI
):
    # TTAPI reports no progress: the window decides, backing off in proportion to how late the
    # job is, and no two looks are further apart than the trusted cap (here 1 s).
    fake_ttapi.duration = 3.0
    fake_ttapi.callback_copies = 0  # its callback never comes
    policy = dataclasses.replace(FALLBACK, callback_max_interval=0.25, callback_trusted_interval=1.0)
    async with manager_env(tmp_path, ttapi=fake_ttapi, callbacks=True, policy=policy) as (services, sink, _):
        job = await submit(services, 1, provider="ttapi")
        done = await services.manager.wait_for(job.id, 15)
        assert not services.manager.mailbox.trust.trusted("ttapi")
    assert sink.delivered == {job.id: 1}
    looks = [r.at for r in fake_ttapi.requests if r.path.endswith("/fetch")]
    assert max(gaps(looks)) <= policy.callback_trusted_interval + SLACK
    assert done.ready_at is not None
    assert done.submitted_at is not None
    assert done.ready_at - done.submitted_at - 3.0 <= policy.callback_trusted_interval + SLACK
    # Past its window it backed off beyond the untrusted cap, which the trust allowed.
    assert max(gaps(looks)) > policy.callback_max_interval
