"""SMS commands end to end: /sms/inbound -> RQ job -> same services as USSD -> reply through the outbox."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.agents.models import DISPUTED
from app.money import Money
from app.notifications.messages import OutboundMessage
from app.payments.models import Payment
from channels.sms_command_parser import Command, parse_command
from menus.sms_commands import SmsCommands
from tests.app.agents.agent_helpers import new_agent
from tests.messaging_helpers import messages_to, run_jobs, sent_sms
from tests.money_helpers import fund_savings, kes
from tests.sms_helpers import Handset, register

PHONE = "+254711000001"
pytestmark = pytest.mark.usefixtures("providers")


@pytest.fixture
def phone(app, client, session):
    return Handset(app, client, session, PHONE)


@pytest.fixture
def amina_sw(services):
    return register(services, locale="sw")


def test_reply_is_sent_by_sms_through_africas_talking(phone, amina, providers):
    reply = phone.send("HELP")
    assert (PHONE, reply) in sent_sms(providers)
    assert phone.last_reply().status == "accepted" and phone.last_reply().urgent


def test_inbound_answers_at_once_and_the_job_replies(phone, amina, app, session):
    phone.post("BAL")
    assert phone.replies() == []  # nothing is sent inside the request
    run_jobs(app)
    assert len(phone.replies()) == 1


def test_same_inbound_id_twice_is_answered_once(phone, amina, app):
    phone.post("BAL", message_id="ATXid_same")
    phone.post("BAL", message_id="ATXid_same")
    run_jobs(app)
    assert len(phone.replies()) == 1


@pytest.mark.parametrize("fixture, word, expected", [
    ("amina", "HELP", "Pamoja SMS: BAL, MINI"), ("amina_sw", "MSAADA", "Pamoja: SALIO, TAARIFA"),
    ("amina_sw", "help", "Pamoja: SALIO"),  # the member's language wins over the keyword's
])
def test_help_fits_one_gsm7_segment_in_each_language(request, phone, fixture, word, expected):
    request.getfixturevalue(fixture)
    assert phone.send(word).startswith(expected)
    assert (phone.last_reply().segments, phone.last_reply().encoding) == (1, "GSM-7")


@pytest.mark.parametrize("fixture, word, expected", [
    ("amina", "BAL", "Your savings balance is KES 1,500."),
    ("amina_sw", "SALIO", "Salio la akiba yako ni KES 1,500."),
])
def test_balance(request, phone, services, fixture, word, expected):
    fund_savings(services, request.getfixturevalue(fixture), 150000)
    services.session.commit()
    assert phone.send(word) == expected
    assert (phone.last_reply().encoding, phone.last_reply().segments) == ("GSM-7", 1)  # no Babel nbsp slipped in


@pytest.mark.parametrize("fixture, word, head", [("amina", "MINI", "Last movements:"),
                                                 ("amina_sw", "TAARIFA", "Miamala ya mwisho:")])
def test_mini_statement(request, phone, services, fixture, word, head):
    member = request.getfixturevalue(fixture)
    fund_savings(services, member, 150000)
    services.session.commit()
    reply = phone.send(word)
    assert reply.splitlines()[0] == head and "KES 1,500" in reply.splitlines()[1]


def test_a_statement_fits_one_part_where_it_can_and_a_longer_one_is_counted_in_parts(phone, services, amina):
    for minor in (150000, 1234567800, 2345678900, 3456789000, 4567890100, 5678901200):
        fund_savings(services, amina, minor)
    services.session.commit()
    reply = phone.send("MINI")
    assert len(reply.splitlines()) == 6  # the heading and the last five movements
    assert phone.last_reply().encoding == "GSM-7"
    assert len(reply) == 160 and phone.last_reply().segments == 1  # 5 lines like "25 Nov Deposit KES 56,789,012"
    fund_savings(services, amina, 98765432100)
    services.session.commit()
    reply = phone.send("MINI")
    assert 160 < len(reply) <= 306
    assert phone.last_reply().segments == 2  # 153 septets per part once split


def test_mini_statement_empty(phone, amina):
    assert phone.send("mini") == "No movements yet."


@pytest.mark.parametrize("fixture, word, expected", [
    ("amina", "SAVE 500", "Approve the payment of KES 500 on your phone with your mobile money PIN."),
    ("amina_sw", "WEKA 500", "Idhinisha malipo ya KES 500 kwenye simu yako kwa PIN ya pesa ya simu."),
])
def test_deposit_goes_straight_to_the_mobile_money_prompt(request, phone, session, fixture, word, expected):
    member = request.getfixturevalue(fixture)
    assert phone.send(word) == expected
    payment = session.query(Payment).filter_by(member_id=member.id).one()
    assert (payment.direction, payment.purpose, payment.amount, payment.channel) == (
        "collection", "deposit", Money(50000, "KES"), "sms")


def code_in(reply):
    return re.search(r"\b(\d{4})\b", reply).group(1)


@pytest.mark.parametrize("fixture, ask, yes, prompt, done", [
    ("amina", "WITHDRAW 500", "YES", "Reply YES ", "KES 500 is on its way to your mobile money."),
    ("amina_sw", "TOA 500", "NDIO", "Jibu NDIYO ", "KES 500 inatumwa kwenye pesa yako ya simu."),
])
def test_withdraw_needs_the_confirmation_code(request, phone, services, session, fixture, ask, yes, prompt, done):
    member = request.getfixturevalue(fixture)
    fund_savings(services, member, 150000)
    services.session.commit()
    reply = phone.send(ask)
    assert reply.startswith(prompt) and "KES 500" in reply
    assert session.query(Payment).filter_by(member_id=member.id).count() == 0  # nothing moves before YES
    assert phone.send(f"{yes} {code_in(reply)}") == done
    payment = session.query(Payment).filter_by(member_id=member.id).one()
    assert (payment.direction, payment.purpose, payment.amount) == ("disbursement", "withdrawal", Money(50000, "KES"))


def test_withdraw_more_than_the_savings_is_refused_before_a_code_is_sent(phone, amina):
    # every check of the USSD amount screen (limits, KYC tier, balance) runs before the YES code
    assert phone.send("WITHDRAW 500").startswith("Not enough savings.")


def test_send_more_than_the_savings_is_refused_before_a_code_is_sent(phone, services, amina):
    """The transfer check skipped the balance: `SEND 0711000002 60000` got a code, and only YES said no."""
    register(services, phone="+254711000002", name="Baraka Otieno")
    fund_savings(services, amina, 50000)
    services.session.commit()
    reply = phone.send("SEND 0711000002 600")
    assert reply.startswith("Not enough savings.") and "YES" not in reply


@pytest.mark.parametrize("locale, ask, yes, done, heard", [
    ("en", "SEND 0711000002 300", "YES", ": you sent KES 300 to Baraka O., fee KES 0. Savings balance: KES 1,200.",
     ": Amina W. sent you KES 300. Savings balance: KES 300."),
    ("sw", "TUMA 0711000002 300", "NDIO", ": umetuma KES 300 kwa Baraka O., ada KES 0. Salio la akiba: KES 1,200.",
     ": Amina W. sent you KES 300. Savings balance: KES 300."),
])
def test_transfer_to_another_member(phone, services, locale, ask, yes, done, heard):
    sender = register(services, locale=locale)
    receiver = register(services, phone="+254711000002", name="Baraka Otieno")
    fund_savings(services, sender, 150000)
    services.session.commit()
    reply = phone.send(ask)
    assert "Baraka O. (" in reply and "Otieno" not in reply and "KES 300" in reply
    confirmation = phone.send(f"{yes} {code_in(reply)}")
    assert confirmation.startswith("Pamoja PJ") and confirmation.endswith(done)  # the reply is the confirmation
    assert services.savings.balance(receiver) == Money(30000, "KES")
    assert messages_to(services.session, sender.phone, kind="transfer_sent") == []  # one message, not two
    [told] = messages_to(services.session, receiver.phone, kind="transfer_received")
    assert told.text.startswith("Pamoja PJ") and told.text.endswith(heard)  # in the receiver's language


def test_transfer_to_an_unregistered_number_offers_an_invitation(phone, amina):
    offer = phone.send("SEND 0799000009 300")
    assert offer.startswith("+254799000009 is not registered with Pamoja. Reply YES ")
    assert phone.send(f"YES {code_in(offer)}") == "We sent +254799000009 an invitation to join Pamoja."
    again = phone.send("SEND 0799000009 300")
    assert phone.send(f"YES {code_in(again)}") == "You already invited +254799000009 today."
    assert phone.send("SEND 12 300") == "12 is not a phone number. Enter the number like 0712345678."


@pytest.mark.parametrize("ask, reply", [
    ("SEND 100 0700000002", "Put the phone number first, then the amount, like SEND 0712345678 100."),
    ("SEND Baraka 100", "Baraka is not a phone number. Enter the number like 0712345678."),
])
def test_send_says_what_is_wrong_with_the_input(phone, amina, ask, reply):
    assert phone.send(ask) == reply


def test_send_with_the_amount_first_in_kiswahili(phone, amina_sw):
    assert phone.send("TUMA 100 0700000002") == "Anza na nambari ya simu, kisha kiasi, kama TUMA 0712345678 100."


@pytest.mark.parametrize("word", ["CONTRIBUTE", "changa"])
def test_contribute_to_a_group(phone, session, group, word):
    assert phone.send(f"{word} {group.code.lower()} 500").startswith("Approve the payment of KES 500")
    payment = session.query(Payment).filter_by(purpose="contribution").one()
    assert payment.purpose_ref == str(group.id)


def test_contribute_to_an_unknown_group(phone, amina):
    assert phone.send("CONTRIBUTE ZZ99 500") == "No group has that code. Check it and try again."


@pytest.mark.parametrize("word, expected", [("JOIN", "You asked to join Umoja Women."),
                                            ("JIUNGE", "Umeomba kujiunga na Umoja Women.")])
def test_join_a_group(app, client, session, services, group, word, expected):
    other = Handset(app, client, session, "+254711000003")
    register(services, phone=other.phone, name="Chebet Kiprop", locale="sw" if word == "JIUNGE" else "en")
    assert other.send(f"{word} {group.code}").startswith(expected)


@pytest.mark.parametrize("fixture, ask", [("amina", "LOAN 5000"), ("amina_sw", "MKOPO 5000")])
def test_loan_asks_the_loans_service_before_any_code(request, phone, fixture, ask):
    """The checks come before the code (issue 16 #4): no product, no code (tests/channels/test_sms_loan.py)."""
    from app.loans.errors import NoProduct

    member = request.getfixturevalue(fixture)
    assert phone.send(ask) == NoProduct.message.render(member.locale)


@pytest.mark.parametrize("fixture, word, expected", [("amina", "LOANBAL", "You have no loan."),
                                                     ("amina_sw", "DENI", "Huna mkopo.")])
def test_loan_balance_without_a_loan(request, phone, fixture, word, expected):
    request.getfixturevalue(fixture)
    assert phone.send(word) == expected


@pytest.mark.parametrize("word", ["REPAY 500", "LIPA 500"])
def test_repay_without_a_loan(phone, amina, word):
    assert phone.send(word) == "You have no loan to repay."


def test_language_change(phone, session, amina):
    assert phone.send("LANG SW") == "Lugha imewekwa: Kiswahili."
    assert amina.locale == "sw"
    assert phone.send("LUGHA EN") == "Language set to English."


@pytest.mark.parametrize("stop, start", [("STOP", "START"), ("SIMAMISHA", "ANZA")])
def test_stop_and_start(phone, session, amina, stop, start):
    assert phone.send(stop).startswith(("You will no longer", "Hutapokea"))
    session.refresh(amina)
    assert amina.sms_opted_out is True
    assert phone.last_reply().status == "accepted"  # the answer to STOP itself is still sent
    phone.send(start)
    session.refresh(amina)
    assert amina.sms_opted_out is False


def test_optout_notification_from_africas_talking(client, session, amina):
    response = client.post("/sms/optout?token=dev-callback-token", data={"senderId": "PAMOJA", "phoneNumber": PHONE})
    assert response.status_code == 200
    session.refresh(amina)
    assert amina.sms_opted_out is True


# -- who may text ------------------------------------------------------------------------------


@pytest.mark.parametrize("word, expected", [
    ("BAL", "Welcome to Pamoja! To join, dial *384*1# and register. Then send HELP by SMS."),
    ("SALIO", "Karibu Pamoja! Ili kujiunga, piga *384*1# ujisajili. Kisha tuma MSAADA kwa SMS."),
])
def test_unregistered_number_is_invited_to_dial(phone, word, expected):
    assert phone.send(word) == expected


def test_locked_account_gets_the_lock_message_but_may_stop(phone, services, session, amina):
    amina.pin_locked_until = services.clock.now() + timedelta(minutes=20)
    session.commit()
    assert phone.send("BAL").startswith("Your account is locked")
    assert phone.send("WITHDRAW 500").startswith("Your account is locked")
    assert phone.send("STOP").startswith("You will no longer")


# -- hostile input -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "x" * 2000, "FOO 12", "\U0001f600\U0001f4b0", "BAL\U0001f600",
                                  "'; DROP TABLE members; --", "SAVE 1 OR 1=1", "%s%s%n", "\u202eBAL"])
