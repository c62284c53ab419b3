"""Reversals and refunds: compensating entries only, money back through the operator, both parties told."""

import uuid

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.audit.services import ReasonRequired
from app.extensions import db
from app.ledger.cli import reverse_command as ledger_reverse_command
from app.ledger.references import entry_reference
from app.ledger.verify import verify_ledger
from app.money import Money
from app.notifications.models import Notification
from app.payments.cli import reverse_command as payments_reverse_command
from app.payments.reversals import ReversalError
from app.services import build_services
from app.staff import errors
from app.staff.models import StaffRole, WorkItem
from tests.app.agents.agent_helpers import new_agent
from tests.app.payments.review_helpers import PHONE, deposit, fake_callback, savings
from tests.app.staff.staff_helpers import new_staff, sign_in, typed
from tests.concurrency_helpers import run_in_threads
from tests.fakes import FakeProvider
from tests.member_helpers import make_member
from tests.money_helpers import fund_savings, kes


class ReversingProvider(FakeProvider):
    """An operator with a reversal API (as M-Pesa Daraja): a recovery pulls a payout back."""

    request_reversal = FakeProvider.request_collection


def succeeded_deposit(services, member, minor=500_00, key="deposit:rev:1"):
    payment = deposit(services, member, minor, key)
    fake_callback(services, payment)
    assert payment.state == "succeeded"
    return payment


def settle(services, payment, status="succeeded"):
    services.payments.send(payment.id, checkpoint=services.session.flush)
    fake_callback(services, payment, status)
    return payment


def notified(session, kind, **who):
    return list(session.scalars(select(Notification).where(Notification.kind == kind).filter_by(**who)))


def test_a_deposit_is_refunded_through_the_operator_and_reversed_once(services, fake, member, finance, session):
    clearing = services.ledger.clearing_account("fake", "KES")
    clearing_before = services.ledger.balance(clearing)
    payment = succeeded_deposit(services, member)
    done = services.payment_reversals.reverse_payment(finance, payment.reference, "member paid the wrong paybill")
    refund = done.result
    assert refund.purpose == "refund" and refund.direction == "disbursement" and refund.purpose_ref == str(payment.id)
    assert savings(services, member) == Money(0, "KES")  # reserved at once: cannot be spent twice
    with pytest.raises(ReversalError, match="not reversed twice"):
        services.payment_reversals.reverse_payment(finance, payment.reference, "double click")
    settle(services, refund)
    assert refund.state == "succeeded" and payment.state == "reversed"
    assert fake.requests[-1].original_receipt == "RC1"
    assert services.ledger.balance(clearing) == clearing_before  # the money went back out the way it came
    [told] = notified(session, "payment_refunded", member_id=member.id)
    assert "zimerudishwa" in told.text
    with pytest.raises(ReversalError, match="already reversed"):
        services.payment_reversals.reverse_payment(finance, payment.reference, "again")
    assert [e.action for e in session.scalars(select(AuditEvent).where(
        AuditEvent.subject_type == "payment", AuditEvent.subject_id == str(payment.id)))] == ["payments.reverse"]
    assert verify_ledger(session) == []


def test_a_failed_refund_gives_the_money_back_and_may_be_tried_again(services, fake, member, finance):
    payment = succeeded_deposit(services, member)
    refund = services.payment_reversals.reverse_payment(finance, payment.reference, "wrong paybill").result
    settle(services, refund, "failed")
    assert refund.state == "failed" and payment.state == "succeeded"
    [item] = services.session.scalars(select(WorkItem).where(WorkItem.kind == "refund_failed")).all()
    assert item.role == "finance" and item.subject_id == str(refund.id)
    assert savings(services, member) == Money(500_00, "KES")
    again = services.payment_reversals.reverse_payment(finance, payment.reference, "second try").result
    assert again.id != refund.id and again.idempotency_key.endswith(":2")


def test_a_duplicate_payout_is_pulled_back_by_the_operators_reversal(services, member, finance, session):
    operator = services.providers.install(ReversingProvider())
    fund_savings(services, member, 1_000_00, provider="fake")
    payout = services.payments.start("withdrawal:dup:1", member, "disbursement", "withdrawal", kes(300), PHONE,
                                     provider="fake")
    settle(services, payout)
    assert savings(services, member) == kes(700)
    recovery = services.payment_reversals.reverse_payment(finance, payout.reference, "paid twice").result
    assert recovery.purpose == "recovery" and recovery.direction == "collection"
    settle(services, recovery)
    assert payout.state == "reversed" and savings(services, member) == kes(1000)
    assert operator.requests[-1].original_direction == "disbursement"
    assert notified(session, "payment_recovered", member_id=member.id)
    assert verify_ledger(session) == []


