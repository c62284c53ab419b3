"""The Loans menu through /ussd: limit, apply with the disclosure, my loan, schedule, repay, guarantees."""

from datetime import UTC, datetime

import pytest

from app.loans.models import Loan
from app.money import Money
from app.notifications.messages import OutboundMessage
from channels.ussd import measure
from tests.app.loans.loan_helpers import deposit, loan_services, product, regular_saver
from tests.ussd_helpers import UssdPhone, register

AMINA, BARAKA = "+254712345678", "+254722000111"


@pytest.fixture
def setup(app, client):
    """Amina, a regular saver, and one auto-approved product; services on today's clock."""
    services = loan_services(app, at=datetime.now(UTC))
    register(client, phone=AMINA)
    amina = services.members.by_phone(AMINA)
    amina.kyc_level = 3  # documents sighted: the products' and credit limits are under test
    regular_saver(services, amina, 1000000)
    product(services)
    return services, amina


def signed_in(client, phone=AMINA, pin="4821"):
    handset = UssdPhone(client, phone)
    handset.dial()
    handset.send(pin)
    handset.send("2")  # Loans
    return handset


def fits(body):
    assert measure(body[4:]) <= 160, f"{measure(body[4:])} chars:\n{body}"
    return body


def test_limit_shows_the_amount_and_the_top_reason(client, setup):
    body = fits(signed_in(client).send("1"))
    assert "Biashara: up to KES 75,000" in body
    assert "Repay your loans on time" in body


def disclosure_pages(handset, first):
    """Every page of a disclosure shown a page at a time, turning with 98 until "Accept this loan?"."""
    pages = [fits(first)]
    while "\n98 " in pages[-1]:
        pages.append(fits(handset.send("98")))
    return pages


def test_apply_disclosure_pin_then_my_loan_schedule_and_repay(client, setup, session, providers):
    services, amina = setup
    handset = signed_in(client)
    assert "Your limit: KES 75,000" in fits(handset.send("2"))
    fits(handset.send("abc"))  # refused; Africa's Talking keeps it in the path: "...*abc*10000"
    term = fits(handset.send("10000"))
    assert "1. 3 months" in term and "2. 6 months" in term
    assert "2. My savings" in fits(handset.send("2"))
    pages = disclosure_pages(handset, handset.send("2"))  # into my savings
    text = "\n".join(pages)
    assert "Biashara: declining balance interest, 12% a year" in text
    assert "Loan KES 10,000, fee KES 100" in text and "You get KES 9,900 to your savings" in text
    assert "6 monthly payments:" in text and "KES 1,725" in text  # whole shillings, all M-Pesa carries
    assert "Total to repay KES 10,353" in text and "Cost of credit KES 453 (interest KES 353, fees KES 100)" in text
    assert "APR 15.5% a year, fees included" in text
    assert all("0 Back 00 Menu" in page for page in pages) and pages[-1].endswith("1. Yes\n2. No\n0 Back 00 Menu")
    statement = session.query(OutboundMessage).filter_by(recipient=AMINA, kind="loan_disclosure").one()
    assert "Total to repay KES 10,353" in statement.text and statement.text.count("KES 1,725") == 5  # every date
    assert "Enter your PIN to accept the loan" in fits(handset.send("1"))
    done = fits(handset.send("4821"))
    assert done.startswith("END Approved! KES 9,900 is on its way to your savings.")
    loan = session.query(Loan).filter_by(member_id=amina.id).one()
    assert loan.state == "disbursed" and loan.channel == "ussd"

    handset = signed_in(client)
    mine = fits(handset.send("3"))
    assert "Interest: declining balance, 12% a year" in mine and "Balance: KES 10,353" in mine
    assert "Next: KES 1,725" in mine and "To clear today: KES 10,000" in mine  # the payout day: no interest yet
    handset.send("0")
    schedule = fits(handset.send("4"))
    assert "KES 1,725 due" in schedule and "98" in schedule

    handset = signed_in(client)
    owe = fits(handset.send("5"))
    assert "You owe KES 10,000" in owe
    assert "more than you owe" in fits(handset.send("20000"))
    handset.send("2000")
    confirm = fits(handset.send("1"))  # from savings: one confirmation, then the PIN
    assert confirm.startswith("CON Loan repayment from my savings\nTo: My loan\nAmount: KES 2,000\nFee: KES 0\n"
                              "Total: KES 2,000\n1. Yes")
    assert "Enter your PIN" in fits(handset.send("1"))
    paid = fits(handset.send("4821"))
    assert paid == "END Paid KES 2,000. Your loan balance is KES 8,353."
    assert handset.post(handset.text) == paid  # a replayed confirmation pays once
    assert services.loans.payoff(loan) == Money(800000, "KES")  # interest paid ahead counts against it


