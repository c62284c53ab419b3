"""Reconciliation: settle payments whose callback never came, from the operator's own answer.

Run by the scheduled `reconcile_payments` job and by `flask payments reconcile`; safe to
run twice at once (every result goes through `apply_result`, which locks and applies once).
For each payment not updated for `older_than`:

- initiated, never sent or sent to a provider that dedupes: the send job is enqueued again;
- initiated and in doubt with a provider that cannot be asked again: parked for review;
- pending: the operator is queried and the answer applied; a payment still pending after
  GIVE_UP is timed out (collections: nothing was posted, a late success still counts) or,
  for disbursements whose money may have left, parked for review.
"""

from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import select

from app.payments import states
from app.payments.models import Payment
from app.payments.providers.base import COLLECTION, MalformedCallback, TransientProviderError

GIVE_UP = timedelta(hours=24)
"""How long a payment may stay pending before it is timed out or sent to review."""


class Change(NamedTuple):
    payment_id: int
    before: str
    after: str
    note: str


def reconcile(service, older_than, *, checkpoint=None):
    """Return a Change per stale payment looked at; `checkpoint()` (a commit) runs after each."""
    now = service.clock.now()
    stale_ids = service.session.scalars(
        select(Payment.id).where(Payment.state.in_([states.INITIATED, states.PENDING]),
                                 Payment.updated_at < now - older_than).order_by(Payment.id)).all()
    changes = []
    for payment_id in stale_ids:
        payment = service.get(payment_id)
        before = payment.state
        note = _settle_one(service, payment, now)
        changes.append(Change(payment_id, before, service.get(payment_id).state, note))
        if checkpoint is not None:
            checkpoint()
    return changes


def _settle_one(service, payment, now):
    if payment.state == states.INITIATED:
        if payment.in_doubt and not service.providers.resend_safe(payment.provider):
            payment = service._lock(payment.id)
            payment.failure_reason = "request_in_doubt"
            states.move(payment, states.REVIEW, now)
            return "request may have reached the operator; cannot ask again: review"
        service.enqueue_send(payment)
        return "send job enqueued again"
    provider = service.providers.get(payment.provider)
    try:
        result = provider.query_status(service.request_for(payment))
    except TransientProviderError as exc:
        return f"query failed: {exc.reason}"
    except MalformedCallback as exc:  # one unreadable answer must not stop the run for every later payment
        result, note = None, f"query answer unreadable: {str(exc)[:100]}"
        payment = service._lock(payment.id)
    if result is not None:
        payment = service.apply_result(result, "query", provider=payment.provider, payment_id=payment.id)
        note = f"query: {result.status}" + (f" ({result.reason})" if result.reason else "")
    if payment.state == states.PENDING and payment.created_at < now - GIVE_UP:
        payment.failure_reason = "no_answer"
        states.move(payment, states.TIMED_OUT if payment.direction == COLLECTION else states.REVIEW, now)
        return "no answer for too long"
    return note
