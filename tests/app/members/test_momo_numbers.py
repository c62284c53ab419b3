"""A member's own mobile-money number: set with a code sent to it, payouts held, the SIM told, removable."""

import re
from datetime import UTC, datetime

import pytest

from app.audit.models import AuditEvent
from app.members.models import MomoNumber
from app.members.momo_numbers import MomoNumberError, PayoutOnHold
from app.money import Money
from app.one_time_codes import CodeExpired, NothingPending, WrongCode
from tests.clock_helpers import app_clock
from tests.fakes import FakeProvider
from tests.messaging_helpers import messages_to
from tests.money_helpers import fund_savings
from tests.ussd_helpers import UssdPhone

SIM, WALLET = "+254712345678", "+254733000222"
"""The SIM is Safaricom (sandbox here); the wallet number is an Airtel range, routed to the fake."""

clock = app_clock(datetime(2025, 3, 3, 7, 0, tzinfo=UTC))


@pytest.fixture(autouse=True)
def _clock_first(clock):
    """The fixed clock is installed before `services` is built."""


@pytest.fixture
def amina(app, clock, monkeypatch, services, session):
    monkeypatch.setitem(app.extensions["settings"].PAYMENT_PROVIDERS, "KE:airtel", "fake")
    services.providers.install(FakeProvider())
    member = services.members.register(phone=SIM, name="Amina Wanjiru", national_id="12345678", locale="en",
                                       pin="4821")
    fund_savings(services, member, 500_000)
    session.commit()
    return member


def sent_code(session, phone=WALLET):
    found = re.search(r"code (\d{6})", messages_to(session, phone, "member_access")[-1].text)
    assert found
    return found.group(1)


def set_wallet(services, session, member, network=None):
    services.momo_numbers.request(member, WALLET, network, channel="ussd")
    services.momo_numbers.confirm(member, sent_code(session), channel="ussd")
    session.commit()


def actions(session, member):
    return [event.action for event in session.query(AuditEvent).filter_by(subject_type="member",
                                                                        subject_id=str(member.id))
            .filter(AuditEvent.action.like("members.momo_number%")).order_by(AuditEvent.id)]


def test_collections_go_to_the_members_own_number_through_its_networks_provider(services, session, amina):
    set_wallet(services, session, amina)
    payment = services.savings.deposit(amina, Money(300_00, "KES"), "d:1", channel="ussd")
    assert (payment.phone, payment.provider) == (WALLET, "fake")
    assert services.savings.deposit(amina, Money(300_00, "KES"), "d:1", channel="ussd").id == payment.id  # replay
    assert actions(session, amina) == ["members.momo_number.request", "members.momo_number.set"]
    set_event = session.query(AuditEvent).filter_by(action="members.momo_number.set").one()
    assert set_event.actor_kind == "member" and set_event.reason


def test_nothing_changes_without_the_code(services, session, amina):
    services.momo_numbers.request(amina, WALLET, channel="ussd")
    session.commit()
    assert services.momo_numbers.current(amina) is None
    assert services.savings.deposit(amina, Money(300_00, "KES"), "d:2", channel="ussd").phone == SIM
    assert "Type it in the Pamoja menu" in messages_to(session, WALLET, "member_access")[-1].text


def test_a_wrong_or_expired_code_sets_nothing(services, session, amina, clock):
    services.momo_numbers.request(amina, WALLET, channel="ussd")
    code = sent_code(session)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(WrongCode):
        services.momo_numbers.confirm(amina, wrong, channel="ussd")
    clock.advance(minutes=11)
    with pytest.raises(CodeExpired):
        services.momo_numbers.confirm(amina, code, channel="ussd")
    with pytest.raises(NothingPending):
        services.momo_numbers.confirm(amina, code, channel="ussd")
    assert session.get(MomoNumber, amina.id) is None


