"""Whole units where mobile money needs them (issue 13): schedules, fees, penalties and payoffs of a KES loan.

A KES product rounds to 100 minor units (whole shillings, all Daraja carries), the remainder on the
last instalment; the ledger stays exact in minor units; `flask loans schedule` without
`--in-multiples-of` is the plain schedule it always was (tests/app/loans/test_loan_schedule.py).
"""

import json
from datetime import date

import pytest
from click.testing import CliRunner

from app.ledger.verify import verify_ledger
from app.loans import errors
from app.loans.ageing import Ageing
from app.loans.cli import schedule_command
from app.loans.products import DEMO_PRODUCTS, ProductError, by_code, fee_for, seed_demo_products
from app.loans.schedule import build_schedule
from app.operator_units import OperatorUnits
from app.payments.models import Payment
from tests.app.loans.loan_helpers import new_saver, product
from tests.money_helpers import kes

TEN_THOUSAND_3_MONTHS_18 = dict(principal_minor=1_000_000, currency="KES", annual_rate="18", instalments=3,
                                frequency="monthly", method="declining", start=date(2026, 1, 31))


def test_the_issue_loan_in_whole_shillings_has_the_remainder_last():
    plain = build_schedule(**TEN_THOUSAND_3_MONTHS_18)
    assert plain[0].total == 343_383  # KES 3,433.83: what M-Pesa cannot collect
    rows = build_schedule(**TEN_THOUSAND_3_MONTHS_18, in_multiples_of=100)
    assert [(row.principal, row.interest, row.total) for row in rows] == [
        (328_400, 15_000, 343_400), (333_300, 10_100, 343_400), (338_300, 5_100, 343_400)]
    assert sum(row.principal for row in rows) == 1_000_000
    assert all(row.principal % 100 == 0 and row.interest % 100 == 0 for row in rows)


def test_the_last_instalment_takes_what_the_rounding_left():
    rows = build_schedule(principal_minor=1_000_000, currency="KES", annual_rate="12", instalments=6,
                          frequency="monthly", method="declining", start=date(2026, 1, 31), in_multiples_of=100)
    assert [row.total for row in rows] == [172_500] * 5 + [172_800]
    flat = build_schedule(principal_minor=155_000, currency="KES", annual_rate="24", instalments=4,
                          frequency="weekly", method="flat", start=date(2026, 1, 31), in_multiples_of=100)
    assert [(row.principal, row.interest) for row in flat] == [(38_700, 700)] * 3 + [(38_900, 800)]
    zero = build_schedule(principal_minor=1_000_000, currency="KES", annual_rate="0", instalments=3,
                          frequency="monthly", method="declining", start=date(2026, 1, 31), in_multiples_of=100)
    assert [row.total for row in zero] == [333_300, 333_300, 333_400]


def test_a_unit_of_one_is_the_plain_schedule_and_a_bad_unit_is_refused():
    assert build_schedule(**TEN_THOUSAND_3_MONTHS_18, in_multiples_of=1) == build_schedule(**TEN_THOUSAND_3_MONTHS_18)
    with pytest.raises(ValueError):
        build_schedule(**TEN_THOUSAND_3_MONTHS_18, in_multiples_of=0)
    with pytest.raises(TypeError):
        build_schedule(**TEN_THOUSAND_3_MONTHS_18, in_multiples_of=1.0)


COMMAND = ["--principal", "10000", "--currency", "KES", "--rate", "18", "--instalments", "3", "--frequency",
           "monthly", "--method", "declining", "--start", "2026-01-31"]


def test_cli_takes_the_unit_in_minor_units():
    result = CliRunner().invoke(schedule_command, [*COMMAND, "--in-multiples-of", "100", "--json"])
    assert result.exit_code == 0, result.output
    assert [row["total"] for row in json.loads(result.output)] == [343_400] * 3
    table = CliRunner().invoke(schedule_command, [*COMMAND, "--in-multiples-of", "100"]).output.splitlines()
    assert table[2].split() == ["1", "2026-02-28", "KES", "3,284.00", "KES", "150.00", "KES", "3,434.00"]
    plain = CliRunner().invoke(schedule_command, [*COMMAND, "--json"])
    assert json.loads(plain.output)[0]["total"] == 343_383  # without the option: exactly as before
    assert CliRunner().invoke(schedule_command, [*COMMAND, "--in-multiples-of", "0"]).exit_code == 2


def test_a_product_defaults_to_what_its_currency_carries(services):
    assert product(services).in_multiples_of_minor == 100
    assert product(services, code="UG", currency="UGX").in_multiples_of_minor == 1
    assert product(services, code="CENTS", in_multiples_of_minor=1).in_multiples_of_minor == 1
    assert product(services, code="OWN", operator_units=OperatorUnits({"KES": 500})).in_multiples_of_minor == 500
    with pytest.raises(ProductError, match="multiple"):
        product(services, code="ODD", fee_type="flat", fee_value="5050")
    with pytest.raises(ProductError):
        product(services, code="ZERO", in_multiples_of_minor=0)


