"""Savings and payments screens through /ussd, with real ledger, payments and sessions."""

from app.money import Money
from app.payments.models import Payment
from tests.messaging_helpers import messages_to
from tests.money_helpers import fund_savings
from tests.ussd_helpers import UssdPhone, register

AMINA, BARAKA = "+254712345678", "+254722000111"
STRANGER = "+254799000321"


def signed_in(client, phone=AMINA, pin="4821"):
    handset = UssdPhone(client, phone)
    handset.dial()
    handset.send(pin)
    return handset


def test_balance_and_statement_need_no_second_pin(client, services):
    register(client, phone=AMINA)
    fund_savings(services, services.members.by_phone(AMINA), 150_000)
    handset = signed_in(client)
    handset.send("1")
    balance = handset.send("1")  # the PIN given at login is enough for looking
    assert "Available: KES 1,500" in balance and "PIN" not in balance
    assert "1. Balance" in handset.send("0")
    assert "1. Savings" in handset.send("00")
    handset.send("1")
    statement = handset.send("2")
    assert "Deposit" in statement and "KES 1,500" in statement and "PIN" not in statement


def test_moving_money_out_still_asks_the_pin(client, services):
    register(client, phone=AMINA)
    fund_savings(services, services.members.by_phone(AMINA), 150_000)
    handset = signed_in(client)
    handset.send("1")
    handset.send("4")
    handset.send("500")
    assert handset.send("1").startswith("CON Enter your PIN")


def test_deposit_confirms_then_asks_the_pin_and_starts_one_collection_even_when_replayed(client, services):
    register(client, phone=AMINA)
    handset = signed_in(client)
    handset.send("1")
    handset.send("3")
    confirm = handset.send("1,500")
    assert confirm == ("CON Deposit from mobile money +254712345678\nTo: My savings\nAmount: KES 1,500\n"
                       "Fee: KES 0\nTotal: KES 1,500\n1. Yes\n2. No\n0 Back 00 Menu")
    assert handset.send("1").startswith("CON Enter your PIN to confirm")
    done = handset.send("4821")
    assert done.startswith("END ") and "PIN" in done
    assert handset.post(handset.text) == done
    member = services.members.by_phone(AMINA)
    payments = services.session.query(Payment).filter_by(member_id=member.id).all()
    assert len(payments) == 1 and payments[0].purpose == "deposit" and payments[0].amount_minor == 150_000


def test_deposit_amount_mistakes_reprompt(client):
    register(client, phone=AMINA)
    handset = signed_in(client)
    handset.send("1")
    handset.send("3")
    for typed, message in [("abc", "digits"), ("-5", "minus"), ("😀", "digits"), ("1.234", "decimals"),
                           ("9" * 20, "too large"), ("5", "smallest"), ("", "Please enter")]:
        body = handset.send(typed)
        assert body.startswith("CON ") and message in body, (typed, body)
        assert "Savings" in handset.send("0")  # back resets the error count
        handset.send("3")
    handset.send("x")
    handset.send("y")
    assert handset.send("z") == "END Too many invalid entries. Please dial again."


def test_withdraw_shows_fee_needs_pin_and_never_overdraws(client, services):
    register(client, phone=AMINA)
    member = services.members.by_phone(AMINA)
    fund_savings(services, member, 100_000)
    handset = signed_in(client)
    handset.send("1")
    handset.send("4")
    refused = handset.send("1000")
    assert refused.startswith("CON ") and "Not enough savings" in refused
    confirm = handset.send("500")  # one confirmation, before the PIN
    assert "To: Amina Wanjiru +254712345678" in confirm and "Amount: KES 500" in confirm
    assert "Fee:" in confirm and "Total:" in confirm and "1. Yes" in confirm
    assert handset.send("1").startswith("CON Enter your PIN")
    assert "0000" not in handset.send("0000")
    done = handset.send("4821")
    assert done.startswith("END ")
    assert services.savings.balance(member) < Money(50_000, "KES")


