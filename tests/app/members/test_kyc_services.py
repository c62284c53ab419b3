"""KYC workflows: registration gives tier 1, agents and staff verify, tier 3 by maker-checker, downgrades."""

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.audit.services import ReasonRequired
from app.members.errors import InvalidNationalId
from app.members.kyc import errors
from app.members.kyc.models import MIGRATION, KycChange
from app.notifications.models import Notification
from app.staff.errors import PermissionDenied, SelfApproval
from tests.app.agents.agent_helpers import new_agent
from tests.app.staff.staff_helpers import new_staff, sign_in, typed
from tests.member_helpers import make_member


def notices(services, member):
    return [(n.kind, n.text) for n in services.session.scalars(
        select(Notification).where(Notification.member_id == member.id).order_by(Notification.id))]


def audits(services, member, action):
    return list(services.session.scalars(select(AuditEvent).where(
        AuditEvent.subject_id == str(member.id), AuditEvent.subject_type == "member", AuditEvent.action == action)))


def test_registration_with_an_id_gives_tier_1_never_2(services):
    member = services.members.register(phone="+254712100001", name="Amina Wanjiru", national_id="30111222",
                                       locale="en", pin="4821")
    assert member.kyc_level == 1


def test_an_agent_verifies_the_registered_id_and_the_member_is_told(services):
    agent = new_agent(services)
    member = make_member(services.session, "+254712100002", "Amina Wanjiru", national_id="30111222", kyc_level=1)
    with pytest.raises(errors.UnknownIdType):
        services.kyc.verify_by_agent(agent, member, "driving_licence", "30111222")
    with pytest.raises(InvalidNationalId):
        services.kyc.verify_by_agent(agent, member, "national_id", "1")
    with pytest.raises(errors.IdMismatch):
        services.kyc.verify_by_agent(agent, member, "national_id", "30111223")
    assert member.kyc_level == 1 and services.kyc.history(member) == []
    change = services.kyc.verify_by_agent(agent, member, "national_id", " 30111222 ")
    assert (member.kyc_level, change.from_tier, change.to_tier, change.actor) == (2, 1, 2, f"agent:{agent.id}")
    assert services.kyc.current_id_type(member) == "national_id"
    [event] = audits(services, member, "kyc.verify")
    assert event.actor_kind == "agent" and event.after["kyc_level"] == 2 and "A001" in event.reason
    assert "30111222" not in str(event.after)
    assert notices(services, member)[-1][0] == "kyc_raised"
    with pytest.raises(errors.AlreadyVerified):
        services.kyc.verify_by_agent(agent, member, "national_id", "30111222")


def test_an_agent_records_the_id_of_a_member_who_had_none_unless_another_verified_member_holds_it(services):
    agent = new_agent(services)
    holder = make_member(services.session, "+254712100003", "Juma Hamisi", national_id="44556677", kyc_level=2)
    member = make_member(services.session, "+254712100004", "Amina Wanjiru", national_id="44556677", kyc_level=0,
                         national_id_lookup="")
    with pytest.raises(errors.IdTaken):
        services.kyc.verify_by_agent(agent, member, "passport", "44556677")
    holder.kyc_level = 1
    services.kyc.verify_by_agent(agent, member, "passport", "44556677")
    assert member.kyc_level == 2 and services.members.national_id(member) == "44556677"
    assert member.national_id_lookup == services.identity_keys.lookup_hash("44556677")


def test_staff_verification_needs_kyc_verify_and_a_reason(services):
    member = make_member(services.session, "+254712100005", "Amina Wanjiru", national_id="30111222", kyc_level=1)
    officer = typed(services, new_staff(services, "loan_officer"))
    with pytest.raises(PermissionDenied, match="kyc.verify"):
        services.kyc.set_tier(officer, member, 2, "seen", id_type="national_id", id_number="30111222")
    support = typed(services, new_staff(services, "support"))
    with pytest.raises(ReasonRequired):
        services.kyc.set_tier(support, member, 2, " ", id_type="national_id", id_number="30111222")
    with pytest.raises(errors.TierRefused, match="ID type and number"):
        services.kyc.set_tier(support, member, 2, "seen")
    with pytest.raises(errors.TierRefused, match="tier 1 comes from"):
        services.kyc.set_tier(support, make_member(services.session, "+254712100015", "Juma Hamisi", kyc_level=0),
                              1, "typed")
    assert member.kyc_level == 1 and audits(services, member, "kyc.verify") == []
    services.kyc.set_tier(support, member, 2, "ID seen on video call-back", id_type="national_id",
                          id_number="30111222")
    assert member.kyc_level == 2 and audits(services, member, "kyc.verify")[0].actor_kind == "staff"


