"""Forgotten PINs: the member asks, an agent (ID in hand) or support (after a call-back) approves, the member
sets a new PIN with the SMS code; audited, alerted, lockout cleared, no one else ever types the PIN."""

import re
import uuid
from datetime import timedelta

import pytest

from app.audit.models import AuditEvent
from app.extensions import db
from app.members.cli import pin_reset_approve_command, pin_reset_list_command
from app.members.models import PinResetRequest
from app.members.pin_hashing import pin_matches
from app.members.pin_reset import PinResetError
from app.services import build_services
from app.staff.errors import PermissionDenied
from tests.app.agents.agent_helpers import AGENT_PHONE, AGENT_PIN, new_agent
from tests.app.staff.staff_helpers import new_staff, typed
from tests.concurrency_helpers import run_in_threads
from tests.messaging_helpers import messages_to
from tests.sms_helpers import Handset
from tests.ussd_helpers import UssdPhone, register

PHONE = "+254712345678"
AGENT_CODE = "*384*2#"


def code_sent_to(session, phone):
    """The code of the latest PIN-reset SMS to `phone`."""
    texts = [message.text for message in messages_to(session, phone, "pin_reset")]
    found = re.search(r"enter code (\d{6})", texts[-1])
    assert found, texts
    return found.group(1)


def lock_out(client):
    handset = UssdPhone(client, PHONE)
    handset.dial()
    for pin in ("1111", "2222", "3333"):
        body = handset.send(pin)
    assert body.startswith("END Your account is locked")


def audit_actions(session, member_id):
    return [event.action for event in session.query(AuditEvent).filter_by(subject_type="member",
                                                                        subject_id=str(member_id))
            .order_by(AuditEvent.id)]


def test_locked_member_asks_on_ussd_an_agent_approves_and_the_member_sets_a_new_pin(app, client, session):
    register(client, PHONE)
    services = build_services(app, db.session)
    new_agent(services)
    db.session.commit()
    lock_out(client)
    handset = UssdPhone(client, PHONE)
    assert handset.dial().endswith("1. Forgot PIN\n2. Exit")
    body = handset.send("1")
    assert body.startswith("END PIN reset requested. Visit a Pamoja agent")
    again = UssdPhone(client, PHONE)
    again.dial()
    assert again.send("1").startswith("END Your PIN reset request is already open")

    agent = UssdPhone(client, AGENT_PHONE, service_code=AGENT_CODE)
    agent.dial()
    assert agent.send(AGENT_PIN).endswith("8. More")
    assert "1. Reset a member's PIN" in agent.send("8")
    assert "Member's phone number" in agent.send("1")
    assert "Amina Wanjiru: enter the ID number" in agent.send("0712345678")
    assert "not this member's" in agent.send("99999999")
    assert "Enter your agent PIN to approve a new PIN for Amina Wanjiru" in agent.send("12345678")
    done = agent.send(AGENT_PIN)
    assert done.startswith("END Approved. Amina Wanjiru gets a code by SMS") and len(done) <= 164
    code = code_sent_to(session, PHONE)
    assert code not in done

    member = services.members.by_phone(PHONE)
    handset = UssdPhone(client, PHONE)
    assert handset.dial() == "CON Enter the PIN reset code from our SMS:"
    assert handset.send("000000" if code != "000000" else "111111").startswith("CON Wrong code. 2 tries left.")
    assert handset.send(code).startswith("CON Choose a new 4-digit PIN:")
    assert "Enter the new PIN again" in handset.send("5802")
    body = handset.send("5802")
    assert body.startswith("CON Your new PIN is set.") and "1. Savings" in body

    db.session.expire_all()
    member = services.members.by_phone(PHONE)
    assert pin_matches("5802", member.pin_hash, services.peppers)
    assert member.pin_locked_until is None and member.pin_failures == 0 and member.pin_changed_at is not None
    request = session.query(PinResetRequest).filter_by(member_id=member.id).one()
    assert request.status == "completed" and request.approved_by.startswith("agent:")
    alert = messages_to(session, PHONE, "pin_reset")[-1].text
    assert alert.startswith("Pamoja: your PIN was reset. If this was not you, call 0800 720 000")
    assert audit_actions(session, member.id) == ["pins.reset.request", "pins.reset.approve", "pins.reset.complete"]
    for event in session.query(AuditEvent).filter_by(subject_id=str(member.id)):
        assert "5802" not in str(event.after) and code not in str(event.after) and code not in (event.reason or "")

    login = UssdPhone(client, PHONE)
    login.dial()
    assert "Wrong PIN" in login.send("4821")
    assert "1. Savings" in login.send("5802")


