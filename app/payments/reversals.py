"""Reversals: undo a succeeded payment or a ledger movement by a compensating entry, never an edit.

    reversals = services.payment_reversals
    reversals.reverse_payment(actor, "PMJ000000042", reason="duplicate disbursement")
    reversals.reverse_entry(actor, 981, reason="deposit on the wrong member", to_member=77)

- `reverse_payment`: a succeeded deposit or withdrawal. The money moves through the operator
  (app/payments/refunds.py): a deposit is refunded to the member's wallet (a `refund`
  payment: Daraja Reversal of the receipt, a MoMo disbursement, the sandbox's simulation),
  a withdrawal paid by mistake is pulled back (a `recovery`: Daraja Reversal; operators
  without a reversal are refused). The original becomes `reversed` when that succeeds.
- `reverse_entry`: a ledger entry that is not a payment's (an agent cash-in on the wrong
  number...) gets its exact opposite (key `reverse:<id>`); with `to_member` the entry's
  effect on its one member moves to the right member instead (a deposit or a cash-in
  credited to the wrong member; allowed on a payment's entry, the payment stays as it was).
  Every member or agent whose account moved is told, in their language.
- Both need `payments.reverse` and a reason; above the `payments.reverse` threshold a second
  staff member approves (`run_approved`, registered in app/services.py). Reversing twice is
  refused (a refund under way or done; the `reverse:<id>` key), and two staff at once are
  serialised by the payment's row lock or a transaction lock on the entry's key: one wins.
"""

from typing import NamedTuple

from sqlalchemy import select, text

from app.audit.services import require_reason
from app.ledger.errors import InsufficientFunds
from app.ledger.models import LedgerEntry
from app.ledger.references import entry_reference
from app.ledger.reversal import holders_of, opposite_postings, redirected_postings, reversal_key
from app.money import Money
from app.payments import refunds, states
from app.payments.errors import PaymentError
from app.payments.models import Payment
from app.payments.providers.base import COLLECTION, DISBURSEMENT
from app.payments.review import find_payment
from app.staff.errors import StaffError

HOLDERS = ("member", "agent")


class ReversalError(StaffError):
    """A reversal refused: unknown, not succeeded, already reversed, not reversible, not enough money."""


class Reversal(NamedTuple):
    subject: object
    """The original payment or ledger entry."""
    result: object = None
    """The refund/recovery Payment, or the compensating LedgerEntry; None while waiting for approval."""
    approval: object = None


