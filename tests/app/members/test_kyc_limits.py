"""KYC tier limits: one KycLimits asked by deposits, withdrawals, transfers, agent cash and loans."""

import pytest

from app.agents.errors import AgentError
from app.savings.errors import KycLimitReached
from app.settings import kyc_limits
from tests.app.agents.agent_helpers import new_agent
from tests.member_helpers import make_member
from tests.money_helpers import fund_savings, kes


def member(services, phone, tier, locale="en"):
    return make_member(services.session, phone, "Amina Wanjiru", locale=locale, kyc_level=tier)


def test_the_table_parses_and_refuses_nonsense():
    table = kyc_limits("0.KES=5000/5000/-, 2.UGX=1/2/3")
    assert table.for_tier(0, "KES").balance == kes(5000) and table.for_tier(0, "KES").daily_out is None
    assert table.for_tier(3, "KES").balance is None
    for bad in ("0.KES=1/2", "9.KES=1/1/1", "KES=1/1/1", "0.KES=a/1/1"):
        with pytest.raises(ValueError):
            kyc_limits(bad)


def test_a_deposit_above_the_balance_limit_is_refused_with_how_to_raise_it(services):
    tier0 = member(services, "+254712000001", 0)
    fund_savings(services, tier0, kes(4000).minor)
    services.savings.check_deposit(tier0, kes(1000))
    with pytest.raises(KycLimitReached) as refused:
        services.savings.check_deposit(tier0, kes(1001))
    english = refused.value.message.render("en")
    assert english == "Your account limit is KES 5,000. Visit an agent to verify your ID and raise it."
    swahili = refused.value.message.render("sw")
    assert "KES 5,000" in swahili and "wakala" in swahili
    with pytest.raises(KycLimitReached):  # the service itself refuses too, not only the screen
        services.savings.deposit(tier0, kes(2000), "kyc-dep-1", channel="ussd")


def test_daily_in_counts_today_s_deposits(services):
    tier1 = member(services, "+254712000002", 1)
    other = member(services, "+254712000012", 2)
    fund_savings(services, tier1, kes(30000).minor)
    services.savings.transfer(tier1, other.phone, kes(20000), "kyc-tr-0", channel="ussd")  # balance ~10,000
    with pytest.raises(KycLimitReached) as refused:
        services.savings.check_deposit(tier1, kes(20001))
    english = refused.value.message.render("en")
    assert english.startswith("You can receive KES 50,000 a day (KES 20,000 left today).")


def test_withdrawals_and_transfers_out_stop_at_the_daily_out_limit(services):
    tier0 = member(services, "+254712000003", 0)
    other = member(services, "+254712000004", 2)
    fund_savings(services, tier0, kes(5000).minor)
    services.session.flush()
    with pytest.raises(KycLimitReached) as refused:
        services.savings.check_withdrawal(tier0, kes(5001))
    assert "send or withdraw KES 5,000 a day" in refused.value.message.render("en")
    services.savings.transfer(tier0, other.phone, kes(3000), "kyc-tr-1", channel="ussd")
    with pytest.raises(KycLimitReached):
        services.savings.check_transfer(tier0, other.phone, kes(2500))


def test_a_transfer_to_a_member_at_their_limit_is_refused_without_showing_their_limit(services):
    sender = member(services, "+254712000005", 2)
    recipient = member(services, "+254712000006", 0)
    fund_savings(services, sender, kes(20000).minor)
    fund_savings(services, recipient, kes(4500).minor)
    with pytest.raises(KycLimitReached) as refused:
        services.savings.check_transfer(sender, recipient.phone, kes(600))
    assert "recipient cannot receive KES 600" in refused.value.message.render("en")
    with pytest.raises(KycLimitReached):
        services.savings.transfer(sender, recipient.phone, kes(600), "kyc-tr-2", channel="ussd")
    services.savings.transfer(sender, recipient.phone, kes(500), "kyc-tr-3", channel="ussd")


def test_the_top_tier_has_only_the_operators_limits(services):
    top = member(services, "+254712000007", 3)
    fund_savings(services, top, kes(400000).minor)
    services.savings.check_deposit(top, kes(70000))


def test_agent_cash_deposits_are_capped_too(services):
    agent = new_agent(services, float_minor=kes(10000).minor)
    tier0 = member(services, "+254712000008", 0)
    fund_savings(services, tier0, kes(4000).minor)
    with pytest.raises(AgentError) as refused:
        services.agent_cash.cash_deposit(agent, tier0, kes(1500), idempotency_key="kyc-cash-1")
    assert "account cannot take KES 1,500 now" in refused.value.message.render("en")  # worded for the agent
    services.agent_cash.cash_deposit(agent, tier0, kes(1000), idempotency_key="kyc-cash-2")


def test_loan_ceilings_follow_the_new_numbering(services):
    limits = services.kyc_limits
    ceilings = [limits.tier_loan_ceiling(tier, "KES") for tier in (0, 1, 2, 3)]
    assert ceilings == [kes(0), kes(5000), kes(50000), kes(200000)]
    assert limits.lowered(2, 1, "KES") and not limits.lowered(1, 2, "KES")
