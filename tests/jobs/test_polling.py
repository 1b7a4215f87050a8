"""The polling schedule: a job's own progress places the poll just after it will be done."""

from __future__ import annotations

import pytest

from bot.jobs.polling import Durations, Pace, PollPolicy, poll_delay
from tests.fakes.bfl import FakeBFL
from tests.helpers import manager_env, submit

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
    for figure in (None, 0.0, 1.0):
        pace.report(1.0, figure)  # nothing to learn from: no estimate
    assert pace.finish() is None
    pace.report(2.0, 0.2)
    pace.report(3.0, 0.2)  # the same figure again: the pace is not "zero"
    assert pace.finish() == pytest.approx(10.0)
    pace.report(4.0, 0.1)  # backwards (the provider restarted it): start again from here
    assert pace.finish() == pytest.approx(40.0)


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


def test_with_a_callback_coming_the_fallback_polls_go_a_grace_after_the_predicted_end():
    fallback = POLICY.for_callbacks()
    # 185 s to go: a minute (the cap of a fallback poll), where polling proper approaches in halves.
    assert poll_delay(15.0, WINDOW, fallback, finish=200.0) == fallback.callback_max_interval
    # 10 s to go: its end + the grace (5 s), by when the callback should have come.
    assert poll_delay(190.0, WINDOW, fallback, finish=200.0) == pytest.approx(10.0 + 5.0 + 0.2)
    # A 4-minute job first seen at 30 s: 5 looks in all if its callback were lost (on the window alone: 21).
    elapsed, polls = 30.0, 1
    while elapsed < 240.0:
        elapsed += poll_delay(elapsed, WINDOW, fallback, finish=240.0)
        polls += 1
    assert polls == 5
    assert 5.0 <= elapsed - 240.0 < 6.0
