"""Payments in review: finance sees them, a person resolves them exactly as an operator's answer would."""

import uuid

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.audit.services import ReasonRequired
from app.extensions import db
from app.ledger.verify import verify_ledger
from app.money import Money
from app.notifications.models import Notification
from app.payments.cli import review_list_command, review_resolve_command, review_show_command
from app.payments.review import ReviewError
from app.services import build_services
from app.staff import errors
from app.staff.models import WorkItem
from tests.app.payments.review_helpers import (
    deposit,
    deposit_in_review,
    fake_callback,
    savings,
    withdrawal_in_review,
)
from tests.app.staff.staff_helpers import new_staff, sign_in, typed
from tests.concurrency_helpers import run_in_threads
from tests.fakes import FakeProvider
from tests.member_helpers import make_member


def items(session, payment, kind=None):
    query = select(WorkItem).where(WorkItem.subject_type == "payment", WorkItem.subject_id == str(payment.id))
    return list(session.scalars(query.where(WorkItem.kind == kind) if kind else query))


def audit_actions(session, payment):
    return [e.action for e in session.scalars(select(AuditEvent).where(
        AuditEvent.subject_type == "payment", AuditEvent.subject_id == str(payment.id)).order_by(AuditEvent.id))]


def test_review_lists_what_is_known_and_queues_it_for_finance(services, fake, member, session):
    payment = deposit_in_review(services, member)
    [item] = items(session, payment)
    assert item.kind == "payment_review" and item.role == "finance" and item.status == "open"
    assert item.details["reason"] == "amount_mismatch" and item.details["reported_amount_minor"] == 501_00
    [case] = [c for c in services.payment_review.list() if c.payment.id == payment.id]
    assert case.why == "amount_mismatch" and case.callbacks == 1
    assert case.reported[0]["amount"] == Money(501_00, "KES") and case.reported[0]["status"] == "succeeded"
    assert services.payment_review.show(payment.reference).payment.id == payment.id
    with pytest.raises(ReviewError, match="no payment"):
        services.payment_review.show("PMJ999999999")


def test_resolved_as_succeeded_posts_the_success_entry_once(services, fake, member, finance, session):
    payment = deposit_in_review(services, member)
    done = services.payment_review.resolve(finance, payment.reference, "succeeded", "statement shows KES 500")
    assert done.approval is None and payment.state == "succeeded" and payment.ledger_entry_id
    assert services.ledger.entry(f"payment:{payment.id}").id == payment.ledger_entry_id
    assert savings(services, member) == Money(500_00, "KES")
    assert audit_actions(session, payment) == ["payments.resolve"]
    assert all(item.status == "done" for item in items(session, payment))
    with pytest.raises(ReviewError, match="not in review"):
        services.payment_review.resolve(finance, payment.reference, "failed", "again")
    assert session.scalar(select(Notification).where(Notification.member_id == member.id,
                                                     Notification.kind == "deposit_received")) is not None
    assert verify_ledger(session) == []


def test_resolved_as_failed_releases_the_reservation_and_tells_the_member(services, fake, member, finance, session):
    payment = withdrawal_in_review(services, member)
    assert savings(services, member) == Money(700_00, "KES")
    services.payment_review.resolve(finance, str(payment.id), "failed", "operator has no record of it")
    assert payment.state == "failed" and savings(services, member) == Money(1_000_00, "KES")
    told = session.scalar(select(Notification).where(Notification.member_id == member.id,
                                                     Notification.kind == "payment_failed"))
    assert told is not None and "hayakufanikiwa" in told.text  # in her language
    assert verify_ledger(session) == []


def test_refusals_change_nothing(services, fake, member, session):
    payment = deposit_in_review(services, member)
    support = typed(services, new_staff(services, "support"))
    with pytest.raises(errors.PermissionDenied, match="payments.review"):
        services.payment_review.resolve(support, payment.reference, "succeeded", "looks fine")
    finance = typed(services, new_staff(services, "finance"))
    with pytest.raises(ReasonRequired):
        services.payment_review.resolve(finance, payment.reference, "succeeded", "  ")
    with pytest.raises(ReviewError, match="resolve as one of"):
        services.payment_review.resolve(finance, payment.reference, "maybe", "unsure")
    with pytest.raises(ReviewError, match="no payment"):
        services.payment_review.resolve(finance, "PMJ999999999", "failed", "gone")
    assert payment.state == "review" and payment.ledger_entry_id is None
    assert "payments.resolve" not in audit_actions(session, payment)


