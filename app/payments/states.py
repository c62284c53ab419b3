"""The payment state machine: every allowed transition, in one table.

    initiated --> pending --> succeeded --> reversed
        |            |   \\--> failed
        |            \\-----> timed_out --> succeeded | failed   (a late answer still counts)
        \\--> failed | succeeded | review                        (callback before the ack was stored)
    review --> succeeded | failed                              (a person decides: app/payments/review.py)
    failed --> review                                          (a success reported after we recorded a failure)
    succeeded --> reversed                                     (its refund or recovery succeeded: refunds.py)

`review` parks a payment whose callback did not match the record (amount, phone) or
whose request may have reached an operator that cannot be asked again: nothing is
posted until a person decides. Final states take no further automatic result, with one
exception: the operator reporting success for a payment we recorded as failed (an STK
query that said "failed" too early, a payout declined and then completed). The member
may have been charged or paid with nothing posted, so it goes to review with the
operator's evidence and an alert for finance (PaymentService._late_success), never
silently ignored and never posted automatically.
"""

INITIATED, PENDING, SUCCEEDED, FAILED, TIMED_OUT, REVERSED, REVIEW = (
    "initiated", "pending", "succeeded", "failed", "timed_out", "reversed", "review")

TRANSITIONS = {
    INITIATED: {PENDING, SUCCEEDED, FAILED, TIMED_OUT, REVIEW},
    PENDING: {SUCCEEDED, FAILED, TIMED_OUT, REVIEW},
    TIMED_OUT: {SUCCEEDED, FAILED, REVIEW},
    REVIEW: {SUCCEEDED, FAILED},
    SUCCEEDED: {REVERSED},
    FAILED: {REVIEW},  # only for a late success, see the docstring
    REVERSED: set(),
}
"""state -> the states it may move to."""

FINAL = frozenset({SUCCEEDED, FAILED, REVERSED})
"""Settled states: no callback or query changes them, except a late success on `failed` (-> review)."""

OPEN = frozenset({INITIATED, PENDING, TIMED_OUT})
"""States a provider result may still settle."""


class InvalidTransition(ValueError):
    """A move the table does not allow: a bug, never a member's mistake."""


def move(payment, new_state, now):
    """Move `payment` to `new_state` or raise InvalidTransition; stamps updated_at/settled_at."""
    if new_state not in TRANSITIONS[payment.state]:
        raise InvalidTransition(f"payment {payment.id}: {payment.state} -> {new_state}")
    payment.state = new_state
    payment.updated_at = now
    payment.settled_at = now if new_state in FINAL else None
