"""Cash an agent takes for a member's loan or group: allocated by the loans and groups rules, from the float."""

import pytest

from app.agents import errors
from app.extensions import db
from app.groups.models import GroupContribution
from app.groups.postings import contribution_credits, share_account
from app.ledger.models import LedgerEntry
from app.ledger.verify import verify_ledger
from app.loans.models import LoanRepayment
from app.money import format_money
from app.notifications.models import Notification
from app.savings.services import label
from app.services import build_services
from tests.app.agents.agent_helpers import new_agent, new_member
from tests.app.loans.loan_helpers import loan_services, product, regular_saver
from tests.app.loans.loan_helpers import new_member as new_borrower
from tests.money_helpers import fund_savings, kes


def test_cash_loan_repayment_is_allocated_by_the_loans_service(app, session):
    services = loan_services(app)
    member = new_borrower(services)
    regular_saver(services, member, 1000000)
    loan = services.loans.apply_for(member, product(services), kes(10000), 6, idempotency_key="k1",
                                    destination="savings", channel="ussd")
    agent = new_agent(services, float_minor=500000)
    row = services.agent_cash.loan_repayment(agent, member, kes(1000), idempotency_key="s1:repay")
    assert row.kind == "cash_loan_repayment" and row.purpose_ref == str(loan.id)
    assert session.query(LoanRepayment).filter_by(loan_id=loan.id).count() == 1
    assert services.agent_float.balance(agent) == kes(4000)
    assert verify_ledger(session) == []


def test_cash_repayment_without_a_loan_is_refused_and_writes_nothing(app, session):
    services = loan_services(app)
    member = new_borrower(services)
    agent = new_agent(services, float_minor=500000)
    with pytest.raises(Exception) as refused:
        services.agent_cash.loan_repayment(agent, member, kes(1000), idempotency_key="s1:none")
    assert hasattr(refused.value, "message")
    assert services.agent_float.balance(agent) == kes(5000)


def test_cash_contribution_fills_the_members_group_period(app, session):
    services = build_services(app, db.session)
    chair = services.members.register(phone="+254733100001", name="Amina Wanjiru", national_id="12345678",
                                      locale="en", pin="4821")
    group = services.group_memberships.create_group(chair, name="Umoja Women", contribution="500", frequency="weekly",
                                                    meeting_day=3)
    agent = new_agent(services, float_minor=500000)
    assert services.agent_cash.member_groups(chair) == [group]
    row = services.agent_cash.contribution(agent, chair, group, kes(500), idempotency_key="s1:contrib")
    assert row.purpose_ref == str(group.id)
    parts = session.query(GroupContribution).filter_by(group_id=group.id, member_id=chair.id).all()
    assert sum(part.amount_minor for part in parts) == 50000 and parts[0].ledger_entry_id == row.ledger_entry_id
    assert services.agent_float.balance(agent) == kes(4500)
    outsider = services.members.register(phone="+254733100002", name="Juma Hamisi", national_id="22345678",
                                         locale="en", pin="4821")
    with pytest.raises(errors.AgentError):
        services.agent_cash.contribution(agent, outsider, group, kes(500), idempotency_key="s1:outsider")
    assert verify_ledger(session) == []


def a_group_of_two(services):
    """Amina (chair) and Baraka, both active in a weekly group of KES 500."""
    amina = new_member(services, name="Amina Wanjiru")
    baraka = new_member(services, name="Baraka Otieno")
    memberships = services.group_memberships
    group = memberships.create_group(amina, name="Umoja Women", contribution="500", frequency="weekly",
                                     meeting_day=3)
    memberships.join_by_code(baraka, group.code)
    memberships.approve(group, amina, baraka.id)
    return group, amina, baraka


def posting_shape(entry, source):
    """The entry's postings by (owner type, account kind, amount), with the source debit named `source`."""
    return sorted(("source" if posting.account_id == source.id else posting.account.owner_type,
                   "source" if posting.account_id == source.id else posting.account.kind, posting.amount)
                  for posting in entry.postings)