def test_an_operator_without_a_reversal_cannot_pull_a_payout_back(services, fake, member, finance):
    fund_savings(services, member, 1_000_00, provider="fake")
    payout = services.payments.start("withdrawal:dup:2", member, "disbursement", "withdrawal", kes(300), PHONE,
                                     provider="fake")
    settle(services, payout)
    with pytest.raises(ReversalError, match="cannot pull a disbursement back"):
        services.payment_reversals.reverse_payment(finance, payout.reference, "paid twice")


def test_payment_reversal_refusals_write_nothing(services, fake, member, session):
    payment = succeeded_deposit(services, member)
    with pytest.raises(errors.PermissionDenied, match="payments.reverse"):
        services.payment_reversals.reverse_payment(typed(services, new_staff(services, "support")),
                                                   payment.reference, "why not")
    finance = typed(services, new_staff(services, "finance"))
    with pytest.raises(ReasonRequired):
        services.payment_reversals.reverse_payment(finance, payment.reference, "")
    with pytest.raises(ReversalError, match="no payment"):
        services.payment_reversals.reverse_payment(finance, "PMJ999999999", "gone")
    pending = deposit(services, member, 100_00, "deposit:rev:pending")
    with pytest.raises(ReversalError, match="only a succeeded payment"):
        services.payment_reversals.reverse_payment(finance, pending.reference, "not yet")
    assert savings(services, member) == kes(500) and payment.state == "succeeded"


def test_above_the_threshold_the_refund_waits_for_a_checker(services, fake, member, finance, session):
    payment = succeeded_deposit(services, member, minor=20_000_00, key="deposit:rev:big")
    done = services.payment_reversals.reverse_payment(finance, payment.reference, "wrong paybill")
    assert done.result is None and done.approval is not None and savings(services, member) == kes(20000)
    approval = services.approvals.approve(sign_in(services, new_staff(services, "branch_manager")), done.approval.id)
    assert approval.result["refund"] and savings(services, member) == kes(0)


def test_a_deposit_on_the_wrong_member_is_moved_and_both_are_told(services, fake, member, finance, session):
    payment = succeeded_deposit(services, member)
    right = make_member(session, "+254712000888", "Otieno Juma")
    done = services.payment_reversals.reverse_entry(finance, payment.ledger_entry_id, "typed the wrong number",
                                                    to_member=right.id)
    assert done.result.idempotency_key == f"reverse:{payment.ledger_entry_id}"
    assert savings(services, member) == kes(0) and savings(services, right) == kes(500)
    assert "Marekebisho" in notified(session, "correction_debit", member_id=member.id)[0].text
    [credit] = notified(session, "correction_credit", member_id=right.id)
    reference = entry_reference(services.ledger.entry(f"reverse:{payment.ledger_entry_id}").id)
    assert credit.text.startswith(f"Pamoja correction {reference}: KES 500 added to your account. Balance: KES 500.")
    with pytest.raises(ReversalError, match="already reversed"):
        services.payment_reversals.reverse_entry(finance, payment.ledger_entry_id, "again", to_member=right.id)
    with pytest.raises(ReversalError, match="itself a reversal"):
        services.payment_reversals.reverse_entry(finance, done.result.id, "undo the undo")
    assert verify_ledger(session) == []


def test_a_payments_entry_is_reversed_with_the_payment_not_the_ledger(services, fake, member, finance):
    payment = succeeded_deposit(services, member)
    with pytest.raises(ReversalError, match="flask payments reverse"):
        services.payment_reversals.reverse_entry(finance, payment.ledger_entry_id, "wrong")


def test_an_agent_cash_in_on_the_wrong_number_is_reversed_and_both_are_told(services, finance, session):
    agent = new_agent(services, float_minor=10_000_00)
    wrong = make_member(session, "+254712000999", "Wrong Number")
    cash = services.agent_cash.cash_deposit(agent, wrong, kes(1000), idempotency_key=f"cash:{uuid.uuid4().hex}")
    float_ = services.ledger.account("agent", agent.id, "agent_float", "KES")
    assert services.ledger.balance(float_) == kes(9000)
    with pytest.raises(ReversalError, match="no ledger entry"):
        services.payment_reversals.reverse_entry(finance, 10**12, "missing")
    done = services.payment_reversals.reverse_entry(finance, cash.ledger_entry_id, "agent typed the wrong number")
    assert services.ledger.balance(float_) == kes(10000) and savings(services, wrong) == kes(0)
    assert notified(session, "correction_credit", agent_id=agent.id)
    assert notified(session, "correction_debit", member_id=wrong.id)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "ledger.reverse")).one()
    assert event.after["reversal_entry"] == done.result.id and event.reason == "agent typed the wrong number"
    assert verify_ledger(session) == []