def test_the_demo_fee_on_1550_pays_out_whole_shillings_by_mobile_money(services, session):
    seed_demo_products(services)
    biashara = by_code(session, "BIASHARA")
    assert biashara.in_multiples_of_minor == 100 and by_code(session, "AKIBA-UG").in_multiples_of_minor == 1
    assert fee_for(biashara, 155_000) == 1_600  # 1 % is KES 15.50: KES 16, half-even to the shilling
    member = new_saver(services)
    loan = services.loans.apply_for(member, biashara, kes(1550), 3, idempotency_key="demo-1550",
                                    destination="mobile_money")
    assert loan.state == "disbursed" and loan.fee == kes(16) and loan.in_multiples_of_minor == 100
    payout = session.get(Payment, loan.disbursement_payment_id)
    assert payout.amount == kes(1534)  # never KES 1,534.50, which a B2C cannot carry
    assert verify_ledger(session) == []


def test_the_quote_matches_the_schedule_the_loan_gets(services):
    biz = product(services, annual_rate="18")
    quote = services.loans.quote(biz, kes(10000), 3)
    assert quote.instalment == kes(3434) and quote.total == kes(10302) and quote.fee == kes(100)
    loan = services.loans.apply_for(new_saver(services), biz, kes(10000), 3, idempotency_key="q",
                                    destination="savings")
    assert [row.remaining_minor for row in services.loans.schedule(loan)] == [343_400] * 3


def test_penalties_and_payoffs_stay_whole_through_partial_repayments(services, session):
    biz = product(services)
    loan = services.loans.apply_for(new_saver(services), biz, kes(10000), 6, idempotency_key="p",
                                    destination="savings")
    services.clock.advance(days=40)
    Ageing(session, ledger=services.ledger, clock=services.clock).run(services.clock.today())
    assert services.loans.schedule(loan)[0].penalty_due_minor == 8_600  # 5 % of KES 1,725 = 86.25 -> 86
    for number, major in enumerate((100, 1999, 777, 3001), start=1):
        services.loans.repay_from_savings(loan.id, kes(major), idempotency_key=f"p{number}", actor="m",
                                          channel="ussd")
        assert services.loans.payoff(loan).minor % 100 == 0
    services.loans.repay_from_savings(loan.id, services.loans.payoff(loan), idempotency_key="all", actor="m",
                                      channel="ussd")
    assert loan.state == "closed" and verify_ledger(session) == []


def test_a_loan_keeps_the_unit_it_was_applied_with(services, session):
    biz = product(services, approval="officer")
    loan = services.loans.apply_for(new_saver(services), biz, kes(10000), 6, idempotency_key="kept",
                                    destination="savings")
    biz.in_multiples_of_minor = 1  # changing the product later changes no loan already applied for
    services.loans.approve(loan.id, actor="officer", channel="cli")
    assert [row.remaining_minor for row in services.loans.schedule(loan)] == [172_500] * 5 + [172_800]


def test_every_demo_product_names_a_currency_the_table_knows():
    assert {definition["currency"] for definition in DEMO_PRODUCTS} <= set(OperatorUnits().units)


def test_a_loan_scheduled_in_cents_can_be_cleared_with_the_next_whole_shilling(services, session):
    """A loan disbursed before its product rounded (unit 1) owes KES 10,352.91: M-Pesa can clear it with 10,353."""
    legacy = product(services, in_multiples_of_minor=1)
    member = new_saver(services)
    loan = services.loans.apply_for(member, legacy, kes(10000), 6, idempotency_key="legacy", destination="savings")
    services.clock.advance(days=185)  # the term has run: all its interest is earned (early_settlement.py)
    owed = services.loans.payoff(loan)
    assert owed == kes("10352.91")
    services.loans.check_repayment(loan.id, kes(10353))  # the next whole shilling: allowed
    with pytest.raises(errors.PaysTooMuch):
        services.loans.check_repayment(loan.id, kes(10354))
    savings_before = services.savings.balance(member)
    services.loans.repay_from_savings(loan.id, kes(10353), idempotency_key="clear", actor="m", channel="ussd")
    assert loan.state == "closed"
    assert services.savings.balance(member) == savings_before - owed  # only the payoff was taken
    again = services.loans.repay_from_savings(loan.id, kes(10353), idempotency_key="clear", actor="m",
                                              channel="ussd")
    assert again.amount == owed  # a replay returns the first repayment
    assert verify_ledger(session) == []


def test_a_mobile_money_repayment_of_the_next_whole_shilling_puts_the_cents_in_savings(services, session):
    legacy = product(services, in_multiples_of_minor=1)
    member = new_saver(services)
    loan = services.loans.apply_for(member, legacy, kes(10000), 6, idempotency_key="legacy-mm",
                                    destination="savings")
    services.clock.advance(days=185)  # the term has run: all its interest is earned (early_settlement.py)
    payment = services.loans.start_mobile_repayment(loan.id, kes(10353), idempotency_key="mm", actor="m",
                                                    channel="ussd")
    assert payment.amount == kes(10353)