def test_the_agent_is_refused_without_a_request_and_for_a_stranger(app, client, session):
    register(client, PHONE)
    services = build_services(app, db.session)
    new_agent(services)
    db.session.commit()
    agent = UssdPhone(client, AGENT_PHONE, service_code=AGENT_CODE)
    agent.dial()
    agent.send(AGENT_PIN)
    agent.send("8")
    agent.send("1")
    assert agent.send("0712345678").startswith("END This member has not asked to reset their PIN")
    assert messages_to(session, PHONE, "pin_reset") == []


def test_sms_keyword_opens_a_request_and_support_approves_after_a_call_back(app, client, session, services):
    member = services.members.register(phone=PHONE, name="Amina Wanjiru", national_id="12345678", locale="sw",
                                       pin="4821")
    session.commit()
    handset = Handset(app, client, session, PHONE)
    assert handset.send("NIMESAHAU PIN").startswith("Ombi la PIN limepokelewa")
    assert handset.send("RESET PIN").startswith("Ombi lako la PIN tayari liko wazi")
    assert "RESET PIN" in handset.send("PIN 1234")  # not a reset: only PIN or RESET may follow the keyword
    request = session.query(PinResetRequest).filter_by(member_id=member.id).one()
    assert request.channel == "sms" and request.status == "requested"

    runner = app.test_cli_runner()
    listed = runner.invoke(pin_reset_list_command, [])
    assert listed.exit_code == 0 and f"member #{member.id} {PHONE}" in listed.output and "requested" in listed.output
    officer = new_staff(services, "loan_officer")
    support = new_staff(services, "support")
    session.commit()
    refused = runner.invoke(pin_reset_approve_command, [PHONE, "--staff", officer.username, "--reason", "called"])
    assert refused.exit_code == 1 and "may not pins.reset.approve" in refused.output
    no_reason = runner.invoke(pin_reset_approve_command, [PHONE, "--staff", support.username])
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output
    blank = runner.invoke(pin_reset_approve_command, [PHONE, "--staff", support.username, "--reason", " "])
    assert blank.exit_code == 1 and "give a reason" in blank.output
    unknown = runner.invoke(pin_reset_approve_command, ["+254799000000", "--staff", support.username, "--reason",
                                                        "called"])
    assert unknown.exit_code == 1 and "No Pamoja member" in unknown.output
    session.expire_all()
    assert session.get(PinResetRequest, request.id).status == "requested"
    approved = runner.invoke(pin_reset_approve_command, [PHONE, "--staff", support.username, "--reason",
                                                         "called back on the registered number, confirmed DOB"])
    assert approved.exit_code == 0, approved.output
    twice = runner.invoke(pin_reset_approve_command, [PHONE, "--staff", support.username, "--reason", "again"])
    assert twice.exit_code == 1 and "already approved" in twice.output
    code_text = messages_to(session, PHONE, "pin_reset")[-1].text
    assert code_text.startswith("Pamoja: ombi lako la PIN limekubaliwa") and len(code_text) <= 160
    event = session.query(AuditEvent).filter_by(action="pins.reset.approve").one()
    assert event.actor_kind == "staff" and event.actor_id == str(support.id) and "DOB" in event.reason


def test_codes_expire_and_expired_requests_can_be_asked_again(services, session):
    member = services.members.register(phone=PHONE, name="Amina Wanjiru", national_id="12345678", locale="en",
                                       pin="4821")
    support = typed(services, new_staff(services, "support"))
    request, created = services.pin_resets.request(member, channel="ussd")
    assert created
    services.pin_resets.approve_by_staff(support, PHONE, "called back")
    code = code_sent_to(session, PHONE)
    request.code_expires_at = services.clock.now() - timedelta(seconds=1)
    assert services.pin_resets.awaiting_code(member) is None
    assert request.status == "expired"
    from app.one_time_codes import NothingPending

    with pytest.raises(NothingPending):
        services.pin_resets.redeem_code(member, code)
    fresh, created = services.pin_resets.request(member, channel="ussd")
    assert created and fresh.id != request.id
    fresh.requested_at -= timedelta(days=8)
    assert services.pin_resets.open_request(member) is None and fresh.status == "expired"


