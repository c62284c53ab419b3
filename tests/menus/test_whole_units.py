"""Cents M-Pesa cannot carry are refused on the amount screen itself, before any PIN or confirmation.

KES moves through Daraja in whole shillings (OPERATOR_MINOR_UNITS KES=100): deposits, withdrawals,
loan repayments and group contributions by mobile money, and (the rule is per currency, so no cent
can strand in savings) transfers between members too. Nothing is started for a refused amount.
"""

from datetime import UTC, datetime

import pytest

from app.loans.models import Loan
from app.money import Money
from app.payments.models import Payment
from channels.ussd import measure
from tests.app.loans.loan_helpers import loan_services, product, regular_saver
from tests.menus.test_groups_menu import clock, created, open_group  # noqa: F401 (clock: a fixture)
from tests.money_helpers import fund_savings
from tests.ussd_helpers import UssdPhone, register

AMINA, BARAKA = "+254712345678", "+254722000111"
WHOLE = "CON Mobile money takes whole amounts only. Enter the amount without cents, like 1500."
WHOLE_SW = "CON Pesa ya simu hupokea kiasi kamili tu. Weka kiasi bila senti, kama 1500."


def signed_in(client, phone=AMINA, pin="4821"):
    handset = UssdPhone(client, phone)
    handset.dial()
    handset.send(pin)
    return handset


def payments_of(session, phone):
    return session.query(Payment).filter(Payment.phone == phone).count()


@pytest.mark.parametrize("typed", ["1500.50", "1,500.5", "1500,50", "0.50"])
def test_a_deposit_with_cents_is_refused_on_the_amount_screen(client, session, typed):
    register(client, phone=AMINA)
    handset = signed_in(client)
    handset.send("1")
    assert handset.send("3").startswith("CON Deposit amount")
    body = handset.send(typed)
    assert body.startswith(WHOLE) and "\nDeposit amount:" in body and measure(body[4:]) <= 160, body
    assert payments_of(session, AMINA) == 0
    assert "Amount: KES 1,500" in handset.send("1500")
    handset.send("1")
    assert handset.send("4821").startswith("END ")
    assert session.query(Payment).filter_by(phone=AMINA).one().amount_minor == 150000


def test_whole_amounts_with_zero_cents_are_whole(client, session):
    register(client, phone=AMINA)
    handset = signed_in(client)
    handset.send("1")
    handset.send("3")
    assert "Amount: KES 1,500\n" in handset.send("1500.00")


def test_the_refusal_is_in_kiswahili_for_a_kiswahili_member(client, session):
    register(client, phone=AMINA, language="2")
    handset = signed_in(client)
    handset.send("1")
    handset.send("3")
    assert handset.send("1500.50").startswith(WHOLE_SW)


def test_a_withdrawal_with_cents_is_refused_before_the_pin(client, services, session):
    register(client, phone=AMINA)
    fund_savings(services, services.members.by_phone(AMINA), 500000)
    handset = signed_in(client)
    handset.send("1")
    handset.send("4")
    assert handset.send("1000.50").startswith(WHOLE)
    assert payments_of(session, AMINA) == 0
    assert "Amount: KES 1,000" in handset.send("1000")
    assert "PIN" in handset.send("1")


def test_a_transfer_between_members_is_whole_shillings_too(client, services, session):
    """Savings-internal, but a cent received could never be withdrawn: one rule per currency."""
    register(client, phone=AMINA)
    register(client, phone=BARAKA, name="Baraka Otieno")
    fund_savings(services, services.members.by_phone(AMINA), 500000)
    handset = signed_in(client)
    handset.send("3")  # Payments
    handset.send("1")
    assert handset.send("300.25").startswith(WHOLE)
    handset.send("300")
    assert "To: Baraka O. +2547****0111\nAmount: KES 300" in handset.send("0722000111")


@pytest.fixture
def borrower(app, client):
    services = loan_services(app, at=datetime.now(UTC))
    register(client, phone=AMINA)
    amina = services.members.by_phone(AMINA)
    amina.kyc_level = 3
    regular_saver(services, amina, 1000000)
    services.loans.apply_for(amina, product(services), Money(1000000, "KES"), 6, idempotency_key="whole-units",
                             destination="savings")
    services.session.commit()
    return services, amina


def test_a_loan_repayment_with_cents_is_refused_on_the_amount_screen(client, borrower, session):
    services, amina = borrower
    loan = session.query(Loan).filter_by(member_id=amina.id).one()
    owed = services.loans.payoff(loan)
    assert owed.minor % 100 == 0  # the payoff itself is whole shillings: M-Pesa can clear it
    handset = signed_in(client)
    handset.send("2")  # Loans
    assert "Enter amount to pay" in handset.send("5")
    assert handset.send("2000.50").startswith(WHOLE)
    assert handset.send("2000").startswith("CON Pay from:")
    handset.send("2")  # mobile money
    handset.send("1")
    assert handset.send("4821").startswith("END Approve the payment")
    assert session.query(Payment).filter_by(phone=AMINA, purpose="loan_repayment").one().amount_minor == 200000


def test_a_group_contribution_with_cents_is_refused_on_the_amount_screen(client, timed):
    group = created(client, timed)
    handset, _ = open_group(client, "+254712000001")
    handset.send("2")
    assert handset.send("250.50").startswith(WHOLE)
    assert handset.send("250").startswith("CON Pay from:")
    handset.send("2")
    handset.send("1")
    assert handset.send("4821").startswith("END Request sent.")
    payment = timed.session.query(Payment).filter_by(purpose="contribution").one()
    assert payment.amount_minor == 25000 and payment.purpose_ref == str(group.id)
