"""What clears a loan today: one pure rule, used by every "to clear today", "you owe" and repayment check.

- Declining balance: interest is the price of the principal over time, so clearing early
  costs the principal left, the fees and penalties due, and the interest accrued to date:
  a period that has ended owes its whole interest, the current one its interest pro rata
  to the days elapsed (rounded half-even to the loan's unit, so the amount is payable),
  a period not yet begun none. Interest already paid is never refunded.
- Flat: the interest was fixed for the whole term when the loan was made, so clearing
  early costs everything left on the schedule.

Interest paid ahead (a part payment takes an instalment's interest before its principal,
earned or not) is not lost: it counts against the settlement. `settle_early` is what a
repayment that clears the loan does first: each instalment's interest due becomes what
it earned, interest paid ahead is counted as principal paid, so paying the settlement
amount leaves every instalment paid and the loan closes. Interest is income only when
paid (app/loans/repayment_booking.py): waiving unearned interest posts nothing, and the
interest paid ahead moves from interest income to principal in the clearing repayment's entry.
A period runs from the previous due date (the disbursement day for the first) to its own.
"""

from fractions import Fraction

from app.loans.allocation import payoff
from app.loans.schedule import round_to_unit

DECLINING = "declining"


def accrued_interest(row, period_start, today, unit=1):
    """The interest instalment `row` has earned by `today`, its period starting on `period_start`."""
    days = (row.due_date - period_start).days
    if today >= row.due_date or days <= 0:
        return row.interest_due_minor
    elapsed = (today - period_start).days
    if elapsed <= 0:
        return 0
    return min(row.interest_due_minor, int(round_to_unit(Fraction(row.interest_due_minor * elapsed, days), unit)))


def accrued_by_row(loan, rows, today):
    """{instalment number: interest it has earned by `today`} (periods run from the previous due date)."""
    accrued, start, unit = {}, loan.disbursed_on, loan.in_multiples_of_minor or 1
    for row in sorted(rows, key=lambda instalment: instalment.number):
        accrued[row.number] = accrued_interest(row, start, today, unit)
        start = row.due_date
    return accrued


def declining(loan):
    return loan.interest_method == DECLINING and loan.disbursed_on is not None


def settlement(loan, rows, today):
    """Minor units that clear `loan` (with its instalment `rows`) on `today`, by the rules above."""
    if not declining(loan):
        return payoff(rows)
    accrued = accrued_by_row(loan, rows, today)
    others = sum(row.principal_left_minor + row.fee_due_minor - row.fee_paid_minor + row.penalty_due_minor
                 - row.penalty_paid_minor for row in rows)
    interest = sum(accrued[row.number] - row.interest_paid_minor for row in rows)  # below 0: paid ahead
    return max(0, others + interest)


def settle_early(loan, rows, today):
    """Make `rows` owe exactly `settlement(loan, rows, today)`; returns the interest paid ahead now counted
    as principal (minor units), which the clearing repayment moves from interest income to principal.

    Each instalment's interest due becomes what it earned; interest paid beyond that is taken off
    it and paid towards principal still owed, oldest instalment first. A no-op for flat loans.
    """
    if not declining(loan):
        return 0
    accrued = accrued_by_row(loan, rows, today)
    ahead = min(sum(max(0, row.interest_paid_minor - accrued[row.number]) for row in rows),
                sum(row.principal_left_minor for row in rows))
    moved, applied = ahead, ahead
    for row in sorted(rows, key=lambda instalment: instalment.number):
        back = min(moved, max(0, row.interest_paid_minor - accrued[row.number]))
        row.interest_paid_minor -= back
        moved -= back
        row.interest_due_minor = max(accrued[row.number], row.interest_paid_minor)
        take = min(applied, row.principal_left_minor)
        row.principal_paid_minor += take
        applied -= take
    return ahead
