"""Repayment allocation: oldest instalment first, penalties -> fees -> interest -> principal; partial,
prepayment of later instalments, and over-payments (refused from savings, credited to savings by mobile money)."""

from dataclasses import dataclass

import pytest

from app.ledger.errors import InsufficientFunds
from app.loans import errors
from app.loans.ageing import Ageing
from app.loans.allocation import allocate, apply_allocation, payoff
from app.loans.models import LoanRepayment
from app.money import Money
from tests.app.loans.loan_helpers import deposit, new_saver, product, savings
from tests.money_helpers import kes


@dataclass
class Row:
    number: int
    principal_due_minor: int
    interest_due_minor: int
    fee_due_minor: int = 0
    penalty_due_minor: int = 0
    principal_paid_minor: int = 0
    interest_paid_minor: int = 0
    fee_paid_minor: int = 0
    penalty_paid_minor: int = 0
    paid: bool = False
    paid_on: object = None

    @property
    def remaining_minor(self):
        return (self.principal_due_minor + self.interest_due_minor + self.fee_due_minor + self.penalty_due_minor
                - self.principal_paid_minor - self.interest_paid_minor - self.fee_paid_minor
                - self.penalty_paid_minor)


def rows():
    return [Row(1, 1000, 100, fee_due_minor=50, penalty_due_minor=30), Row(2, 1000, 90), Row(3, 1000, 80)]


def test_order_within_the_oldest_instalment_then_the_next():
    allocation = allocate(rows(), 1200)
    assert allocation.parts == {1: {"penalty": 30, "fee": 50, "interest": 100, "principal": 1000},
                                2: {"interest": 20}}
    assert allocation.totals == {"penalty": 30, "fee": 50, "interest": 120, "principal": 1000}
    assert allocation.excess == 0


def test_partial_payment_pays_penalty_first():
    allocation = allocate(rows(), 40)
    assert allocation.parts == {1: {"penalty": 30, "fee": 10}}


def test_over_payment_prepays_in_order_and_leaves_the_excess():
    schedule = rows()
    allocation = allocate(schedule, payoff(schedule) + 7)
    assert allocation.excess == 7
    apply_allocation(schedule, allocation, "today")
    assert all(row.paid and row.paid_on == "today" for row in schedule)
    assert payoff(schedule) == 0


def test_paid_instalments_are_skipped_and_bad_amounts_refused():
    schedule = rows()
    apply_allocation(schedule, allocate(schedule, 1180), "d1")
    assert schedule[0].paid and not schedule[1].paid
    assert allocate(schedule, 10).parts == {2: {"interest": 10}}
    with pytest.raises(ValueError):
        allocate(schedule, 0)


@pytest.fixture
def disbursed(services):
    member = new_saver(services)
    loan = services.loans.apply_for(member, product(services), kes(10000), 6, idempotency_key="a1",
                                    destination="savings")
    return member, loan


def test_repay_from_savings_with_penalty_partial_then_in_full(services, disbursed, session):
    member, loan = disbursed
    services.clock.advance(days=40)  # 12 Mar: instalment 1 (28 Feb) is 12 days late, past the 3 grace days
    Ageing(session, ledger=services.ledger, clock=services.clock).run(services.clock.today())
    first = services.loans.schedule(loan)[0]
    assert first.penalty_due_minor == 8600  # 5 % of KES 1,725 is 86.25: whole shillings, half-even
    services.loans.repay_from_savings(loan.id, kes(100), idempotency_key="r1", actor="member:1", channel="ussd")
    first = services.loans.schedule(loan)[0]
    assert (first.penalty_paid_minor, first.interest_paid_minor, first.principal_paid_minor) == (8600, 1400, 0)
    repayment = session.query(LoanRepayment).filter_by(idempotency_key="r1").one()
    assert (repayment.penalty, repayment.interest, repayment.principal) == (
        Money(8600, "KES"), Money(1400, "KES"), Money(0, "KES"))
    entry = services.ledger.entry("r1")
    assert sum(p.amount for p in entry.postings) == 0 and len(entry.postings) == 3
    owed = services.loans.repayments.payoff(loan)
    with pytest.raises(errors.PaysTooMuch) as refused:
        services.loans.repay_from_savings(loan.id, owed + kes(1), idempotency_key="r2", actor="m", channel="ussd")
    assert refused.value.payoff == owed
    services.loans.repay_from_savings(loan.id, owed, idempotency_key="r3", actor="m", channel="ussd")
    assert loan.state == "closed"
    assert services.loans.repay_from_savings(loan.id, owed, idempotency_key="r3", actor="m",
                                             channel="ussd").amount == owed  # a replay changes nothing
    with pytest.raises(errors.ConflictingRequest):  # the key reused for another amount is no replay
        services.loans.repay_from_savings(loan.id, kes(5), idempotency_key="r3", actor="m", channel="ussd")


def test_repay_more_than_savings_is_refused_and_writes_nothing(services, disbursed, session):
    member, loan = disbursed
    services.ledger.post("spend", [(services.ledger.account("member", member.id, "member_savings", "KES"),
                                    savings(services, member)),
                                   (services.ledger.clearing_account("sandbox", "KES"), -savings(services, member))],
                         kind="withdrawal", initiated_by="m", channel="system")
    deposit(services, member, 5000)
    with pytest.raises(InsufficientFunds):
        services.loans.repay_from_savings(loan.id, kes(100), idempotency_key="r9", actor="m", channel="ussd")
    assert session.query(LoanRepayment).filter_by(loan_id=loan.id).count() == 0
    assert sum(row.total_paid_minor for row in services.loans.schedule(loan)) == 0


def test_mobile_money_over_payment_credits_the_excess_to_savings(services, disbursed):
    from app.payments.providers.base import ProviderResult

    member, loan = disbursed
    owed = services.loans.repayments.payoff(loan)
    services.payments.providers.name_for = lambda phone, network=None: "sandbox"
    payment = services.loans.start_mobile_repayment(loan.id, owed, idempotency_key="mm1", actor="m",
                                                    channel="ussd")
    with pytest.raises(errors.PaysTooMuch):
        services.loans.start_mobile_repayment(loan.id, owed + kes(1), idempotency_key="mm2", actor="m",
                                              channel="ussd")
    services.loans.repay_from_savings(loan.id, kes(1000), idempotency_key="r1", actor="m", channel="ussd")
    before = savings(services, member)
    result = ProviderResult("succeeded", payment.reference, None, "RCPT1", owed, member.phone, {})
    services.payments.apply_result(result, "callback", provider=payment.provider, payment_id=payment.id)
    assert payment.state == "succeeded"
    assert loan.state == "closed"
    assert savings(services, member) == before + kes(1000)  # the KES 1,000 paid meanwhile comes back
    services.payments.apply_result(result, "callback", provider=payment.provider, payment_id=payment.id)
    assert savings(services, member) == before + kes(1000)  # a duplicate callback changes nothing