def test_send_money_asks_amount_then_recipient_then_one_confirmation_then_the_pin(client, services):
    register(client, phone=AMINA)
    register(client, phone=BARAKA, name="Baraka Otieno", national_id="22334455")
    amina = services.members.by_phone(AMINA)
    fund_savings(services, amina, 200_000)
    handset = signed_in(client)
    handset.send("3")
    assert "Amount to send" in handset.send("1")
    assert "Recipient phone number" in handset.send("500")
    assert "not registered" in handset.send("0799999999")
    assert "Recipient phone number" in handset.send("2")  # 2. Try another number
    confirm = handset.send("0722000111")
    assert confirm.startswith("CON Send money\nTo: Baraka O. +2547****0111\nAmount: KES 500\nFee: ")
    assert "Total: " in confirm and "Otieno" not in confirm
    assert handset.send("1").startswith("CON Enter your PIN")
    done = handset.send("4821")
    assert done.startswith("END ") and "Baraka" in done
    baraka = services.members.by_phone(BARAKA)
    assert services.savings.balance(baraka) == Money(50_000, "KES")
    history = signed_in(client)
    history.send("3")
    assert "Sent to Baraka O." in history.send("2")


def test_send_money_beyond_the_balance_is_refused_at_the_amount_screen(client, services):
    """Before, the amount screen skipped the balance: the member confirmed, gave the PIN, then lost the session."""
    register(client, phone=AMINA)
    register(client, phone=BARAKA, name="Baraka Otieno", national_id="22334455")
    fund_savings(services, services.members.by_phone(AMINA), 50_000)
    handset = signed_in(client)
    handset.send("3")
    handset.send("1")
    refused = handset.send("600")
    assert refused.startswith("CON Not enough savings") and "Amount to send" in refused
    assert "Recipient phone number" in handset.send("400")  # corrected on the same screen


def start_sending(client, services, amount="100"):
    fund_savings(services, services.members.by_phone(AMINA), 50_000)
    handset = signed_in(client)
    handset.send("3")
    handset.send("1")
    handset.send(amount)
    return handset


def test_send_money_to_a_short_number_says_it_is_no_phone_number(client, services):
    register(client, phone=AMINA)
    handset = start_sending(client, services)
    body = handset.send("12345")
    assert body.startswith("CON 12345 is not a phone number. Enter the number like 0712345678.\n")
    assert "not registered" not in body


def test_cannot_send_to_self(client, services):
    register(client, phone=AMINA)
    handset = start_sending(client, services)
    assert "yourself" in handset.send("0712345678")


def test_member_invites_an_unregistered_number_once_a_day(client, services):
    register(client, phone=AMINA)
    fund_savings(services, services.members.by_phone(AMINA), 50_000)
    handset = UssdPhone(client, AMINA)
    screens = [handset.dial(), handset.send("4821"), handset.send("3"), handset.send("1"), handset.send("100")]
    offer = handset.send("0799 000 321")
    screens.append(offer)
    assert "+254799000321 is not registered with Pamoja.\n1. Invite them by SMS\n2. Try another number" in offer
    done = handset.send("1")
    assert done == "END We sent +254799000321 an invitation to join Pamoja."
    [sent] = messages_to(services.session, STRANGER, kind="invitation")
    assert sent.text == "Amina Wanjiru invites you to Pamoja. Dial *384*1# to save and get paid."
    assert not sent.urgent
    again = signed_in(client)
    for value in ("3", "1", "100", "0799000321"):
        again.send(value)
    assert again.send("1") == "END You already invited +254799000321 today."
    assert len(messages_to(services.session, STRANGER, kind="invitation")) == 1
    assert all(len(screen) - 4 <= 160 for screen in screens)


def test_the_one_confirmation_in_kiswahili_fits_and_keeps_its_navigation(client, services):
    register(client, phone=AMINA, language="2")
    register(client, phone=BARAKA, name="Baraka Otieno", national_id="22334455")
    fund_savings(services, services.members.by_phone(AMINA), 2_000_000)
    handset = signed_in(client)
    for value in ("3", "1", "12500"):
        handset.send(value)
    confirm = handset.send("0722000111")
    assert confirm.startswith("CON Tuma pesa\nKwa: Baraka O. +2547****0111\nKiasi: KES 12,500\nAda: KES ")
    assert "Jumla: KES 12," in confirm and "1. Ndiyo\n2. Hapana\n0 Rudi 00 Menyu" in confirm
    assert len(confirm) - 4 <= 160
    assert handset.send("1").startswith("CON Weka PIN yako kuthibitisha:")
    withdraw = signed_in(client)
    for value in ("1", "4"):
        withdraw.send(value)
    confirm = withdraw.send("12500")
    assert confirm.startswith("CON Toa pesa kwenda pesa ya simu\nKwa: Amina Wanjiru +254712345678\nKiasi: KES 12,500")
    assert "0 Rudi 00 Menyu" in confirm and len(confirm) - 4 <= 160
