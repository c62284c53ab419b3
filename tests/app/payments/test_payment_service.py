"""PaymentService: one request per key, exactly-once results, reservations, worker death, reconcile."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.alerts.models import SecurityAlert
from app.keys import payment_job_id
from app.ledger.errors import InsufficientFunds
from app.money import Money
from app.notifications.models import Notification
from app.payments import errors
from app.payments.models import Payment, PaymentEvent
from app.payments.providers.base import (
    ProviderRejected,
    ProviderResult,
    TransientProviderError,
    UnreadableCallback,
)
from app.payments.providers.circuit import CircuitOpen
from tests.member_helpers import make_member
from tests.money_helpers import fund_savings

PHONE = "+254712000111"


class WorkerDied(BaseException):
    """What a killed worker looks like from inside: nothing after it runs."""


@pytest.fixture
def member(services):
    return make_member(services.session, PHONE, "Amina Otieno")


def deposit(services, member, minor=500_00, key="deposit:1:s1"):
    return services.payments.start(key, member, "collection", "deposit", Money(minor, "KES"), PHONE, provider="fake")


def send(services, payment):
    return services.payments.send(payment.id, checkpoint=services.session.commit)


def callback(services, payment, status="succeeded", **extra):
    payload = {"status": status, "ref": f"FK-{payment.reference}", "amount": payment.amount_minor,
               "phone": PHONE, "receipt": "R1", **extra}
    return services.payments.apply_callback("fake", payload)


def savings_balance(services, member):
    return services.ledger.balance(services.ledger.account("member", member.id, "member_savings", "KES"))


def outcomes(services, payment):
    return [event.outcome for event in services.payments.events(payment.id)]


def test_same_key_returns_the_same_payment_and_one_job(services, fake, member, session, app):
    first = deposit(services, member)
    again = deposit(services, member)
    assert again.id == first.id and first.state == "initiated" and first.reference == f"PMJ{first.id:09d}"
    session.commit()
    assert app.extensions["queues"]["high"].fetch_job(payment_job_id(first.id)) is not None


def test_collection_posts_only_on_success_exactly_once(services, fake, member):
    payment = deposit(services, member)
    send(services, payment)
    assert payment.state == "pending" and payment.provider_ref == f"FK-{payment.reference}"
    assert savings_balance(services, member) == Money(0, "KES")
    callback(services, payment)
    callback(services, payment)
    assert payment.state == "succeeded" and payment.receipt == "R1" and payment.ledger_entry_id
    assert savings_balance(services, member) == Money(500_00, "KES")
    assert outcomes(services, payment) == ["acknowledged", "applied_success", "duplicate"]
    send(services, payment)
    assert len(fake.requests) == 1


def test_failure_then_late_success_goes_to_review_with_an_alert_for_finance(services, fake, member):
    payment = deposit(services, member)
    send(services, payment)
    callback(services, payment, "failed", reason="cancelled")
    callback(services, payment, receipt="NLJ7RT61SV")
    callback(services, payment, receipt="NLJ7RT61SV")  # the operator repeats it: one alert, nothing posted
    assert payment.state == "review" and payment.failure_reason == "late_success" and payment.settled_at is None
    assert payment.receipt == "NLJ7RT61SV" and payment.ledger_entry_id is None
    assert savings_balance(services, member) == Money(0, "KES")
    assert outcomes(services, payment) == ["acknowledged", "applied_failure", "late_success_review",
                                           "held_for_review"]
    (alert,) = services.session.scalars(select(SecurityAlert).where(
        SecurityAlert.rule == "late_success", SecurityAlert.subject_type == "payment",
        SecurityAlert.subject_id == payment.id)).all()
    assert alert.status == "open" and alert.evidence["failed_for"] == "cancelled"
    assert alert.evidence["receipt"] == "NLJ7RT61SV" and alert.evidence["operator"]["receipt"] == "NLJ7RT61SV"


def test_reconcile_goes_on_past_a_refused_query_and_a_crash(services, fake, member, monkeypatch):
    refused, crashed, fine = (deposit(services, member, key=f"deposit:r:{n}") for n in range(3))
    for payment in (refused, crashed, fine):
        send(services, payment)

    def query(req):
        if req.reference == refused.reference:
            raise ProviderRejected("rejected", "Bad Request - Invalid CheckoutRequestID", code="400.002.02")
        if req.reference == crashed.reference:
            raise RuntimeError("a bug in one payment's handling")
        return ProviderResult("succeeded", f"FK-{req.reference}", None, "Q1", None, None, {"q": 1})

    monkeypatch.setattr(fake, "query_status", query)
    changes = services.payments.reconcile(timedelta(0))

    assert [(c.payment_id, c.before, c.after, c.action) for c in changes] == [
        (refused.id, "pending", "pending", "skipped"), (crashed.id, "pending", "pending", "skipped"),
        (fine.id, "pending", "succeeded", "settled")]
    assert changes[0].note.startswith("query refused: rejected") and "RuntimeError" in changes[1].note
    assert "query_refused" in outcomes(services, refused)


def test_callback_before_ack_is_stored_still_settles(services, fake, member):
    payment = deposit(services, member)
    services.payments.apply_callback("fake", {"status": "succeeded", "ref": payment.reference,
                                              "amount": payment.amount_minor})
    assert payment.state == "succeeded"
    send(services, payment)
    assert fake.requests == []


def test_unknown_and_mismatched_callbacks(services, fake, member):
    assert services.payments.apply_callback("fake", {"status": "succeeded", "ref": "nobody"}) is None
    payment = deposit(services, member)
    send(services, payment)
    callback(services, payment, amount=1)
    assert payment.state == "review" and payment.failure_reason == "amount_mismatch"
    callback(services, payment)
    assert payment.state == "review" and savings_balance(services, member) == Money(0, "KES")
    other = deposit(services, member, key="deposit:1:s2")
    send(services, other)
    callback(services, other, phone="+254799999999")
    assert other.failure_reason == "phone_mismatch"


def test_a_success_callback_without_an_amount_is_a_mismatch_never_a_match(services, fake, member):
    payment = deposit(services, member)
    send(services, payment)
    services.payments.apply_callback("fake", {"status": "succeeded", "ref": f"FK-{payment.reference}", "receipt": "R1"})
    assert (payment.state, payment.failure_reason) == ("review", "amount_missing")
    assert payment.ledger_entry_id is None and savings_balance(services, member) == Money(0, "KES")
    assert outcomes(services, payment)[-1] == "mismatch_review"
    other = deposit(services, member, key="deposit:1:s3")
    send(services, other)
    services.payments.apply_callback("fake", {"status": "failed", "ref": f"FK-{other.reference}",
                                              "reason": "cancelled"})
    assert (other.state, other.failure_reason) == ("failed", "cancelled")  # a failure needs no amount


def test_an_unreadable_callback_is_recorded_and_raised_with_nothing_changed(services, fake, member, monkeypatch):
    payment = deposit(services, member)
    send(services, payment)

    def unreadable(payload, *, kind="callback"):
        raise UnreadableCallback(f"amount 'abc' for {payment.reference} is not a plain decimal")

    monkeypatch.setattr(fake, "parse_callback", unreadable)
    with pytest.raises(UnreadableCallback):
        services.payments.apply_callback("fake", {"status": "succeeded", "ref": f"FK-{payment.reference}"})
    assert payment.state == "pending" and savings_balance(services, member) == Money(0, "KES")
    recorded = services.session.scalars(select(PaymentEvent).where(  # committed tests leave their own events
        PaymentEvent.outcome == "unreadable", PaymentEvent.raw["error"].astext.contains(payment.reference))).one()
    assert recorded.payment_id is None and "abc" in recorded.raw["error"]


def test_reconcile_goes_on_past_an_unreadable_answer(services, fake, member, monkeypatch):
    first, second = deposit(services, member, key="deposit:u:1"), deposit(services, member, key="deposit:u:2")
    send(services, first)
    send(services, second)

    def query(req):
        if req.reference == first.reference:
            raise UnreadableCallback("amount 'Infinity' is not a plain decimal")
        return ProviderResult("succeeded", f"FK-{req.reference}", None, "Q1", None, None, {"q": 1})

    monkeypatch.setattr(fake, "query_status", query)
    changes = services.payments.reconcile(timedelta(0))
    assert [(c.before, c.after) for c in changes] == [("pending", "pending"), ("pending", "succeeded")]
    assert changes[0].note.startswith("query answer unreadable")


def test_late_callback_after_query_settled(services, fake, member):
    payment = deposit(services, member)
    send(services, payment)
    fake.query_answer = "succeeded"
    changes = services.payments.reconcile(timedelta(0))
    assert [(c.before, c.after) for c in changes] == [("pending", "succeeded")]
    callback(services, payment)
    assert savings_balance(services, member) == Money(500_00, "KES")
    assert outcomes(services, payment)[-1] == "duplicate"


def test_rejection_fails_and_transient_raises_for_retry(services, fake, member):
    fake.error = ProviderRejected("invalid_phone")
    payment = deposit(services, member)
    send(services, payment)
    assert payment.state == "failed" and payment.failure_reason == "invalid_phone"
    fake.error = CircuitOpen("down")
    other = deposit(services, member, key="deposit:1:s2")
    with pytest.raises(TransientProviderError):
        send(services, other)
    services.session.rollback()
    assert other.state == "initiated" and not other.in_doubt
    fake.error = None
    send(services, other)
    assert other.state == "pending" and len(fake.requests) == 3


def test_worker_death_after_the_request_never_sends_twice(services, fake, member):
    fake.error = WorkerDied()
    payment = deposit(services, member)
    with pytest.raises(WorkerDied):
        send(services, payment)
    services.session.rollback()  # what the @job wrapper does
    assert payment.in_doubt and payment.attempts == 1
    fake.error = None
    send(services, payment)
    assert payment.state == "review" and payment.failure_reason == "request_in_doubt"
    assert services.payments.reconcile(timedelta(0)) == []
    assert len(fake.requests) == 1


def test_worker_death_with_a_deduping_provider_resends_the_same_reference(services, fake, member):
    fake.resend_safe = True
    fake.error = WorkerDied()
    payment = deposit(services, member)
    with pytest.raises(WorkerDied):
        send(services, payment)
    services.session.rollback()
    fake.error = None
    send(services, payment)
    assert payment.state == "pending"
    assert [r.reference for r in fake.requests] == [payment.reference] * 2


def test_withdrawal_reserves_and_a_failure_releases(services, fake, member):
    fund_savings(services, member, 1000_00, provider="fake")
    payments = services.payments
    payment = payments.start("wd:1", member, "disbursement", "withdrawal", Money(600_00, "KES"), PHONE,
                             provider="fake", fee=Money(30_00, "KES"))
    assert savings_balance(services, member) == Money(370_00, "KES")
    with pytest.raises(InsufficientFunds):
        payments.start("wd:2", member, "disbursement", "withdrawal", Money(400_00, "KES"), PHONE, provider="fake")
    assert payments.by_key("wd:2") is None
    send(services, payment)
    callback(services, payment, "failed", reason="payee_not_found")
    callback(services, payment, "failed", reason="payee_not_found")
    assert savings_balance(services, member) == Money(1000_00, "KES")


def test_withdrawal_success_clears_the_money_in_flight(services, fake, member):
    fund_savings(services, member, 1000_00, provider="fake")
    payment = services.payments.start("wd:3", member, "disbursement", "withdrawal", Money(600_00, "KES"), PHONE,
                                      provider="fake")
    send(services, payment)
    callback(services, payment)
    assert payment.state == "succeeded" and savings_balance(services, member) == Money(400_00, "KES")


def test_start_refuses_unknown_purpose_and_open_circuit(services, fake, member):
    with pytest.raises(errors.UnknownPurpose):
        services.payments.start("x:1", member, "collection", "lottery", Money(1, "KES"), PHONE, provider="fake")

    class Open:
        def is_open(self):
            return True

    fake.breaker = Open()
    with pytest.raises(errors.ProviderUnavailable) as refused:
        deposit(services, member)
    assert "not responding" in refused.value.message.render("en")


def test_provider_chosen_by_phone_country(services, member):
    payment = services.payments.start("dep:c", member, "collection", "deposit", Money(100, "KES"), PHONE)
    assert payment.provider == "sandbox"
    with pytest.raises(errors.NoProviderForNumber):
        services.payments.start("dep:z", member, "collection", "deposit", Money(100, "KES"), "+260971234567")


def test_reconcile_times_out_a_silent_collection(services, fake, member):
    payment = deposit(services, member)
    send(services, payment)
    payment.created_at -= timedelta(days=2)
    changes = services.payments.reconcile(timedelta(0))
    assert [(c.before, c.after) for c in changes] == [("pending", "timed_out")]
    callback(services, payment)
    assert payment.state == "succeeded"


def test_member_is_told_a_deposit_arrived_and_a_payment_failed_once(services, fake, member):
    def settle(key, status, **extra):
        payment = deposit(services, member, key=key)
        send(services, payment)
        for _ in range(2):  # a duplicate callback tells nobody twice
            callback(services, payment, status, **extra)

    settle("deposit:review:1", "succeeded", receipt="R1")
    settle("deposit:review:2", "failed", reason="cancelled", receipt=None)
    texts = [n.text for n in services.session.scalars(
        select(Notification).where(Notification.member_id == member.id).order_by(Notification.id))]
    succeeded = services.payments.get(services.session.scalar(
        select(Payment.id).where(Payment.idempotency_key == "deposit:review:1")))
    assert [t for t in texts if "Welcome" not in t] == [
        f"Pamoja PJ{succeeded.ledger_entry_id}: KES 500 received into your savings. Balance: KES 500.",
        "Pamoja: your payment of KES 500 did not go through. You cancelled the fake request.",
    ]
