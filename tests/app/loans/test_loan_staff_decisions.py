"""Loan decisions by staff accounts: loans.decide, officer limits, a branch manager above them, write-offs."""

import uuid

import pytest

from app.audit.models import AuditEvent
from app.extensions import db
from app.loans.errors import NotEligible
from app.loans.models import Loan
from app.loans.officers import LoanRefused
from app.money import Money
from app.staff import errors
from app.staff.models import WorkItem
from tests.app.loans.loan_helpers import loan_services, new_member, product, regular_saver
from tests.app.staff.staff_helpers import new_staff, sign_in, typed
from tests.concurrency_helpers import run_in_threads
from tests.money_helpers import kes


def applied(services, amount=5000, code="OFF"):
    officer_product = product(services, code=code, approval="officer")
    member = new_member(services)
    regular_saver(services, member, 10_000_000)
    return services.loans.apply_for(member, officer_product, kes(amount), 3, idempotency_key=f"k{member.id}",
                                    destination="savings")


def audit_of(session, loan, action):
    return session.query(AuditEvent).filter_by(subject_type="loan", subject_id=str(loan.id), action=action).all()


def test_an_officer_approves_within_the_limit_attributed_and_audited(services, session):
    loan = applied(services)
    officer = new_staff(services, "loan_officer")
    decided = services.loan_officers.approve(typed(services, officer), loan.id, "steady saver")
    assert decided.approval is None and decided.loan.state == "disbursed"
    decisions = [(d.decision, d.actor) for d in services.loans.decisions_on(loan)]
    assert ("approved", f"staff:{officer.username}") in decisions
    [event] = audit_of(session, loan, "loans.approve")
    assert (event.actor_kind, event.actor_id, event.os_user, event.reason) == (
        "staff", str(officer.id), "tester", "steady saver")


def test_refusals_change_nothing(services, session):
    loan = applied(services)
    with pytest.raises(errors.PermissionDenied, match="loans.decide"):
        services.loan_officers.approve(typed(services, new_staff(services, "support")), loan.id, "why not")
    gone = new_staff(services, "loan_officer")
    gone_actor = typed(services, gone)
    gone.status = "disabled"
    with pytest.raises(errors.StaffDisabled):
        services.loan_officers.approve(gone_actor, loan.id, "still here?")
    with pytest.raises(errors.StaffDisabled):
        services.staff.cli_actor(gone.username)
    officer = typed(services, new_staff(services, "loan_officer"))
    with pytest.raises(Exception, match="reason"):
        services.loan_officers.approve(officer, loan.id, "  ")
    with pytest.raises(LoanRefused, match="no loan"):
        services.loan_officers.decline(officer, 999999, "no such")
    assert session.get(Loan, loan.id).state == "applied" and not audit_of(session, loan, "loans.approve")
    services.loan_officers.decline(officer, loan.id, "no documents")
    with pytest.raises(LoanRefused, match="declined"):
        services.loan_officers.approve(officer, loan.id, "changed my mind")
    assert [e.action for e in audit_of(session, loan, "loans.decline")] == ["loans.decline"]


def test_above_the_officers_limit_a_branch_manager_approves(services, session):
    loan = applied(services, amount=60000)  # loan_officer limit KES 50,000
    officer = new_staff(services, "loan_officer")
    decided = services.loan_officers.approve(typed(services, officer), loan.id, "big harvest")
    approval = decided.approval
    assert approval is not None and approval.state == "pending" and session.get(Loan, loan.id).state == "applied"
    [item] = session.query(WorkItem).filter_by(dedupe_key=f"approval:{approval.id}").all()
    assert item.role == "branch_manager" and f"loan {loan.id}" in item.summary
    with pytest.raises(errors.PermissionDenied, match="approvals.check"):  # a loan officer cannot check
        services.approvals.approve(sign_in(services, new_staff(services, "loan_officer")), approval.id)
    manager_maker = new_staff(services, "branch_manager")
    other = applied(services, amount=60000, code="OFF2")
    assert services.loan_officers.approve(typed(services, manager_maker), other.id, "mine").approval is None
    manager = new_staff(services, "branch_manager")
    services.approvals.approve(sign_in(services, manager), approval.id, "seen the books")
    assert session.get(Loan, loan.id).state == "disbursed"
    [event] = audit_of(session, loan, "loans.approve")
    assert event.actor_id == str(manager.id) and event.after["maker"] == officer.username


def test_a_checker_above_their_own_limit_is_refused(services, session, monkeypatch):
    loan = applied(services, amount=60000)
    services.loan_officers.approve(typed(services, new_staff(services, "loan_officer")), loan.id, "big")
    approval = services.approvals.pending("loans.approve")[0]
    limits = services.staff.loan_limits.limits
    monkeypatch.setitem(limits, "branch_manager", {"KES": Money.from_major(55000, "KES")})
    with pytest.raises(errors.PermissionDenied, match="may decide loans up to"):
        services.approvals.approve(sign_in(services, new_staff(services, "branch_manager")), approval.id)


