"""WhatsApp conversations walk the same member tree as USSD, rendered as chat."""

import time
from datetime import timedelta

import pytest

from app.keys import menu_session_key
from app.notifications import messages as m
from tests.sms_helpers import register
from tests.whatsapp_helpers import Chat

PHONE = "+254711000001"
pytestmark = pytest.mark.usefixtures("twilio_token")


@pytest.fixture
def chat(client):
    return Chat(client, PHONE)


def log_in(chat):
    assert chat.send("hi") == "Welcome to Pamoja. Enter your PIN:\n(Forgot PIN? Reply #)"
    menu = chat.send("4821")
    assert menu.startswith("Pamoja\n1. Savings")
    return menu.split("\n\n")[0]  # the first PIN answer also says, once, to delete it from the chat


def test_a_new_number_registers_in_the_chat(chat, session):
    from app.members.models import Member

    assert chat.send("Hello").startswith("Karibu Pamoja! Welcome!\n1. English\n2. Kiswahili")
    replies = [chat.send(value) for value in ("2", "Amina Wanjiru", "12345678", "4821", "4821")]
    assert all(replies) and "1. " in replies[-1]  # the same screens as USSD, now in Kiswahili
    assert session.query(Member).filter_by(phone=PHONE).one().locale == "sw"


def test_a_member_logs_in_and_walks_the_menu(chat, amina):
    menu = log_in(chat)
    assert "6. Exit" in menu and len(menu.splitlines()) == 7  # numbered options, no USSD nav hint on the home
    savings = chat.send("1")
    assert savings != menu and "0 Back 00 Menu" in savings
    assert chat.send("0") == menu
    chat.send("1")
    assert chat.send("menu") == menu  # `menu` goes home once logged in
    assert chat.send("00") == menu


def test_option_labels_are_understood_as_free_text(chat, amina):
    log_in(chat)
    by_label = chat.send("savings")
    chat.send("00")
    assert by_label.startswith("Savings") and by_label == chat.send("1")


def test_menu_word_before_login_starts_again(chat, amina):
    chat.send("hi")
    assert chat.send("menu") == "Welcome to Pamoja. Enter your PIN:\n(Forgot PIN? Reply #)"


def test_the_24_hour_window_opens_with_each_message(chat, amina, services, session):
    assert amina.last_whatsapp_at is None
    chat.send("hi")
    session.refresh(amina)
    assert services.clock.now() - amina.last_whatsapp_at < timedelta(minutes=1)
    message = services.outbox.send_whatsapp(PHONE, "Deposit received", kind="deposit_received")
    assert message.channel == m.WHATSAPP  # inside the window: free text
    amina.last_whatsapp_at = services.clock.now() - timedelta(hours=24, minutes=1)
    message = services.outbox.send_whatsapp(PHONE, "Deposit received", kind="deposit_received")
    assert message.channel == m.SMS  # outside, with no template: by SMS


def test_session_expiry_says_so_once(app, chat, amina, monkeypatch):
    monkeypatch.setattr(app.extensions["settings"], "CHAT_SESSION_TTL", 1)
    log_in(chat)
    time.sleep(1.3)
    expected = ("Your session timed out, so we started again.\n\n"
                "Welcome to Pamoja. Enter your PIN:\n(Forgot PIN? Reply #)")
    assert chat.send("1") == expected
    assert chat.send("1234").startswith("Wrong PIN")  # the note is not repeated


def test_session_expiry_note_is_in_the_default_language_before_the_pin(app, chat, services, redis, monkeypatch):
    # Like the PIN screen it comes with, it tells nobody the member's language (issue 11, item 8).
    register(services, locale="sw")
    chat.send("hi")
    redis.delete(menu_session_key("whatsapp", PHONE))  # what the TTL does
    assert chat.send("hi") == ("Your session timed out, so we started again.\n\n"
                               "Welcome to Pamoja. Enter your PIN:\n(Forgot PIN? Reply #)")
    assert chat.send("4821").startswith("Pamoja\n1. Akiba")


def test_twilio_retry_of_the_same_message_is_not_run_twice(chat, amina):
    first = chat.send("hi", sid="SM" + "a" * 32)
    assert first.startswith("Welcome to Pamoja")
    assert chat.send("hi", sid="SM" + "a" * 32) is None  # an empty <Response/>


@pytest.mark.parametrize("body", ["", "   ", "x" * 2000, "\U0001f600", "'; DROP TABLE members; --", "<Message>"])
def test_hostile_bodies_are_answered_politely(chat, amina, body):
    log_in(chat)
    reply = chat.send(body)
    assert reply and len(reply) <= 1600
    assert "Pamoja" in reply  # still on the main menu, with an error line


