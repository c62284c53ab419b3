"""Guarantors: requests above the limit, pledges locked in the ledger (no withdrawal), release, recovery."""

import pytest

from app.loans import errors
from app.loans.models import LoanGuarantee
from app.savings.errors import InsufficientBalance
from tests.app.loans.loan_helpers import deposit, new_member, product, savings
from tests.money_helpers import kes


@pytest.fixture
def above_limit(services):
    """A borrower with a KES 3,000 limit asking for KES 5,000, two guarantors with KES 10,000 each."""
    borrower = new_member(services, name="Baraka Otieno")
    deposit(services, borrower, 100000)
    first, second = new_member(services, name="Chausiku Wairimu"), new_member(services, name="Daudi Kiptoo")
    deposit(services, first, 1000000)
    deposit(services, second, 1000000)
    biz = product(services, approval="officer")
    loan = services.loans.apply_for(borrower, biz, kes(5000), 3, idempotency_key="g1", destination="savings",
                                    guarantors=[first, second], channel="ussd")
    return borrower, first, second, loan


def test_pledges_lock_savings_and_the_loan_waits_for_them(services, above_limit):
    borrower, first, second, loan = above_limit
    assert loan.state == "applied" and loan.own_limit == kes(3000) and loan.guarantee_needed == kes(2000)
    requests = services.loans.guarantees.open_requests(first)
    assert [g.loan_id for g in requests] == [loan.id]
    with pytest.raises(errors.GuaranteesMissing):
        services.loans.approve(loan.id, actor="operator:ann", channel="cli")
    with pytest.raises(errors.PledgeTooLarge):
        services.loans.guarantees.pledge(requests[0].id, first, kes(2500), key="p0", channel="ussd")
    services.loans.guarantees.pledge(requests[0].id, first, kes(1500), key="p1", channel="ussd")
    assert savings(services, first) == kes(8500)
    assert services.savings.total(first) == kes(10000)
    with pytest.raises(InsufficientBalance):  # the pledged KES 1,500 cannot be withdrawn
        services.savings.withdraw(first, kes(8500), "w1", channel="ussd")
    with pytest.raises(errors.GuaranteeClosed):
        services.loans.guarantees.pledge(requests[0].id, first, kes(100), key="p1b", channel="ussd")
    second_request = services.loans.guarantees.open_requests(second)[0]
    services.loans.guarantees.pledge(second_request.id, second, kes(500), key="p2", channel="ussd")
    services.loans.approve(loan.id, actor="operator:ann", channel="cli", reason="pledged")
    assert loan.state == "disbursed"
    owed = services.loans.repayments.payoff(loan)
    deposit(services, borrower, owed.minor)
    services.loans.repay_from_savings(loan.id, owed, idempotency_key="all", actor="m", channel="ussd")
    assert loan.state == "closed"
    assert savings(services, first) == kes(10000) and savings(services, second) == kes(10000)
    assert {g.state for g in services.loans.guarantees.of_loan(loan)} == {"released"}


def test_decline_releases_pledges(services, above_limit):
    _borrower, first, _second, loan = above_limit
    request = services.loans.guarantees.open_requests(first)[0]
    services.loans.guarantees.pledge(request.id, first, kes(2000), key="p1", channel="ussd")
    services.loans.decline(loan.id, actor="operator:ann", channel="cli", reason="Too risky")
    assert savings(services, first) == kes(10000)
    assert [g.state for g in services.loans.guarantees.of_loan(loan)] == ["released", "cancelled"]


def test_guarantors_must_be_other_members(services):
    borrower = new_member(services)
    deposit(services, borrower, 100000)
    biz = product(services)
    with pytest.raises(errors.BadGuarantor):
        services.loans.apply_for(borrower, biz, kes(5000), 3, idempotency_key="x", guarantors=[borrower])
    with pytest.raises(errors.BadGuarantor):
        services.loans.apply_for(borrower, biz, kes(5000), 3, idempotency_key="y", guarantors=[None])


def test_recovery_takes_own_savings_then_pledges_oldest_first(services, above_limit, session):
    borrower, first, second, loan = above_limit
    request_1 = services.loans.guarantees.open_requests(first)[0]
    request_2 = services.loans.guarantees.open_requests(second)[0]
    services.loans.guarantees.pledge(request_2.id, second, kes(1000), key="p2", channel="ussd")
    services.clock.advance(minutes=1)
    services.loans.guarantees.pledge(request_1.id, first, kes(1000), key="p1", channel="ussd")
    services.loans.approve(loan.id, actor="operator:ann", channel="cli")
    # the borrower spends everything but KES 1,000
    spend = savings(services, borrower) - kes(1000)
    services.ledger.post("spend", [(services.ledger.account("member", borrower.id, "member_savings", "KES"), spend),
                                   (services.ledger.clearing_account("sandbox", "KES"), -spend)],
                         kind="withdrawal", initiated_by="m", channel="system")
    owed = services.loans.repayments.payoff(loan)
    taken = services.loans.recover(loan.id, actor="operator:ann", channel="cli", reason="90 days late")
    assert [(source, owner) for source, owner, _ in taken] == [("savings", borrower.id), ("guarantee", second.id),
                                                                ("guarantee", first.id)]
    assert [amount for *_, amount in taken] == [kes(1000), kes(1000), kes(1000)]
    assert loan.state == "defaulted"
    assert services.loans.repayments.payoff(loan) == owed - kes(3000)
    states = {g.guarantor_id: (g.state, g.recovered) for g in session.query(LoanGuarantee).filter_by(loan_id=loan.id)}
    assert states == {first.id: ("recovered", kes(1000)), second.id: ("recovered", kes(1000))}
    assert services.savings.total(second) == kes(9000)
