"""The disclosure before acceptance (app/loans/disclosure.py): every figure once, in payable amounts."""

from datetime import date
from decimal import Decimal

from app.loans.apr import annual_percentage_rate
from tests.app.loans.loan_helpers import new_saver, product
from tests.money_helpers import kes


def test_a_deducted_fee_lowers_what_is_received_and_counts_in_the_cost_and_the_apr(services):
    biz = product(services, annual_rate="18")  # 1 % fee deducted, declining, KES: whole shillings
    disclosure = services.loans.quote(biz, kes(10000), 3)
    assert (disclosure.product_name, disclosure.method, disclosure.frequency) == ("Biashara", "declining", "monthly")
    assert disclosure.fee == kes(100) and disclosure.receive == kes(9900)
    assert [row.amount for row in disclosure.schedule] == [kes(3434)] * 3
    assert [row.due_date for row in disclosure.schedule] == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    assert disclosure.interest == kes(302) and disclosure.total == kes(10302)
    assert disclosure.cost == kes(402)  # interest 302 + fee 100
    assert disclosure.apr == annual_percentage_rate(990000, [343400] * 3, 12) == Decimal("24.2")
    assert disclosure.apr > biz.annual_rate  # the fee is in the rate


def test_a_fee_added_to_the_first_instalment_is_in_that_instalment_and_the_total(services):
    akiba = product(services, code="ADD", fee_timing="first_instalment", annual_rate="18")
    disclosure = services.loans.quote(akiba, kes(10000), 3)
    assert disclosure.receive == kes(10000)
    assert [row.amount for row in disclosure.schedule] == [kes(3534), kes(3434), kes(3434)]
    assert disclosure.instalment == kes(3534) and disclosure.total == kes(10402) and disclosure.cost == kes(402)
    assert disclosure.apr == annual_percentage_rate(1000000, [353400, 343400, 343400], 12)


def test_a_flat_weekly_loan(services):
    quick = product(services, code="FLAT", interest_method="flat", frequency="weekly", terms=[4],
                    annual_rate="24", fee_type="flat", fee_value="5000")
    disclosure = services.loans.quote(quick, kes(1000), 4)
    assert disclosure.method == "flat" and disclosure.receive == kes(950)
    assert disclosure.total == sum((row.amount for row in disclosure.schedule), kes(0))
    assert disclosure.cost == disclosure.total - kes(1000) + kes(50)
    assert all(row.amount.minor % 100 == 0 for row in disclosure.schedule)  # payable by M-Pesa


def test_the_disclosed_instalments_are_the_ones_the_loan_gets(services):
    akiba = product(services, code="ADD2", fee_timing="first_instalment")
    disclosure = services.loans.quote(akiba, kes(10000), 6)
    loan = services.loans.apply_for(new_saver(services), akiba, kes(10000), 6, idempotency_key="same",
                                    destination="savings")
    assert [row.total_due for row in services.loans.schedule(loan)] == [row.amount for row in disclosure.schedule]
