"""Staff accounts: every permission refusal, sign-in with password and TOTP, lockout, management rules."""

from datetime import UTC, datetime

import pytest

from app.audit.models import AuditEvent
from app.audit.services import ReasonRequired
from app.clock import FixedClock
from app.extensions import db
from app.money import Money
from app.services import build_services
from app.staff import errors
from app.staff.actor import CLI, Actor
from app.staff.permissions import PERMISSIONS, ROLES
from tests.app.staff.staff_helpers import PASSWORD, code_for, new_staff, sign_in, typed


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def timed(app, clock):
    return build_services(app, db.session, clock=clock)


def test_every_permission_a_role_lacks_is_refused_and_every_one_it_has_is_allowed(services):
    for role, granted in ROLES.items():
        actor = typed(services, new_staff(services, role))
        for permission in PERMISSIONS:
            if permission in granted:
                assert services.staff.require(actor, permission).id == actor.id
            else:
                with pytest.raises(errors.PermissionDenied) as refused:
                    services.staff.require(actor, permission)
                assert permission in str(refused.value) and role in str(refused.value)
                assert refused.value.permission == permission


def test_members_agents_the_system_and_disabled_staff_are_refused(services):
    for actor in (Actor.member(1, "ussd"), Actor.agent(1, "ussd"), Actor.system("scheduler")):
        with pytest.raises(errors.PermissionDenied, match="not staff"):
            services.staff.require(actor, "members.view")
    support = new_staff(services, "support")
    actor = typed(services, support)
    support.status = "disabled"
    with pytest.raises(errors.StaffDisabled):
        services.staff.require(actor, "members.view")
    assert services.staff.permissions(actor) == frozenset()
    with pytest.raises(errors.StaffDisabled):
        services.staff.cli_actor(support.username)
    with pytest.raises(errors.UnknownStaff):
        services.staff.cli_actor("nobody")
    with pytest.raises(ValueError, match="unknown permission"):
        services.staff.require(typed(services, new_staff(services, "admin")), "members.delete")


def test_a_typed_name_is_not_a_signed_in_staff_member(services):
    manager = new_staff(services, "branch_manager")
    with pytest.raises(errors.PermissionDenied, match="signed in"):
        services.staff.require(typed(services, manager), "approvals.check", signed_in=True)
    actor = sign_in(services, manager)
    assert actor.signed_in and services.staff.require(actor, "approvals.check", signed_in=True).id == manager.id


def test_loan_officers_decide_up_to_their_roles_limit(services):
    officer = typed(services, new_staff(services, "loan_officer"))
    manager = typed(services, new_staff(services, "branch_manager"))
    assert services.staff.loan_limit(officer, "KES") == Money.from_major(50000, "KES")
    services.staff.require_loan_limit(officer, Money.from_major(50000, "KES"))
    with pytest.raises(errors.PermissionDenied, match="up to"):
        services.staff.require_loan_limit(officer, Money.from_major(50001, "KES"))
    with pytest.raises(errors.PermissionDenied):
        services.staff.require_loan_limit(officer, Money.from_major(1, "UGX"))
    services.staff.require_loan_limit(manager, Money.from_major(500000, "KES"))
    finance = typed(services, new_staff(services, "finance"))
    assert services.staff.loan_limit(finance, "KES") is None


def test_sign_in_needs_the_password_and_a_fresh_totp_code(timed, session):
    staff = new_staff(timed, "finance")
    code = code_for(timed, staff.totp_secret)
    actor = timed.staff.sign_in(staff.username, PASSWORD, code, channel=CLI, os_user="amina")
    assert actor.signed_in and actor.os_user == "amina" and staff.last_login_at == timed.clock.now()
    with pytest.raises(errors.SignInFailed):  # the same code twice: replayed
        timed.staff.sign_in(staff.username, PASSWORD, code, channel=CLI)
    timed.clock.advance(seconds=30)
    with pytest.raises(errors.SignInFailed):
        timed.staff.sign_in(staff.username, "wrong password!", code_for(timed, staff.totp_secret), channel=CLI)
    with pytest.raises(errors.SignInFailed):
        timed.staff.sign_in("nobody", PASSWORD, "123456", channel=CLI)
    assert timed.staff.sign_in(staff.username, PASSWORD, code_for(timed, staff.totp_secret), channel=CLI).signed_in
    actions = [e.action for e in session.query(AuditEvent).filter_by(subject_id=str(staff.id)).order_by(AuditEvent.id)]
    assert actions == ["staff.sign_in", "staff.sign_in_failed", "staff.sign_in_failed", "staff.sign_in"]


def test_failed_sign_ins_lock_the_account_for_a_while(timed):
    staff = new_staff(timed, "support")
    for _ in range(4):
        with pytest.raises(errors.SignInFailed):
            timed.staff.sign_in(staff.username, "not the password", "000000", channel="console")
    with pytest.raises(errors.AccountLocked):
        timed.staff.sign_in(staff.username, "not the password", "000000", channel="console")
    with pytest.raises(errors.AccountLocked):  # even the right password waits
        timed.staff.sign_in(staff.username, PASSWORD, code_for(timed, staff.totp_secret), channel="console")
    timed.clock.advance(minutes=15, seconds=1)
    assert timed.staff.sign_in(staff.username, PASSWORD, code_for(timed, staff.totp_secret), channel="console")
    assert staff.failed_logins == 0 and staff.locked_until is None


