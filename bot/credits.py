"""Amounts of credits: typed by people, reported by providers, and shown.

Typed by admins (`/admin quota limit|grant`) and operators (`QUOTA_*`): one parser for all of
them, so a value the bot cannot store or add up is refused where it is typed, not when a member's
job is held. The ledger sums micro-credits in SQLite's 64-bit integers
(`bot/store/ledger.py`): 1,000,000,000 credits is 10^15 units, thousands of times below the limit,
so sums of many such amounts still fit.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

#: The largest amount a limit, a grant or a price may be (far beyond any real budget).
MAX_CREDITS = Decimal(1_000_000_000)
#: Amounts are kept exactly to the millionth of a credit.
MAX_DECIMALS = 6
#: The one word for "no cap" (limits only).
UNLIMITED = "unlimited"

ALLOWED = f"a number of credits from 0 to {MAX_CREDITS:,}, with at most {MAX_DECIMALS} decimals"


def parse_credit_amount(value: Any, *, unlimited: bool = False) -> Decimal | None:
    """`25`, `12.5`, `0` → that amount; `unlimited` → None when `unlimited` is allowed.

    Raises ValueError with a plain sentence naming the allowed range for anything else: words
    (`none`, `inf`, `nan`), negative amounts, more than six decimals, more than `MAX_CREDITS`.
    `-0` is 0; `1e3` is 1000; the result is normalised (`12.50` → 12.5, `1E+3` → 1000).
    """
    allowed = f"{ALLOWED}, or `{UNLIMITED}`" if unlimited else ALLOWED
    if isinstance(value, bool) or value is None:
        raise ValueError(f"must be {allowed}")
    text = str(value).strip()
    if text.lower() == UNLIMITED:
        if unlimited:
            return None
        raise ValueError(f"must be {ALLOWED} (`{UNLIMITED}` is not an amount)")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"must be {allowed}") from None
    if not amount.is_finite():
        raise ValueError(f"must be {allowed}")
    if amount < 0:
        raise ValueError(f"cannot be negative; it must be {allowed}")
    if amount > MAX_CREDITS:
        raise ValueError(f"is more than {MAX_CREDITS:,} credits; it must be {allowed}")
    normal = amount.normalize()
    exponent = normal.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMALS:
        raise ValueError(f"has more than {MAX_DECIMALS} decimals; it must be {allowed}")
    return normalised(amount)


def normalised(amount: Decimal) -> Decimal:
    """`-0` → 0, `12.50` → 12.5, `1E+3` → 1000: one spelling per value, as stored and shown."""
    if amount == amount.to_integral_value():
        return abs(amount.quantize(Decimal(1)))
    return amount.normalize()


def parse_credits(value: Any) -> Decimal | None:
    """A provider-reported amount ("5", 4, "0.45") as an exact Decimal; None when absent or invalid.

    Not for amounts people type (those go through `bot.credits.parse_credit_amount`): a provider's
    figure may have more than six decimals (the ledger rounds it up).
    """
    if value is None or isinstance(value, bool):
        return None
    try:
        # str() first: Decimal(0.1) would keep binary float noise.
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount > MAX_CREDITS:
        return None  # beyond what the ledger can add up: treated as not reported
    return normalised(amount)


def format_credits(amount: Decimal | None) -> str:
    if amount is None:
        return "unlimited"
    if amount == amount.to_integral_value():
        return format(amount.quantize(Decimal(1)), "f")
    return format(amount.normalize(), "f")
