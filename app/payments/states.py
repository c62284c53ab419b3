"""The payment state machine: every allowed transition, in one table.

    initiated --> pending --> succeeded --> reversed
        |            |   \\--> failed
        |            \\-----> timed_out --> succeeded | failed   (a late answer still counts)
        \\--> failed | succeeded | review                        (callback before the ack was stored)
    review --> succeeded | failed                              (an operator decides)

`review` parks a payment whose callback did not match the record (amount, phone) or
whose request may have reached an operator that cannot be asked again: nothing is
posted until a person decides. Final states take no further automatic result.
"""

INITIATED, PENDING, SUCCEEDED, FAILED, TIMED_OUT, REVERSED, REVIEW = (
    "initiated", "pending", "succeeded", "failed", "timed_out", "reversed", "review")

TRANSITIONS = {
    INITIATED: {PENDING, SUCCEEDED, FAILED, TIMED_OUT, REVIEW},
    PENDING: {SUCCEEDED, FAILED, TIMED_OUT, REVIEW},
    TIMED_OUT: {SUCCEEDED, FAILED, REVIEW},
    REVIEW: {SUCCEEDED, FAILED},
    SUCCEEDED: {REVERSED},
    FAILED: set(),
    REVERSED: set(),
}
"""state -> the states it may move to."""

FINAL = frozenset({SUCCEEDED, FAILED, REVERSED})
"""States no callback or query changes."""

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
    if new_state in FINAL:
        payment.settled_at = now
