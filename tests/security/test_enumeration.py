"""Nothing about a number leaks before its PIN; Send money is not a directory (issue 11, item 8).

The attack: dialling with any number showed its registration, full name and
language at once (1,000 look-ups in 3.4 s), and Send money named any member in full.
A registered and an unregistered number still differ (PIN screen or registration),
but no name and no language show before the PIN, a recipient is shown as "Jane W.",
and each member may look up RECIPIENT_LOOKUPS_PER_HOUR numbers an hour.
"""

import re

import pytest

from tests.money_helpers import fund_savings
from tests.sms_helpers import Handset
from tests.ussd_helpers import UssdPhone
from tests.whatsapp_helpers import Chat

AMINA, BARAKA, JUMA = "+254712345678", "+254722000111", "+254733000222"
PIN_SCREEN = "CON Welcome to Pamoja. Enter your PIN:\n(Forgot PIN? Reply #)"


def member(services, phone, name, locale="en", pin="4821", **extra):
    registered = services.members.register(phone=phone, name=name, national_id="12345678", locale=locale, pin=pin,
                                           **extra)
    services.session.commit()
    return registered


@pytest.fixture
def amina(services):
    amina = member(services, AMINA, "Amina Wanjiru", locale="sw")
    fund_savings(services, amina, 1_000_000)
    services.session.commit()
    return amina


@pytest.fixture
def baraka(services):
    return member(services, BARAKA, "Baraka Otieno Ochieng", pin="1357")


def test_the_first_reply_shows_no_name_and_no_language(client, services, amina, baraka):
    # Amina reads Kiswahili, Baraka English: before the PIN both see the same screen.
    assert UssdPhone(client, AMINA).dial() == PIN_SCREEN
    assert UssdPhone(client, BARAKA).dial() == PIN_SCREEN
    handset = UssdPhone(client, AMINA)
    handset.dial()
    assert handset.send("1111") == "CON Wrong PIN. 2 tries left.\n" + PIN_SCREEN[4:]
    assert handset.send("4821").startswith("CON Pamoja\n1. Akiba")  # her language once the PIN is right


def test_a_member_without_a_pin_is_not_named(client, services):
    member(services, JUMA, "Juma Hassan", pin=None, agent_id=7)
    body = UssdPhone(client, JUMA).dial()
    assert body == "CON Welcome to Pamoja. Choose a 4-digit PIN:"


def test_a_locked_member_is_not_named_nor_shown_in_their_language(client, services, amina):
    handset = UssdPhone(client, AMINA)
    handset.dial()
    for pin in ("1111", "2222", "3333"):
        body = handset.send(pin)
    assert body.startswith("END ") and "Amina" not in body
    again = UssdPhone(client, AMINA).dial()
    assert again.startswith("CON ") and "Amina" not in again and "Akaunti" not in again and "PIN" in again
    assert again.endswith("1. Forgot PIN\n2. Exit")


def test_whatsapp_greets_without_a_name(client, services, amina, twilio_token):
    assert Chat(client, AMINA).send("hi") == PIN_SCREEN[4:]


def test_send_money_names_the_recipient_by_first_name_and_initial(client, services, amina, baraka):
    handset = UssdPhone(client, AMINA)
    handset.dial()
    for value in ("4821", "3", "1", "100"):
        handset.send(value)
    confirm = handset.send("0722000111")
    assert "Baraka O." in confirm and "Otieno" not in confirm and "Ochieng" not in confirm
    handset.send("1")
    done = handset.send("4821")
    assert done.startswith("END ") and "Baraka O." in done and "Ochieng" not in done


def lookups(handset, numbers):
    handset.dial()
    for value in ("4821", "3", "1", "100"):
        handset.send(value)
    replies = []
    for number in numbers:
        reply = handset.send(number)
        replies.append(reply)
        if reply.startswith("END "):
            break
        handset.send("2" if "not registered" in reply or "haijasajiliwa" in reply else "0")  # try another
    return replies


def test_recipient_lookups_are_limited_per_member_on_ussd(app, client, services, amina, baraka, monkeypatch):
    monkeypatch.setattr(app.extensions["settings"], "RECIPIENT_LOOKUPS_PER_HOUR", 3)
    handset = UssdPhone(client, AMINA)
    replies = lookups(handset, ["0722000111", "0799000001", "0799000002", "0799000003"])
    assert len(replies) == 4 and all(reply.startswith("CON ") for reply in replies[:3])
    assert replies[3] == "END Umeangalia nambari nyingi mno saa hii. Tafadhali jaribu tena baadaye."
    # A new session does not reset the count; another member has their own.
    assert lookups(UssdPhone(client, AMINA), ["0722000111"])[0].startswith("END Umeangalia nambari nyingi")
    other = UssdPhone(client, BARAKA)
    other.dial()
    fund_savings(services, baraka, 10_000)
    for value in ("1357", "3", "1", "100"):
        other.send(value)
    assert "Amina W." in other.send("0712345678")


def test_recipient_lookups_are_limited_per_member_by_sms(app, client, session, services, amina, baraka,
                                                         monkeypatch, providers):
    monkeypatch.setattr(app.extensions["settings"], "RECIPIENT_LOOKUPS_PER_HOUR", 2)
    phone = Handset(app, client, session, AMINA)
    first = phone.send("TUMA 0722000111 100")
    assert "Baraka O." in first and "Ochieng" not in first
    code = re.search(r"NDIYO (\d{4})", first).group(1)
    assert ": umetuma KES 100 kwa Baraka O., ada KES 0." in phone.send(f"NDIO {code}")
    assert "+254799000001 haijasajiliwa" in phone.send("TUMA 0799000001 100")  # the invitation: 2nd look-up
    assert phone.send("TUMA 0722000111 100") == ("Umeangalia nambari nyingi mno saa hii. "
                                                 "Tafadhali jaribu tena baadaye.")
