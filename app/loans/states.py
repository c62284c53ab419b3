"""The loan state machine (and its guarantees'): every allowed transition, in one table each.

    applied --> approved --> disbursed --> closed
        |                      |   \\--> defaulted --> closed   (recovery or a late payment clears it)
        |                      |             \\--> written_off (staff write the rest off: app/loans/write_off.py)
        \\--> declined          \\--> approved                  (a failed mobile-money payout is put back)

A loan is created `applied`; every later change of state goes through `move()`, so a
state the table does not allow is a bug that fails loudly, never a quiet update.
The times a transition stamps (decided_at, disbursed_at, closed_at) are the caller's:
each knows which clock reading the member was told.

A guarantee (LoanGuarantee) has its own, smaller machine, below the loan's:

    requested --> pledged --> released    (the loan closed or was declined: the pledge goes back)
        |            \\--> recovered       (recovery on default took some of it; the rest goes back)
        |--> declined                     (the guarantor said no)
        \\--> cancelled                    (the loan ended before they answered)
"""

APPLIED, APPROVED, DECLINED, DISBURSED, CLOSED, DEFAULTED, WRITTEN_OFF = (
    "applied", "approved", "declined", "disbursed", "closed", "defaulted", "written_off")

STATES = (APPLIED, APPROVED, DECLINED, DISBURSED, CLOSED, DEFAULTED, WRITTEN_OFF)
"""Every loan state, in life order (the database CHECK lists the same)."""

TRANSITIONS = {
    APPLIED: {APPROVED, DECLINED},
    APPROVED: {DISBURSED},
    DISBURSED: {CLOSED, DEFAULTED, APPROVED},
    DEFAULTED: {CLOSED, WRITTEN_OFF},
    DECLINED: set(),
    CLOSED: set(),
    WRITTEN_OFF: set(),
}
"""state -> the states it may move to."""

AWAITING_DECISION = frozenset({APPLIED, APPROVED})
"""Asked for, not yet paid out: the member is told it waits for approval."""

ON_BOOKS = frozenset({DISBURSED, DEFAULTED})
"""Paid out and not cleared: principal outstanding, repayable, aged and reported in PAR."""

IN_PROGRESS = AWAITING_DECISION | {DISBURSED}
"""The member's one loan going on (a new application is refused while one is); a defaulted
loan is with recovery, and refused by its own rule."""

NOT_REPAID = frozenset({DEFAULTED, WRITTEN_OFF})
"""Loans the member did not repay: they bar new borrowing and count against the credit score."""

FINAL = frozenset({DECLINED, CLOSED, WRITTEN_OFF})
"""States nothing moves a loan out of."""


class InvalidTransition(ValueError):
    """A move the table does not allow: a bug, never a member's mistake."""


def _move(row, new_state, transitions, what):
    if new_state not in transitions[row.state]:
        raise InvalidTransition(f"{what} {row.id}: {row.state} -> {new_state}")
    row.state = new_state


def move(loan, new_state):
    """Move `loan` to `new_state` or raise InvalidTransition (the loan is left unchanged)."""
    _move(loan, new_state, TRANSITIONS, "loan")


REQUESTED, PLEDGED, GUARANTEE_DECLINED, RELEASED, RECOVERED, CANCELLED = (
    "requested", "pledged", "declined", "released", "recovered", "cancelled")

GUARANTEE_STATES = (REQUESTED, PLEDGED, GUARANTEE_DECLINED, RELEASED, RECOVERED, CANCELLED)
"""Every guarantee state (the database CHECK lists the same)."""

GUARANTEE_TRANSITIONS = {
    REQUESTED: {PLEDGED, GUARANTEE_DECLINED, CANCELLED},
    PLEDGED: {RELEASED, RECOVERED},
    GUARANTEE_DECLINED: set(),
    RELEASED: set(),
    RECOVERED: set(),
    CANCELLED: set(),
}
"""guarantee state -> the states it may move to."""


def move_guarantee(guarantee, new_state):
    """Move `guarantee` to `new_state` or raise InvalidTransition (the guarantee is left unchanged)."""
    _move(guarantee, new_state, GUARANTEE_TRANSITIONS, "guarantee")
