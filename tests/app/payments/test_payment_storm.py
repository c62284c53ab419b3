"""A storm of identical callbacks from many threads, committed for real: one success, one posting."""

import threading

import pytest
from sqlalchemy.orm import sessionmaker

from app.extensions import db
from app.ledger.verify import verify_ledger
from app.money import Money
from app.services import build_services
from tests.member_helpers import make_member, unique_phone

THREADS = 16


@pytest.mark.committed
def test_duplicate_callback_storm_posts_once(app):
    make_session = sessionmaker(bind=db.engine)
    phone = unique_phone("+25471")
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
