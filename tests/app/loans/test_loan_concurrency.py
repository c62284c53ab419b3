"""Concurrent repayments of one loan, committed on real connections from threads: the loan row lock
serialises them, so no shilling is allocated twice and a loan is never paid beyond its payoff."""

import uuid

import pytest
from sqlalchemy.orm import sessionmaker

from app.clock import FixedClock
from app.extensions import db
from app.ledger.verify import verify_ledger
from app.loans import errors
from app.loans.models import Loan, LoanRepayment
from app.services import build_services
from tests.app.loans.loan_helpers import START, new_member, product, regular_saver, savings
from tests.concurrency_helpers import run_in_threads
from tests.member_helpers import unique_phone
from tests.money_helpers import kes


@pytest.fixture
def make_session(app):
    return sessionmaker(bind=db.engine)


def disbursed_loan(app, make_session):
    tag = uuid.uuid4().hex[:8]
    with make_session() as session:
        services = build_services(app, session, clock=FixedClock(START))
        member = new_member(services, phone=unique_phone())
        regular_saver(services, member, 1000000)
        biz = product(services, code=f"C{tag}")
        loan = services.loans.apply_for(member, biz, kes(10000), 6, idempotency_key=f"conc:{tag}",
                                        destination="savings")
        biz.active = False  # offered to nobody else: other tests list the active products
        session.commit()
        return loan.id, member.id, services.loans.repayments.payoff(loan)


def repay(app, make_session, loan_id, amount, key):
    with make_session() as session:
        services = build_services(app, session, clock=FixedClock(START))
        try:
            services.loans.repay_from_savings(loan_id, amount, idempotency_key=key, actor="test", channel="ussd")
            session.commit()
            return "ok"
        except errors.LoanError as error:
            session.rollback()
            return error.code


@pytest.mark.committed
def test_many_full_payoffs_at_once_pay_the_loan_exactly_once(app, make_session):
    loan_id, member_id, payoff = disbursed_loan(app, make_session)
    results = run_in_threads(lambda i: repay(app, make_session, loan_id, payoff, f"full:{loan_id}:{i}"), 6,
                             timeout=None)
    assert sorted(results) == ["no_loan"] * 5 + ["ok"]
    with make_session() as session:
        services = build_services(app, session, clock=FixedClock(START))
        loan = session.get(Loan, loan_id)
        assert loan.state == "closed"
        assert session.query(LoanRepayment).filter_by(loan_id=loan_id).count() == 1
        member = services.members.get(member_id)
        assert savings(services, member) == kes(60000 + 9900) - payoff
        assert verify_ledger(session) == []


@pytest.mark.committed
def test_partial_repayments_at_once_all_count(app, make_session):
    loan_id, _member_id, payoff = disbursed_loan(app, make_session)
    part = kes(1000)
    count = 8
    results = run_in_threads(lambda i: repay(app, make_session, loan_id, part, f"part:{loan_id}:{i}"), count,
                             timeout=None)
    assert results == ["ok"] * count
    with make_session() as session:
        services = build_services(app, session, clock=FixedClock(START))
        loan = session.get(Loan, loan_id)
        rows = services.loans.schedule(loan)
        assert sum(row.total_paid_minor for row in rows) == part.minor * count
        rest = services.loans.repayments.payoff(loan)
        assert rest == payoff - kes(1000 * count)
        services.loans.repay_from_savings(loan_id, rest, idempotency_key=f"rest:{loan_id}", actor="t", channel="t")
        session.commit()  # closed, so the loan leaves the portfolio other tests report on
