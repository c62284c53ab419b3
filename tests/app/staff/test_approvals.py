"""Maker-checker: below the threshold runs now; above it a different, signed-in checker approves once."""

import uuid

import pytest

from app.audit.models import AuditEvent
from app.extensions import db
from app.money import Money
from app.services import build_services
from app.staff import errors
from app.staff.approvals import Approvals
from tests.app.staff.staff_helpers import new_staff, sign_in, typed
from tests.concurrency_helpers import run_in_threads

RAN = []


def reverse_handler(approval, checker):
    RAN.append((approval.id, checker.id))
    return {"reversed": approval.payload["payment_id"]}


def approvals_for(services):
    return Approvals(services.session, clock=services.clock, staff=services.staff, audit=services.audit,
                     thresholds=services.settings.APPROVAL_THRESHOLDS, handlers={"payments.reverse": reverse_handler})


def test_below_the_threshold_runs_at_once(services):
    maker = typed(services, new_staff(services, "finance"))
    outcome = approvals_for(services).request(maker, "payments.reverse", ("payment", 7), {"payment_id": 7},
                                              amount=Money.from_major(10000, "KES"), reason="duplicate")
    assert outcome.run_now and outcome.approval is None


def test_above_it_a_different_signed_in_checker_approves_and_the_handler_runs(services, session):
    RAN.clear()
    approvals = approvals_for(services)
    maker_row = new_staff(services, "finance")
    maker = typed(services, maker_row)
    with pytest.raises(Exception, match="reason"):
        approvals.request(maker, "payments.reverse", ("payment", 7), {}, amount=Money.from_major(20000, "KES"),
                          reason=" ")
    outcome = approvals.request(maker, "payments.reverse", ("payment", 7), {"payment_id": 7},
                                amount=Money.from_major(20000, "KES"), reason="duplicate disbursement")
    approval = outcome.approval
    assert not outcome.run_now and approval.state == "pending" and approval.amount_minor == 2_000_000
    again = approvals.request(maker, "payments.reverse", "payment:7", {"payment_id": 7},
                              amount=Money.from_major(20000, "KES"), reason="double click")
    assert again.approval.id == approval.id
    with pytest.raises(errors.PermissionDenied, match="approvals.check"):  # finance cannot check
        approvals.approve(sign_in(services, new_staff(services, "finance")), approval.id)
    manager_row = new_staff(services, "branch_manager", "finance")
    with pytest.raises(errors.PermissionDenied, match="signed in"):
        approvals.approve(typed(services, manager_row), approval.id)
    maker_row.role_rows.append(type(maker_row.role_rows[0])(role="branch_manager"))
    session.flush()
    with pytest.raises(errors.SelfApproval):
        approvals.approve(sign_in(services, maker_row), approval.id)
    assert RAN == []
    checker = sign_in(services, manager_row)
    done = approvals.approve(checker, approval.id, note="checked the statement")
    assert done.state == "approved" and done.checker_staff_id == manager_row.id and done.result == {"reversed": 7}
    assert RAN == [(approval.id, manager_row.id)]
    with pytest.raises(errors.ApprovalNotPending):
        approvals.approve(checker, approval.id)
    with pytest.raises(errors.UnknownApproval):
        approvals.approve(checker, 10**12)
    actions = [e.action for e in session.query(AuditEvent).filter_by(subject_type="approval",
                                                                      subject_id=str(approval.id))]
    assert actions == ["approvals.request", "approvals.approve"]


def test_reject_by_a_checker_or_withdrawn_by_the_maker_runs_nothing(services):
    RAN.clear()
    approvals = approvals_for(services)
    maker_row = new_staff(services, "finance")
    kyc = Approvals(services.session, clock=services.clock, staff=services.staff, audit=services.audit,
                    thresholds=services.settings.APPROVAL_THRESHOLDS, handlers={"kyc.tier3": reverse_handler})
    with pytest.raises(errors.ApprovalError, match="no approval handler"):
        approvals.request(typed(services, maker_row), "kyc.tier3", ("member", 1), {}, reason="documents seen")
    first = kyc.request(typed(services, maker_row), "kyc.tier3", ("member", 1), {}, reason="documents seen")
    assert not first.run_now
    checker = sign_in(services, new_staff(services, "branch_manager"))
    with pytest.raises(Exception, match="reason"):
        kyc.reject(checker, first.approval.id, "")
    assert kyc.reject(checker, first.approval.id, "documents unreadable").state == "rejected"
    second = approvals.request(typed(services, maker_row), "payments.reverse", ("payment", 8), {"payment_id": 8},
                               amount=Money.from_major(50000, "KES"), reason="wrong member")
    assert approvals.reject(sign_in(services, maker_row), second.approval.id, "my mistake").state == "rejected"
    assert RAN == []


@pytest.mark.committed
def test_two_checkers_at_once_exactly_one_wins(app):
    RAN.clear()
    setup = build_services(app, db.session)
    tag = uuid.uuid4().hex[:8]
    maker = new_staff(setup, "finance", username=f"maker{tag}")
    checkers = [new_staff(setup, "branch_manager", username=f"check{tag}{n}") for n in range(2)]
    outcome = approvals_for(setup).request(typed(setup, maker), "payments.reverse", ("payment", f"race{tag}"),
                                           {"payment_id": 9}, amount=Money.from_major(90000, "KES"),
                                           reason="race test")
    db.session.commit()
    approval_id, checker_ids = outcome.approval.id, [c.id for c in checkers]
    db.session.remove()

    def approve(index):
        with app.app_context():
            services = build_services(app, db.session)
            try:
                staff = services.staff.get(checker_ids[index])
                approvals_for(services).approve(sign_in(services, staff), approval_id)
                db.session.commit()
                return "approved"
            except errors.ApprovalNotPending:
                db.session.rollback()
                return "not pending"
            finally:
                db.session.remove()

    assert sorted(run_in_threads(approve, 2)) == ["approved", "not pending"]
    assert [approval for approval, _ in RAN] == [approval_id]
