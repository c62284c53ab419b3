"""Agent cash deposits: one entry float -> savings, receipts by SMS, limits, self-dealing, float never negative."""

import pytest

from app.agents import errors
from app.agents.models import AgentTransaction
from app.ledger.verify import verify_ledger
from app.notifications.models import Notification
from tests.app.agents.agent_helpers import AGENT_PHONE, AGENT_PIN, new_agent, new_member
from tests.money_helpers import kes


def balance(services, owner_type, owner_id, kind):
    ledger = services.ledger
    return ledger.balance(ledger.account(owner_type, owner_id, kind, "KES"))


def test_cash_deposit_moves_float_to_savings_in_one_entry_and_sends_a_receipt(services, session):
    agent = new_agent(services, float_minor=1000000)
    amina = new_member(services)
    row = services.agent_cash.cash_deposit(agent, amina, kes(1500), idempotency_key="s1:dep")
    assert balance(services, "agent", agent.id, "agent_float") == kes(8500)
    assert balance(services, "member", amina.id, "member_savings") == kes(1500)
    entry = services.ledger.entry("agent:s1:dep")
    assert entry.id == row.ledger_entry_id and sorted(p.amount for p in entry.postings) == [-150000, 150000]
    receipt = session.query(Notification).filter_by(kind="agent_receipt", member_id=amina.id).one()
    assert row.receipt in receipt.text and "KES 1,500" in receipt.text and "A001" in receipt.text
    again = services.agent_cash.cash_deposit(agent, amina, kes(1500), idempotency_key="s1:dep")
    assert again.id == row.id and balance(services, "member", amina.id, "member_savings") == kes(1500)
    assert services.agent_reports.collected_today(agent) == kes(1500)
    assert verify_ledger(session) == []


def test_a_cash_key_reused_for_another_member_or_amount_is_refused(services, session):
    agent = new_agent(services, float_minor=1000000)
    amina, baraka = new_member(services), new_member(services, name="Baraka Otieno")
    row = services.agent_cash.cash_deposit(agent, amina, kes(1500), idempotency_key="s2:dep")
    with pytest.raises(errors.ConflictingRequest):
        services.agent_cash.cash_deposit(agent, amina, kes(2000), idempotency_key="s2:dep")
    with pytest.raises(errors.ConflictingRequest):
        services.agent_cash.cash_deposit(agent, baraka, kes(1500), idempotency_key="s2:dep")
    assert services.agent_cash.cash_deposit(agent, amina, kes(1500), idempotency_key="s2:dep").id == row.id
    assert balance(services, "member", baraka.id, "member_savings") == kes(0)
    assert balance(services, "agent", agent.id, "agent_float") == kes(8500)


def test_a_cash_key_already_used_by_another_ledger_movement_is_refused(services, session):
    agent = new_agent(services, float_minor=1000000)
    amina = new_member(services)
    clearing = services.ledger.clearing_account("sandbox", "KES")
    services.ledger.post("agent:s3:dep", [(clearing, kes(10)), (services.ledger.account(
        "member", amina.id, "member_savings", "KES"), -kes(10))], kind="deposit", initiated_by="test", channel="system")
    with pytest.raises(errors.ConflictingRequest):
        services.agent_cash.cash_deposit(agent, amina, kes(1500), idempotency_key="s3:dep")
    assert balance(services, "agent", agent.id, "agent_float") == kes(10000)


def test_limits_per_transaction_and_per_day(services):
    agent = new_agent(services, limit="5000", daily_limit="8000", float_minor=5000000)
    amina = new_member(services)
    with pytest.raises(errors.OverTransactionLimit):
        services.agent_cash.cash_deposit(agent, amina, kes(5001), idempotency_key="a")
    services.agent_cash.cash_deposit(agent, amina, kes(5000), idempotency_key="b")
    with pytest.raises(errors.OverDailyLimit) as refused:
        services.agent_cash.cash_deposit(agent, amina, kes(3001), idempotency_key="c")
    assert refused.value.message.params["left"] == kes(3000)
    services.agent_cash.cash_deposit(agent, amina, kes(3000), idempotency_key="d")
    assert services.agent_reports.collected_today(agent) == kes(8000)