def test_a_dial_reads_the_member_and_the_code_awaited_in_one_statement(services, session):
    assert services.pin_resets.at_dial(PHONE) == (None, None)
    member = services.members.register(phone=PHONE, name="Amina Wanjiru", national_id="12345678", locale="en",
                                       pin="4821")
    assert services.pin_resets.at_dial(PHONE) == (member, None)
    request, _created = services.pin_resets.request(member, channel="ussd")
    assert services.pin_resets.at_dial(PHONE) == (member, None)  # asked, not yet approved: no code to enter
    services.pin_resets.approve_by_staff(typed(services, new_staff(services, "support")), PHONE, "called back")
    assert services.pin_resets.at_dial(PHONE) == (member, request)
    request.code_expires_at = services.clock.now() - timedelta(seconds=1)
    session.flush()
    assert services.pin_resets.at_dial(PHONE) == (member, None)
    assert request.status == "expired"  # expired as `awaiting_code` expires it


def test_three_wrong_codes_end_the_request(services, session):
    member = services.members.register(phone=PHONE, name="Amina Wanjiru", national_id="12345678", locale="en",
                                       pin="4821")
    services.pin_resets.request(member, channel="sms")
    services.pin_resets.approve_by_staff(typed(services, new_staff(services, "support")), PHONE, "called back")
    code = code_sent_to(session, PHONE)
    wrong = "000000" if code != "000000" else "111111"
    from app.one_time_codes import WrongCode

    for _ in range(3):
        with pytest.raises(WrongCode):
            services.pin_resets.redeem_code(member, wrong)
    assert services.pin_resets.open_request(member) is None


def test_approval_refusals_leave_nothing_written(services, session):
    member = services.members.register(phone=PHONE, name="Amina Wanjiru", national_id="12345678", locale="en",
                                       pin="4821")
    support = typed(services, new_staff(services, "support"))
    with pytest.raises(PinResetError, match="has not asked"):
        services.pin_resets.approve_by_staff(support, PHONE, "called back")
    services.pin_resets.request(member, channel="ussd")
    with pytest.raises(PermissionDenied):
        services.pin_resets.approve_by_staff(typed(services, new_staff(services, "trainer")), PHONE, "x")
    agent = new_agent(services)
    with pytest.raises(PinResetError, match="not this member's"):
        services.pin_resets.approve_by_agent(agent, member, national_id="87654321")
    assert services.pin_resets.open_request(member).status == "requested"
    assert messages_to(session, PHONE, "pin_reset") == []


@pytest.mark.committed
def test_two_staff_approving_at_once_exactly_one_wins(app):
    setup = build_services(app, db.session)
    phone = f"+2547{uuid.uuid4().int % 10**8:08d}"
    member = setup.members.register(phone=phone, name="Amina Wanjiru", national_id="12345678", locale="en",
                                    pin="4821")
    setup.pin_resets.request(member, channel="ussd")
    member_id = member.id
    staff_names = [new_staff(setup, "support").username for _ in range(2)]
    db.session.commit()
    db.session.remove()

    def approve(index):
        with app.app_context():
            services = build_services(app, db.session)
            try:
                services.pin_resets.approve_by_staff(typed(services, services.staff.by_username(staff_names[index])),
                                                     phone, "called back")
                db.session.commit()
                return "approved"
            except PinResetError as error:
                db.session.rollback()
                return str(error)
            except Exception as error:  # noqa: BLE001 - shown by the assertion
                db.session.rollback()
                return repr(error)
            finally:
                db.session.remove()

    results = run_in_threads(approve, 2)
    assert results.count("approved") == 1, results
    assert any("already approved" in result for result in results)
    with app.app_context():
        assert len(messages_to(db.session, phone, "pin_reset")) == 1
        events = db.session.query(AuditEvent).filter_by(action="pins.reset.approve").all()
        assert [event.subject_id for event in events] == [str(member_id)], [(e.subject_id, e.actor_id) for e in events]
        db.session.remove()
