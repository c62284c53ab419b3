"""The APR with fees included (app/loans/apr.py), against examples worked by hand."""

from datetime import date
from decimal import Decimal

import pytest

from app.loans.apr import annual_percentage_rate, present_value
from app.loans.schedule import build_schedule


def test_two_monthly_instalments_at_ten_percent_a_month_by_hand():
    # Receive 1,000.00; pay 576.19 twice. At r = 10 %: 576.19/1.1 + 576.19/1.21 = 523.81 + 476.19 = 1,000.00,
    # so r is 10 % a month and the APR 10 x 12 = 120.0 %.
    assert annual_percentage_rate(100000, [57619, 57619], 12) == Decimal("120.0")


def test_one_weekly_instalment():
    # Receive 1,000, pay 1,100 a week later: 10 % a week, 520 % a year.
    assert annual_percentage_rate(100000, [110000], 52) == Decimal("520.0")


def test_no_fee_declining_loan_costs_its_nominal_rate():
    rows = build_schedule(principal_minor=1000000, currency="KES", annual_rate="12", instalments=6,
                          frequency="monthly", method="declining", start=date(2026, 1, 31))
    assert annual_percentage_rate(1000000, [row.total for row in rows], 12) == Decimal("12.0")


def test_a_deducted_fee_raises_the_rate():
    # The same instalments, 100 less received: 1 % off the top of a 6-month loan is about 3.4 % a year more.
    rows = build_schedule(principal_minor=1000000, currency="KES", annual_rate="12", instalments=6,
                          frequency="monthly", method="declining", start=date(2026, 1, 31))
    apr = annual_percentage_rate(990000, [row.total for row in rows], 12)
    assert apr == Decimal("15.5")
    assert present_value([Decimal(row.total) for row in rows], apr / 1200) == pytest.approx(990000, rel=1e-3)


def test_paying_back_only_what_was_received_is_zero():
    assert annual_percentage_rate(90000, [30000, 30000, 30000], 12) == Decimal("0.0")


@pytest.mark.parametrize("received, instalments", [(0, [100]), (100, []), (100, [-1])])
def test_refuses_what_has_no_rate(received, instalments):
    with pytest.raises(ValueError):
        annual_percentage_rate(received, instalments, 12)