def test_payouts_to_a_new_number_are_held_then_allowed(services, session, amina, clock):
    set_wallet(services, session, amina)
    with pytest.raises(PayoutOnHold) as held:
        services.savings.withdraw(amina, Money(100_00, "KES"), "w:1", channel="ussd")
    assert "start on 4 Mar 10:00" in held.value.message.render("en")
    session.rollback()
    clock.advance(hours=23, minutes=59)
    with pytest.raises(PayoutOnHold):
        services.savings.withdraw(amina, Money(100_00, "KES"), "w:1", channel="ussd")
    session.rollback()
    clock.advance(minutes=1)
    payment = services.savings.withdraw(amina, Money(100_00, "KES"), "w:1", channel="ussd")
    assert (payment.phone, payment.provider) == (WALLET, "fake")
    assert services.savings.withdraw(amina, Money(100_00, "KES"), "w:1", channel="ussd").id == payment.id


def test_only_another_network_for_the_sims_own_number_is_not_held(services, session, amina):
    services.momo_numbers.request(amina, SIM, "airtel", channel="ussd")
    services.momo_numbers.confirm(amina, sent_code(session, SIM), channel="ussd")
    payment = services.savings.withdraw(amina, Money(100_00, "KES"), "w:2", channel="ussd")
    assert (payment.phone, payment.provider) == (SIM, "fake")
    assert "now goes through Airtel" in messages_to(session, SIM, "member_access")[-1].text


def test_the_sims_number_is_told(services, session, amina):
    set_wallet(services, session, amina)
    told = messages_to(session, SIM, "member_access")[-1].text
    assert "number ending 222" in told and "after 24 hours" in told and "0800 720 000" in told


def test_removal_goes_back_to_the_sim_at_once(services, session, amina):
    set_wallet(services, session, amina)
    assert services.momo_numbers.remove(amina, channel="ussd") is True
    session.commit()
    assert services.momo_numbers.remove(amina, channel="ussd") is False
    payment = services.savings.withdraw(amina, Money(100_00, "KES"), "w:3", channel="ussd")
    assert (payment.phone, payment.provider) == (SIM, "sandbox")
    assert "goes to this number again" in messages_to(session, SIM, "member_access")[-1].text
    assert actions(session, amina)[-1] == "members.momo_number.remove"


def test_a_refund_goes_back_to_the_wallet_that_paid(services, session, amina):
    payment = services.payments.start("d:sim", amina, "collection", "deposit", Money(300_00, "KES"), SIM,
                                      provider="sandbox")
    set_wallet(services, session, amina)
    assert payment.phone == SIM  # a named provider is never re-routed (refunds name the original's)


def test_the_sims_own_number_without_another_network_is_refused(services, amina):
    with pytest.raises(MomoNumberError):
        services.momo_numbers.request(amina, SIM, channel="ussd")


def test_ussd_set_and_remove_in_both_languages(client, services, session, amina):
    phone = UssdPhone(client, SIM)
    phone.dial()
    phone.send("4821")
    assert "4. Mobile money number" in phone.send("5")
    body = phone.send("4")
    assert body.startswith("CON Your mobile money number is this phone's number.")
    assert "2. " not in body.split("Mobile money number")[1]
    assert phone.send("1").startswith("CON Enter the number your mobile money is on:")
    assert phone.send("0733000222").startswith("CON We sent a code by SMS")
    assert phone.send(sent_code(session)).startswith("END Done. Your mobile money now uses that number. Payouts")
    phone.dial()
    phone.send("4821")
    phone.send("5")
    assert phone.send("4").startswith("CON Your mobile money number: +2547****0222\nMobile money number\n1. Use")
    assert phone.send("2").startswith("CON Send your mobile money to this phone's number again?")
    assert phone.send("1").startswith("END Done.")
    session.expire_all()
    assert services.momo_numbers.current(amina) is None

    services.members.set_locale(amina, "sw")
    session.commit()
    phone.dial()
    phone.send("4821")
    phone.send("5")
    assert phone.send("4").startswith("CON Nambari yako ya pesa ya simu ni nambari ya simu hii.")


def test_every_screen_fits_160_characters(client, services, session, amina):
    phone = UssdPhone(client, SIM)
    phone.dial()
    phone.send("4821")
    phone.send("5")
    bodies = [phone.send("4"), phone.send("1"), phone.send("0733000222"), phone.send(sent_code(session))]
    assert all(len(body) - 4 <= 160 for body in bodies), [len(body) for body in bodies]