def test_hostile_text_gets_a_polite_answer(phone, amina, text):
    reply = phone.send(text)
    assert reply.startswith(("Sorry, we did not understand.", "Please send it like this:"))
    assert phone.last_reply().encoding == "GSM-7"


@pytest.mark.parametrize("amount, says", [
    ("abc", "Enter the amount in digits"), ("-500", "without a minus sign"), ("0", "above zero"),
    ("1.5.5", "Enter the amount in digits"), ("999999999999999", "too large"),
])
def test_bad_amounts(phone, amina, amount, says):
    reply = phone.send(f"SAVE {amount}")
    assert says in reply


def test_requests_without_the_callback_token_are_refused(client):
    response = client.post("/sms/inbound", data={"from": PHONE, "text": "BAL", "id": "x"})
    assert response.status_code == 403


@pytest.mark.parametrize("data", [{}, {"from": "not-a-number", "text": "BAL", "id": "1"},
                                  {"from": PHONE, "text": "BAL"}, {"from": PHONE, "text": "BAL", "id": "x" * 500}])
def test_malformed_inbound_is_acknowledged_and_ignored(client, app, session, amina, data):
    queues = app.extensions["queues"].values()
    queued, messages = sum(queue.count for queue in queues), session.query(OutboundMessage).count()
    assert client.post("/sms/inbound?token=dev-callback-token", data=data).status_code == 200
    assert sum(queue.count for queue in queues) == queued  # no job to answer it
    run_jobs(app)
    assert session.query(OutboundMessage).count() == messages  # no reply, nor any other message
    assert session.query(Payment).filter_by(member_id=amina.id).count() == 0  # no movement


