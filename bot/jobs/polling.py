"""When to ask a provider about a job again, and how fast a provider may be asked at all.

Public clients poll every second (BFL's SDK) or every 2–3 s (TTAPI scripts). We learn from the
jobs in the store how long a model takes (its fast, typical and slow finish times), so we poll
rarely while a job cannot be done yet, often in the window where such jobs usually finish, then
back off in proportion to how late the job is: few requests per job, and the result is seen soon
after it exists. Jitter spreads jobs submitted together; a cap bounds every wait.

When the provider reports progress (BFL's `Pending` answers carry a `progress` fraction, TTAPI's a
percentage), the job's own pace beats the model's history: `Pace` predicts when this job will be
done and the next poll goes just after that moment — one poll instead of several through the
window, and the image is seen within a fraction of a second of existing. A finish minutes away is
approached in halves until two readings agree on it, then polled just after it (a minute apart at
most, either way); one still running after that end is looked at again soon (its last figure leaves
little to do), backing off the later it gets. A job seen waiting in the provider's queue (an answer
without a figure) started at a moment we do not know, so its first figure predicts nothing alone: a
second one, a step of the model's window later, measures its pace (`Pace.measuring`). So does a
first figure far too small for the time since the submit, where the model's durations are learned
(`PollPolicy.queued_beyond`): a job that left the queue just before its first poll.

On top of the per-job schedule, every request to a provider (submits and polls) takes a token
from that provider's one `RateLimiter`, so hundreds of jobs in flight can never burst it, and a
429 pauses the whole provider (honouring `Retry-After`) rather than each job on its own.
"""

from __future__ import annotations

import dataclasses
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PollPolicy:
    #: Never poll one job more often than this (seconds).
    min_interval: float = 0.5
    #: Never wait longer than this between two polls of one job.
    max_interval: float = 15.0
    #: Without enough history: the first poll at this fraction of the default duration.
    first_poll: float = 0.8
    #: Inside the usual finishing window, poll at least every this fraction of the typical duration.
    near_step: float = 0.1
    #: ± fraction of random jitter, so jobs submitted together do not poll together.
    jitter: float = 0.1
    #: Used instead of learned durations when set (tests, benchmarks).
    typical_override: float | None = None
    #: Finished jobs needed before the learned durations replace the model's default.
    min_samples: int = 5
    #: After a finish predicted from the job's progress, poll this long (seconds) plus
    #: `finish_slack` of the time still to go: late enough to find it done, early enough to matter.
    finish_margin: float = 0.1
    finish_slack: float = 0.02
    #: A finish predicted further away than `max_interval` (a job of minutes): the next poll goes
    #: `approach` of the way to it, each poll measuring the pace again (until the pace is steady,
    #: below), but never later than this. The price: a job that ends sooner than its own progress
    #: said is seen up to that long after (half its predicted remaining time, all of it once the
    #: pace is steady, at most a minute), where the cap alone polled every 15 s.
    max_predicted_interval: float = 60.0
    approach: float = 0.5
    #: A job's pace is steady when the end its latest reading predicts is within this fraction of
    #: the time still to go of the end the pace before it predicted (`Pace.steady`: three readings,
    #: two paces that agree). Then the next poll goes just after the predicted end (still at most
    #: `max_predicted_interval` away), not `approach` of the way (a 4-minute job: 5 polls, not 8).
    #: The price: a job that ends sooner than two agreeing paces said is seen up to its predicted
    #: remaining time late (at most a minute), where halving found it within half of it.
    steady: float = 0.1
    #: A job of minutes (its predicted length at least `max_predicted_interval`) found still
    #: running after the end its own progress predicted is looked at again after this fraction of
    #: that length (BFL's and TTAPI's figures move in steps of 1 %, so a job reading 0.99 has about
    #: that much to go) plus half of how late it is, at most `max_interval` apart; where the model's
    #: window decided, such a job (its figure read 0.99 twice) was seen up to the cap (15 s) after
    #: its end. Shorter jobs are left to the window, whose steps are short for them already.
    #: 0: the window decides (the fallback polls of a job that will call back).
    overdue: float = 0.01
    #: A job's first figure that, read as linear since the submit, puts its end more than this many
    #: times the model's slow finish away (a learned window only): the job more likely waited in
    #: the provider's queue and had just started (a first poll caught it at a few % after seconds
    #: of queue), so its pace is measured by one more poll, as for a job seen queued (`Pace.beyond`).
    #: Read linearly, a 10-s job's 1 % after 8 s put its end 13 minutes away, and it was found up
    #: to a minute (the cap) after it was done. The price: a job running all along but slower than
    #: twice the slow finish pays that poll (a job of minutes for a model of seconds, up to three:
    #: a pace measured over one step from figures to 2 decimals is rough). With the catalogue's
    #: default (no history yet) the figure is believed: a new model or size may well be that slow.
    queued_beyond: float = 2.0
    #: With a callback coming, polls are only its fallback: at most this far apart, and, once the
    #: job's progress predicts its end, this long after it (a callback is due by then). The price:
    #: a lost callback is made up for that much later (where polls every 15 s found it sooner).
    callback_max_interval: float = 60.0
    callback_grace: float = 5.0
    #: The cap instead while the provider's callbacks are trusted: none of them known lost lately
    #: (`CallbackTrust`, bot/jobs/callbacks.py). A job whose progress predicts its end is looked at
    #: once, a grace after that end, however far away it is (a 4-minute job: one fallback poll
    #: after its first, where the minute's cap made four); a lost callback is still made up for
    #: at most this long after the job is over.
    callback_trusted_interval: float = 300.0

    def for_callbacks(self, *, trusted: bool = False) -> PollPolicy:
        """The schedule of the fallback polls of a job whose provider will call back (`trusted`:
        none of the provider's callbacks known lost lately)."""
        cap = self.callback_trusted_interval if trusted else self.callback_max_interval
        return dataclasses.replace(
            self,
            max_interval=max(self.max_interval, cap),
            max_predicted_interval=max(self.max_interval, cap),
            approach=1.0,
            finish_margin=self.callback_grace,
            overdue=0.0,
        )