def test_unreadable_sender_gets_an_empty_answer(client):
    from tests.messaging_helpers import signed_post
    from tests.whatsapp_helpers import inbound_form, twiml_text

    form = inbound_form(PHONE, "hi")
    form["From"] = "whatsapp:not-a-number"
    assert twiml_text(signed_post(client, "/whatsapp/inbound", form)) is None


def test_a_quick_reply_button_answers_with_its_payload(client, chat, amina):
    from tests.messaging_helpers import signed_post
    from tests.whatsapp_helpers import inbound_form, twiml_text

    log_in(chat)
    form = {**inbound_form(PHONE, "Akiba"), "ButtonText": "Akiba", "ButtonPayload": "1"}
    assert twiml_text(signed_post(client, "/whatsapp/inbound", form)).startswith("Savings\n1. Balance")


# -- words anywhere, and the channel's own words ------------------------------------------------------


@pytest.mark.parametrize("back, home", [("back", "home"), ("Rudi", "MWANZO")])
def test_back_and_home_words_work_anywhere(chat, amina, back, home):
    menu = log_in(chat)
    savings = chat.send("1")
    chat.send("4")  # Withdraw amount
    assert chat.send(back) == savings
    chat.send("4")
    assert chat.send(home) == menu


@pytest.mark.parametrize("word", ["balance", "Salio"])
def test_balance_word_shows_the_balance_from_any_screen(chat, amina, word):
    log_in(chat)
    chat.send("3")  # Payments
    body = chat.send(word)
    assert body.startswith("My savings\nAvailable: KES") and "0 Back 00 Menu" in body


def test_balance_word_before_login_asks_the_pin_first(chat, amina):
    chat.send("hi")
    assert "Available" not in chat.send("balance")


@pytest.mark.parametrize("word", ["exit", "ondoka"])
def test_exit_word_ends_the_chat(chat, amina, word):
    log_in(chat)
    chat.send("1")
    assert chat.send(word) == "Thank you for using Pamoja."
    assert chat.send("hi") == "Welcome to Pamoja. Enter your PIN:\n(Forgot PIN? Reply #)"


def test_whatsapp_never_says_dial_again(chat, amina):
    log_in(chat)
    chat.send("1")
    for typed in ("x", "y"):
        chat.send(typed)
    ended = chat.send("z")
    assert ended == "Too many invalid entries. Send MENU to start again." and "dial" not in ended.casefold()


def test_schedule_on_whatsapp_shows_what_is_paid_and_left(app, chat, amina):
    """Issue 16 #3 on WhatsApp: after repaying 500 then 200, the first instalment shows paid and left."""
    from datetime import UTC, datetime

    from app.money import Money
    from tests.app.loans.loan_helpers import loan_services, product, regular_saver

    services = loan_services(app, at=datetime.now(UTC))
    member = services.members.by_phone(PHONE)
    regular_saver(services, member, 1000000)
    loan = services.loans.apply_for(member, product(services), Money(1000000, "KES"), 6, idempotency_key="wa",
                                    destination="savings")
    for key, minor in (("r500", 50000), ("r200", 20000)):
        services.loans.repay_from_savings(loan.id, Money(minor, "KES"), idempotency_key=key, actor="member",
                                          channel="whatsapp")
    services.session.commit()
    log_in(chat)
    chat.send("2")  # Loans
    schedule = chat.send("4")
    assert ": paid KES 700, KES 1,025 due" in schedule


def test_loan_disclosure_on_whatsapp_is_one_message_and_the_statement_goes_by_sms(app, chat, amina, session):
    """Issue 16 #5 on WhatsApp: before accepting, the whole disclosure in the chat, the statement by SMS."""
    from datetime import UTC, datetime

    from app.loans.models import Loan
    from tests.app.loans.loan_helpers import loan_services, product, regular_saver

    services = loan_services(app, at=datetime.now(UTC))
    regular_saver(services, services.members.by_phone(PHONE), 1000000)
    product(services)
    services.session.commit()
    log_in(chat)
    for value in ("2", "2", "10000", "2"):  # Loans, Apply, amount, 6 months
        chat.send(value)
    disclosure = chat.send("2")  # to my savings
    for line in ("Biashara: declining balance interest, 12% a year", "You get KES 9,900 to your savings",
                 "Total to repay KES 10,353", "Cost of credit KES 453", "APR 15.5% a year, fees included",
                 "6 monthly payments:", "Accept this loan?\n1. Yes\n2. No"):
        assert line in disclosure
    assert disclosure.count("KES 1,725") == 5 and "98" not in disclosure  # whole, not paged
    assert session.query(m.OutboundMessage).filter_by(recipient=PHONE, kind="loan_disclosure", channel=m.SMS).one()
    chat.send("1")
    assert "Approved!" in chat.send("4821")
    assert session.query(Loan).filter_by(member_id=amina.id).one().channel == "whatsapp"