def test_a_reversal_the_member_cannot_cover_posts_nothing(services, finance, session):
    agent = new_agent(services, float_minor=10_000_00)
    wrong = make_member(session, "+254712000998", "Spent It")
    cash = services.agent_cash.cash_deposit(agent, wrong, kes(1000), idempotency_key=f"cash:{uuid.uuid4().hex}")
    services.ledger.post("spend:1", [(services.ledger.account("member", wrong.id, "member_savings", "KES"), kes(600)),
                                     (services.ledger.clearing_account("fake", "KES"), -kes(600))],
                         kind="withdrawal", initiated_by="test", channel="system")
    with pytest.raises(ReversalError, match="cannot be reversed"):
        services.payment_reversals.reverse_entry(finance, cash.ledger_entry_id, "wrong number")
    assert services.ledger.entry(f"reverse:{cash.ledger_entry_id}") is None
    assert verify_ledger(session) == []


def test_ledger_reversal_above_the_threshold_waits_for_a_checker(services, fake, member, finance):
    payment = succeeded_deposit(services, member, minor=50_000_00, key="deposit:rev:huge")
    right = make_member(services.session, "+254712000887", "Right Person")
    done = services.payment_reversals.reverse_entry(finance, payment.ledger_entry_id, "wrong member",
                                                    to_member=right.id)
    assert done.approval is not None and savings(services, right) == kes(0)
    with pytest.raises(errors.SelfApproval):
        services.approvals.approve(_maker_signed_in(services, finance), done.approval.id)
    services.approvals.approve(sign_in(services, new_staff(services, "branch_manager")), done.approval.id)
    assert savings(services, right) == kes(50000) and savings(services, member) == kes(0)


def _maker_signed_in(services, actor):
    """The maker, made a branch manager too and signed in: still may not approve their own request."""
    staff = services.staff.get(actor.id)
    staff.role_rows.append(StaffRole(role="branch_manager"))
    services.session.flush()
    return sign_in(services, staff)


def test_cli_reverses_a_payment_and_an_entry(app, services, fake, member, session):
    payment = succeeded_deposit(services, member)
    staff = new_staff(services, "finance")
    runner = app.test_cli_runner()
    no_reason = runner.invoke(payments_reverse_command, [payment.reference, "--staff", staff.username])
    assert no_reason.exit_code == 2
    support = new_staff(services, "support")
    right = make_member(session, "+254712000886", "Right One")
    session.commit()  # a refused command rolls its session back
    refused = runner.invoke(ledger_reverse_command, [str(payment.ledger_entry_id), "--reason", "x", "--to-member",
                                                     str(right.id), "--staff", support.username])
    assert refused.exit_code == 1 and "payments.reverse" in refused.output
    moved = runner.invoke(ledger_reverse_command, [str(payment.ledger_entry_id), "--reason", "wrong member",
                                                   "--to-member", str(right.id), "--staff", staff.username])
    assert moved.exit_code == 0, moved.output
    assert "reversed by entry" in moved.output
    twice = runner.invoke(ledger_reverse_command, [str(payment.ledger_entry_id), "--reason", "again",
                                                   "--to-member", str(right.id), "--staff", staff.username])
    assert twice.exit_code == 1 and "already reversed" in twice.output


@pytest.mark.committed
def test_two_staff_reversing_one_entry_at_once_exactly_one_wins(app):
    setup = build_services(app, db.session)
    tag = uuid.uuid4().hex[:8]
    agent = new_agent(setup, code=f"R{tag[:5]}", phone="+25472" + str(uuid.uuid4().int)[:7], float_minor=5_000_00)
    member = make_member(setup.session, "+25471" + str(uuid.uuid4().int)[:7], "Race Member")
    cash = setup.agent_cash.cash_deposit(agent, member, kes(100), idempotency_key=f"cash:{tag}")
    staff_ids = [new_staff(setup, "finance", username=f"rev{tag}{n}").id for n in range(2)]
    db.session.commit()
    entry_id = cash.ledger_entry_id
    db.session.remove()

    def reverse(index):
        with app.app_context():
            services = build_services(app, db.session)
            try:
                actor = services.staff.cli_actor(services.staff.get(staff_ids[index]).username)
                services.payment_reversals.reverse_entry(actor, entry_id, "race")
                db.session.commit()
                return "reversed"
            except ReversalError:
                db.session.rollback()
                return "refused"
            finally:
                db.session.remove()

    assert sorted(run_in_threads(reverse, 2)) == ["refused", "reversed"]
    with app.app_context():
        assert verify_ledger(db.session) == []
