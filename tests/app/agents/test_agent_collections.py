"""Cash an agent takes for a member's loan or group: allocated by the loans and groups rules, from the float."""

import pytest

from app.agents import errors
from app.extensions import db
from app.groups.models import GroupContribution
from app.ledger.verify import verify_ledger
from app.loans.models import LoanRepayment
from app.services import build_services
from tests.app.agents.agent_helpers import kes, new_agent
from tests.app.loans.loan_helpers import loan_services, new_member, product, regular_saver


def test_cash_loan_repayment_is_allocated_by_the_loans_service(app, session):
    services = loan_services(app)
    member = new_member(services)
    regular_saver(services, member, 1000000)
    loan = services.loans.apply_for(member, product(services), kes(10000), 6, idempotency_key="k1",
                                    destination="savings", channel="ussd")
    agent = new_agent(services, float_minor=500000)
    row = services.agents.loan_repayment(agent, member, kes(1000), idempotency_key="s1:repay")
    assert row.kind == "cash_loan_repayment" and row.purpose_ref == str(loan.id)
    assert session.query(LoanRepayment).filter_by(loan_id=loan.id).count() == 1
    assert services.agents.float_balance(agent) == kes(4000)
    assert verify_ledger(session) == []


def test_cash_repayment_without_a_loan_is_refused_and_writes_nothing(app, session):
    services = loan_services(app)
    member = new_member(services)
    agent = new_agent(services, float_minor=500000)
    with pytest.raises(Exception) as refused:
        services.agents.loan_repayment(agent, member, kes(1000), idempotency_key="s1:none")
    assert hasattr(refused.value, "message")
    assert services.agents.float_balance(agent) == kes(5000)


def test_cash_contribution_fills_the_members_group_period(app, session):
    services = build_services(app, db.session)
    chair = services.members.register(phone="+254733100001", name="Amina Wanjiru", national_id="12345678",
                                      locale="en", pin="4821")
    group = services.groups.create_group(chair, name="Umoja Women", contribution="500", frequency="weekly",
                                         meeting_day=3)
    agent = new_agent(services, float_minor=500000)
    assert services.agents.member_groups(chair) == [group]
    row = services.agents.contribution(agent, chair, group, kes(500), idempotency_key="s1:contrib")
    assert row.purpose_ref == str(group.id)
    parts = session.query(GroupContribution).filter_by(group_id=group.id, member_id=chair.id).all()
    assert sum(part.amount_minor for part in parts) == 50000 and parts[0].ledger_entry_id == row.ledger_entry_id
    assert services.agents.float_balance(agent) == kes(4500)
    outsider = services.members.register(phone="+254733100002", name="Juma Hamisi", national_id="22345678",
                                         locale="en", pin="4821")
    with pytest.raises(errors.AgentError):
        services.agents.contribution(agent, outsider, group, kes(500), idempotency_key="s1:outsider")
    assert verify_ledger(session) == []