def test_the_dispute_sms_the_receipt_advertises_is_understood_in_both_languages(services, amina):
    assert parse_command("DISPUTE ab12cd34") == Command("dispute", ("ab12cd34",), "en")
    assert parse_command("pinga AB12CD34") == Command("dispute", ("AB12CD34",), "sw")
    agent = new_agent(services, float_minor=1_000_000)
    row = services.agent_cash.cash_deposit(agent, amina, kes(500), idempotency_key="review-dispute")
    commands = SmsCommands(services, ussd_code="*384*1#")
    reply = commands.answer(amina.phone, parse_command(f"DISPUTE {row.receipt}"), "in-1")
    assert reply.text.render("en") == f"Pamoja: we received your dispute of receipt {row.receipt}. We will call you."
    assert row.status == DISPUTED
    again = commands.answer(amina.phone, parse_command(f"PINGA {row.receipt}"), "in-2")
    assert again.text.render("en") == "This receipt is already under review."


def test_an_accepted_dispute_sends_the_member_exactly_one_acknowledgement(phone, app, session, services, amina):
    agent = new_agent(services, float_minor=1_000_000)
    row = services.agent_cash.cash_deposit(agent, amina, kes(500), idempotency_key="gap-dispute")
    session.commit()
    run_jobs(app)
    reply = phone.send(f"DISPUTE {row.receipt}")
    assert reply == f"Pamoja: we received your dispute of receipt {row.receipt}. We will call you."
    texts = session.scalars(select(OutboundMessage.text).where(OutboundMessage.recipient == amina.phone)).all()
    assert sum("dispute" in text for text in texts) == 1
    assert sum("disputed receipt" in text for text in session.scalars(
        select(OutboundMessage.text).where(OutboundMessage.recipient == agent.phone))) == 1


