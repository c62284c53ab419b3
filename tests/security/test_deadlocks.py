"""Opposite money movements at once (issue 11, item 5): no deadlock, nothing lost, nothing doubled.

A->B while B->A used to deadlock: the transfer locked the sender's savings for its
checks, then the ledger locked every account of the entry in id order, so two
opposite transfers each held one member and waited for the other (PostgreSQL then
killed one, and the member read "temporarily unavailable"). The transfer's shared
fee account made it worse: whoever locked it first waited for a member held by the
other. Committed, on real connections from threads; phones are unique per run.
"""

from datetime import timedelta

import pytest
from sqlalchemy.orm import sessionmaker

from app.agents.models import AgentTransaction
from app.clock import FixedClock, SystemClock
from app.extensions import db
from app.ledger.verify import verify_ledger
from app.members.models import Member
from app.money import Money
from app.savings.errors import InsufficientBalance
from app.services import build_services
from tests.app.agents.agent_helpers import fund
from tests.app.loans.loan_helpers import START, product
from tests.app.loans.loan_helpers import deposit as saved
from tests.concurrency_helpers import run_in_threads
from tests.member_helpers import make_member, unique_phone
from tests.money_helpers import fund_savings

TRANSFERS = 50
AMOUNT = Money.from_major(600, "KES")  # above the free tier, so every transfer also credits fee_income
FEE = Money.from_major(10, "KES")


def services_for(app, session):
    return build_services(app, session, clock=SystemClock(app.config["TIMEZONE"]))


def outcome(call):
    """'ok', 'refused' (not enough savings) or the name of whatever else went wrong (a deadlock...)."""
    try:
        call()
        return "ok"
    except InsufficientBalance:
        return "refused"
    except Exception as error:  # noqa: BLE001 - the test counts every other failure
        return f"{type(error).__name__}: {str(error).splitlines()[0][:80]}"


def two_members(app, make_session, each_minor):
    with make_session() as session:
        services = services_for(app, session)
        members = [make_member(session, unique_phone(), name) for name in ("Amina Wanjiru", "Baraka Otieno")]
        for member in members:
            if each_minor:
                fund_savings(services, member, each_minor)
        session.commit()
        return [member.id for member in members]


def balances(app, make_session, member_ids):
    with make_session() as session:
        services = services_for(app, session)
        return [services.savings.balance(session.get(Member, member_id)) for member_id in member_ids]


