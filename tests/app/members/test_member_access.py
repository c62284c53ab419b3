"""Staff actions on a member's access: block / unblock on every channel, and a verified phone change."""

import re

import pytest

from app.audit.models import AuditEvent
from app.members.cli import block_command, change_phone_command, unblock_command
from app.members.errors import AccountBlocked
from app.money import Money
from app.staff.errors import PermissionDenied
from tests.app.staff.staff_helpers import new_staff, typed
from tests.fakes import FakeProvider
from tests.messaging_helpers import messages_to
from tests.money_helpers import fund_savings
from tests.sms_helpers import Handset
from tests.ussd_helpers import UssdPhone
from tests.whatsapp_helpers import Chat

PHONE, OTHER, NEW = "+254712345678", "+254722000111", "+254733000222"
BLOCKED = "Your account is blocked. Call 0800 720 000."


@pytest.fixture
def amina(services, session):
    member = services.members.register(phone=PHONE, name="Amina Wanjiru", national_id="12345678", locale="en",
                                       pin="4821")
    fund_savings(services, member, 500_000)
    session.commit()
    return member


@pytest.fixture
def support(services, session):
    staff = new_staff(services, "support")
    session.commit()
    return staff


def actions(session, member):
    return [event.action for event in session.query(AuditEvent).filter_by(subject_type="member",
                                                                        subject_id=str(member.id))
            .order_by(AuditEvent.id)]


def test_block_refuses_every_channel_and_every_outflow_until_unblocked(app, client, session, services, amina,
                                                                       support, twilio_token):
    baraka = services.members.register(phone=OTHER, name="Baraka Otieno", national_id="23456789", locale="en",
                                       pin="1357")
    fund_savings(services, baraka, 100_000)
    signed_in = UssdPhone(client, PHONE)
    signed_in.dial()
    assert "1. Savings" in signed_in.send("4821")
    runner = app.test_cli_runner()
    officer = new_staff(services, "loan_officer")
    session.commit()
    refused = runner.invoke(block_command, [PHONE, "--staff", officer.username, "--reason", "fraud"])
    assert refused.exit_code == 1 and "may not members.block" in refused.output
    assert runner.invoke(block_command, [PHONE, "--staff", support.username, "--reason", ""]).exit_code == 1
    blocked = runner.invoke(block_command, ["0712345678", "--staff", support.username, "--reason", "lost phone"])
    assert blocked.exit_code == 0, blocked.output
    again = runner.invoke(block_command, [PHONE, "--staff", support.username, "--reason", "lost phone"])
    assert again.exit_code == 1 and "already blocked" in again.output
    assert messages_to(session, PHONE, "member_access")[-1].text.startswith("Pamoja: your account is blocked")

    # a session already signed in ends at its next hop that reads the member (static menus cost no query)
    assert signed_in.send("1").startswith("CON Savings")
    assert signed_in.send("1") == "END " + BLOCKED  # the balance reads the member: no second PIN needed
    assert UssdPhone(client, PHONE).dial() == "END " + BLOCKED
    assert Handset(app, client, session, PHONE).send("BAL") == BLOCKED
    assert Handset(app, client, session, PHONE).send("RESET PIN") == BLOCKED
    assert Chat(client, PHONE).send("hi") == BLOCKED

    session.expire_all()
    member = services.members.by_phone(PHONE)
    with pytest.raises(AccountBlocked):
        services.savings.withdraw(member, Money(1000_00, "KES"), "w:blocked", channel="ussd")
    with pytest.raises(AccountBlocked):
        services.savings.deposit(member, Money(1000_00, "KES"), "d:blocked", channel="ussd")
    with pytest.raises(AccountBlocked):
        services.savings.transfer(member, OTHER, Money(100_00, "KES"), "t:blocked", channel="ussd")
    with pytest.raises(AccountBlocked):
        services.loans.check_member(member)
    # a transfer TO a blocked member is not refused: money coming in is never lost
    assert services.savings.transfer(services.members.by_phone(OTHER), PHONE, Money(100_00, "KES"), "t:in",
                                     channel="ussd") is not None

    unblocked = runner.invoke(unblock_command, [PHONE, "--staff", support.username, "--reason", "phone found"])
    assert unblocked.exit_code == 0, unblocked.output
    twice = runner.invoke(unblock_command, [PHONE, "--staff", support.username, "--reason", "again"])
    assert twice.exit_code == 1 and "not blocked" in twice.output
    phone = UssdPhone(client, PHONE)
    phone.dial()
    assert "1. Savings" in phone.send("4821")
    assert actions(session, member) == ["members.block", "members.unblock"]
    reasons = [event.reason for event in session.query(AuditEvent).filter_by(subject_id=str(member.id))]
    assert reasons == ["lost phone", "phone found"]


