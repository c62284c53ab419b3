"""Splitting group money among members: the one remainder rule, so no split leaves or loses a cent.

`split_by_weights(total, weights, unit=...)` is the largest-remainder (Hamilton) method
in whole operator units: every part is a multiple of `unit` minor units (what mobile
money carries: a shilling for KES, app/operator_units.py), so no member is left with a
fraction they can never withdraw. Each part first gets the floor of its exact
proportion; the units left over go one each to the parts with the largest remainders,
the earlier part first on a tie (callers list members in joining order, so the
longest-standing member wins a tie); a rest below one unit (only when the total itself
is not whole) goes to the first part. With no weight at all (nobody has a share) the
total is split equally by the same rule. The parts always add up to the total exactly,
so a share-out's entry balances and the pool is left at zero.

Rotating payouts divide nothing (a payout is the sum of its period's contributions) and
fines are charged whole, to the pool; the fines reach members through a share-out's
surplus, split here.
"""

from app.money import Money


def split_by_weights(total, weights, *, unit=1):
    """[Money] parts of `total` in proportion to `weights` (ints >= 0), adding up to `total` exactly.

    Raises ValueError for a negative total, no parts, a negative weight or a unit below 1.
    """
    weights = list(weights)
    if total.minor < 0 or not weights or unit < 1 or any(weight < 0 for weight in weights):
        raise ValueError("cannot split a negative total, into no parts, by negative weights or units")
    if not any(weights):
        weights = [1] * len(weights)
    units, rest = divmod(total.minor, unit)
    whole = sum(weights)
    parts = [units * weight // whole for weight in weights]
    remainders = [units * weight % whole for weight in weights]
    left = units - sum(parts)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        parts[index] += 1
    minors = [part * unit for part in parts]
    minors[0] += rest
    return [Money(minor, total.currency) for minor in minors]