def test_an_agent_collected_contribution_is_posted_as_a_members_own(app, session):
    services = build_services(app, db.session)
    group, amina, baraka = a_group_of_two(services)
    fund_savings(services, amina, 1_000_00)
    own = services.group_contributions.contribute_from_savings(amina, group, kes(500), "own:1")
    agent = new_agent(services, float_minor=500000)
    cash = services.agent_cash.contribution(agent, baraka, group, kes(500), idempotency_key="cash:1")
    collected = session.query(GroupContribution).filter_by(member_id=baraka.id).all()

    own_entry, cash_entry = session.get(LedgerEntry, own[0].ledger_entry_id), session.get(LedgerEntry,
                                                                                          cash.ledger_entry_id)
    assert own_entry.kind == cash_entry.kind == "contribution"
    savings = services.savings.account_for(amina)
    float_ = services.ledger.account("agent", agent.id, "agent_float", "KES")
    assert posting_shape(own_entry, savings) == posting_shape(cash_entry, float_)
    assert own_entry.memo == f"{group.code} {own[0].period}"
    assert cash_entry.memo == f"{group.code} {collected[0].period} agent {agent.code}"
    assert [(row.period, row.amount, row.late) for row in own] == \
        [(row.period, row.amount, row.late) for row in collected]
    assert [row.ledger_entry_id for row in collected] == [cash_entry.id]
    assert services.group_contributions.my_share(group, amina) == services.group_contributions.my_share(group, baraka)
    kinds = [row.kind for row in session.query(Notification).filter_by(member_id=baraka.id)
             .filter(Notification.kind.in_(("agent_receipt", "contribution_received")))]
    assert kinds == ["agent_receipt"]  # the agent's receipt is the member's one SMS, as before
    assert verify_ledger(session) == []


def test_contributions_agents_posted_under_the_old_kind_still_read_as_contributions(app, session):
    services = build_services(app, db.session)
    group, amina, baraka = a_group_of_two(services)
    ledger, agent = services.ledger, new_agent(services, float_minor=500000)
    membership = services.group_memberships.membership(group, baraka)
    share = share_account(ledger, group, membership)
    float_ = ledger.account("agent", agent.id, "agent_float", "KES")
    postings = [(float_, kes(500)), *contribution_credits(ledger, group, membership, kes(500))]
    ledger.post("agent:old:1", postings, kind="group_contribution", initiated_by=f"agent:{agent.id}",
                channel="ussd")  # an entry as agents posted them before; the ledger keeps it as it is
    assert session.query(LedgerEntry).filter_by(idempotency_key="agent:old:1").one().kind == "group_contribution"
    assert [line.kind for line in ledger.statement(share)] == ["contribution"]
    assert ledger.statement(float_, limit=1)[0].kind == "contribution"
    assert label(ledger.statement(share)[0].kind).render("en") == "Contribution"
    assert ledger.replay("agent:old:1", postings, kind="contribution").kind == "group_contribution"  # not a conflict


def receipts_to(session, member):
    return [n.text for n in session.query(Notification).filter_by(member_id=member.id).order_by(Notification.id)
            if n.kind in ("agent_receipt", "repayment_received", "deposit_received", "contribution_received")]


def test_each_cash_receipt_is_the_members_one_confirmation_with_what_is_now_theirs(app, session):
    """Issue 16 (1): the receipt said amount and agent only; it now says the savings or loan balance after it,
    or the group a contribution went to, so the member's one SMS confirms the movement in full."""
    services = loan_services(app)
    member = new_borrower(services)
    regular_saver(services, member, 1000000)
    loan = services.loans.apply_for(member, product(services), kes(10000), 6, idempotency_key="k-receipts",
                                    destination="mobile_money", channel="ussd")
    group = services.group_memberships.create_group(member, name="Umoja Women", contribution=kes(500),
                                                    frequency="weekly", meeting_day=3)
    agent = new_agent(services, float_minor=1000000)
    before = receipts_to(session, member)
    deposit = services.agent_cash.cash_deposit(agent, member, kes(1500), idempotency_key="r:dep")
    repay = services.agent_cash.loan_repayment(agent, member, kes(1000), idempotency_key="r:repay")
    contribution = services.agent_cash.contribution(agent, member, group, kes(500), idempotency_key="r:group")
    savings = services.savings.balance(member)
    owed = services.loans.payoff(services.loans.get(loan.id))
    assert receipts_to(session, member)[len(before):] == [
        f"Pamoja receipt {deposit.receipt}: Cash deposit KES 1,500 by agent A001. Savings balance: "
        f"{format_money(savings, 'en')}. Not you? SMS DISPUTE {deposit.receipt} within 24h.",
        f"Pamoja receipt {repay.receipt}: Cash loan repayment KES 1,000 by agent A001. Loan balance: "
        f"{format_money(owed, 'en')}. Not you? SMS DISPUTE {repay.receipt} within 24h.",
        f"Pamoja receipt {contribution.receipt}: Cash contribution KES 500 by agent A001. Group: Umoja Women. "
        f"Not you? SMS DISPUTE {contribution.receipt} within 24h.",
    ]
