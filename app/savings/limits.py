"""Transaction limits per currency: the smallest amount, the largest per transaction, per day.

Amounts are in major units of the currency. The defaults follow the mobile-money
operators' own limits (M-Pesa: KES 70,000 a transaction, 150,000 a day), so a member
is never allowed something the operator would refuse. An operator overrides a
currency with `SAVINGS_LIMITS="KES=10:70000:150000,UGX=500:5000000:10000000"`.
The per-day limit counts money leaving savings since local midnight (withdrawals and
transfers, fees included; a failed withdrawal gives its share back).
"""

from typing import NamedTuple

from app.money import Money


class Limits(NamedTuple):
    minimum: Money
    per_transaction: Money
    per_day: Money


DEFAULT_LIMITS = {
    "KES": (10, 70_000, 150_000),
    "UGX": (500, 5_000_000, 10_000_000),
    "TZS": (1_000, 3_000_000, 5_000_000),
    "RWF": (100, 2_000_000, 5_000_000),
    "GHS": (1, 10_000, 20_000),
    "ZMW": (5, 20_000, 50_000),
}
"""currency -> (minimum, per transaction, per day) in major units."""


def parse_overrides(text):
    """`KES=10:70000:150000,...` -> {currency: (min, per_tx, per_day)}; empty text -> {}."""
    overrides = {}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        currency, _, values = item.partition("=")
        minimum, per_transaction, per_day = (int(value) for value in values.split(":"))
        overrides[currency.strip().upper()] = (minimum, per_transaction, per_day)
    return overrides


def limits_for(currency, overrides=None):
    """The Limits of `currency`; KeyError for a currency Pamoja does not serve."""
    minimum, per_transaction, per_day = {**DEFAULT_LIMITS, **(overrides or {})}[currency]
    return Limits(Money.from_major(minimum, currency), Money.from_major(per_transaction, currency),
                  Money.from_major(per_day, currency))