def defaulted(services, session):
    """A disbursed loan whose borrower spent the money, recovered as far as it goes: defaulted, owing."""
    loan = applied(services, amount=20000)
    officer = typed(services, new_staff(services, "loan_officer"))
    services.loan_officers.approve(officer, loan.id, "ok")
    ledger = services.ledger
    savings = ledger.account("member", loan.member_id, "member_savings", "KES")
    spent = ledger.balance(savings) - kes(500)
    ledger.post(f"spent:{loan.id}", [(savings, spent), (ledger.clearing_account("sandbox", "KES"), -spent)],
                kind="withdrawal", initiated_by="test", channel="system")
    services.loan_officers.recover(officer, loan.id, "90 days late")
    assert session.get(Loan, loan.id).state == "defaulted"
    return loan


def test_write_off_waits_for_a_checker_then_books_the_expense(services, session):
    loan = defaulted(services, session)
    principal, penalty = services.loan_write_offs.outstanding(loan)
    assert principal.minor > 0
    finance = new_staff(services, "finance")
    with pytest.raises(errors.PermissionDenied, match="loans.write_off"):
        services.loan_write_offs.request(typed(services, new_staff(services, "loan_officer")), loan.id, "gone")
    pending = services.loan_write_offs.request(typed(services, finance), loan.id, "borrower emigrated")
    assert pending.approval is not None and session.get(Loan, loan.id).state == "defaulted"
    services.approvals.approve(sign_in(services, new_staff(services, "branch_manager")), pending.approval.id)
    assert session.get(Loan, loan.id).state == "written_off"
    assert services.loan_write_offs.outstanding(loan) == (kes(0), kes(0))
    expense = services.ledger.system_account("loan_write_off_expense", "KES")
    assert services.ledger.balance(expense) == principal + penalty
    [event] = audit_of(session, loan, "loans.write_off")
    assert event.reason == "borrower emigrated" and event.after["state"] == "written_off"
    with pytest.raises(LoanRefused, match="written_off"):
        services.loan_write_offs.request(typed(services, finance), loan.id, "again")
    borrower = services.members.get(loan.member_id)
    with pytest.raises(NotEligible) as refusal:
        services.loans.check_member(borrower)
    assert refusal.value.code == "defaulted"


def test_write_off_below_the_threshold_runs_at_once_and_only_defaulted_loans(services, session, monkeypatch):
    loan = applied(services, code="OFF3")
    finance = typed(services, new_staff(services, "finance"))
    with pytest.raises(LoanRefused, match="only a defaulted loan"):
        services.loan_write_offs.request(finance, loan.id, "nope")
    loan = defaulted(services, session)
    monkeypatch.setattr(services.approvals.thresholds, "limits", {})
    done = services.loan_write_offs.request(finance, loan.id, "uncollectable")
    assert done.approval is None and session.get(Loan, loan.id).state == "written_off"


@pytest.mark.committed
def test_two_officers_at_once_exactly_one_decides(app):
    """Declines race here: an approved loan committed for real would be aged by the later ageing tests."""
    setup = loan_services(app)
    tag = uuid.uuid4().hex[:6]
    loan = applied(setup, code=f"R{tag}")
    officers = [new_staff(setup, "loan_officer", username=f"lo{tag}{n}").username for n in range(2)]
    db.session.commit()
    loan_id = loan.id
    db.session.remove()

    def decide(index):
        with app.app_context():
            services = loan_services(app)
            try:
                services.loan_officers.decline(services.staff.cli_actor(officers[index]), loan_id, "race")
                db.session.commit()
                return "declined"
            except LoanRefused:
                db.session.rollback()
                return "refused"
            finally:
                db.session.remove()

    assert sorted(run_in_threads(decide, 2)) == ["declined", "refused"]
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(subject_type="loan", subject_id=str(loan_id),
                                                      action="loans.decline").count() == 1
        db.session.get(Loan, loan_id).product.active = False  # committed for real: off every later test's menus
        db.session.commit()
        db.session.remove()


def test_the_write_off_command_waits_for_a_checker(app, services, session):
    loan = defaulted(services, session)
    finance = new_staff(services, "finance").username
    db.session.commit()
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["loans", "write-off", str(loan.id), "--staff", finance])
    assert refused.exit_code != 0  # --reason is required
    result = runner.invoke(args=["loans", "write-off", str(loan.id), "--reason", "uncollectable", "--staff", finance])
    assert result.exit_code == 0 and "waits for approval" in result.output, result.output
    assert session.get(Loan, loan.id).state == "defaulted"
