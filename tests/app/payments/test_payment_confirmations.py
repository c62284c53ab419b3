"""Issue 16 (1): every mobile-money movement ends with ONE confirmation, with the amount, the new balance
where it is the recipient's, and the movement's reference (the ledger entry, app/ledger/references.py).

Before, a group contribution, a loan repayment and an agent's float top-up by mobile money answered
"... We will SMS you." and, once the operator confirmed, sent nothing (deposits and withdrawals did).
"""

import pytest
from sqlalchemy import select

from app.ledger.references import entry_reference
from app.money import format_money
from app.notifications.models import Notification
from tests.app.agents.agent_helpers import new_agent
from tests.app.loans.loan_helpers import loan_services, new_member, product, regular_saver
from tests.fakes import FakeProvider
from tests.money_helpers import kes


@pytest.fixture
def services(app):
    services = loan_services(app)
    services.payments.providers.install(FakeProvider())
    services.payments.providers.by_country["KE"] = "fake"
    return services


def settle(services, payment, times=2):
    """Send the request, then the operator's success callback (twice: a duplicate tells nobody again)."""
    services.payments.send(payment.id, checkpoint=services.session.flush)
    for _ in range(times):
        services.payments.apply_callback("fake", {"status": "succeeded", "ref": f"FK-{payment.reference}",
                                                  "amount": payment.amount_minor, "phone": payment.phone,
                                                  "receipt": "R1"})
    return services.payments.get(payment.id)


def told(services, kind, **owner):
    return [n.text for n in services.session.scalars(
        select(Notification).filter_by(kind=kind, **owner).order_by(Notification.id))]


def test_a_group_contribution_by_mobile_money_is_confirmed_once(services):
    member = new_member(services)
    group = services.group_memberships.create_group(member, name="Umoja Women", contribution=kes(500),
                                                    frequency="weekly", meeting_day=3)
    payment = settle(services, services.group_contributions.contribute_by_mobile_money(
        member, group, "500", "mm:c1", channel="sms"))
    assert told(services, "contribution_received", member_id=member.id) == [
        f"Pamoja {entry_reference(payment.ledger_entry_id)}: your contribution of KES 500 to Umoja Women is "
        "received. Thank you!"]


def test_a_loan_repayment_by_mobile_money_is_confirmed_with_what_is_left(services):
    member = new_member(services)
    regular_saver(services, member, 1000000)
    product(services)
    services.loans.default_destination = "savings"
    loan = services.loans.apply(member, kes(5000), None, "mm:l1", channel="sms")
    payment = settle(services, services.loans.repay(member, kes(500), "mm:r1", channel="sms"))
    left = services.loans.repayments.outstanding(loan)  # the balance, as My loan says it
    assert told(services, "repayment_received", member_id=member.id) == [
        f"Pamoja {entry_reference(payment.ledger_entry_id)}: repayment of KES 500 received. "
        f"Loan balance: {format_money(left, 'en')}."]


def test_a_float_top_up_by_mobile_money_is_confirmed_to_the_agent(services):
    agent = new_agent(services, float_minor=1_000_00)
    payment = settle(services, services.agent_float.start_topup(agent, kes(2_000), idempotency_key="mm:t1"))
    assert told(services, "float_topped_up", agent_id=agent.id) == [
        f"Pamoja {entry_reference(payment.ledger_entry_id)}: your float top-up of KES 2,000 is received. "
        "Float: KES 3,000."]


def test_a_deposit_confirmation_carries_the_reference(services):
    member = new_member(services)
    payment = settle(services, services.savings.deposit(member, kes(500), "mm:d1", channel="sms"))
    assert told(services, "deposit_received", member_id=member.id) == [
        f"Pamoja {entry_reference(payment.ledger_entry_id)}: KES 500 received into your savings. Balance: KES 500."]