def test_agent_cannot_serve_their_own_number(services):
    agent = new_agent(services, float_minor=100000)
    own = new_member(services, phone=AGENT_PHONE)
    with pytest.raises(errors.SelfDealing):
        services.agents.member_for(agent, "0722000001")
    with pytest.raises(errors.SelfDealing):
        services.agent_cash.cash_deposit(agent, own, kes(100), idempotency_key="self")
    with pytest.raises(errors.SelfDealing):
        services.agents.register_member(agent, phone=AGENT_PHONE, name="Baraka Otieno", national_id="99999999")


def test_float_cannot_go_negative(services, session):
    agent = new_agent(services, float_minor=100000)
    amina = new_member(services)
    with pytest.raises(errors.InsufficientFloat) as refused:
        services.agent_cash.cash_deposit(agent, amina, kes(1001), idempotency_key="x")
    assert refused.value.message.params["available"] == kes(1000)
    assert session.query(AgentTransaction).filter_by(agent_id=agent.id).count() == 0
    assert balance(services, "member", amina.id, "member_savings") == kes(0)


def test_agent_pin_locks_after_three_wrong_tries(services):
    agent = new_agent(services)
    assert services.agents.check_pin(agent, AGENT_PIN) is None
    assert isinstance(services.agents.check_pin(agent, "0000"), errors.WrongAgentPin)
    assert isinstance(services.agents.check_pin(agent, "0001"), errors.WrongAgentPin)
    assert isinstance(services.agents.check_pin(agent, "0002"), errors.AgentLocked)
    assert isinstance(services.agents.check_pin(agent, AGENT_PIN), errors.AgentLocked)


def test_register_member_on_their_behalf_sends_a_welcome(services, session):
    agent = new_agent(services)
    member = services.agents.register_member(agent, phone="+254733000009", name="juma hamisi",
                                             national_id="55667788")
    assert member.needs_pin and member.registered_by_agent_id == agent.id and member.name == "Juma Hamisi"
    assert session.query(Notification).filter_by(kind="welcome", member_id=member.id).count() == 1


def test_float_topup_is_credited_when_the_payment_settles(services, session):
    from app.payments.providers.base import ProviderResult

    agent = new_agent(services)
    payment = services.agent_float.start_topup(agent, kes(2000), idempotency_key="top1")
    assert payment.purpose == "agent_float_topup" and payment.member_id is None
    payment.provider_ref = "SBX1"
    result = ProviderResult(status="succeeded", provider_ref="SBX1", reason=None, amount=kes(2000),
                            phone=AGENT_PHONE, receipt="R1", raw={})
    services.payments.apply_result(result, "callback", provider=payment.provider, payment_id=payment.id)
    assert services.agent_float.balance(agent) == kes(2000)
    assert verify_ledger(session) == []


def test_check_refuses_before_any_write_what_the_transaction_would_refuse(services, session):
    """The amount screen's check (issue 16 #10): limits, float and a deposit's KYC tier, writing nothing."""
    agent = new_agent(services, float_minor=300000)
    amina = new_member(services)
    with pytest.raises(errors.OverTransactionLimit):
        services.agent_cash.check(agent, amina, kes(6000), into_savings=True)
    with pytest.raises(errors.InsufficientFloat):
        services.agent_cash.check(agent, amina, kes(4000), into_savings=False)
    amina.kyc_level = 0  # phone only: KES 5,000 at most in savings
    services.agent_cash.cash_deposit(agent, amina, kes(2500), idempotency_key="c1")
    fund = new_agent(services, phone="+254722000009", code="A002", float_minor=1000000)
    with pytest.raises(errors.MemberOverKycLimit):
        services.agent_cash.check(fund, amina, kes(3000), into_savings=True)
    services.agent_cash.check(fund, amina, kes(3000), into_savings=False)  # a repayment is not savings
    services.agent_cash.check(fund, amina, kes(2500), into_savings=True)
    assert session.query(AgentTransaction).count() == 1
