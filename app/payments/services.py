"""The payment service: start a request once, send it from a job, apply every result exactly once.

- `start` creates the record under the caller's idempotency key (a replay returns the
  same payment, so no second provider request; the key reused for another movement is
  refused, `replay`) and, for a disbursement, reserves the money in the ledger at once;
  the provider call runs later in the `send_payment` job.
- `send` marks the payment `in_doubt` and commits (through the `checkpoint` it is
  given) BEFORE calling the operator, so a worker dying mid-call is detected: the next
  attempt resends only to providers that dedupe by our reference, else parks for review.
- `apply_result` locks the payment row and applies a callback or query result once:
  final payments record the event as a duplicate; amount or phone mismatches park
  the payment in `review`, and so does a callback's success that gives no amount (a
  missing amount is a mismatch, never a match; only our own status query, which
  Daraja answers without one, is trusted without it); a success posts its ledger
  entry (key `payment:<id>`) in the same transaction that marks it succeeded. A success
  for a payment already failed moves it to review with the operator's evidence and a
  `late_success` alert for finance (app/payments/finance_alerts.py). Every
  result is kept in payment_events. A callback with a value that cannot be read
  (`providers/inbound.py`) is recorded as `unreadable` and raised, so the endpoint
  answers 400 with the payment untouched.
- The member hears the outcome through `notify(member_id, kind, key, **params)`: a
  settled deposit or withdrawal (with the savings balance) and any failure, with the
  operator's reason in words (providers/reasons.py); other purposes tell their own
  success (contributions, repayments). The key `payment:<id>:...` says it once.
- A person decides what the operator could not (app/payments/review.py): every payment
  parked in review goes to finance's work queue through the `desk`, `settle_by_person`
  settles it through `_succeed`/`_fail` like an operator's answer, and an operator's
  answer after a person's decision is audited and queued when it disagrees. Refunds and
  recoveries (app/payments/refunds.py) are payments too; their success reverses the original.
"""

import json
from dataclasses import replace

from sqlalchemy import Text, cast, or_, select, text
from sqlalchemy.dialects.postgresql import insert

from app.keys import payment_job_id
from app.ledger.models import LedgerAccount
from app.ledger.references import entry_reference
from app.payments import errors, states
from app.payments.finance_alerts import LATE_SUCCESS, raise_finance_alert
from app.payments.models import Payment, PaymentEvent
from app.payments.providers.base import (
    COLLECTION,
    DISBURSEMENT,
    MalformedCallback,
    NotSent,
    PaymentRequest,
    ProviderRejected,
    ProviderResult,
    TransientProviderError,
    UnreadableCallback,
)
from app.payments.providers.reasons import reason_message
from app.payments.reconcile import reconcile
from app.payments.refunds import RECOVERY, REFUND, REVERSAL_PURPOSES, mark_original_reversed, operator_call, original_of
from app.payments.settled_callbacks import record_if_settled
from app.payments.settlement import released_postings

SUCCESS_NOTICES = {"deposit": "deposit_received", "withdrawal": "withdrawal_sent", REFUND: "payment_refunded",
                   RECOVERY: "payment_recovered"}
"""Purposes whose success the payments service announces with the savings balance; the others give
their Notice through the settlement handlers (contributions, repayments, float top-ups)."""


PERSON = "staff"
"""The payment_events source of a person's resolution."""


def _reported(result, source):
    """What the operator said, for the reviewer (amounts in minor units)."""
    return {"source": source, "status": result.status, "receipt": result.receipt,
            "reported_amount_minor": result.amount.minor if result.amount else None,
            "reported_currency": result.amount.currency if result.amount else None, "reported_phone": result.phone}


def _jsonable(raw):
    return json.loads(json.dumps(raw or {}, default=str))