class Reversals:
    def __init__(self, session, *, clock, payments, ledger, staff, approvals, audit, notify, recipient):
        self.session = session
        self.clock = clock
        self.payments = payments
        self.ledger = ledger
        self.staff = staff
        self.approvals = approvals
        self.audit = audit
        self.notify = notify
        """callable(recipient, kind, key, **params): Services.notify."""
        self.recipient = recipient
        """callable(owner_type, owner_id) -> the Member or Agent to tell, or None."""

    # -- payments ---------------------------------------------------------------------

    def reverse_payment(self, actor, ref, reason):
        """Start the refund or recovery of a succeeded payment (or ask for approval); a Reversal."""
        self.staff.require(actor, "payments.reverse")
        reason = require_reason("payments.reverse", reason)
        payment = self._reversible_payment(ref)
        outcome = self.approvals.request(actor, "payments.reverse", ("payment", payment.id),
                                         {"payment_id": payment.id}, amount=payment.amount, reason=reason)
        if not outcome.run_now:
            return Reversal(payment, approval=outcome.approval)
        return Reversal(payment, self._start_refund(actor, payment, reason))

    def _reversible_payment(self, ref):
        payment = find_payment(self.session, ref, lock=True)
        if payment is None:
            raise ReversalError(f"no payment {ref!r}")
        if payment.state == states.REVERSED:
            raise ReversalError(f"payment {payment.reference} is already reversed")
        if payment.state != states.SUCCEEDED:
            raise ReversalError(f"payment {payment.reference} is {payment.state}: only a succeeded payment is "
                                "reversed (a payment in review is resolved: flask payments review)")
        if payment.purpose not in refunds.REVERSIBLE_PURPOSES:
            raise ReversalError(f"a {payment.purpose} payment also changed its own records; undo its ledger "
                                "entry with flask ledger reverse and correct the rest by hand")
        under_way = self._refunds_of(payment, exclude_failed=True)
        if under_way:
            raise ReversalError(f"payment {payment.reference} already has {under_way[0].purpose} "
                                f"{under_way[0].reference} ({under_way[0].state}): not reversed twice")
        if payment.direction == DISBURSEMENT and not refunds.can_recover(self.payments.providers.get(payment.provider)):
            raise ReversalError(f"{payment.provider} cannot pull a disbursement back; recover it from the member "
                                "and book it with flask ledger reverse")
        if not payment.receipt and payment.provider == "mpesa":
            raise ReversalError(f"payment {payment.reference} has no M-Pesa receipt to reverse")
        return payment

    def _refunds_of(self, payment, exclude_failed=False):
        query = select(Payment).where(Payment.purpose.in_(refunds.REVERSAL_PURPOSES),
                                      Payment.purpose_ref == str(payment.id)).order_by(Payment.id)
        if exclude_failed:
            query = query.where(Payment.state != states.FAILED)
        return list(self.session.scalars(query))

    def _start_refund(self, actor, payment, reason):
        attempt = len(self._refunds_of(payment)) + 1
        purpose, direction = ((refunds.REFUND, DISBURSEMENT) if payment.direction == COLLECTION
                              else (refunds.RECOVERY, COLLECTION))
        try:
            refund = self.payments.start(f"{purpose}:{payment.id}:{attempt}", payment.member_id, direction, purpose,
                                         payment.amount, payment.phone, provider=payment.provider,
                                         purpose_ref=payment.id, initiated_by=f"staff:{actor.id}",
                                         channel="system")
        except InsufficientFunds as error:
            raise ReversalError(f"the member's savings no longer hold {payment.amount} to refund "
                                f"({error}); nothing was started") from None
        except PaymentError as error:
            raise ReversalError(f"the refund could not be started: {error}") from None
        self.audit.record(actor, "payments.reverse", ("payment", payment.id), reason=reason,
                          before={"state": payment.state},
                          after={"state": payment.state, purpose: refund.reference, "provider": refund.provider})
        return refund

    # -- ledger entries ---------------------------------------------------------------

    def reverse_entry(self, actor, entry_id, reason, *, to_member=None):
        """Post the compensating entry of ledger entry `entry_id` (or ask for approval); a Reversal."""
        self.staff.require(actor, "payments.reverse")
        reason = require_reason("ledger.reverse", reason)
        entry, postings = self._compensation(entry_id, to_member)
        amount = Money(sum(money.minor for _account, money in postings if money.minor > 0), postings[0][1].currency)
        outcome = self.approvals.request(actor, "payments.reverse", ("ledger_entry", entry.id),
                                         {"entry_id": entry.id, "to_member": to_member}, amount=amount, reason=reason)
        if not outcome.run_now:
            return Reversal(entry, approval=outcome.approval)
        return Reversal(entry, self._post(actor, entry, postings, reason, to_member))

    def _compensation(self, entry_id, to_member):
        """The entry (its reversal key locked for this transaction) and the postings undoing or moving it."""
        entry = self.session.get(LedgerEntry, entry_id) if str(entry_id).isdigit() else None
        if entry is None:
            raise ReversalError(f"no ledger entry {entry_id!r}")
        key = reversal_key(entry)
        self.session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})
        if self.ledger.entry(key) is not None:
            raise ReversalError(f"ledger entry {entry.id} is already reversed (entry {self.ledger.entry(key).id})")
        if entry.idempotency_key.startswith("reverse:"):
            raise ReversalError(f"ledger entry {entry.id} is itself a reversal: post the right movement instead")
        if to_member is None:
            if entry.idempotency_key.startswith("payment:"):
                raise ReversalError(f"ledger entry {entry.id} belongs to a payment: flask payments reverse "
                                    f"PMJ{int(entry.idempotency_key.split(':')[1]):09d} (or --to-member to move it)")
            return entry, opposite_postings(self.session, [entry])
        members = holders_of(self.session, entry, "member")
        if len(members) != 1:
            raise ReversalError(f"ledger entry {entry.id} moves {len(members)} members' money: "
                                "--to-member needs exactly one")
        if members[0] == int(to_member):
            raise ReversalError(f"ledger entry {entry.id} is already member {to_member}'s")
        if self.recipient("member", int(to_member)) is None:
            raise ReversalError(f"no member {to_member}")
        postings = redirected_postings(
            self.session, entry, "member", members[0],
            lambda kind, currency: self.ledger.account("member", int(to_member), kind, currency))
        return entry, postings

    def _post(self, actor, entry, postings, reason, to_member):
        try:
            reversal = self.ledger.post(reversal_key(entry), postings, kind="reversal",
                                        memo=f"reverses entry {entry.id}: {reason}", initiated_by=f"staff:{actor.id}",
                                        channel="system")
        except InsufficientFunds as error:
            raise ReversalError(f"ledger entry {entry.id} cannot be reversed: {error} (nothing was posted)") from None
        self.audit.record(actor, "ledger.reverse", ("ledger_entry", entry.id), reason=reason,
                          after={"reversal_entry": reversal.id, "to_member": to_member})
        self._tell_holders(reversal, postings)
        return reversal

    def _tell_holders(self, reversal, postings):
        for account, money in postings:
            if account.owner_type not in HOLDERS:
                continue
            recipient = self.recipient(account.owner_type, account.owner_id)
            if recipient is None:
                continue
            change = Money(money.minor * account.normal_sign, money.currency)  # natural sign: + is more for them
            kind = "correction_credit" if change.minor > 0 else "correction_debit"
            self.notify(recipient, kind, f"reversal:{reversal.id}:{account.id}", amount=abs_money(change),
                        balance=self.ledger.balance(account), ref=entry_reference(reversal.id))

    # -- maker-checker ----------------------------------------------------------------

    def run_approved(self, approval, checker):
        """The handler of `payments.reverse`: run the maker's request with the checker approving."""
        if approval.subject_type == "payment":
            payment = self._reversible_payment(approval.payload["payment_id"])
            refund = self._start_refund(checker, payment, approval.reason)
            return {"payment": payment.id, "refund": refund.id}
        entry, postings = self._compensation(approval.payload["entry_id"], approval.payload.get("to_member"))
        reversal = self._post(checker, entry, postings, approval.reason, approval.payload.get("to_member"))
        return {"entry": entry.id, "reversal_entry": reversal.id}


def abs_money(money):
    return Money(abs(money.minor), money.currency)


