"""Every money movement has a key of its own (issue 11, item 2).

The attack: in one WhatsApp chat (session id = the phone number) every transfer
shared one idempotency key, so the second "Sent KES 100" moved nothing. Here the
second, third and tenth movement of ONE session move money on USSD (one sessionId
used again after each END), WhatsApp (one chat) and SMS (one phone), balances
checked; a replayed hop or a repeated YES still moves nothing twice.
"""

import re

import pytest

from app.ledger.models import LedgerEntry
from app.money import Money
from app.payments.errors import IdempotencyConflict
from app.payments.models import Payment
from tests.money_helpers import fund_savings, kes
from tests.sms_helpers import Handset
from tests.ussd_helpers import UssdPhone
from tests.whatsapp_helpers import Chat

AMINA, BARAKA = "+254712345678", "+254722000111"
CHECKED = (2, 3, 10)
"""The movements after which the balances are checked."""


@pytest.fixture
def members(services):
    amina = services.members.register(phone=AMINA, name="Amina Wanjiru", national_id="12345678", locale="en",
                                      pin="4821")
    baraka = services.members.register(phone=BARAKA, name="Baraka Otieno", national_id="22334455", locale="en",
                                       pin="1357")
    amina.kyc_level = baraka.kyc_level = 3  # idempotency, not the KYC tier limits, is under test
    fund_savings(services, amina, 5_000_000)
    services.session.commit()
    return amina, baraka


def times(money, count):
    return Money(money.minor * count, money.currency)


def balances(services, amina, baraka):
    return services.savings.balance(amina), services.savings.balance(baraka)


def payments(session, member, purpose):
    return session.query(Payment).filter_by(member_id=member.id, purpose=purpose).count()


class OneUssdSession:
    """One sessionId for every movement: after each END the same id dials in again."""

    def __init__(self, client):
        self.handset = UssdPhone(client, AMINA)

    def run(self, *values):
        self.handset.inputs = []
        assert self.handset.post("").startswith("CON ")
        for value in ("4821", *values[:-1]):
            assert self.handset.send(value).startswith("CON "), value
        return self.handset.send(values[-1])


class OneChat:
    def __init__(self, client):
        self.chat = Chat(client, AMINA)

    def run(self, *values):
        self.chat.send("hi")
        replies = [self.chat.send(value) for value in ("4821", *values)]
        return replies[-1]


def transfer_steps(amount):
    return "3", "1", str(amount), "0722000111", "1", "4821"


def withdraw_steps(amount):
    return "1", "4", str(amount), "1", "4821"


def deposit_steps(amount):
    return "1", "3", str(amount), "1", "4821"


@pytest.mark.parametrize("channel", [OneUssdSession, OneChat], ids=["ussd", "whatsapp"])
def test_the_second_third_and_tenth_transfer_of_one_session_move_money(client, services, members, channel,
                                                                       twilio_token):
    amina, baraka = members
    session = channel(client)
    start, fee = services.savings.balance(amina), services.savings.transfer_fee(kes(100))
    for number in range(1, 11):
        assert "Sent KES 100" in session.run(*transfer_steps(100)), number
        if number in CHECKED:
            assert balances(services, amina, baraka) == (start - times(kes(100) + fee, number), kes(100 * number))
    mine = services.session.query(LedgerEntry).filter_by(kind="transfer", initiated_by=f"member:{amina.id}")
    assert mine.count() == 10  # only her own: committed tests leave transfers of theirs


@pytest.mark.parametrize("channel", [OneUssdSession, OneChat], ids=["ussd", "whatsapp"])
def test_the_second_and_third_withdrawal_and_deposit_of_one_session_start(client, services, session, members,
                                                                          channel, twilio_token):
    amina, _baraka = members
    chat = channel(client)
    start, fee = services.savings.balance(amina), services.savings.withdrawal_fee(kes(200))
    for number in (1, 2, 3):
        assert "Withdrawal sent" in chat.run(*withdraw_steps(200))
        assert payments(session, amina, "withdrawal") == number
        assert services.savings.balance(amina) == start - times(kes(200) + fee, number)  # reserved each time
        assert "Request sent" in chat.run(*deposit_steps(300))
        assert payments(session, amina, "deposit") == number


def test_the_second_third_and_tenth_sms_transfer_move_money(app, client, session, services, members,
                                                            providers):
    amina, baraka = members
    phone = Handset(app, client, session, AMINA)
    start, fee = services.savings.balance(amina), services.savings.transfer_fee(kes(100))
    for number in range(1, 11):
        code = re.search(r"YES (\d{4})", phone.send("SEND 0722000111 100")).group(1)
        assert ": you sent KES 100 to Baraka O., fee KES 0." in phone.send(f"YES {code}"), number
        assert phone.send(f"YES {code}").startswith("No request is waiting")  # the code is used up
        if number in CHECKED:
            assert balances(services, amina, baraka) == (start - times(kes(100) + fee, number), kes(100 * number))


def test_the_second_and_third_sms_withdrawal_and_deposit_start(app, client, session, services, members,
                                                                providers):
    amina, _baraka = members
    phone = Handset(app, client, session, AMINA)
    for number in (1, 2, 3):
        code = re.search(r"YES (\d{4})", phone.send("WITHDRAW 200")).group(1)
        assert "on its way" in phone.send(f"YES {code}")
        assert payments(session, amina, "withdrawal") == number
        phone.send("SAVE 300")
        assert payments(session, amina, "deposit") == number


def test_a_payment_key_reused_for_another_movement_is_refused(services, members):
    amina, baraka = members
    payments_service = services.payments
    first = payments_service.start("k:1", amina, "collection", "deposit", kes(300), amina.phone)
    assert payments_service.start("k:1", amina, "collection", "deposit", kes(300), amina.phone) is first
    for other in [("collection", "deposit", kes(301), amina.phone, amina),
                  ("collection", "deposit", kes(300), baraka.phone, amina),
                  ("collection", "deposit", kes(300), amina.phone, baraka),
                  ("disbursement", "withdrawal", kes(300), amina.phone, amina)]:
        direction, purpose, amount, phone, member = other
        with pytest.raises(IdempotencyConflict):
            payments_service.start("k:1", member, direction, purpose, amount, phone)
    assert services.session.query(Payment).filter_by(idempotency_key="k:1").count() == 1
