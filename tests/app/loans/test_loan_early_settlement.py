"""What clears a loan today (app/loans/early_settlement.py): a declining loan owes interest to date only."""

from datetime import date, timedelta
from types import SimpleNamespace

from app.ledger.verify import verify_ledger
from app.loans.early_settlement import accrued_interest
from tests.app.loans.loan_helpers import new_saver, product
from tests.money_helpers import kes


def row(interest, due):
    return SimpleNamespace(number=1, interest_due_minor=interest, interest_paid_minor=0, due_date=due)


def test_a_period_accrues_its_interest_by_the_day_in_payable_units():
    start, due = date(2026, 1, 31), date(2026, 2, 28)  # 28 days
    instalment = row(10000, due)  # KES 100 of interest
    assert accrued_interest(instalment, start, start) == 0
    assert accrued_interest(instalment, start, start + timedelta(days=15), unit=100) == 5400  # 53.57 -> 54
    assert accrued_interest(instalment, start, start + timedelta(days=15)) == 5357
    assert accrued_interest(instalment, start, due) == 10000
    assert accrued_interest(instalment, start, due + timedelta(days=9)) == 10000  # overdue: all of it


def declining_loan(services, **options):
    return services.loans.apply_for(new_saver(services), product(services, **options), kes(10000), 6,
                                    idempotency_key="early", destination="savings")


def test_on_the_payout_day_a_declining_loan_clears_with_its_principal(services):
    loan = declining_loan(services)
    summary = services.loans.summary(loan)
    assert summary.outstanding == kes(10353)  # the whole schedule, if it runs its term
    assert summary.payoff == services.loans.payoff(loan) == kes(10000)  # nothing accrued yet


def test_mid_period_it_is_principal_left_plus_interest_to_date_and_paying_it_closes_the_loan(services, session):
    loan = declining_loan(services)
    services.clock.advance(days=15)  # 15 of the first period's 28 days: KES 100 x 15/28 = 53.57 -> 54
    assert services.loans.payoff(loan) == kes(10054)
    services.loans.repay_from_savings(loan.id, kes(10054), idempotency_key="clear", actor="member", channel="ussd")
    assert loan.state == "closed"
    rows = services.loans.schedule(loan)
    assert sum(row.interest_paid_minor for row in rows) == 5400 and all(row.paid for row in rows)
    assert verify_ledger(session) == []


def test_after_an_instalment_it_counts_what_is_paid(services):
    loan = declining_loan(services)
    services.clock.advance(days=28)  # the first due date: its interest is earned in full
    services.loans.repay_from_savings(loan.id, kes(1725), idempotency_key="first", actor="member", channel="ussd")
    principal_left = sum(row.principal_left_minor for row in services.loans.schedule(loan))
    assert services.loans.payoff(loan).minor == principal_left  # the new period has just begun
    services.clock.advance(days=31)  # the whole second period (28 Feb -> 31 Mar)
    second = services.loans.schedule(loan)[1]
    assert services.loans.payoff(loan).minor == principal_left + second.interest_due_minor


def test_more_than_clears_it_is_refused_and_changes_nothing(services):
    import pytest

    from app.loans.errors import PaysTooMuch

    loan = declining_loan(services)
    with pytest.raises(PaysTooMuch) as refused:
        services.loans.repay_from_savings(loan.id, kes(10001), idempotency_key="much", actor="m", channel="ussd")
    assert refused.value.payoff == kes(10000)
    assert sum(row.interest_due_minor for row in services.loans.schedule(loan)) == 35300


def test_a_flat_loan_clears_with_everything_left(services):
    loan = declining_loan(services, code="FLAT", interest_method="flat")
    services.clock.advance(days=15)
    summary = services.loans.summary(loan)
    assert summary.payoff == summary.outstanding == kes(10600)  # 12 % flat over 6 months: KES 600


def test_interest_paid_ahead_counts_against_the_payoff(services, session):
    """A part payment takes an instalment's interest before its principal; clearing early gives it back."""
    loan = declining_loan(services)
    services.loans.repay_from_savings(loan.id, kes(1000), idempotency_key="part", actor="member", channel="ussd")
    assert services.loans.payoff(loan) == kes(9000)  # 10,000 on the payout day, less the 1,000 paid
    services.loans.repay_from_savings(loan.id, kes(9000), idempotency_key="rest", actor="member", channel="ussd")
    assert loan.state == "closed"
    rows = services.loans.schedule(loan)
    assert sum(row.interest_paid_minor for row in rows) == 0
    assert sum(row.principal_paid_minor for row in rows) == 1000000
    interest_income = services.loans.accounts.income("interest_income", "KES")
    assert services.ledger.balance(interest_income).minor == 0  # the 100 taken as interest moved to principal
    assert verify_ledger(session) == []
