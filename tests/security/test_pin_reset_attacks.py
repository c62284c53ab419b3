"""Forgotten-PIN attacks: asking is not resetting, a code works only for its own member, `#` is never a guess."""

import re

import pytest

from app.members.pin_hashing import pin_matches
from app.one_time_codes import CodeError
from tests.app.staff.staff_helpers import new_staff, typed
from tests.messaging_helpers import messages_to
from tests.money_helpers import fund_savings
from tests.ussd_helpers import UssdPhone, register

AMINA, BARAKA = "+254712345678", "+254722000111"


def test_asking_alone_changes_nothing_and_hash_is_never_counted(client, services, session):
    register(client, AMINA)
    handset = UssdPhone(client, AMINA)
    handset.dial()
    assert handset.send("#").startswith("END PIN reset requested")
    again = UssdPhone(client, AMINA)
    assert again.dial().startswith("CON Welcome to Pamoja. Enter your PIN:")  # no code screen before approval
    member = services.members.by_phone(AMINA)
    assert member.pin_failures == 0 and pin_matches("4821", member.pin_hash, services.peppers)
    assert messages_to(session, AMINA, "pin_reset") == []
    assert "1. Savings" in again.send("4821")  # a member who remembers the PIN still signs in
    assert again.send("1").startswith("CON Savings")
    fund_savings(services, services.members.by_phone(AMINA), 100_000)
    again.send("4")  # Withdraw: moving money out asks the PIN again
    again.send("500")
    again.send("1")  # the confirmation, then the PIN
    assert again.send("#").startswith("CON Enter 4 digits.")  # a money PIN screen has no escape


def test_a_code_works_only_for_the_member_it_was_sent_to(services, session):
    amina = services.members.register(phone=AMINA, name="Amina Wanjiru", national_id="12345678", locale="en",
                                      pin="4821")
    baraka = services.members.register(phone=BARAKA, name="Baraka Otieno", national_id="23456789", locale="en",
                                       pin="1357")
    support = typed(services, new_staff(services, "support"))
    for member in (amina, baraka):
        services.pin_resets.request(member, channel="ussd")
    services.pin_resets.approve_by_staff(support, AMINA, "called back")
    amina_code = re.search(r"code (\d{6})", messages_to(session, AMINA, "pin_reset")[-1].text).group(1)
    with pytest.raises(CodeError):
        services.pin_resets.redeem_code(baraka, amina_code)  # Baraka's request is not approved: nothing pending
    services.pin_resets.approve_by_staff(support, BARAKA, "called back")
    baraka_code = re.search(r"code (\d{6})", messages_to(session, BARAKA, "pin_reset")[-1].text).group(1)
    if baraka_code != amina_code:
        with pytest.raises(CodeError):
            services.pin_resets.redeem_code(baraka, amina_code)
    request_id = services.pin_resets.redeem_code(amina, amina_code)
    with pytest.raises(Exception, match="no longer open"):
        services.pin_resets.complete(baraka, request_id, "5802", channel="ussd")
    services.pin_resets.complete(amina, request_id, "5802", channel="ussd")
    with pytest.raises(Exception, match="no longer open"):
        services.pin_resets.complete(amina, request_id, "6913", channel="ussd")
    assert pin_matches("5802", amina.pin_hash, services.peppers)
