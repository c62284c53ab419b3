"""Refunds and recoveries: a reversal that moves real money is a Payment like any other.

A succeeded payment is reversed by a second payment through the same operator, so it has
the same exactly-once guarantees (its own idempotency key, in doubt before the call,
every result applied once under the row lock):

- `refund` (a disbursement): the money of a succeeded collection goes back to the member's
  wallet. M-Pesa: Daraja's Reversal of the C2B/STK receipt; sandbox: simulated; MTN MoMo
  has no reversal, so a plain disbursement; Airtel: give its client a `request_reversal(req)`
  calling Airtel's refund API (see `operator_call`), nothing else changes.
- `recovery` (a collection): a succeeded disbursement paid by mistake (a duplicate) is
  pulled back from the member's wallet by the operator's reversal. Only providers whose
  client has `request_reversal` can; the others are refused (`can_recover`).

The ledger side undoes the original exactly: the opposite of every entry posted for it
(`payment:<id>`, its reservation and any re-reservation), less the provider clearing
account, which the refund's own settlement moves. A refund reserves that at once (the
member cannot spend it twice); a recovery credits it when the operator confirms. When the
refund or recovery succeeds, the original moves to `reversed` (`mark_original_reversed`).
"""

from sqlalchemy import or_, select

from app.ledger.models import LedgerEntry
from app.ledger.reversal import opposite_postings
from app.payments import states
from app.payments.models import Payment

REFUND, RECOVERY = "refund", "recovery"
REVERSAL_PURPOSES = frozenset({REFUND, RECOVERY})

REVERSIBLE_PURPOSES = frozenset({"deposit", "withdrawal"})
"""Purposes whose ledger side is only savings: undone by the opposite entry. A loan repayment or
disbursement, a contribution or a float top-up also changes its own rows (a schedule, a
contribution), which the opposite entry cannot undo: `flask ledger reverse` with a person's care."""

CLEARING_PREFIX = "mobile_money_clearing"


def original_of(session, payment):
    """The payment a refund or recovery reverses (its purpose_ref), or None."""
    if payment.purpose not in REVERSAL_PURPOSES or not payment.purpose_ref:
        return None
    return session.get(Payment, int(payment.purpose_ref))


def entries_of(session, payment):
    """Every ledger entry posted for `payment` (`payment:<id>` and `payment:<id>:...`), oldest first."""
    key = f"payment:{payment.id}"
    return list(session.scalars(select(LedgerEntry).where(
        or_(LedgerEntry.idempotency_key == key, LedgerEntry.idempotency_key.startswith(key + ":")))
        .order_by(LedgerEntry.id)))


def compensation(session, original):
    """The postings undoing `original`, without the provider clearing account."""
    return [(account, money) for account, money in opposite_postings(session, entries_of(session, original))
            if not account.kind.startswith(CLEARING_PREFIX)]


def refund_reservation(ledger, payment):
    """Disbursement handler of `refund`: the debits giving back what the collection credited."""
    return compensation(ledger.session, original_of(ledger.session, payment))


def recovery_settlement(ledger, payment):
    """Collection handler of `recovery`: the credits giving back what the disbursement debited."""
    return compensation(ledger.session, original_of(ledger.session, payment))


def can_recover(provider_client):
    """True when the operator can pull a disbursement back (its client has `request_reversal`)."""
    return callable(getattr(provider_client, "request_reversal", None))


def operator_call(provider_client, payment):
    """The client method that sends `payment`: the operator's reversal for a refund or recovery
    when it has one, else a disbursement (a refund with MoMo) or a collection."""
    if payment.purpose in REVERSAL_PURPOSES and can_recover(provider_client):
        return provider_client.request_reversal
    return provider_client.send_disbursement if payment.direction == "disbursement" \
        else provider_client.request_collection


def mark_original_reversed(session, payment, now):
    """The refund or recovery `payment` succeeded: its original moves to `reversed`; returns it."""
    original = original_of(session, payment)
    if original is not None and original.state == states.SUCCEEDED:
        original = session.scalar(select(Payment).where(Payment.id == original.id).with_for_update()
                                  .execution_options(populate_existing=True))
        states.move(original, states.REVERSED, now)
    return original