def test_above_the_threshold_a_second_staff_member_approves(services, fake, member, finance, session):
    payment = deposit_in_review(services, member, minor=20_000_00, key="deposit:big:1")
    done = services.payment_review.resolve(finance, payment.reference, "succeeded", "statement checked")
    assert done.approval is not None and payment.state == "review"
    manager = sign_in(services, new_staff(services, "branch_manager"))
    services.approvals.approve(manager, done.approval.id, note="seen the statement")
    assert payment.state == "succeeded" and savings(services, member) == Money(20_000_00, "KES")
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "payments.resolve",
                                                     AuditEvent.subject_id == str(payment.id))).one()
    assert event.actor_id == str(manager.id) and event.reason == "statement checked"
    assert verify_ledger(session) == []


def test_a_late_success_after_a_person_said_failed_opens_a_disagreement(services, fake, member, finance, session):
    payment = withdrawal_in_review(services, member)
    services.payment_review.resolve(finance, payment.reference, "failed", "operator says unknown")
    fake_callback(services, payment, "succeeded", ref=payment.reference)  # never acknowledged: our reference
    assert payment.state == "review"
    [item] = [i for i in items(session, payment, "payment_disagreement") if i.status == "open"]
    assert "payments.late_callback" in audit_actions(session, payment)
    # the operator was right after all: resolving it as paid reserves again and posts the payout
    services.payment_review.resolve(finance, payment.reference, "succeeded", "B2C receipt confirmed")
    assert payment.state == "succeeded" and savings(services, member) == Money(700_00, "KES")
    assert verify_ledger(session) == []


def test_a_late_failure_after_a_person_said_succeeded_is_queued_not_dropped(services, fake, member, finance,
                                                                             session):
    payment = deposit_in_review(services, member)
    services.payment_review.resolve(finance, payment.reference, "succeeded", "statement shows it")
    fake_callback(services, payment, "failed", reason="cancelled")
    assert payment.state == "succeeded"
    [item] = items(session, payment, "payment_disagreement")
    assert item.status == "open" and item.role == "finance"
    assert services.payments.events(payment.id)[-1].outcome == "disagrees_with_person"
    fake_callback(services, payment, "succeeded")  # an agreeing answer is recorded and audited, nothing opened
    assert len(items(session, payment, "payment_disagreement")) == 1
    assert audit_actions(session, payment).count("payments.late_callback") == 2


def test_a_payment_that_was_never_in_review_by_a_person_behaves_as_before(services, fake, member, session):
    payment = deposit(services, member, 100_00, "deposit:plain:1")
    fake_callback(services, payment)
    fake_callback(services, payment, "failed")
    assert payment.state == "succeeded" and items(session, payment) == []


def test_cli_lists_shows_and_resolves(app, services, fake, member, session):
    payment = deposit_in_review(services, member)
    staff = new_staff(services, "finance")
    runner = app.test_cli_runner()
    listed = runner.invoke(review_list_command, [])
    assert payment.reference in listed.output and "amount_mismatch" in listed.output and "KES 500" in listed.output
    shown = runner.invoke(review_show_command, [payment.reference])
    assert shown.exit_code == 0 and "event #" in shown.output
    missing = runner.invoke(review_resolve_command, [payment.reference, "--as", "succeeded", "--reason", "ok",
                                                     "--staff", "nobody-here"])
    assert missing.exit_code == 1
    done = runner.invoke(review_resolve_command, [payment.reference, "--as", "succeeded", "--reason", "statement",
                                                  "--staff", staff.username])
    assert done.exit_code == 0, done.output
    assert f"{payment.reference}: succeeded" in done.output


@pytest.mark.committed
def test_two_staff_resolving_at_once_exactly_one_wins(app):
    setup = build_services(app, db.session)
    setup.providers.install(FakeProvider())
    tag = uuid.uuid4().hex[:8]
    member = make_member(setup.session, "+2547120" + str(uuid.uuid4().int)[:5], "Race Member")
    payment = deposit_in_review(setup, member, key=f"deposit:race:{tag}")
    staff_ids = [new_staff(setup, "finance", username=f"fin{tag}{n}").id for n in range(2)]
    db.session.commit()
    payment_id = payment.id
    db.session.remove()

    def resolve(index):
        with app.app_context():
            services = build_services(app, db.session)
            services.providers.install(FakeProvider())
            try:
                actor = services.staff.cli_actor(services.staff.get(staff_ids[index]).username)
                services.payment_review.resolve(actor, str(payment_id), ["succeeded", "failed"][index], "race")
                db.session.commit()
                return "resolved"
            except ReviewError:
                db.session.rollback()
                return "refused"
            finally:
                db.session.remove()

    assert sorted(run_in_threads(resolve, 2)) == ["refused", "resolved"]
    with app.app_context():
        assert verify_ledger(db.session) == []