class PaymentService:
    def __init__(self, session, *, clock, ledger, providers, enqueue, settlement, notify=None, member_guard=None,
                 desk=None, route=None, tell=None):
        self.session = session
        self._desk = desk
        """A getter of the review desk (app/payments/review.PaymentReview): finance's work items."""
        self.settlement = settlement
        """The ledger side of each purpose (app/payments/settlement.SettlementHandlers)."""
        self.clock = clock
        self.ledger = ledger
        self.providers = providers
        self.enqueue = enqueue
        self.notify = notify or (lambda member_id, kind, key=None, **params: None)
        self.tell = tell or (lambda recipient, kind, key=None, **params: None)
        """`notify` for a member or agent object (a settlement Notice's recipient)."""
        self.member_guard = member_guard or (lambda member_id: None)
        """Raises when a member may not start a movement (blocked: MemberService.check_active); callbacks
        settling a movement already started never ask it, so money coming in is always credited."""
        self.route = route or (lambda member_id, phone, direction: (phone, None))
        """`route(member_id, phone, direction)` -> (phone, network): the member's own mobile-money number when they
        set one (app/members/momo_numbers.py); raises PayoutOnHold while a new number's payouts are held."""

    # -- reading ----------------------------------------------------------------------

    def get(self, payment_id):
        """The payment with this id, or None."""
        return self.session.get(Payment, payment_id)

    def by_key(self, idempotency_key):
        """The payment started under this key, or None."""
        return self.session.scalar(select(Payment).where(Payment.idempotency_key == idempotency_key))

    def recent(self, member_id, limit=5):
        """The member's latest payments, newest first."""
        return list(self.session.scalars(select(Payment).where(Payment.member_id == member_id)
                                          .order_by(Payment.id.desc()).limit(limit)))

    def events(self, payment_id):
        return list(self.session.scalars(select(PaymentEvent).where(PaymentEvent.payment_id == payment_id)
                                         .order_by(PaymentEvent.id)))

    # -- starting ---------------------------------------------------------------------

    def start(self, idempotency_key, member, direction, purpose, amount, phone, *, provider=None, purpose_ref=None,
              fee=None, initiated_by=None, channel="system", session_ref=None):
        """Create the payment (or return the one with this key) and enqueue its provider call.

        A member's payment asked for their SIM's number goes to their own mobile-money number
        when they set one (`route`). Raises PayoutOnHold (a new number's payouts are held),
        NoProviderForNumber, ProviderUnavailable (circuit open), UnknownPurpose,
        IdempotencyConflict (the key started another movement), and for a disbursement the
        ledger's InsufficientFunds (nothing is created then).
        """
        member_id = getattr(member, "id", member)
        network = None
        if provider is None and member_id is not None:
            phone, network = self.route(member_id, phone, direction)
        existing = self.replay(idempotency_key, member_id, direction, purpose, amount, phone, purpose_ref=purpose_ref,
                               fee=fee)
        if existing is not None:
            return existing
        if member_id is not None:
            self.member_guard(member_id)
        handlers = self.settlement.for_direction(direction == COLLECTION)
        if direction not in (COLLECTION, DISBURSEMENT) or purpose not in handlers:
            raise errors.UnknownPurpose(f"{direction}/{purpose}")
        if amount.minor <= 0 or (fee is not None and fee.currency != amount.currency):
            raise ValueError(f"bad payment amount {amount} / fee {fee}")
        provider = provider or self.providers.name_for(phone, network)
        self.providers.check_available(provider)
        initiated_by = initiated_by or (f"member:{member_id}" if member_id else "system")
        now = self.clock.now()
        with self.session.begin_nested():
            payment_id = self.session.scalar(
                insert(Payment).values(
                    idempotency_key=idempotency_key, member_id=member_id, provider=provider, direction=direction,
                    purpose=purpose, purpose_ref=None if purpose_ref is None else str(purpose_ref),
                    amount_minor=amount.minor, fee_minor=fee.minor if fee else 0, currency=amount.currency,
                    phone=phone, state=states.INITIATED, attempts=0, in_doubt=False, initiated_by=initiated_by,
                    channel=channel, session_ref=session_ref, created_at=now, updated_at=now)
                .on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(Payment.id))
            if payment_id is None:  # a concurrent start with this key won
                return self.replay(idempotency_key, member_id, direction, purpose, amount, phone,
                                   purpose_ref=purpose_ref, fee=fee)
            payment = self.session.get(Payment, payment_id)
            payment.reference = f"PMJ{payment_id:09d}"
            if direction == DISBURSEMENT:
                reservation = self.settlement.reservation_postings(self.ledger, payment)
                self.ledger.post(f"payment:{payment_id}:reserve", reservation,
                                 kind=f"{purpose}_reserve", memo=f"{purpose} to {phone}", initiated_by=initiated_by,
                                 channel=channel, session_ref=session_ref)
        self.enqueue_send(payment)
        return payment

    def replay(self, idempotency_key, member, direction, purpose, amount, phone, *, purpose_ref=None, fee=None):
        """The payment already started under this key for this same movement, or None if the key is new.

        The one rule for a reused payment key (callers that check before `start`, like a
        withdrawal's balance check, ask it first): the same member, direction, purpose,
        purpose_ref, amount, fee and phone is a replay and gets the first payment; anything
        else raises IdempotencyConflict, never passed off as started. The member's SIM number
        asks for their own mobile-money number when they set one (`route`).
        """
        payment = self.by_key(idempotency_key)
        if payment is None:
            return None
        asked = (getattr(member, "id", member), direction, purpose, None if purpose_ref is None else str(purpose_ref),
                 amount.minor, amount.currency, fee.minor if fee else 0)
        if (payment.member_id, payment.direction, payment.purpose, payment.purpose_ref, payment.amount_minor,
                payment.currency, payment.fee_minor) != asked or (
                payment.phone != phone and (payment.member_id is None
                                            or self.route(payment.member_id, phone, direction)[0] != payment.phone)):
            raise errors.IdempotencyConflict(payment)
        return payment

    def enqueue_send(self, payment):
        from app.payments.tasks import send_payment

        self.enqueue("high", send_payment, payment.id, job_id=payment_job_id(payment.id))

    # -- sending (the job body) -------------------------------------------------------

    def request_for(self, payment):
        original = original_of(self.session, payment)
        return PaymentRequest(reference=payment.reference, direction=payment.direction, amount=payment.amount,
                              phone=payment.phone, description=payment.purpose.replace("_", " ").title(),
                              provider_ref=payment.provider_ref,
                              original_receipt=original.receipt if original is not None else None,
                              original_direction=original.direction if original is not None else None)

    @property
    def desk(self):
        return self._desk() if self._desk is not None else None

    def _to_review(self, payment, reason, kind="payment_review", evidence=None):
        """Park `payment` in review (nothing posted) and put it in finance's work queue."""
        payment.failure_reason = reason
        states.move(payment, states.REVIEW, self.clock.now())
        if self.desk is not None:
            self.desk.opened(payment, reason, kind=kind, evidence=evidence)

    def _lock(self, payment_id):
        return self.session.scalar(select(Payment).where(Payment.id == payment_id).with_for_update()
                                   .execution_options(populate_existing=True))

    def send(self, payment_id, *, checkpoint):
        """Call the provider for an initiated payment, at most once unless the provider dedupes.

        `checkpoint()` must commit the unit of work (the job passes session.commit): the
        in-doubt mark must be durable before the operator hears of the request.
        TransientProviderError propagates so RQ retries with backoff.
        """
        payment = self._lock(payment_id)
        if payment is None or payment.state != states.INITIATED:
            return payment
        if payment.in_doubt and not self.providers.resend_safe(payment.provider):
            self._to_review(payment, "request_in_doubt")
            self._record(payment, payment.provider, "job", {"attempts": payment.attempts}, "in_doubt_review")
            return payment
        payment.in_doubt, payment.attempts, payment.updated_at = True, payment.attempts + 1, self.clock.now()
        checkpoint()
        provider = self.providers.get(payment.provider)
        request = self.request_for(payment)
        try:
            ack = operator_call(provider, payment)(request)
        except ProviderRejected as exc:
            payment = self._lock(payment_id)
            payment.in_doubt = False
            if payment.state in states.OPEN:
                self._fail(payment, exc.reason)
            self._record(payment, payment.provider, "job", {"rejected": exc.reason, "raw": exc.raw}, "rejected")
            return payment
        except TransientProviderError as exc:
            payment = self._lock(payment_id)
            if isinstance(exc, NotSent):
                payment.in_doubt = False  # no token, or the circuit refused it: the operator never saw it
            self._record(payment, payment.provider, "job", {"transient": str(exc)}, "transient_error")
            checkpoint()
            raise
        self._serialize_ref(payment.provider, ack.provider_ref)
        payment = self._lock(payment_id)
        payment.in_doubt = False
        payment.provider_ref = payment.provider_ref or ack.provider_ref
        if payment.state == states.INITIATED:
            states.move(payment, states.PENDING, self.clock.now())
        self._record(payment, payment.provider, "job", ack.raw or {"provider_ref": ack.provider_ref}, "acknowledged")
        self._apply_early_callbacks(payment)
        return payment

    # -- results ----------------------------------------------------------------------

    def apply_callback(self, provider_name, payload, kind="callback"):
        """Parse an operator's callback and apply it once.

        A result for a payment already settled or held for review is recorded in one statement
        (app/payments/settled_callbacks.py: operators resend, so most callbacks are these) and
        returns that payment's `Settled(id, state)`, not the entity: nothing about it changed;
        anything else goes through `apply_result`, Airtel's hints through its enquiry first.
        A body of a shape we do not know is recorded and returns None. One with a value that
        cannot be read is recorded as `unreadable` and UnreadableCallback is raised (the
        caller commits the record and answers 400); nothing else changes.
        """
        provider = self.providers.get(provider_name)
        try:
            result = provider.parse_callback(payload, kind=kind)
        except MalformedCallback as exc:
            unreadable = isinstance(exc, UnreadableCallback)
            self._record(None, provider_name, "callback", {"error": str(exc), "payload": payload},
                         "unreadable" if unreadable else "malformed")
            if unreadable:
                raise
            return None
        settled = record_if_settled(self.session, provider_name, result, "callback", now=self.clock.now(),
                                    person_source=PERSON)
        if settled is not None:  # a repeat for a payment that cannot change: recorded, nothing to confirm
            return settled
        if getattr(provider, "callbacks_need_confirmation", False):
            return self._confirm_hint(provider, provider_name, result)
        return self.apply_result(result, "callback", provider=provider_name)

    def _confirm_hint(self, provider, provider_name, hint):
        """Apply an unsigned callback (Airtel) only as its operator's enquiry confirms it.

        A hint that cannot change the payment (unknown, a duplicate of its final state, a
        payment held for review) is recorded as it is, without asking. Otherwise the
        enquiry's answer is applied as source `enquiry` (asked over our authenticated
        connection, like a query), with the hint kept beside it in the event: a forged
        callback posts nothing. The enquiry is asked before the payment row is locked.
        """
        payment = self._find_by_ref(provider_name, hint)
        can_change = payment is not None and hint.status != "pending" and (
            payment.state in states.OPEN or (payment.state == states.FAILED and hint.status == "succeeded"))
        if not can_change:
            return self.apply_result(hint, "callback", provider=provider_name)
        answer = provider.query_status(self.request_for(payment))
        confirmed = replace(answer, raw={"callback": hint.raw, "enquiry": answer.raw})
        return self.apply_result(confirmed, "enquiry", provider=provider_name, payment_id=payment.id)

    def apply_result(self, result, source, *, provider, payment_id=None):
        """Apply a ProviderResult exactly once; return the payment (None when unknown)."""
        payment = self._lock(payment_id) if payment_id is not None else self._lock_by_ref(provider, result)
        if payment is None:
            self._record(None, provider, source, result.raw, "unknown_payment")
            return None
        now = self.clock.now()
        if result.status == "pending":
            if payment.state == states.INITIATED and result.provider_ref and not payment.in_doubt:
                payment.provider_ref = payment.provider_ref or result.provider_ref
                states.move(payment, states.PENDING, now)
            outcome = "still_pending"
        elif payment.state == states.FAILED and result.status == "succeeded":
            resolved = self.resolved_by_person(payment)
            self._late_success(payment, result, source, disagrees_with_person=resolved)
            outcome = "late_success_review"
            if resolved and self.desk is not None:
                self.desk.late_result(payment, result, source, disagrees=True)
        elif payment.state in states.FINAL:
            expected = states.SUCCEEDED if result.status == "succeeded" else states.FAILED
            outcome = "duplicate" if payment.state == expected else f"conflict_after_{payment.state}"
            if self.desk is not None and self.resolved_by_person(payment):
                disagrees = outcome != "duplicate" and payment.state == states.SUCCEEDED
                self.desk.late_result(payment, result, source, disagrees=disagrees)
                if disagrees:
                    outcome = "disagrees_with_person"
        elif payment.state == states.REVIEW:
            outcome = "held_for_review"
        elif mismatch := self._mismatch(payment, result, source):
            self._to_review(payment, mismatch, evidence=_reported(result, source))
            outcome = "mismatch_review"
        elif result.status == "succeeded":
            self._succeed(payment, result)
            outcome = "applied_success"
        else:
            self._fail(payment, result.reason or "rejected")
            outcome = "applied_failure"
        self._record(payment, provider, source, result.raw, outcome)
        return payment

    def _late_success(self, payment, result, source, disagrees_with_person=False):
        """The operator reports success for a payment we recorded as failed: the member may have paid
        (or been paid) with nothing posted. Park it in review with the operator's evidence and raise
        a `late_success` alert for finance; a person decides (states: failed -> review)."""
        evidence = {"payment": payment.id, "reference": payment.reference, "provider": payment.provider,
                    "direction": payment.direction, "purpose": payment.purpose, "amount_minor": payment.amount_minor,
                    "currency": payment.currency, "phone": payment.phone, "failed_for": payment.failure_reason,
                    "source": source, "receipt": result.receipt,
                    "reported_amount_minor": result.amount.minor if result.amount else None,
                    "reported_phone": result.phone, "operator": _jsonable(result.raw)}
        payment.receipt = payment.receipt or result.receipt
        self._to_review(payment, "late_success",
                        kind="payment_disagreement" if disagrees_with_person else "payment_review", evidence=evidence)
        raise_finance_alert(self.session, LATE_SUCCESS, payment, evidence, self.clock.now())

    def _by_ref(self, provider, result):
        refs = {ref for ref in (result.provider_ref, result.reference) if ref}
        if not refs:
            return None
        return (select(Payment).where(Payment.provider == provider,
                                      or_(Payment.provider_ref.in_(refs), Payment.reference.in_(refs)))
                .order_by(Payment.id).limit(1))

    def _find_by_ref(self, provider, result):
        """The payment `result` is about (by the operator's id or our echoed reference), unlocked; or None."""
        query = self._by_ref(provider, result)
        return None if query is None else self.session.scalar(query)

    def _lock_by_ref(self, provider, result):
        query = self._by_ref(provider, result)
        if query is None:
            return None
        self._serialize_ref(provider, result.provider_ref)
        return self.session.scalar(query.with_for_update().execution_options(populate_existing=True))

    def _serialize_ref(self, provider, ref):
        """Take the transaction-scoped lock of one operator id (always before the payment row's lock).

        A callback looking for its payment and the job storing that payment's acknowledgement
        take it both, so one of them sees the other's commit: either the callback finds the
        stored id, or the job finds the callback's `unknown_payment` event (`_apply_early_callbacks`).
        """
        if ref:
            self.session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 13))"),
                                 {"key": f"payment-ref:{provider}:{ref}"})

    def _apply_early_callbacks(self, payment):
        """Apply callbacks that came before this payment's acknowledgement was stored (issue 13 item 5).

        Such a callback could not be matched and was kept as an `unknown_payment` event with its
        payload; now the operator's id is known, each one for it is claimed (its event gets the
        payment and the outcome `matched_after_ack`) and applied as the callback it was, so the
        receipt is kept. Providers whose callbacks need confirmation are left to their enquiry.
        """
        provider = self.providers.get(payment.provider)
        if not payment.provider_ref or getattr(provider, "callbacks_need_confirmation", False):
            return
        quoted = json.dumps(payment.provider_ref).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        early = self.session.scalars(
            select(PaymentEvent).where(PaymentEvent.payment_id.is_(None), PaymentEvent.provider == payment.provider,
                                       PaymentEvent.outcome == "unknown_payment", PaymentEvent.source == "callback",
                                       cast(PaymentEvent.raw, Text).like(f"%{quoted}%"))
            .order_by(PaymentEvent.id).with_for_update(skip_locked=True)).all()
        for event in early:
            try:
                result = provider.parse_callback(event.raw, kind="callback")
            except MalformedCallback:
                continue
            if result.provider_ref != payment.provider_ref:
                continue
            event.payment_id, event.outcome = payment.id, "matched_after_ack"
            self.apply_result(result, "callback", provider=payment.provider, payment_id=payment.id)

    @staticmethod
    def _mismatch(payment, result, source):
        """Why `result` does not fit `payment` (a reason code), or None.

        A callback's success must say how much: a success callback without an amount is
        `amount_missing`, never a match. Our own status query is asked over our
        authenticated connection and Daraja's answers carry no amount, so it may omit it.
        """
        if result.amount is None and result.status == "succeeded" and source == "callback":
            return "amount_missing"
        if result.amount is not None and result.amount != payment.amount:
            return "amount_mismatch"
        if result.phone is not None and result.phone != payment.phone:
            return "phone_mismatch"
        return None

    def _succeed(self, payment, result):
        clearing = self.ledger.clearing_account(payment.provider, payment.currency)
        if payment.direction == COLLECTION:
            postings = [(clearing, payment.amount), *self.settlement.settlement_postings(self.ledger, payment)]
        else:
            in_flight = self.ledger.system_account("payouts_in_flight", payment.currency)
            postings = [(in_flight, payment.amount), (clearing, -payment.amount)]
        entry = self.ledger.post(f"payment:{payment.id}", postings, kind=payment.purpose,
                                 memo=f"{payment.provider} {result.receipt or ''}".strip(),
                                 initiated_by=payment.initiated_by, channel=payment.channel,
                                 session_ref=payment.session_ref)
        payment.ledger_entry_id = entry.id
        payment.receipt = result.receipt or payment.receipt
        payment.provider_ref = payment.provider_ref or result.provider_ref
        states.move(payment, states.SUCCEEDED, self.clock.now())
        if payment.purpose in REVERSAL_PURPOSES:
            mark_original_reversed(self.session, payment, self.clock.now())
        self._confirm(payment, entry_reference(entry.id))

    def _confirm(self, payment, ref):
        """The one confirmation of a succeeded payment: the amount, the new balance, the entry's reference."""
        key = f"payment:{payment.id}:succeeded"
        kind = SUCCESS_NOTICES.get(payment.purpose)
        if kind and payment.member_id:
            savings = self.ledger.account("member", payment.member_id, "member_savings", payment.currency)
            self.notify(payment.member_id, kind, key, ref=ref, amount=payment.amount,
                        balance=self.ledger.balance(savings))
            return
        notice = self.settlement.success_notice(self.ledger, payment)
        if notice is not None and notice.recipient is not None:
            self.tell(notice.recipient, notice.kind, key, ref=ref, **notice.params)

    def _fail(self, payment, reason):
        payment.failure_reason = reason
        states.move(payment, states.FAILED, self.clock.now())
        if payment.purpose in REVERSAL_PURPOSES and self.desk is not None:
            self.desk.opened(payment, reason, kind="refund_failed")  # the original is still succeeded: finance decides
        if payment.member_id:
            self.notify(payment.member_id, "payment_failed", f"payment:{payment.id}:failed", amount=payment.amount,
                        reason=reason_message(reason, provider=payment.provider))
        reservation = self.ledger.entry(f"payment:{payment.id}:reserve") if payment.direction == DISBURSEMENT else None
        if reservation is not None:  # only a payout reserves its money when it starts
            accounts = {a.id: a for a in self.session.scalars(
                select(LedgerAccount).where(LedgerAccount.id.in_([p.account_id for p in reservation.postings])))}
            self.ledger.post(f"payment:{payment.id}:release", released_postings(reservation, accounts),
                             kind=f"{payment.purpose}_release", memo=f"failed: {reason}", initiated_by="system",
                             channel="system", session_ref=payment.session_ref)

    # -- a person decides (app/payments/review.py) ---------------------------------------

    def resolved_by_person(self, payment):
        """True when a staff member resolved `payment` out of review (a `staff` event)."""
        return self.session.scalar(select(PaymentEvent.id).where(
            PaymentEvent.payment_id == payment.id, PaymentEvent.source == PERSON).limit(1)) is not None

    def settle_by_person(self, payment, outcome, evidence):
        """Settle a payment in review as a person decided: exactly as the operator's answer would.

        `succeeded` posts the entry `_succeed` posts (a disbursement whose reservation a
        failure released is reserved again first, under `payment:<id>:rereserve`);
        `failed` releases any reservation and tells the member (`_fail`). The caller holds
        the row lock and has checked the state; `evidence` (staff id, reason) is kept as a
        `staff` payment event, which is how a late operator answer knows a person decided.
        """
        if outcome == states.SUCCEEDED:
            released = self.ledger.entry(f"payment:{payment.id}:release")
            if payment.direction == DISBURSEMENT and released is not None:
                self.ledger.post(f"payment:{payment.id}:rereserve",
                                 self.settlement.reservation_postings(self.ledger, payment),
                                 kind=f"{payment.purpose}_reserve", memo="resolved as paid after a release",
                                 initiated_by=evidence.get("by", "staff"), channel="system",
                                 session_ref=payment.session_ref)
            self._succeed(payment, ProviderResult(states.SUCCEEDED, payment.provider_ref, None, payment.receipt,
                                                  payment.amount, payment.phone, {}))
        else:
            self._fail(payment, "resolved_failed")
        self._record(payment, payment.provider, PERSON, evidence, f"resolved_{outcome}")
        return payment

    def _record(self, payment, provider, source, raw, outcome):
        self.session.add(PaymentEvent(payment_id=payment.id if payment else None, provider=provider, source=source,
                                      raw=_jsonable(raw), outcome=outcome, received_at=self.clock.now()))
        self.session.flush()

    # -- reconciliation ---------------------------------------------------------------

    def reconcile(self, older_than, *, checkpoint=None):
        """Settle stale payments from the operators' answers; see app/payments/reconcile.py."""
        return reconcile(self, older_than, checkpoint=checkpoint)