@dataclass(frozen=True, slots=True)
class Durations:
    """Submit-to-ready times of a model: fast (≈20th percentile), typical (median), slow (≈90th)."""

    low: float
    typical: float
    high: float
    samples: int = 0

    @classmethod
    def around(cls, typical: float, policy: PollPolicy, samples: int = 0) -> Durations:
        """A window guessed from one number (a default or an override)."""
        typical = max(0.05, typical)
        return cls(typical * policy.first_poll, typical, typical * 1.5, samples)


def learn_durations(durations: list[float], default: float, policy: PollPolicy | None = None) -> Durations:
    """The finishing window of a model from its recent jobs; the default's window without history."""
    policy = policy or PollPolicy()
    if len(durations) < policy.min_samples:
        return Durations.around(default, policy, len(durations))
    deciles = statistics.quantiles(durations, n=10, method="inclusive")
    typical = max(0.05, statistics.median(durations))
    low = max(0.05, min(deciles[1], typical))
    high = max(typical, deciles[8])
    return Durations(low, typical, high, len(durations))


@dataclass(slots=True)
class Pace:
    """A job's progress as the provider reports it, and when that says the job will be done.

    With two reports the rate between them is used (a job that waited in the provider's queue
    before it started is not mistaken for a slow one); with one, progress is taken as linear since
    the submit, unless an earlier report showed the job not started yet (`unstarted`). Reports that
    go backwards start the estimate again; reports that stand still are ignored.
    """

    first: tuple[float, float] | None = None  # (seconds since submit, fraction done)
    last: tuple[float, float] | None = None
    #: How far the latest reading moved the end predicted by the pace before it, as a fraction of
    #: the time it then had to go; None until three readings (two paces) have each predicted one.
    drift: float | None = None
    #: A report before the first figure showed the job not started (no figure, or 0: waiting in
    #: the provider's queue), or the figure went backwards (started again). When it started is then
    #: unknown, and a single figure says nothing of its pace: read as linear since the submit, 1 %
    #: seen 30 s after it put the end of a 10-s job ~50 minutes away, so the job was found up to a
    #: minute (the cap) after it was done. A second figure measures the pace (`measuring`). Also
    #: set by a first figure far too small for the time since the submit (`beyond`).
    unstarted: bool = False
    #: That single figure read again by the poll meant to measure the pace: no more such polls
    #: (the model's window decides until the figure moves, as for a job without one).
    stalled: bool = False
    #: A first figure that, read as linear since the submit, puts the end more than this many
    #: seconds after it is taken as following a wait in the provider's queue (`unstarted`); None:
    #: believed (`PollPolicy.queued_beyond`, where the model's durations are learned).
    beyond: float | None = None

    def report(self, elapsed: float, progress: float | None) -> None:
        if progress is None or progress <= 0.0:
            if self.first is None:
                self.unstarted = True  # still queued at the provider (or not saying): not started
            return
        if progress >= 1.0:
            return
        if self.last is not None and progress <= self.last[1]:
            if progress < self.last[1]:
                self.first = self.last = None  # it went backwards: a retry at the provider
                self.drift = None
                self.unstarted, self.stalled = True, False
            else:
                self.stalled = self.first == self.last  # one figure, twice: not moving yet
                return  # the same figure again says nothing new about the pace
        # The end the pace so far predicted, if two readings measured one (a single reading only
        # guesses that the job started at the submit, and its figure is the least precise).
        before = self.finish() if self.first != self.last else None
        if self.first is None:
            self.first = (elapsed, progress)
            if self.beyond is not None and elapsed > self.beyond * progress:
                self.unstarted = True  # it most likely left the provider's queue just before
        self.last = (elapsed, progress)
        after = self.finish()
        if before is not None and after is not None:
            self.drift = abs(after - before) / max(after - elapsed, 1e-9)

    @property
    def measuring(self) -> bool:
        """One figure since the job was seen not started: the next poll measures its pace (once:
        a figure that has not moved by then leaves the schedule to the model's window)."""
        return self.unstarted and not self.stalled and self.first is not None and self.first == self.last

    def steady(self, within: float) -> bool:
        """Whether the last two paces measured agree on the end (within `within` of the time to go)."""
        return self.drift is not None and self.drift <= within

    def finish(self) -> float | None:
        """Seconds after the submit at which the job should be done, or None when unknown."""
        if self.last is None or self.first is None:
            return None
        (t0, p0), (t1, p1) = self.first, self.last
        if t1 > t0 and p1 > p0:
            return t1 + (1.0 - p1) * (t1 - t0) / (p1 - p0)
        if self.unstarted:
            return None  # one figure, and when the job started is not known: no pace yet
        return t1 / p1


