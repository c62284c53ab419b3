"""The audit log: rows in the caller's transaction, reasons required, secrets scrubbed, and append-only in the DB."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.audit.models import AuditEvent
from app.audit.scrub import scrub
from app.audit.services import AuditError, ReasonRequired
from app.staff.actor import Actor


def test_record_keeps_only_what_changed_with_who_how_and_why(services):
    actor = Actor("staff", 3, "cli", os_user="amina", request_id="r1", username="amina")
    event = services.audit.record(actor, "members.block", ("member", 42), before={"blocked": False, "name": "A"},
                                  after={"blocked": True, "name": "A"}, reason="lost phone")
    assert (event.actor, event.os_user, event.channel, event.request_id) == ("staff:3", "amina", "cli", "r1")
    assert (event.subject, event.before, event.after, event.reason) == (
        "member:42", {"blocked": False}, {"blocked": True}, "lost phone")
    assert services.audit.for_subject("member:42") == [event]
    assert services.audit.search(actor="staff:3", action="members.*") == [event]
    assert services.audit.search(actor="staff:4") == []


def test_money_and_access_actions_need_a_reason_and_unknown_actions_are_refused(services):
    actor = Actor.system("scheduler")
    for action in ("payments.reverse", "members.block", "staff.roles"):
        with pytest.raises(ReasonRequired, match=action):
            services.audit.record(actor, action, "member:1", reason="  ")
    services.audit.record(actor, "work.open", "work_item:1")  # bookkeeping: no reason needed
    with pytest.raises(AuditError, match="unknown audit action"):
        services.audit.record(actor, "members.delete", "member:1", reason="x")
    with pytest.raises(AuditError, match="type:id"):
        services.audit.record(actor, "work.open", "member")


def test_pins_passwords_codes_secrets_and_full_id_numbers_never_reach_the_log(services):
    after = {"pin": "2580", "new_pin": "1234", "pin_hash": "$argon2$x", "password": "hunter2hunter2",
             "totp_secret": "ABC", "code": "482913", "one_time_code": "1111", "national_id": "30111222",
             "national_id_encrypted": "dev$xyz", "pin_changed_at": "2026-12-01T09:00", "nested": {"otp": "9"},
             "note": "member said ID 30111222", "kyc_level": 2}
    event = services.audit.record(Actor.member(5, "ussd"), "kyc.verify", "member:5", after=after,
                                  reason="ID number 30111222 sighted")
    assert event.after == {
        "pin": "[redacted]", "new_pin": "[redacted]", "pin_hash": "[redacted]", "password": "[redacted]",
        "totp_secret": "[redacted]", "code": "[redacted]", "one_time_code": "[redacted]", "national_id": "***222",
        "national_id_encrypted": "[redacted]", "pin_changed_at": "2026-12-01T09:00", "nested": {"otp": "[redacted]"},
        "note": "member said ID 30******", "kyc_level": 2}
    assert "30111222" not in event.reason
    assert scrub([{"password": "x"}]) == [{"password": "[redacted]"}]


def test_the_database_refuses_to_update_or_delete_an_event(services, session):
    event = services.audit.record(Actor.system("scheduler"), "work.open", "work_item:1")
    for statement in (f"UPDATE audit_events SET action = 'x' WHERE id = {event.id}",
                      f"DELETE FROM audit_events WHERE id = {event.id}", "TRUNCATE audit_events"):
        with pytest.raises(DBAPIError, match="append-only"):
            with session.begin_nested():
                session.execute(text(statement))
    assert session.get(AuditEvent, event.id).action == "work.open"
