"""Quota periods: UTC days, ISO weeks and calendar months, as keys and as boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def period_key(now: datetime, period: str) -> str:
    """The UTC period an instant falls in: '2026-11-21' (day), ISO week '2026-W47', '2026-11'."""
    now = now.astimezone(UTC)
    if period == "day":
        return now.strftime("%Y-%m-%d")
    if period == "week":
        year, week, _ = now.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return now.strftime("%Y-%m")
    raise ValueError(f"unknown quota period {period!r}")


def period_start(now: datetime, period: str) -> datetime:
    """When the period containing `now` began (UTC midnight of the day / Monday / 1st)."""
    now = now.astimezone(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return midnight
    if period == "week":
        return midnight - timedelta(days=now.weekday())
    if period == "month":
        return midnight.replace(day=1)
    raise ValueError(f"unknown quota period {period!r}")


def period_reset(now: datetime, period: str) -> datetime:
    """When the period containing `now` ends (UTC midnight of the next day/Monday/1st)."""
    now = now.astimezone(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return midnight + timedelta(days=1)
    if period == "week":
        return midnight + timedelta(days=7 - now.weekday())
    if period == "month":
        if now.month == 12:
            return midnight.replace(year=now.year + 1, month=1, day=1)
        return midnight.replace(month=now.month + 1, day=1)
    raise ValueError(f"unknown quota period {period!r}")


def previous_period_key(now: datetime, period: str) -> str:
    return period_key(period_start(now, period) - timedelta(microseconds=1), period)
