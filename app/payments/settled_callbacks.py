"""A callback for a payment already settled (or held for review), recorded in one statement.

Operators repeat themselves: Daraja, MoMo and Airtel resend a result until they see our
200, and a storm of them (issue 13's bench: 10,000 callbacks for 1,000 payments) is
mostly repeats of an answer already applied. `PaymentService.apply_result` handles
them correctly but pays for the general case on each: the operator id's advisory lock,
the payment row's lock, a look for a person's resolution, the event's INSERT, inside
BEGIN ... COMMIT: six round trips for a row that cannot change.

`record_if_settled` is apply_result's answer for exactly those results, as one
INSERT ... SELECT: when the payment the result is about is

- in `review`: the event is recorded as `held_for_review`;
- final (`succeeded`, `failed`, `reversed`), no person resolved it (no `staff` event),
  and the result is not the late success of a failed payment: recorded as `duplicate`
  when the result tells the state the payment is in, else `conflict_after_<state>`;

and nothing is written otherwise (an open payment, a late success, a person's
decision, a pending result, no such payment): the caller goes on to apply_result,
which locks and decides as before. No lock is needed for what is recorded here: the
statement reads the payment, and whether a person resolved it, in one snapshot, and a
person's resolution moves the state in the same transaction that writes its `staff`
event. The statement is a whole unit of work (`STANDALONE`): in a callback's deferred
unit (app/deferred_transaction.py) it commits on its own, one round trip in all.
tests/app/payments/test_settled_callbacks.py holds its outcome equal to apply_result's
for every state and result. The payment is found as `_by_ref` finds it (the lowest id
with the operator's id or our reference), written as the smallest of two index look-ups
so that a generic plan of the prepared statement never walks the primary key instead.
"""

import json
from typing import NamedTuple

from sqlalchemy import text

from app.deferred_transaction import STANDALONE
from app.payments import states

SETTLED_RESULTS = frozenset({states.SUCCEEDED, states.FAILED})
"""Result statuses this path may record; a pending result goes the general way (it may move an initiated payment)."""



class Settled(NamedTuple):
    """The payment a repeat was recorded against: its id and state, not the ORM entity.

    Loading a Payment from this textual statement cost more CPU than the rest of a repeat
    (SQLAlchemy matches a text result's thirty columns to the entity on every execution);
    a repeat changes nothing, so nobody needs more.
    """

    id: int
    state: str


RECORD_IF_SETTLED = text("""
WITH payment AS (
    SELECT * FROM payments WHERE id = (
        SELECT min(id) FROM (
            SELECT id FROM payments WHERE provider = :provider AND provider_ref = ANY(:refs)
            UNION ALL
            SELECT id FROM payments WHERE provider = :provider AND reference = ANY(:refs)) AS candidate)
), recorded AS (
    INSERT INTO payment_events (payment_id, provider, source, raw, outcome, received_at)
    SELECT payment.id, :provider, :source, CAST(:raw AS jsonb),
           CASE WHEN payment.state = :review THEN 'held_for_review'
                WHEN payment.state = :told THEN 'duplicate'
                ELSE 'conflict_after_' || payment.state END,
           :now
    FROM payment
    WHERE payment.state = :review
       OR (payment.state = ANY(:final)
           AND NOT (payment.state = :failed AND :told = :succeeded)
           AND NOT EXISTS (SELECT 1 FROM payment_events person
                           WHERE person.payment_id = payment.id AND person.source = :person))
    RETURNING payment_id
)
SELECT payment.id, payment.state FROM payment JOIN recorded ON recorded.payment_id = payment.id
""")


def record_if_settled(session, provider, result, source, *, now, person_source):
    """Record `result` against its settled or reviewed payment in one statement; its `Settled`, or None.

    None means nothing was written: the result must go through `apply_result`.
    """
    refs = [ref for ref in (result.provider_ref, result.reference) if ref]
    if result.status not in SETTLED_RESULTS or not refs:
        return None
    row = session.execute(RECORD_IF_SETTLED, {
        "provider": provider, "refs": refs, "source": source, "raw": json.dumps(result.raw or {}, default=str),
        "now": now, "told": result.status, "review": states.REVIEW, "final": sorted(states.FINAL),
        "failed": states.FAILED, "succeeded": states.SUCCEEDED, "person": person_source,
    }, execution_options={STANDALONE: True}).one_or_none()
    return None if row is None else Settled(*row)
