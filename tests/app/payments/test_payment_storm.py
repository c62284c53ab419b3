"""A storm of identical callbacks from many threads, committed for real: one success, one posting."""

import threading
import uuid

import pytest
from sqlalchemy.orm import sessionmaker

from app.extensions import db
from app.ledger.verify import verify_ledger
from app.members.models import Member
from app.money import Money
from app.phones import currency_for
from app.services import build_services

THREADS = 16

def make_member(session, phone, name, locale="en"):
    """A member row without the member service (whose welcome notification is not under test here)."""
    member = Member(phone=phone, name=name, national_id="12345678", locale=locale, currency=currency_for(phone),
                    pin_failures=0, kyc_level=2, preferred_channel="sms", sms_opted_out=False)
    session.add(member)
    session.flush()
    return member



@pytest.mark.committed
def test_duplicate_callback_storm_posts_once(app):
    make_session = sessionmaker(bind=db.engine)
    phone = f"+25471{uuid.uuid4().int % 10**7:07d}"
    with make_session() as session:
        services = build_services(app, session)
        member = make_member(session, phone, "Storm Tester")
        payment = services.payments.start(f"storm:{phone}", member, "collection", "deposit",
                                          Money(250_00, "KES"), phone, provider="sandbox")
        session.commit()
        payment_id, member_id, reference = payment.id, member.id, payment.reference
    payload = {"reference": reference, "status": "succeeded", "receipt": "SBXSTORM", "amount_minor": 250_00,
               "currency": "KES", "phone": phone}
    start = threading.Barrier(THREADS)
    outcomes = []

    def deliver():
        with make_session() as session:
            services = build_services(app, session)
            start.wait()
            services.payments.apply_callback("sandbox", dict(payload))
            session.commit()

    threads = [threading.Thread(target=deliver) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    with make_session() as session:
        services = build_services(app, session)
        outcomes = sorted(event.outcome for event in services.payments.events(payment_id))
        assert outcomes == ["applied_success"] + ["duplicate"] * (THREADS - 1)
        savings = services.ledger.account("member", member_id, "member_savings", "KES")
        assert services.ledger.balance(savings) == Money(250_00, "KES")
        assert services.payments.get(payment_id).state == "succeeded"
        assert verify_ledger(session) == []
