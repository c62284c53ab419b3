"""How a repayment is split over a loan's schedule: one rule, kept pure so it is easy to check.

The unpaid instalments are taken oldest first (by number, which is due-date order);
within each, the money pays penalties, then fees, then interest, then principal.
Whatever is left after an instalment is cleared prepays the next one, in order.
Whatever is left after the whole schedule is cleared is the `excess`: the caller
decides whether to refuse it (USSD, SMS) or credit it to savings (mobile money).
"""

from dataclasses import dataclass, field

COMPONENTS = ("penalty", "fee", "interest", "principal")
"""The order a payment settles an instalment's parts in."""


@dataclass
class Allocation:
    """The result: per instalment number, the amounts of each component; totals; excess."""

    parts: dict = field(default_factory=dict)
    totals: dict = field(default_factory=lambda: dict.fromkeys(COMPONENTS, 0))
    excess: int = 0

    @property
    def applied(self):
        return sum(self.totals.values())


def outstanding(instalment, component):
    """What is still unpaid of one component of one instalment."""
    return getattr(instalment, f"{component}_due_minor") - getattr(instalment, f"{component}_paid_minor")


def allocate(instalments, amount):
    """Split `amount` minor units over `instalments` (any order given; paid ones are skipped)."""
    if amount <= 0:
        raise ValueError(f"a repayment must be positive, got {amount}")
    allocation = Allocation()
    left = amount
    for instalment in sorted(instalments, key=lambda row: row.number):
        if left == 0:
            break
        share = {}
        for component in COMPONENTS:
            take = min(left, outstanding(instalment, component))
            if take > 0:
                share[component] = take
                allocation.totals[component] += take
                left -= take
        if share:
            allocation.parts[instalment.number] = share
    allocation.excess = left
    return allocation


def apply_allocation(instalments, allocation, today):
    """Add the allocation's amounts to the rows' paid columns; mark cleared rows paid on `today`."""
    for instalment in instalments:
        for component, amount in allocation.parts.get(instalment.number, {}).items():
            column = f"{component}_paid_minor"
            setattr(instalment, column, getattr(instalment, column) + amount)
        if not instalment.paid and instalment.remaining_minor == 0:
            instalment.paid = True
            instalment.paid_on = today


def payoff(instalments):
    """Everything still owed on the schedule (the amount that clears the loan today)."""
    return sum(instalment.remaining_minor for instalment in instalments)