def test_tier_3_waits_for_a_second_signed_in_staff_member(services):
    member = make_member(services.session, "+254712100006", "Amina Wanjiru", kyc_level=1)
    maker_row = new_staff(services, "branch_manager")
    maker = typed(services, maker_row)
    with pytest.raises(PermissionDenied, match="kyc.upgrade"):
        services.kyc.set_tier(typed(services, new_staff(services, "support")), member, 3, "documents")
    with pytest.raises(errors.TierRefused, match="verify their ID"):
        services.kyc.set_tier(maker, member, 3, "documents sighted")
    member.kyc_level = 2
    outcome = services.kyc.set_tier(maker, member, 3, "documents sighted at Nakuru")
    assert not outcome.run_now and outcome.approval.state == "pending" and member.kyc_level == 2
    assert services.kyc.set_tier(maker, member, 3, "double click").approval.id == outcome.approval.id
    with pytest.raises(SelfApproval):
        services.approvals.approve(sign_in(services, maker_row), outcome.approval.id)
    checker = sign_in(services, new_staff(services, "branch_manager"))
    approval = services.approvals.approve(checker, outcome.approval.id)
    assert approval.state == "approved" and member.kyc_level == 3
    [event] = audits(services, member, "kyc.tier3")
    assert event.actor_id == str(checker.id) and event.reason == "documents sighted at Nakuru"
    assert event.after["maker_staff_id"] == maker_row.id
    assert notices(services, member)[-1][0] == "kyc_raised"


def test_an_approval_for_a_member_changed_meanwhile_is_refused_and_stays_pending(services):
    member = make_member(services.session, "+254712100007", "Amina Wanjiru", kyc_level=2)
    maker = typed(services, new_staff(services, "branch_manager"))
    outcome = services.kyc.set_tier(maker, member, 3, "documents sighted")
    services.kyc.downgrade(typed(services, new_staff(services, "support")), member, 1, "card reported stolen")
    with pytest.raises(errors.TierRefused, match="reject this approval"):
        with services.session.begin_nested():
            services.approvals.approve(sign_in(services, new_staff(services, "branch_manager")),
                                       outcome.approval.id)
    assert member.kyc_level == 1


def test_downgrades_are_audited_and_told(services):
    member = make_member(services.session, "+254712100008", "Amina Wanjiru", locale="sw", kyc_level=3)
    support = typed(services, new_staff(services, "support"))
    with pytest.raises(ReasonRequired):
        services.kyc.set_tier(support, member, 1, "")
    with pytest.raises(errors.TierRefused, match="already at tier 3"):
        services.kyc.set_tier(support, member, 3, "again")
    change = services.kyc.set_tier(support, member, 1, "ID card reported stolen")
    assert (change.from_tier, change.to_tier, member.kyc_level) == (3, 1, 1)
    [event] = audits(services, member, "kyc.downgrade")
    assert event.before["kyc_level"] == 3 and event.reason == "ID card reported stolen"
    kind, text = notices(services, member)[-1]
    assert kind == "kyc_lowered" and "kiwango 1" in text and len(text) <= 160


def test_the_migration_notice_goes_once_per_moved_member(services):
    moved = make_member(services.session, "+254712100009", "Amina Wanjiru", kyc_level=1)
    services.session.add(KycChange(member_id=moved.id, from_tier=2, to_tier=1, source=MIGRATION,
                                   actor="system:migration-0017", created_at=services.clock.now()))
    services.session.flush()
    rows, made, _last = services.kyc.notify_migrated()
    assert made >= 1 and rows >= made
    again = services.kyc.notify_migrated()
    assert again[1] == 0
    [(kind, text)] = notices(services, moved)
    assert kind == "kyc_migrated" and "agent" in text and len(text) <= 160
