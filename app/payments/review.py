"""Payments in review: what finance sees, and a person's decision, settled exactly as the operator's would be.

    desk = services.payment_review
    desk.list()                                   # ReviewCase per payment in review, oldest first
    desk.show("PMJ000000042")                     # one case, every event
    desk.resolve(actor, "PMJ000000042", "succeeded", reason="M-Pesa statement shows QK12AB")

- `resolve` needs `payments.review` and a reason, locks the payment (two staff at once:
  exactly one wins, the other is told it is no longer in review) and, above the
  `payments.resolve` threshold (APPROVAL_THRESHOLDS), asks for a second staff member
  (`run_approved` is the handler in app/services.py). The decision goes through
  `PaymentService.settle_by_person`: a success posts the same entry an operator's success
  posts, a failure releases the reservation and tells the member in their language.
  The audit row `payments.resolve` and the work item's closing are in the same transaction.
- Every payment parked in review opens a `payment_review` item in finance's work queue
  (`opened`, called by the payments service), and a failed refund or recovery a
  `refund_failed` item (its original stays succeeded); an operator's answer arriving after a person
  decided is audited (`payments.late_callback`) and, when it disagrees (a success after
  "failed", a failure after "succeeded"), opens a `payment_disagreement` item: never dropped.
"""

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select

from app.audit.services import require_reason
from app.payments import states
from app.payments.models import Payment, PaymentEvent
from app.payments.providers.base import MalformedCallback
from app.staff.actor import Actor
from app.staff.errors import StaffError
from app.staff.models import OPEN as WORK_OPEN
from app.staff.models import WorkItem

FINANCE = "finance"
OUTCOMES = (states.SUCCEEDED, states.FAILED)


class ReviewError(StaffError):
    """Unknown payment, not in review, a bad outcome: the message says which."""


class ReviewCase(NamedTuple):
    payment: Payment
    age: object
    """How long since the payment was created (a timedelta)."""
    events: list
    """Every PaymentEvent, oldest first: callbacks, queries, jobs, people."""
    callbacks: int
    reported: list
    """What the operator reported in each readable callback/query: dicts (status, amount, phone, receipt)."""
    why: str | None


class Resolution(NamedTuple):
    payment: Payment
    approval: object = None
    """The pending approval when a second staff member must approve; None when done now."""


def find_payment(session, ref, *, lock=False):
    """The payment by reference (`PMJ000000042`) or id (`42`), optionally locked; None when unknown."""
    ref = str(ref).strip()
    if ref.upper().startswith("PMJ"):
        where = Payment.reference == ref.upper()
    elif ref.isdigit():
        where = Payment.id == int(ref)
    else:
        return None
    query = select(Payment).where(where)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


