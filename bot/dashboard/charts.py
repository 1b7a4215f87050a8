"""Usage charts drawn on the server as SVG: geometry here, markup in templates/charts.html.

Numbers only: labels (model ids, member names) reach the SVG through the template engine's
autoescape, like every other text of the pages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.credits import format_credits
from bot.store.web import DailyCharge

WIDTH = 640
BAR_HEIGHT = 22
COLUMN_CHART_HEIGHT = 160


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    width: int
    height: int
    bars: tuple[Bar, ...]
    columns: bool  # vertical bars (per day) rather than horizontal rows


#: How a bar's amount is written (the member's language: `Words.credits`).
Format = Callable[[Decimal], str]


def per_day(
    title: str, charges: Sequence[DailyCharge], *, today: int, days: int = 30, fmt: Format = format_credits
) -> Chart:
    totals = {day: Decimal(0) for day in range(today - days + 1, today + 1)}
    for charge in charges:
        if charge.day in totals:
            totals[charge.day] += charge.credits
    top = max(totals.values(), default=Decimal(0)) or Decimal(1)
    step = WIDTH / days
    plot = COLUMN_CHART_HEIGHT - 20
    bars = []
    for i, (day, credits) in enumerate(sorted(totals.items())):
        height = float(credits / top) * plot
        date = (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=day)).date().isoformat()
        bars.append(Bar(date, fmt(credits), i * step + 1, plot - height, step - 2, height))
    return Chart(title, WIDTH, COLUMN_CHART_HEIGHT, tuple(bars), True)


def rows(title: str, values: Sequence[tuple[str, Decimal]], fmt: Format = format_credits) -> Chart:
    top = max((v for _, v in values), default=Decimal(0)) or Decimal(1)
    label_room = 200
    bars = [
        Bar(
            label,
            fmt(value),
            label_room,
            i * (BAR_HEIGHT + 6),
            max(1.0, float(value / top) * (WIDTH - label_room - 80)),
            BAR_HEIGHT,
        )
        for i, (label, value) in enumerate(values)
    ]
    return Chart(title, WIDTH, max(1, len(bars)) * (BAR_HEIGHT + 6), tuple(bars), False)


def per_model(title: str, charges: Sequence[DailyCharge], fmt: Format = format_credits) -> Chart:
    totals: dict[str, Decimal] = {}
    for charge in charges:
        totals[charge.model] = totals.get(charge.model, Decimal(0)) + charge.credits
    return rows(title, sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])), fmt)