@pytest.mark.parametrize("locale, word, expected", [
    ("en", "LOANBAL", "Next: KES 1,025 by {date} (paid KES 700 of KES 1,725)."),
    ("sw", "DENI", "Rejesho lijalo: KES 1,025 kufikia {date} (umelipa KES 700 kati ya KES 1,725)."),
])
def test_loan_balance_shows_the_next_instalment_paid_and_left(app, phone, locale, word, expected):
    """Issue 16 #3 on SMS: after repaying 500 then 200 the next instalment says what is paid and what is left."""
    from datetime import UTC, datetime

    from app.i18n import format_param
    from tests.app.loans.loan_helpers import loan_services, new_saver, product

    services = loan_services(app, at=datetime.now(UTC))
    member = new_saver(services, phone=PHONE)
    services.members.set_locale(member, locale)
    loan = services.loans.apply_for(member, product(services), kes(10000), 6, idempotency_key="partial",
                                    destination="savings")
    for key, amount in (("r500", kes(500)), ("r200", kes(200))):
        services.loans.repay_from_savings(loan.id, amount, idempotency_key=key, actor="member", channel="ussd")
    services.session.commit()
    due = format_param(services.loans.schedule(loan)[0].due_date, locale)
    assert phone.send(word).endswith(expected.format(date=due))
