"""The calls SMS commands make on the loan service: apply with the default product, balance, repay."""

import pytest

from app.loans import errors
from tests.app.loans.loan_helpers import new_member, product, regular_saver
from tests.money_helpers import kes


def test_sms_apply_balance_and_repay(services):
    member = new_member(services)
    assert services.loans.balance(member) is None
    with pytest.raises(errors.NoProduct):
        services.loans.apply(member, kes(5000), None, "sms1", channel="sms")
    regular_saver(services, member, 1000000)
    product(services)
    services.loans.default_destination = "savings"
    loan = services.loans.apply(member, kes(5000), None, "sms1", channel="sms", session_ref="sms:1")
    assert (loan.state, loan.instalments, loan.channel) == ("disbursed", 3, "sms")
    owed = services.loans.balance(member)
    assert owed == services.loans.repayments.payoff(loan)
    with pytest.raises(errors.PaysTooMuch):
        services.loans.repay(member, owed + kes(1), "sms2", channel="sms")
    payment = services.loans.repay(member, kes(500), "sms3", channel="sms")
    assert (payment.purpose, payment.purpose_ref, payment.amount) == ("loan_repayment", str(loan.id), kes(500))


def test_sms_repay_without_a_loan_is_refused(services):
    with pytest.raises(errors.NoLoan):
        services.loans.repay(new_member(services), kes(500), "sms4", channel="sms")
