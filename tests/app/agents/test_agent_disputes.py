"""Disputes by the member within 24 hours; the float under concurrent agent transactions."""

import threading
import uuid
from datetime import UTC, datetime

import pytest

from app.agents import errors
from app.agents.models import DISPUTED, AgentTransaction
from app.clock import FixedClock
from app.extensions import db
from app.notifications.models import Notification
from app.services import build_services
from tests.app.agents.agent_helpers import new_agent, new_member
from tests.money_helpers import kes


def test_member_disputes_a_receipt_within_24_hours(app, session):
    clock = FixedClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    services = build_services(app, db.session, clock=clock)
    agent = new_agent(services, float_minor=1000000)
    amina, juma = new_member(services), new_member(services, name="Juma Hamisi")
    row = services.agent_cash.cash_deposit(agent, amina, kes(500), idempotency_key="d1")
    with pytest.raises(errors.ReceiptNotFound):
        services.agent_disputes.dispute(juma, row.receipt)
    clock.advance(hours=23)
    disputed = services.agent_disputes.dispute(amina, row.receipt.lower())
    assert disputed.status == DISPUTED and services.agent_disputes.disputed() == [disputed]
    with pytest.raises(errors.AlreadyDisputed):
        services.agent_disputes.dispute(amina, row.receipt)
    assert session.query(Notification).filter_by(kind="agent_dispute", agent_id=agent.id).count() == 1
    late = services.agent_cash.cash_deposit(agent, amina, kes(500), idempotency_key="d2")
    clock.advance(hours=24, minutes=1)
    with pytest.raises(errors.DisputeTooLate):
        services.agent_disputes.dispute(amina, late.receipt)


@pytest.mark.committed
def test_concurrent_deposits_never_take_the_float_below_zero(app):
    setup = build_services(app, db.session)
    tag = uuid.uuid4().int  # committed rows outlive the test: numbers and codes unique to this run
    agent = new_agent(setup, phone=f"+25473{tag % 10**7:07d}", code=f"T{tag % 10**6:06d}", limit="1000",
                      daily_limit="100000", float_minor=250000)  # KES 2,500: room for five deposits of 500
    members = [new_member(setup, phone=f"+25474{(tag + n) % 10**7:07d}") for n in range(8)]
    db.session.commit()
    agent_id, member_ids = agent.id, [m.id for m in members]
    outcomes = []

    def deposit(member_id, n):
        with app.app_context():
            services = build_services(app, db.session)
            try:
                services.agent_cash.cash_deposit(services.agents.get(agent_id), services.members.get(member_id),
                                                 kes(500), idempotency_key=f"race:{tag}:{n}")
                db.session.commit()
                outcomes.append("ok")
            except errors.InsufficientFloat:
                db.session.rollback()
                outcomes.append("no float")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=deposit, args=(member_id, n)) for n, member_id in enumerate(member_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["no float"] * 3 + ["ok"] * 5
    services = build_services(app, db.session)
    assert services.agent_float.balance(services.agents.get(agent_id)) == kes(0)
    assert db.session.query(AgentTransaction).filter_by(agent_id=agent_id).count() == 5