def poll_delay(
    elapsed: float,
    durations: Durations | float,
    policy: PollPolicy,
    *,
    finish: float | None = None,
    steady: bool = False,
    measuring: bool = False,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before the next poll of a job submitted `elapsed` seconds ago.

    `finish` is when the job's own progress says it will be done (`Pace.finish`): the poll goes
    just after it. Without it, or once it has passed, the model's window decides, except for a job
    of minutes (`PollPolicy.overdue`). `steady`: the job's last two readings agreed on it
    (`Pace.steady`). `measuring`: the job has its first figure since it was seen not started
    (`Pace.measuring`): the next poll, one step of the window later, measures its pace (the
    window, long passed for a job that queued at the provider, would back off to the cap).
    """
    if finish is not None and finish > elapsed:
        ahead = finish - elapsed
        delay = ahead + policy.finish_margin + ahead * policy.finish_slack
        # Far from it: half way there (a 4-minute job: ~7 polls, where a poll every 15 s made 16),
        # or, once its pace is steady, straight to just after it (5), a minute at most either way.
        reach = policy.max_predicted_interval if steady else ahead * policy.approach
        cap = max(policy.max_interval, min(policy.max_predicted_interval, reach))
        return min(cap, max(policy.min_interval, delay))
    if finish is not None and policy.overdue and finish >= policy.max_predicted_interval:
        # Its own end has passed: its last figure leaves little to do. Soon, then backing off.
        late = elapsed - finish
        delay = policy.finish_margin + finish * policy.overdue + late * 0.5
        return min(policy.max_interval, max(policy.min_interval, delay))
    if not isinstance(durations, Durations):
        durations = Durations.around(durations, policy)
    step = max(durations.typical * policy.near_step, (durations.high - durations.low) / 8)
    if measuring:
        return min(policy.max_interval, max(policy.min_interval, step))
    if elapsed < durations.low:
        # Cannot be done yet: one wait until the fastest usual finish.
        delay = durations.low - elapsed
    elif elapsed < durations.high:
        # The usual finishing window: poll often.
        delay = step
    else:
        # Late: slower than usual; back off in proportion to how late it is.
        delay = step + (elapsed - durations.high) * 0.25
    delay = min(policy.max_interval, max(policy.min_interval, delay))
    if policy.jitter:
        delay *= 1 + (rng or random).uniform(-policy.jitter, policy.jitter)
    return max(policy.min_interval, delay)


class RateLimiter:
    """One provider's request budget: a token bucket (GCRA) with a provider-wide pause.

    `reserve()` books the next free slot and returns how long to wait for it, so callers never
    spin: N waiting jobs are spread `1/rate` apart. `pause(seconds)` (after a 429) pushes every
    slot past the pause, and the requests resume evenly spaced, not all at once.
    """

    def __init__(self, rate: float, burst: int = 1, *, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.interval = 1.0 / rate
        self.tolerance = max(0, burst - 1) * self.interval
        self.clock = clock
        self._tat = 0.0  # theoretical arrival time of the next request
        self.paused_until = 0.0
        self.strikes = 0  # consecutive 429s, for a growing pause when no Retry-After is given

    def reserve(self) -> float:
        now = self.clock()
        tat = max(self._tat, now)
        allowed_at = max(now, tat - self.tolerance)
        self._tat = tat + self.interval
        return allowed_at - now

    def pause(self, seconds: float | None) -> float:
        """The provider said 429: nobody asks it again for `seconds` (or a growing default)."""
        self.strikes += 1
        if seconds is None:
            seconds = min(60.0, 2.0 ** min(self.strikes, 6))
        until = self.clock() + seconds
        self.paused_until = max(self.paused_until, until)
        self._tat = max(self._tat, self.paused_until + self.tolerance)
        return seconds

    def ok(self) -> None:
        """A request went through: the 429 streak is over."""
        self.strikes = 0