class PaymentReview:
    def __init__(self, session, *, clock, payments, staff, approvals, audit, work_queue):
        self.session = session
        self.clock = clock
        self.payments = payments
        self.staff = staff
        self.approvals = approvals
        self.audit = audit
        self.work_queue = work_queue

    # -- what finance sees ------------------------------------------------------------

    def list(self, limit=200):
        """Every payment in review, oldest first, with what is known."""
        payments = self.session.scalars(select(Payment).where(Payment.state == states.REVIEW)
                                        .order_by(Payment.updated_at, Payment.id).limit(limit))
        return [self._case(payment) for payment in payments]

    def show(self, ref):
        payment = find_payment(self.session, ref)
        if payment is None:
            raise ReviewError(f"no payment {ref!r}")
        return self._case(payment)

    def _case(self, payment):
        events = self.payments.events(payment.id)
        return ReviewCase(payment, self.clock.now() - payment.created_at, events,
                          sum(1 for e in events if e.source == "callback"),
                          [r for r in (self._reported(e) for e in events) if r], payment.failure_reason)

    def _reported(self, event):
        """The operator's claim in a callback or query event, read again by its provider's parser."""
        if event.source not in ("callback", "query") or event.payment_id is None:
            return None
        try:
            result = self.payments.providers.get(event.provider).parse_callback(event.raw, kind=_kind_of(event))
        except (MalformedCallback, KeyError, TypeError, ValueError, AttributeError):
            return None
        return {"event": event.id, "at": event.received_at, "source": event.source, "status": result.status,
                "amount": result.amount, "phone": result.phone, "receipt": result.receipt, "reason": result.reason}

    # -- work items (called by the payments service) ----------------------------------

    def opened(self, payment, reason, *, kind="payment_review", evidence=None):
        """Put a payment just parked in review in finance's queue (once per parking)."""
        parked = self.session.scalar(select(func.count()).select_from(PaymentEvent).where(
            PaymentEvent.payment_id == payment.id, PaymentEvent.source == "staff"))
        summary = {"payment_review": f"{payment.amount} {payment.purpose} {payment.reference} in review: {reason}",
                   "refund_failed": f"{payment.purpose} {payment.reference} of {payment.amount} failed ({reason}): "
                                    f"payment #{payment.purpose_ref} is not reversed",
                   }.get(kind, f"{payment.reference}: operator disagrees with a staff decision ({reason})")
        return self.work_queue.open(kind, ("payment", payment.id), FINANCE, summary=summary,
                                    dedupe_key=f"{kind}:{payment.id}:{parked}",
                                    details={"reason": reason, **_plain(evidence or {})})

    def late_result(self, payment, result, source, *, disagrees):
        """An operator's answer for a payment a person already resolved: audited; a disagreement is queued."""
        actor = Actor.system("payments")
        self.audit.record(actor, "payments.late_callback", ("payment", payment.id),
                          after={"operator_status": result.status, "state": payment.state, "source": source,
                                 "receipt": result.receipt, "disagrees": disagrees})
        if disagrees and payment.state != states.REVIEW:
            self.opened(payment, f"operator says {result.status} after a person said {payment.state}",
                        kind="payment_disagreement",
                        evidence={"operator_status": result.status, "receipt": result.receipt, "source": source})

    # -- a person decides -------------------------------------------------------------

    def resolve(self, actor, ref, outcome, reason):
        """Resolve a payment in review as `succeeded` or `failed`; a Resolution (pending approval or done)."""
        self.staff.require(actor, "payments.review")
        reason = require_reason("payments.resolve", reason)
        if outcome not in OUTCOMES:
            raise ReviewError(f"resolve as one of {', '.join(OUTCOMES)}, not {outcome!r}")
        payment = self._in_review(ref)
        outcome_of_request = self.approvals.request(
            actor, "payments.resolve", ("payment", payment.id), {"payment_id": payment.id, "outcome": outcome},
            amount=payment.amount, reason=reason)
        if not outcome_of_request.run_now:
            return Resolution(payment, outcome_of_request.approval)
        return Resolution(self._settle(actor, payment, outcome, reason))

    def run_approved(self, approval, checker):
        """The maker-checker handler of `payments.resolve`: settle as the maker asked, the checker approving."""
        payment = self._in_review(approval.payload["payment_id"])
        self._settle(checker, payment, approval.payload["outcome"], approval.reason,
                     maker_staff_id=approval.maker_staff_id)
        return {"payment": payment.id, "state": payment.state}

    def _in_review(self, ref):
        payment = find_payment(self.session, ref, lock=True)
        if payment is None:
            raise ReviewError(f"no payment {ref!r}")
        if payment.state != states.REVIEW:
            raise ReviewError(f"payment {payment.reference} is {payment.state}, not in review: nothing to resolve")
        return payment

    def _settle(self, actor, payment, outcome, reason, maker_staff_id=None):
        before = {"state": payment.state, "failure_reason": payment.failure_reason}
        self.payments.settle_by_person(payment, outcome, {"by": f"staff:{actor.id}", "reason": reason,
                                                          "maker": maker_staff_id or actor.id})
        self.audit.record(actor, "payments.resolve", ("payment", payment.id), reason=reason, before=before,
                          after={"state": payment.state, "failure_reason": payment.failure_reason,
                                 "ledger_entry": payment.ledger_entry_id, "maker": maker_staff_id})
        for item in self.session.scalars(select(WorkItem).where(
                WorkItem.subject_type == "payment", WorkItem.subject_id == str(payment.id),
                WorkItem.status == WORK_OPEN, WorkItem.kind.in_(("payment_review", "payment_disagreement")))):
            self.work_queue.close(actor, item.id, f"resolved as {outcome}: {reason}")
        return payment


def _kind_of(event):
    raw = event.raw or {}
    if event.provider == "mpesa" and isinstance(raw.get("Result"), dict) and "ReferenceData" in raw["Result"]:
        return "status"
    return "callback"


def _plain(values):
    """JSON-safe details for a work item."""
    return {key: (value.isoformat() if isinstance(value, datetime) else value if isinstance(
        value, (str, int, float, bool, type(None))) else str(value)) for key, value in values.items()}