@pytest.mark.committed
def test_fifty_opposite_transfers_never_deadlock_and_every_affordable_one_is_paid(app):
    make_session = sessionmaker(bind=db.engine)
    each = (TRANSFERS // 2) * (AMOUNT + FEE).minor  # enough for every transfer each member sends
    ids = two_members(app, make_session, each)

    def transfer(index):
        sender_id, recipient_id = ids if index % 2 == 0 else ids[::-1]
        with make_session() as session:
            services = services_for(app, session)
            sender, recipient = session.get(Member, sender_id), session.get(Member, recipient_id)

            def send():
                services.savings.transfer(sender, recipient.phone, AMOUNT, f"deadlock:{sender_id}:{index}",
                                          channel="ussd")
                session.commit()

            return outcome(send)

    results = run_in_threads(transfer, TRANSFERS)
    assert results == ["ok"] * TRANSFERS
    received = (TRANSFERS // 2) * AMOUNT.minor
    assert balances(app, make_session, ids) == [Money(received, "KES")] * 2
    with make_session() as session:
        assert verify_ledger(session) == []


@pytest.mark.committed
def test_opposite_transfers_with_little_money_pay_exactly_what_was_affordable(app):
    make_session = sessionmaker(bind=db.engine)
    ids = two_members(app, make_session, 0)
    with make_session() as session:  # only A has money: 3 transfers' worth
        services = services_for(app, session)
        fund_savings(services, session.get(Member, ids[0]), 3 * (AMOUNT + FEE).minor)
        session.commit()

    def transfer(index):
        sender_id, recipient_id = ids if index % 2 == 0 else ids[::-1]
        with make_session() as session:
            services = services_for(app, session)
            sender, recipient = session.get(Member, sender_id), session.get(Member, recipient_id)

            def send():
                services.savings.transfer(sender, recipient.phone, AMOUNT, f"deadlock-low:{sender_id}:{index}",
                                          channel="ussd")
                session.commit()

            return outcome(send)

    results = run_in_threads(transfer, TRANSFERS)
    assert set(results) <= {"ok", "refused"}, [r for r in results if r not in ("ok", "refused")][:3]
    paid = results.count("ok")
    assert paid >= 3  # A's three are always affordable; B may forward what it received
    a_paid = sum(1 for index, result in enumerate(results) if result == "ok" and index % 2 == 0)
    b_paid = paid - a_paid
    start = 3 * (AMOUNT + FEE).minor
    a, b = balances(app, make_session, ids)
    assert a.minor == start - a_paid * (AMOUNT + FEE).minor + b_paid * AMOUNT.minor >= 0
    assert b.minor == a_paid * AMOUNT.minor - b_paid * (AMOUNT + FEE).minor >= 0
    assert a.minor < (AMOUNT + FEE).minor or b.minor < (AMOUNT + FEE).minor  # refusals only when unaffordable
    with make_session() as session:
        assert verify_ledger(session) == []


@pytest.mark.committed
def test_agent_cash_deposits_during_opposite_transfers_never_deadlock(app):
    make_session = sessionmaker(bind=db.engine)
    each = (TRANSFERS // 2) * (AMOUNT + FEE).minor
    ids = two_members(app, make_session, each)
    with make_session() as session:
        services = services_for(app, session)
        agent = services.agents.create(code=f"D{ids[0] % 10**6}", phone=unique_phone("+2547229"),
                                       name="Baraka Otieno", pin="7391", per_transaction_limit="5000",
                                       daily_limit="200000")
        fund(services, agent, TRANSFERS * AMOUNT.minor)
        session.commit()
        agent_id = agent.id

    def move(index):
        with make_session() as session:
            services = services_for(app, session)
            a, b = session.get(Member, ids[0]), session.get(Member, ids[1])
            if index % 3 == 2:
                def call():
                    agent = services.agents.get(agent_id)
                    services.agent_cash.cash_deposit(agent, a if index % 2 else b, AMOUNT,
                                                     idempotency_key=f"deadlock-agent:{agent_id}:{index}")
                    session.commit()
            else:
                sender, recipient = (a, b) if index % 2 == 0 else (b, a)

                def call():
                    services.savings.transfer(sender, recipient.phone, AMOUNT,
                                              f"deadlock-mix:{sender.id}:{index}", channel="ussd")
                    session.commit()
            return outcome(call)

    results = run_in_threads(move, TRANSFERS)
    assert results == ["ok"] * TRANSFERS
    with make_session() as session:
        deposits = session.query(AgentTransaction).filter_by(agent_id=agent_id).count()
        assert deposits == sum(1 for index in range(TRANSFERS) if index % 3 == 2)
        assert verify_ledger(session) == []


# -- a repayment that closes a guaranteed loan, while the guarantor sends money ---------------------------------------

LOANS = 8
SENDS_PER_GUARANTOR = 3


def guaranteed_loans(app, make_session, count):
    """`count` disbursed loans, each with one guarantor whose savings were opened BEFORE the borrower's.

    The guarantor's lower account id is what made the release (pledge -> guarantor's
    savings, after the shared income accounts) meet the guarantor's transfer to the
    borrower (guarantor's savings, then the borrower's, then fee_income) head on. The
    product adds its fee to the first instalment, so closing the loan credits fee_income
    too, the account every transfer's fee goes to. Returns [(loan, borrower, guarantor, other)] ids.
    """
    made = []
    with make_session() as session:
        services = build_services(app, session, clock=FixedClock(START))
        biz = product(services, code=f"DL{unique_phone('')[-6:]}", approval="officer", fee_timing="first_instalment")
        for _ in range(count):
            people = [make_member(session, unique_phone(), name)
                      for name in ("Chausiku Wairimu", "Baraka Otieno", "Jane Mwangi")]
            guarantor, borrower, other = people
            for member in people:
                member.created_at, member.kyc_level = services.clock.now() - timedelta(days=400), 3
            saved(services, guarantor, 1_000_000)  # the guarantor's savings account first: the lower id
            saved(services, borrower, 100_000)
            loan = services.loans.apply_for(borrower, biz, Money.from_major(5_000, "KES"), 3,
                                            idempotency_key=f"deadlock-loan:{borrower.id}", destination="savings",
                                            guarantors=[guarantor], channel="ussd")
            request = services.loans.guarantees.open_requests(guarantor)[0]
            services.loans.guarantees.pledge(request.id, guarantor, Money.from_major(2_000, "KES"),
                                             key=f"deadlock-pledge:{request.id}", channel="ussd")
            services.loans.approve(loan.id, actor="operator:ann", channel="cli", reason="pledged")
            saved(services, borrower, services.loans.repayments.payoff(loan).minor)  # it can clear the loan
            made.append((loan.id, borrower.id, guarantor.id, other.id))
        session.commit()
    return made


@pytest.mark.committed
def test_repayments_that_close_guaranteed_loans_never_deadlock_with_the_guarantors_transfers(app):
    make_session = sessionmaker(bind=db.engine)
    loans = guaranteed_loans(app, make_session, LOANS)
    per_loan = 1 + SENDS_PER_GUARANTOR

    def move(index):
        loan_id, borrower_id, guarantor_id, other_id = loans[index // per_loan]
        step = index % per_loan
        with make_session() as session:
            services = build_services(app, session, clock=FixedClock(START))
            if step == 0:  # the borrower clears the loan: fee, interest, principal, then the pledge comes back
                def call():
                    owed = services.loans.repayments.payoff(services.loans.get(loan_id))
                    services.loans.repay_from_savings(loan_id, owed, idempotency_key=f"deadlock-close:{loan_id}",
                                                      actor=f"member:{borrower_id}", channel="ussd")
                    session.commit()
            else:  # the guarantor sends to the borrower (both holders, then fee_income) or to someone else
                recipient = session.get(Member, borrower_id if step % 2 else other_id)

                def call():
                    services.savings.transfer(session.get(Member, guarantor_id), recipient.phone, AMOUNT,
                                              f"deadlock-guarantor:{guarantor_id}:{step}", channel="ussd")
                    session.commit()
            return outcome(call)

    results = run_in_threads(move, LOANS * per_loan)
    assert results == ["ok"] * len(results), [r for r in results if r != "ok"][:3]
    with make_session() as session:
        services = build_services(app, session, clock=FixedClock(START))
        for loan_id, _borrower_id, guarantor_id, _other_id in loans:
            assert services.loans.get(loan_id).state == "closed"
            guarantor = session.get(Member, guarantor_id)  # the pledge is back; what was sent is gone
            sent = SENDS_PER_GUARANTOR * (AMOUNT + FEE).minor
            assert services.savings.balance(guarantor) == Money(1_000_000 - sent, "KES")
        assert verify_ledger(session) == []
