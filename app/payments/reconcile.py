"""Reconciliation: settle payments whose callback never came, from the operator's own answer.

Run by the scheduled `reconcile_payments` job and by `flask payments reconcile`; safe to
run twice at once (every result goes through `apply_result`, which locks and applies once).
For each payment not updated for `older_than`:

- initiated, never sent or sent to a provider that dedupes: the send job is enqueued again;
- initiated and in doubt with a provider that cannot be asked again: parked for review;
- pending: the operator is queried and the answer applied; a payment still pending after
  GIVE_UP is timed out (collections: nothing was posted, a late success still counts) or,
  for disbursements whose money may have left, parked for review.

One payment never stops the run: each is handled in its own savepoint, and whatever it
raises (a definite refusal of the query, an unreadable answer, a bug) is rolled back for
that payment alone, logged, and reported as `skipped`; the run goes on to the next. The
run reports one Change per payment with what was done: `settled` (succeeded or failed),
`parked` (review or timed out), `resent` (send job enqueued again), `pending` (asked, no
outcome yet) or `skipped` (could not be asked or answered; tried again next run).
"""

from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import select

from app.observability import logger
from app.payments import states
from app.payments.models import Payment
from app.payments.providers.base import COLLECTION, MalformedCallback, ProviderRejected, TransientProviderError

GIVE_UP = timedelta(hours=24)
"""How long a payment may stay pending before it is timed out or sent to review."""

SETTLED, PARKED, RESENT, PENDING, SKIPPED = "settled", "parked", "resent", "pending", "skipped"


class Change(NamedTuple):
    payment_id: int
    before: str
    after: str
    note: str
    action: str = PENDING
    """What the run did: settled, parked, resent, pending or skipped (see the module docstring)."""


def reconcile(service, older_than, *, checkpoint=None):
    """Return a Change per stale payment looked at; `checkpoint()` (a commit) runs after each."""
    now = service.clock.now()
    stale_ids = service.session.scalars(
        select(Payment.id).where(Payment.state.in_([states.INITIATED, states.PENDING]),
                                 Payment.updated_at < now - older_than).order_by(Payment.id)).all()
    changes = []
    for payment_id in stale_ids:
        before = service.get(payment_id).state
        try:
            with service.session.begin_nested():
                action, note = _settle_one(service, service.get(payment_id), now)
        except Exception as exc:  # noqa: BLE001 - one payment's failure must not stall every later one
            logger.exception("reconcile: payment %s skipped", payment_id)
            action, note = SKIPPED, f"error: {exc.__class__.__name__}: {str(exc)[:100]}"
        changes.append(Change(payment_id, before, service.get(payment_id).state, note, action))
        if checkpoint is not None:
            checkpoint()
    return changes


def _action(payment, fallback):
    if payment.state in states.FINAL:
        return SETTLED
    if payment.state in (states.REVIEW, states.TIMED_OUT):
        return PARKED
    return fallback


def _settle_one(service, payment, now):
    """(action, note) for one stale payment; raises only for what the caller rolls back and skips."""
    if payment.state == states.INITIATED:
        if payment.in_doubt and not service.providers.resend_safe(payment.provider):
            payment = service._lock(payment.id)
            service._to_review(payment, "request_in_doubt")
            return PARKED, "request may have reached the operator; cannot ask again: review"
        service.enqueue_send(payment)
        return RESENT, "send job enqueued again"
    provider = service.providers.get(payment.provider)
    fallback = PENDING
    try:
        result = provider.query_status(service.request_for(payment))
    except TransientProviderError as exc:
        return SKIPPED, f"query failed: {exc.reason}"
    except (ProviderRejected, MalformedCallback) as exc:
        # A refused query or an unreadable answer says nothing about the payment: record it, go on.
        refused = isinstance(exc, ProviderRejected)
        note = (f"query refused: {exc.reason} {str(exc)[:100]}" if refused
                else f"query answer unreadable: {str(exc)[:100]}")
        result, fallback = None, SKIPPED
        payment = service._lock(payment.id)
        service._record(payment, payment.provider, "query", {"error": str(exc)[:200], "raw": exc.raw},
                        "query_refused" if refused else "query_unreadable")
    if result is not None:
        payment = service.apply_result(result, "query", provider=payment.provider, payment_id=payment.id)
        note = f"query: {result.status}" + (f" ({result.reason})" if result.reason else "")
    if payment.state == states.PENDING and payment.created_at < now - GIVE_UP:
        if payment.direction == COLLECTION:
            payment.failure_reason = "no_answer"
            states.move(payment, states.TIMED_OUT, now)
        else:
            service._to_review(payment, "no_answer")
        return PARKED, "no answer for too long"
    return _action(payment, fallback), note