def weekly_loan_offered(client, app, language="1"):
    """A tier-3 regular saver at the weekly product's term screen, 1,000 asked: the next '1' shows the disclosure."""
    services = loan_services(app, at=datetime.now(UTC))
    register(client, phone=AMINA, language=language)
    amina = services.members.by_phone(AMINA)
    amina.kyc_level = 3
    regular_saver(services, amina, 1000000)
    product(services, code="WEEK", interest_method="flat", frequency="weekly", terms=[8], fee_type="flat",
            fee_value="5000")
    services.session.commit()
    handset = signed_in(client)
    for value in ("2", "1000", "1"):
        handset.send(value)
    return services, amina, handset


def test_the_disclosure_in_kiswahili_fits_every_page(client, app):
    services, amina, handset = weekly_loan_offered(client, app, language="2")
    text = "\n".join(disclosure_pages(handset, handset.send("1")))  # to mobile money
    assert "Biashara: riba ya kiwango sawa, 12% kwa mwaka" in text and "Utapokea KES 950 kwenye pesa ya simu" in text
    assert "Marejesho 8 ya kila wiki:" in text and "Je, unakubali mkopo huu?" in text
    for english in ("Total", "Cost", "You get", "fees included", "payments"):
        assert english not in text


def test_refusal_ends_with_the_reason_in_swahili(client, app):
    services = loan_services(app, at=datetime.now(UTC))
    register(client, phone=AMINA, language="2")
    product(services)
    handset = signed_in(client)
    body = handset.send("2")
    assert "Weka kiasi" in body
    body = fits(handset.send("5000"))
    assert "Kikomo chako ni mara 3 ya akiba yako" in body  # no savings: why the limit is zero, in Kiswahili


def test_guarantor_sees_the_request_and_pledges(client, setup, session):
    services, amina = setup
    register(client, phone=BARAKA, name="Baraka Otieno")
    baraka = services.members.by_phone(BARAKA)
    deposit(services, baraka, 5000000)
    handset = signed_in(client)
    handset.send("2")
    asked = fits(handset.send("80000"))
    assert "Above your limit by KES 5,000" in asked
    assert "not a phone number" in handset.send("12ab")
    for value in ("0722 000 111", "1"):  # guarantor, 3 months
        handset.send(value)
    disclosure_pages(handset, handset.send("2"))  # to savings: the disclosure, read to its last page
    handset.send("1")  # accept
    assert "guarantors have been asked" in handset.send("4821")

    guarantor = signed_in(client, phone=BARAKA)
    requests = fits(guarantor.send("6"))
    assert "1. Amina Wanjiru: KES 5,000" in requests
    assert "asks you to guarantee KES 5,000" in fits(guarantor.send("1"))
    guarantor.send("1")
    guarantor.send("5000")
    assert "Lock KES 5,000 of your savings" in fits(guarantor.send("4821"))
    assert "pledge is locked" in guarantor.send("1")
    assert services.savings.balance(baraka) == Money(4500000, "KES")
    loan = session.query(Loan).filter_by(member_id=amina.id).one()
    assert loan.state == "applied" and services.loans.pledges_missing(loan) == Money(0, "KES")


def test_guarantor_phones_typed_with_the_keypads_star_on_ussd(client, setup, session):
    """Issue 16: a keypad has no comma; `*` separates the numbers, inside Africa's Talking's `*`-joined path."""
    services, _amina = setup
    for phone, name, national_id in ((BARAKA, "Baraka Otieno", "22334455"), ("+254733123456", "Chebet Kiprop",
                                                                             "33445566")):
        register(client, phone=phone, name=name, national_id=national_id)
        deposit(services, services.members.by_phone(phone), 5000000)
    handset = signed_in(client)
    handset.send("2")
    assert "separated by *" in fits(handset.send("80000"))
    after = fits(handset.send("0722000111*0733123456"))
    assert "guarantor" not in after and "phone number" not in after, after
    assert handset.send("0").startswith("CON Above your limit")  # the list was taken: back to it


def test_guarantor_phones_typed_with_spaces():
    from menus.member.loan_apply_guarantors import split_phones

    assert split_phones("0722 000 111 0733 123456", "KE") == ["+254722000111", "+254733123456"]
    assert split_phones("+254722000111", "KE") == ["+254722000111"]
    with pytest.raises(ValueError):
        split_phones("0722 000", "KE")


