"""LOAN by SMS (issue 16 #5): the disclosure before the code, the destination honoured, messages in order."""

import re
from datetime import UTC, datetime

import pytest

from app.loans.models import Loan
from tests.app.loans.loan_helpers import loan_services, product, regular_saver
from tests.messaging_helpers import messages_to, sent_sms
from tests.sms_helpers import Handset, register

PHONE = "+254711000001"
pytestmark = pytest.mark.usefixtures("providers")


@pytest.fixture
def borrower(app):
    """A function: a regular saver in `locale` with one auto-approved product (declining, 1 % fee, KES)."""
    def make(locale="en"):
        services = loan_services(app, at=datetime.now(UTC))
        member = register(services, locale=locale)
        regular_saver(services, member, 1000000)
        product(services)
        services.session.commit()
        return member
    return make


@pytest.fixture
def phone(app, client, session):
    return Handset(app, client, session, PHONE)


def code_in(reply):
    return re.search(r"(?:YES|NDIO) (\d{4})", reply).group(1)


def loan_of(session, member):
    return session.query(Loan).filter_by(member_id=member.id).one()


def test_loan_to_savings_discloses_before_the_code_and_pays_into_savings(phone, borrower, session, providers):
    member = borrower()
    offer = phone.send("LOAN 1000 savings")
    assert offer.startswith("Loan KES 1,000 (Biashara, declining balance interest): fee KES 10, you get KES 990 "
                            "to your savings. Repay KES 1,020 in 3 payments from ")
    assert "Cost KES 30, APR 18.1%. Reply YES " in offer
    assert phone.last_reply().segments <= 2
    statement = messages_to(session, PHONE, "loan_disclosure")[0].text
    assert "Total to repay KES 1,020" in statement and "3 monthly payments:" in statement
    assert statement.count("KES 340") == 3  # every instalment with its date
    assert [text for _to, text in sent_sms(providers)][-2:] == [offer, statement]  # the reply first
    received = phone.send(f"YES {code_in(offer)}")
    assert received == "Your loan request of KES 1,000 was received. We will send you an SMS."
    loan = loan_of(session, member)
    assert (loan.destination, loan.state) == ("savings", "disbursed")
    texts = [text for _to, text in sent_sms(providers)]
    paid_out = next(text for text in texts if "paid out" in text)
    assert texts.index(received) < texts.index(paid_out)  # in the order things happened


@pytest.mark.parametrize("words, destination", [
    ("mpesa", "mobile_money"), ("mobile money", "mobile_money"), ("M-PESA", "mobile_money"), ("3 akiba", "savings"),
    ("pesa kwa simu 3", "mobile_money"), ("", "mobile_money"),  # no word: LOAN_DEFAULT_DESTINATION
])
def test_the_destination_word_is_honoured_in_both_languages(phone, borrower, session, words, destination):
    member = borrower("sw")
    offer = phone.send(f"MKOPO 1000 {words}".strip())
    where = "akiba yako" if destination == "savings" else "pesa kwa simu"
    assert f"utapokea KES 990 kwenye {where}" in offer and "Jibu NDIO" in offer
    assert phone.last_reply().segments <= 2  # the short offer; the full statement is its own SMS
    phone.send(f"NDIO {code_in(offer)}")
    assert loan_of(session, member).destination == destination


@pytest.mark.parametrize("locale, text, expected", [
    ("en", "LOAN 1000 savinsg", 'We did not understand "savinsg". Say where the loan goes: LOAN 5000 savings or '
                                "LOAN 5000 mpesa."),
    ("sw", "MKOPO 1000 benki", 'Hatukuelewa "benki". Sema mkopo uende wapi: MKOPO 5000 akiba au MKOPO 5000 mpesa.'),
])
def test_an_unknown_destination_word_is_refused_before_any_code(phone, borrower, session, locale, text, expected):
    member = borrower(locale)
    assert phone.send(text) == expected
    assert not messages_to(session, PHONE, "loan_disclosure")
    assert session.query(Loan).filter_by(member_id=member.id).count() == 0


def test_above_the_limit_is_refused_before_any_code(phone, borrower, session):
    borrower()
    reply = phone.send("LOAN 90000 savings")
    assert reply.startswith("Your limit is KES ") and "YES" not in reply
    assert not messages_to(session, PHONE, "loan_disclosure")
