"""Fees, one table per kind and currency: amounts up to a bound (major units) pay a flat fee.

Flat tiers rather than a percentage because members compare them with the operators'
own tariffs, which are tiered, and a tier can be shown on a 160-character screen.
The fee is shown before the member confirms and posted to fee_income in the same entry.
"""

from app.money import Money

WITHDRAWAL_FEES = {
    "KES": [(100, 0), (1_000, 15), (5_000, 30), (20_000, 50), (70_000, 100)],
    "UGX": [(5_000, 0), (50_000, 500), (500_000, 1_500), (5_000_000, 5_000)],
    "TZS": [(10_000, 0), (100_000, 1_000), (1_000_000, 3_000), (3_000_000, 7_000)],
    "RWF": [(1_000, 0), (20_000, 100), (500_000, 500), (2_000_000, 1_500)],
    "GHS": [(10, 0), (500, 1), (2_000, 3), (10_000, 10)],
    "ZMW": [(50, 0), (1_000, 3), (5_000, 8), (20_000, 20)],
}
"""currency -> [(up to this amount, fee)], ascending; above the last bound the last fee applies."""

TRANSFER_FEES = {
    "KES": [(500, 0), (5_000, 10), (70_000, 25)],
    "UGX": [(10_000, 0), (500_000, 300), (5_000_000, 1_000)],
    "TZS": [(20_000, 0), (1_000_000, 500), (3_000_000, 1_500)],
    "RWF": [(2_000, 0), (500_000, 100), (2_000_000, 300)],
    "GHS": [(20, 0), (2_000, 1), (10_000, 3)],
    "ZMW": [(100, 0), (5_000, 2), (20_000, 5)],
}
"""Member-to-member transfers: small ones are free, as they are what a group lives on."""


def _tiered(table, amount):
    tiers = table.get(amount.currency)
    if not tiers:
        return Money.zero(amount.currency)
    for bound, fee in tiers:
        if amount <= Money.from_major(bound, amount.currency):
            return Money.from_major(fee, amount.currency)
    return Money.from_major(tiers[-1][1], amount.currency)


def withdrawal_fee(amount):
    """The fee for withdrawing `amount` to mobile money."""
    return _tiered(WITHDRAWAL_FEES, amount)


def transfer_fee(amount):
    """The fee for sending `amount` to another member."""
    return _tiered(TRANSFER_FEES, amount)