def test_two_group_officials_approve_on_ussd(client, setup, session):
    from app.groups.models import GroupMember

    services, amina = setup
    chair_phone, treasurer_phone = "+254733000222", "+254744000333"
    register(client, phone=chair_phone, name="Chiku Moraa")
    register(client, phone=treasurer_phone, name="Tumaini Achieng")
    chair, treasurer = services.members.by_phone(chair_phone), services.members.by_phone(treasurer_phone)
    group = services.group_memberships.create_group(chair, name="Umoja Women", contribution=Money(50000, "KES"),
                                                    frequency="monthly", meeting_day=5)
    now = services.clock.now()
    session.add_all([GroupMember(group_id=group.id, member_id=treasurer.id, role="treasurer", status="active",
                                 requested_at=now, joined_at=now),
                     GroupMember(group_id=group.id, member_id=amina.id, role="member", status="active",
                                 requested_at=now, joined_at=now)])
    session.flush()
    own = product(services, code="UMOJA", approval="group", group_id=group.id)
    loan = services.loans.apply_for(amina, own, Money(500000, "KES"), 3, idempotency_key="grp",
                                    destination="savings")
    assert loan.state == "applied"
    borrower = UssdPhone(client, AMINA)
    borrower.dial()
    borrower.send("4821")
    assert "Guarantee requests" in borrower.send("2") and "7. " not in borrower.post(borrower.text)  # not an official
    for phone, last in ((chair_phone, "One more official"), (treasurer_phone, "being paid out")):
        handset = signed_in(client, phone=phone)
        listing = fits(handset.send("7"))
        assert "1. Amina Wanjiru: KES 5,000" in listing
        assert "Approve the loan of KES 5,000 for Amina Wanjiru" in fits(handset.send("1"))
        assert last in handset.send("1")
    assert loan.state == "disbursed"


def test_schedule_shows_what_is_paid_and_left_after_partial_repayments(client, setup):
    """Issue 16 #3: after repaying 500 then 200 the first instalment is no longer shown fully due."""
    services, amina = setup
    loan = services.loans.apply_for(amina, services.loans.products(amina)[0], Money(1000000, "KES"), 6,
                                    idempotency_key="partial", destination="savings")
    for key, minor in (("r500", 50000), ("r200", 20000)):
        services.loans.repay_from_savings(loan.id, Money(minor, "KES"), idempotency_key=key, actor="member",
                                          channel="ussd")
    services.session.commit()
    schedule = fits(signed_in(client).send("4"))
    assert ": paid KES 700, KES 1,025 due" in schedule.splitlines()[1]
    assert schedule.splitlines()[2].endswith("KES 1,725 due")  # nothing paid on the second yet


def limit_pages(client):
    handset = signed_in(client)
    first = fits(handset.send("1"))
    return first + fits(handset.send("98"))


def test_limit_says_each_products_own_rule(client, app):
    """Issue 16 #9: a 2x product and a 3x product each state their own multiple, in both languages."""
    services = loan_services(app, at=datetime.now(UTC))
    register(client, phone=AMINA)
    amina = services.members.by_phone(AMINA)
    amina.kyc_level = 3
    deposit(services, amina, 1000)  # KES 10 saved: the savings multiple is what limits both products
    product(services, code="TWO", name="Mbili", savings_multiplier="2")
    product(services, code="THREE", name="Tatu", savings_multiplier="3")
    services.session.commit()
    pages = limit_pages(client)
    assert "Mbili: up to KES 20. Your limit is 2 times your savings." in pages
    assert "Tatu: up to KES 30. Your limit is 3 times your savings." in pages
    services.members.set_locale(amina, "sw")
    services.session.commit()
    pages = limit_pages(client)
    assert "Mbili: hadi KES 20. Kikomo chako ni mara 2 ya akiba yako." in pages
    assert "Tatu: hadi KES 30. Kikomo chako ni mara 3 ya akiba yako." in pages


def test_savings_that_cannot_pay_the_repayment_are_refused_where_savings_is_chosen(client, setup, session):
    """Before, a repayment from savings short of the amount was refused after the PIN and Yes, ending the session."""
    services, amina = setup
    services.loans.apply_for(amina, services.loans.products(amina)[0], Money(1000000, "KES"), 6,
                             idempotency_key="short-savings", destination="savings")
    services.session.commit()
    left = services.savings.balance(amina) - Money(100000, "KES")  # KES 1,000 stays
    services.ledger.post("drain-savings", [(services.savings.account_for(amina), left),  # a debit: out of savings
                                           (services.ledger.clearing_account("sandbox", "KES"), -left)],
                         kind="withdrawal", initiated_by="test", channel="system")
    services.session.commit()
    assert services.savings.balance(amina) == Money(100000, "KES"), services.savings.balance(amina)
    handset = signed_in(client)
    handset.send("5")  # Repay
    handset.send("2000")
    refused = fits(handset.send("1"))  # from savings
    assert refused.startswith("CON Not enough savings. You need KES 2,000, you have KES 1,000.\nPay from:"), refused
    assert "Loan repayment from mobile money" in fits(handset.send("2"))  # corrected on the same screen


def test_a_yes_before_the_disclosures_last_page_accepts_nothing(client, app):
    """The confirm's '1' worked on page 1 of the disclosure, before the member had seen the cost and APR."""
    services, amina, handset = weekly_loan_offered(client, app)
    first = handset.send("1")  # to mobile money: the disclosure's first page
    assert "98 More" in first
    refused = handset.send("1")
    assert refused.startswith("CON Read to the end first: 98 for more.") and services.loans.current(amina) is None
    pages = disclosure_pages(handset, refused)
    assert "Accept this loan?" in pages[-1]
    assert "Enter your PIN" in handset.send("1")
