"""A repeat for a settled payment is recorded in one statement, with exactly the outcome apply_result gives."""

import secrets

import pytest
from sqlalchemy import select

from app.extensions import db
from app.money import Money
from app.payments import states
from app.payments.models import Payment, PaymentEvent
from app.payments.services import PERSON
from app.payments.settled_callbacks import record_if_settled
from tests.member_helpers import make_member, unique_phone
from tests.round_trip_helpers import RoundTrips, words

ALL_STATES = (states.INITIATED, states.PENDING, states.TIMED_OUT, states.SUCCEEDED, states.FAILED, states.REVERSED,
              states.REVIEW)


def payment_in(services, member, state, *, by_person=False):
    payment = services.payments.start(f"settled:{secrets.token_hex(6)}", member, "collection", "deposit",
                                      Money(500_00, "KES"), member.phone, provider="fake")
    payment.provider_ref = f"FK-{payment.reference}"
    payment.state = state
    if by_person:
        services.session.add(PaymentEvent(payment_id=payment.id, provider="fake", source=PERSON, raw={},
                                          outcome="resolved_by_test", received_at=services.clock.now()))
    services.session.flush()
    return payment


def told(payment, status):
    return {"status": status, "ref": payment.provider_ref, "amount": payment.amount_minor, "phone": payment.phone,
            "receipt": "R1"}


def last_outcome(services, payment):
    return services.session.scalar(select(PaymentEvent.outcome).where(PaymentEvent.payment_id == payment.id)
                                   .order_by(PaymentEvent.id.desc()).limit(1))


@pytest.mark.parametrize("by_person", [False, True])
@pytest.mark.parametrize("status", ["succeeded", "failed", "pending"])
@pytest.mark.parametrize("state", ALL_STATES)
def test_a_callback_ends_as_apply_result_would_end_it(services, fake, state, status, by_person):
    member = make_member(services.session, unique_phone("+25471"), "Settled Callbacks")
    through_callback = payment_in(services, member, state, by_person=by_person)
    through_apply_result = payment_in(services, member, state, by_person=by_person)

    services.payments.apply_callback("fake", told(through_callback, status))
    services.payments.apply_result(fake.parse_callback(told(through_apply_result, status)), "callback",
                                   provider="fake")
    services.session.flush()
    services.session.expire_all()

    assert last_outcome(services, through_callback) == last_outcome(services, through_apply_result)
    assert services.session.get(Payment, through_callback.id).state == \
        services.session.get(Payment, through_apply_result.id).state


@pytest.mark.parametrize(("state", "status", "outcome"), [
    (states.SUCCEEDED, "succeeded", "duplicate"),
    (states.FAILED, "failed", "duplicate"),
    (states.SUCCEEDED, "failed", "conflict_after_succeeded"),
    (states.REVERSED, "succeeded", "conflict_after_reversed"),
    (states.REVIEW, "succeeded", "held_for_review"),
    (states.REVIEW, "failed", "held_for_review"),
])
def test_settled_payments_are_recorded_by_the_one_statement(services, fake, state, status, outcome):
    member = make_member(services.session, unique_phone("+25471"), "Settled Callbacks")
    payment = payment_in(services, member, state)
    result = fake.parse_callback(told(payment, status))
    recorded = record_if_settled(services.session, "fake", result, "callback", now=services.clock.now(),
                                 person_source=PERSON)
    assert recorded is not None and recorded.id == payment.id
    assert last_outcome(services, payment) == outcome


@pytest.mark.parametrize(("state", "status", "by_person"), [
    (states.PENDING, "succeeded", False),
    (states.INITIATED, "failed", False),
    (states.TIMED_OUT, "succeeded", False),
    (states.FAILED, "succeeded", False),  # a late success: review and a finance alert, never a plain record
    (states.SUCCEEDED, "succeeded", True),  # a person decided: the review desk hears of it
    (states.SUCCEEDED, "pending", False),
])
def test_anything_else_is_left_to_apply_result(services, fake, state, status, by_person):
    member = make_member(services.session, unique_phone("+25471"), "Settled Callbacks")
    payment = payment_in(services, member, state, by_person=by_person)
    result = fake.parse_callback(told(payment, status))
    assert record_if_settled(services.session, "fake", result, "callback", now=services.clock.now(),
                             person_source=PERSON) is None
    assert services.session.scalar(select(PaymentEvent.id).where(PaymentEvent.payment_id == payment.id,
                                                                 PaymentEvent.source == "callback")) is None


def test_an_unknown_payment_is_left_to_apply_result(services, fake):
    result = fake.parse_callback({"status": "succeeded", "ref": "FK-nobody", "amount": 100})
    assert record_if_settled(services.session, "fake", result, "callback", now=services.clock.now(),
                             person_source=PERSON) is None
    assert services.payments.apply_callback("fake", {"status": "succeeded", "ref": "FK-nobody"}) is None


@pytest.mark.committed
def test_a_repeated_callback_over_http_is_one_round_trip(app, client):
    """Before: BEGIN, the operator id's advisory lock, the row lock, the person look-up, the INSERT, COMMIT."""
    from app.services import build_services

    services = build_services(app, db.session)
    phone = unique_phone("+25471")
    member = make_member(db.session, phone, "Repeated Callback")
    payment = services.payments.start(f"repeat:{phone}", member, "collection", "deposit", Money(250_00, "KES"),
                                      phone, provider="sandbox")
    db.session.commit()
    payload = {"reference": payment.reference, "status": "succeeded", "receipt": "SBXREPEAT", "amount_minor": 250_00,
               "currency": "KES", "phone": phone}
    url = f"/payments/sandbox/callback?token={app.config['CALLBACK_TOKEN']}"
    db.session.remove()
    assert client.post(url, json=payload).status_code == 200
    db.session.remove()
    trips = RoundTrips(db.engine)
    with trips.recording() as log:
        assert client.post(url, json=payload).status_code == 200
    db.session.remove()
    assert words(log) == ["WITH"]
    outcomes = db.session.scalars(select(PaymentEvent.outcome).where(PaymentEvent.payment_id == payment.id)
                                  .order_by(PaymentEvent.id)).all()
    assert outcomes == ["applied_success", "duplicate"]
    assert db.session.get(Payment, payment.id).state == states.SUCCEEDED