def test_totp_enrolment_checks_the_password_and_a_code(timed):
    admin = typed(timed, new_staff(timed, "admin"))
    admin = timed.staff.console_actor(admin.id)
    staff = timed.staff.create(admin, "juma", name="Juma", password=PASSWORD, roles=["support"], reason="hired")
    with pytest.raises(errors.SignInFailed, match="no TOTP"):
        timed.staff.sign_in("juma", PASSWORD, "123456", channel=CLI)
    with pytest.raises(errors.SignInFailed):
        timed.staff.begin_totp("juma", "wrong password!")
    secret, uri = timed.staff.begin_totp("juma", PASSWORD)
    assert uri.startswith("otpauth://totp/") and "juma" in uri
    with pytest.raises(errors.TotpError):
        timed.staff.confirm_totp("juma", "000000" if code_for(timed, secret) != "000000" else "111111")
    timed.staff.confirm_totp("juma", code_for(timed, secret))
    assert staff.totp_enrolled
    with pytest.raises(errors.TotpError, match="already"):
        timed.staff.begin_totp("juma", PASSWORD)
    timed.clock.advance(seconds=30)
    assert timed.staff.sign_in("juma", PASSWORD, code_for(timed, secret), channel=CLI).signed_in


def test_bootstrap_creates_the_first_admin_then_only_signed_in_admins_manage_staff(services, session):
    from app.staff.models import Staff, StaffRole

    session.query(StaffRole).filter_by(role="admin").delete()  # committed tests may have left admins
    session.query(Staff).filter(Staff.username.like("root%")).delete()
    bootstrap = Actor.system("bootstrap", channel=CLI, os_user="root")
    admin = services.staff.create(bootstrap, "root1", name="First Admin", password=PASSWORD, roles=["admin"])
    with pytest.raises(errors.PermissionDenied, match="bootstrap is over"):
        services.staff.create(bootstrap, "root2", name="Second", password=PASSWORD, roles=["admin"])
    admin.totp_secret, admin.totp_enrolled = "PAMOJADEMOSTAFFTOTPKEYDEVONLY234", True
    with pytest.raises(errors.PermissionDenied, match="signed in"):
        services.staff.create(typed(services, admin), "x1", name="X", password=PASSWORD, roles=["support"])
    signed = sign_in(services, admin)
    with pytest.raises(errors.InvalidStaffInput, match="at least"):
        services.staff.create(signed, "x1", name="X", password="short", roles=["support"])
    with pytest.raises(errors.InvalidStaffInput, match="unknown role"):
        services.staff.create(signed, "x1", name="X", password=PASSWORD, roles=["boss"])
    with pytest.raises(errors.InvalidStaffInput, match="username"):
        services.staff.create(signed, "X 1", name="X", password=PASSWORD, roles=["support"])
    staff = services.staff.create(signed, "x1", name="X", password=PASSWORD, roles=["support"], reason="hired")
    with pytest.raises(errors.InvalidStaffInput, match="taken"):
        services.staff.create(signed, "x1", name="X", password=PASSWORD, roles=["support"], reason="again")
    support = typed(services, new_staff(services, "support"))
    with pytest.raises(errors.PermissionDenied):
        services.staff.disable(support, "x1", "not mine to do")
    with pytest.raises(ReasonRequired):
        services.staff.disable(typed(services, admin), "x1", "")
    services.staff.disable(typed(services, admin), "x1", "left the company")
    assert staff.status == "disabled"
    with pytest.raises(errors.InvalidStaffInput, match="yourself"):
        services.staff.disable(typed(services, admin), "root1", "oops")
    with pytest.raises(errors.PermissionDenied, match="signed in"):
        services.staff.enable(typed(services, admin), "x1", "back")
    services.staff.enable(signed, "x1", "came back")
    services.staff.set_roles(signed, "x1", ["support", "finance"], "covers finance")
    assert staff.roles == ("finance", "support")
    with pytest.raises(errors.InvalidStaffInput, match="own admin"):
        services.staff.set_roles(signed, "root1", ["support"], "step down")
    staff.failed_logins, staff.locked_until, staff.totp_enrolled = 0, services.clock.now(), True
    services.staff.reset_password(signed, "x1", "another long password", "forgot it", reset_totp=True)
    assert staff.locked_until is None and not staff.totp_enrolled
    events = session.query(AuditEvent).filter_by(subject_type="staff", subject_id=str(staff.id)).order_by(
        AuditEvent.id).all()
    assert [e.action for e in events] == ["staff.create", "staff.disable", "staff.enable", "staff.roles",
                                          "staff.password_reset", "staff.totp_reset"]
    assert events[3].before == {"roles": ["support"]} and events[3].after == {"roles": ["finance", "support"]}
    assert all(e.actor_id == str(admin.id) for e in events) and events[1].os_user == "tester"
    assert "another long password" not in str([e.after for e in events])