def test_money_coming_in_for_a_blocked_member_is_still_credited(services, session, amina, support):
    services.providers.install(FakeProvider())
    payment = services.payments.start("deposit:blocked:1", amina, "collection", "deposit", Money(300_00, "KES"),
                                      PHONE, provider="fake")
    services.member_access.block(typed(services, support), PHONE, "fraud report")
    account = services.ledger.account("member", amina.id, "member_savings", "KES")
    before = services.ledger.balance(account)
    services.payments.send(payment.id, checkpoint=session.flush)
    services.payments.apply_callback("fake", {"status": "succeeded", "ref": f"FK-{payment.reference}",
                                              "amount": payment.amount_minor, "phone": PHONE, "receipt": "R1"})
    assert services.ledger.balance(account) == before + Money(300_00, "KES")


def test_blocking_cancels_an_open_pin_reset(services, session, amina, support):
    services.pin_resets.request(amina, channel="ussd")
    services.member_access.block(typed(services, support), PHONE, "fraud report")
    assert services.pin_resets.open_request(amina) is None
    with pytest.raises(AccountBlocked):
        services.pin_resets.request(amina, channel="ussd")


def phone_code(session, phone):
    found = re.search(r"code (\d{6})", messages_to(session, phone, "member_access")[-1].text)
    assert found
    return found.group(1)


def test_phone_change_needs_the_code_sent_to_the_new_number(app, client, session, services, amina, support):
    old_session = UssdPhone(client, PHONE)
    old_session.dial()
    old_session.send("4821")
    runner = app.test_cli_runner()
    compliance = new_staff(services, "compliance")
    session.commit()
    refused = runner.invoke(change_phone_command, [PHONE, NEW, "--staff", compliance.username, "--reason", "sim"])
    assert refused.exit_code == 1 and "may not members.phone_change" in refused.output
    no_reason = runner.invoke(change_phone_command, [PHONE, NEW, "--staff", support.username])
    assert no_reason.exit_code == 1 and "give a reason" in no_reason.output
    started = runner.invoke(change_phone_command, [PHONE, "0733000222", "--staff", support.username, "--reason",
                                                   "SIM replaced after theft, ID sighted at branch"])
    assert started.exit_code == 0, started.output
    code = phone_code(session, NEW)
    assert code not in started.output
    session.expire_all()
    assert services.members.by_phone(PHONE) is not None  # nothing moves before the code
    wrong = runner.invoke(change_phone_command, [PHONE, NEW, "--code", "000000" if code != "000000" else "111111",
                                                 "--staff", support.username])
    assert wrong.exit_code == 1 and "Wrong code" in wrong.output
    done = runner.invoke(change_phone_command, [PHONE, NEW, "--code", code, "--staff", support.username])
    assert done.exit_code == 0, done.output
    session.expire_all()
    member = services.members.get(amina.id)
    assert member.phone == NEW and member.phone_changed_at is not None
    assert services.members.by_phone(PHONE) is None
    assert "new number ending 222" in messages_to(session, PHONE, "member_access")[-1].text
    assert "now uses this number" in messages_to(session, NEW, "member_access")[-1].text
    old_session.send("1")
    assert old_session.send("1") == "END This session has ended. Please dial again."
    new_phone = UssdPhone(client, NEW)
    new_phone.dial()
    assert "1. Savings" in new_phone.send("4821")
    assert actions(session, member) == ["members.phone_change.request", "members.phone_change"]
    event = session.query(AuditEvent).filter_by(action="members.phone_change").one()
    assert "theft" in event.reason and event.actor_id == str(support.id)
    replay = runner.invoke(change_phone_command, [PHONE, NEW, "--code", code, "--staff", support.username])
    assert replay.exit_code == 1


def test_the_member_confirms_a_phone_change_by_sms_from_the_new_number(app, client, session, services, amina,
                                                                       support):
    services.member_access.start_phone_change(typed(services, support), PHONE, NEW, "SIM swap at the shop")
    session.commit()
    code = phone_code(session, NEW)
    new_handset = Handset(app, client, session, NEW)
    assert new_handset.send("YES 999999" if code != "999999" else "YES 111111").startswith("Wrong code")
    assert new_handset.send(f"YES {code}") == "Confirmed. Your Pamoja account has moved to this number."
    session.expire_all()
    assert services.members.get(amina.id).phone == NEW
    assert "Pamoja SMS" in new_handset.send("HELP")


def test_phone_change_refusals(services, session, amina, support):
    services.members.register(phone=OTHER, name="Baraka Otieno", national_id="23456789", locale="en", pin="1357")
    actor = typed(services, support)
    with pytest.raises(Exception, match="already registered"):
        services.member_access.start_phone_change(actor, PHONE, OTHER, "sim")
    with pytest.raises(Exception, match="already the member's number"):
        services.member_access.start_phone_change(actor, PHONE, PHONE, "sim")
    with pytest.raises(Exception, match="No Pamoja member"):
        services.member_access.start_phone_change(actor, "+254799000000", NEW, "sim")
    with pytest.raises(Exception, match="valid mobile number"):
        services.member_access.start_phone_change(actor, PHONE, "12", "sim")
    with pytest.raises(PermissionDenied):
        services.member_access.start_phone_change(typed(services, new_staff(services, "auditor")), PHONE, NEW, "x")
    assert messages_to(session, NEW) == []
