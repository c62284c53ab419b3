"""Agent disputes from the member's DISPUTE to an outcome: states, permissions, the compensating entry, the SLA."""

import uuid
from datetime import UTC, datetime

import pytest

from app.agents import errors
from app.agents.models import CASH_WITHDRAWAL, INVESTIGATING, REJECTED, UPHELD, AgentDispute, AgentTransaction
from app.audit.services import ReasonRequired
from app.clock import FixedClock
from app.extensions import db
from app.ledger.verify import verify_ledger
from app.money import Money
from app.notifications.models import Notification
from app.services import build_services
from app.staff.errors import PermissionDenied
from app.staff.models import WorkItem
from tests.app.agents.agent_helpers import new_agent, new_member
from tests.app.staff.staff_helpers import new_staff, typed
from tests.concurrency_helpers import run_in_threads
from tests.money_helpers import kes


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def world(app, session, clock):
    services = build_services(app, db.session, clock=clock)
    agent = new_agent(services, float_minor=1_000_00)
    member = new_member(services)
    row = services.agent_cash.cash_deposit(agent, member, kes(500), idempotency_key="w1")
    services.agent_disputes.dispute(member, row.receipt)
    dispute = session.query(AgentDispute).filter_by(transaction_id=row.id).one()
    support = typed(services, new_staff(services, "support"))
    manager = typed(services, new_staff(services, "branch_manager"))
    return services, agent, member, row, dispute, support, manager


def balances(services, agent, member):
    savings = services.ledger.account("member", member.id, "member_savings", "KES")
    receivable = services.ledger.account("agent", agent.id, "agent_receivable", "KES")
    return services.agent_float.balance(agent), services.ledger.balance(savings), services.ledger.balance(receivable)


def test_a_dispute_opens_with_its_sla_and_is_audited(world, clock):
    services, _agent, member, row, dispute, support, _ = world
    assert dispute.state == "open" and dispute.due_at == clock.now() + services.agent_disputes.sla
    assert [(event.action, event.actor_kind) for event in services.audit.for_subject(("agent_dispute", dispute.id))] \
        == [("disputes.open", "member")]
    assert [d.id for d, _ in services.agent_disputes.list(support)] == [dispute.id]


def test_uphold_credits_the_member_from_the_float_in_one_entry_and_tells_both(world, session):
    services, agent, member, row, dispute, support, manager = world
    before_float, before_savings, _ = balances(services, agent, member)
    with pytest.raises(errors.DisputeStateError):  # no decision before someone investigates
        services.agent_disputes.uphold(manager, dispute.id, "member right")
    services.agent_disputes.investigate(support, dispute.id, "called the member back")
    upheld = services.agent_disputes.uphold(manager, dispute.id, "agent admitted the cash never went in")
    assert upheld.state == UPHELD and upheld.resolved_by_staff_id == manager.id
    float_, savings, receivable = balances(services, agent, member)
    assert (before_float - float_, savings - before_savings, receivable) == (kes(500), kes(500), kes(0))
    entry = services.ledger.entry(f"dispute:{dispute.id}:uphold")
    assert entry.id == upheld.reversal_entry_id and len(entry.postings) == 2
    assert sum(posting.amount for posting in entry.postings) == 0
    kinds = {(n.kind, n.member_id, n.agent_id) for n in session.query(Notification).filter(
        Notification.kind.like("dispute_%"))}
    assert kinds == {("dispute_upheld_paid", member.id, None), ("dispute_upheld_charged", None, agent.id)}
    with pytest.raises(errors.DisputeStateError):
        services.agent_disputes.uphold(manager, dispute.id, "again")
    with pytest.raises(errors.DisputeStateError):
        services.agent_disputes.reject(manager, dispute.id, "changed my mind")
    actions = [event.action for event in services.audit.for_subject(("agent_dispute", dispute.id))]
    assert actions == ["disputes.open", "disputes.investigate", "disputes.uphold"]
    assert verify_ledger(session) == []


def test_a_float_too_low_books_the_rest_as_the_agents_receivable(world, session):
    services, agent, member, row, dispute, support, manager = world
    spend = new_member(services, name="Juma Hamisi")
    services.agent_cash.cash_deposit(agent, spend, kes(1_000) - kes(500) - kes(300), idempotency_key="w2")
    assert services.agent_float.balance(agent) == kes(300)
    services.agent_disputes.investigate(support, dispute.id, "checking")
    services.agent_disputes.uphold(manager, dispute.id, "cash never reached the member")
    float_, _savings, receivable = balances(services, agent, member)
    assert (float_, receivable) == (kes(0), kes(200))
    owed = session.query(Notification).filter_by(kind="dispute_upheld_owed", agent_id=agent.id).one()
    assert owed is not None


def test_a_cash_out_dispute_takes_back_from_savings_and_books_a_member_receivable(world, session, clock):
    services, agent, member, _row, _dispute, support, manager = world
    savings = services.ledger.account("member", member.id, "member_savings", "KES")
    float_ = services.ledger.account("agent", agent.id, "agent_float", "KES")
    entry = services.ledger.post("test-cash-out", [(savings, kes(400)), (float_, -kes(400))], kind="cash_withdrawal",
                                 initiated_by="test", channel="ussd")
    out = AgentTransaction(agent_id=agent.id, member_id=member.id, kind=CASH_WITHDRAWAL, amount_minor=40000,
                           currency="KES", receipt="TESTOUT2", idempotency_key="test-cash-out",
                           ledger_entry_id=entry.id, status="completed", channel="ussd", created_at=clock.now())
    session.add(out)
    session.flush()
    services.agent_disputes.dispute(member, "TESTOUT2")
    dispute = session.query(AgentDispute).filter_by(transaction_id=out.id).one()
    before_float = services.agent_float.balance(agent)
    assert services.ledger.balance(savings) == kes(100)
    services.agent_disputes.investigate(support, dispute.id, "agent says the member got no cash")
    services.agent_disputes.uphold(manager, dispute.id, "agent confirmed")
    receivable = services.ledger.account("member", member.id, "member_receivable", "KES")
    assert services.ledger.balance(savings) == kes(0) and services.ledger.balance(receivable) == kes(300)
    assert services.agent_float.balance(agent) - before_float == kes(400)


def test_reject_leaves_the_money_and_tells_both_in_their_language(world, session):
    services, agent, member, row, dispute, support, manager = world
    member.locale = "sw"
    before = balances(services, agent, member)
    services.agent_disputes.investigate(support, dispute.id, "called back")
    assert services.agent_disputes.reject(manager, dispute.id, "CCTV shows the deposit").state == REJECTED
    assert balances(services, agent, member) == before
    texts = {n.member_id or n.agent_id: n.text for n in session.query(Notification).filter_by(kind="dispute_rejected")}
    assert "kukataliwa" in texts[member.id] and "rejected" in texts[agent.id]
    assert all(len(text) <= 160 for text in texts.values())


def test_permissions_reasons_and_unknown_ids(world):
    services, _agent, _member, _row, dispute, support, manager = world
    auditor = typed(services, new_staff(services, "auditor"))
    finance = typed(services, new_staff(services, "finance"))
    assert services.agent_disputes.show(auditor, dispute.id)[0].id == dispute.id
    with pytest.raises(PermissionDenied):
        services.agent_disputes.investigate(auditor, dispute.id, "x")
    with pytest.raises(ReasonRequired):
        services.agent_disputes.investigate(support, dispute.id, "")
    services.agent_disputes.investigate(support, dispute.id, "ok")
    with pytest.raises(PermissionDenied):
        services.agent_disputes.uphold(support, dispute.id, "support may not decide")
    with pytest.raises(PermissionDenied):
        services.agent_disputes.reject(finance, dispute.id, "finance may not decide")
    with pytest.raises(ReasonRequired):
        services.agent_disputes.uphold(manager, dispute.id, " ")
    assert services.agent_disputes.show(manager, dispute.id)[0].state == INVESTIGATING
    with pytest.raises(errors.UnknownDispute):
        services.agent_disputes.uphold(manager, 999_999, "no such")


def test_the_sla_escalates_once_to_the_branch_manager_by_sms(world, session, clock):
    services, *_rest, dispute, _support, _manager = world
    new_staff(services, "branch_manager", phone="+254700111222")
    assert services.agent_disputes.escalate_overdue() == 0
    clock.advance(hours=services.settings.DISPUTE_SLA_HOURS, minutes=1)
    assert services.agent_disputes.escalate_overdue() == 1
    assert services.agent_disputes.escalate_overdue() == 0
    item = session.query(WorkItem).filter_by(dedupe_key=f"dispute_sla:{dispute.id}").one()
    assert item.role == "branch_manager" and f"#{dispute.id}" in item.summary
    assert [e.action for e in services.audit.for_subject(("agent_dispute", dispute.id))][-1] == "disputes.escalate"


def test_the_cli_takes_a_dispute_to_an_outcome(app, world):
    services, agent, member, row, dispute, support, manager = world
    db.session.commit()
    runner = app.test_cli_runner()
    support_name, manager_name = services.staff.get(support.id).username, services.staff.get(manager.id).username
    listed = runner.invoke(args=["disputes", "list", "--staff", support_name])
    assert listed.exit_code == 0 and row.receipt in listed.output
    assert runner.invoke(args=["disputes", "investigate", str(dispute.id), "--staff", support_name,
                               "--reason", "called"]).exit_code == 0
    refused = runner.invoke(args=["disputes", "uphold", str(dispute.id), "--staff", support_name, "--reason", "x"])
    assert refused.exit_code != 0 and "disputes.resolve" in refused.output
    done = runner.invoke(args=["disputes", "uphold", str(dispute.id), "--staff", manager_name, "--reason", "ok"])
    assert done.exit_code == 0 and "upheld" in done.output
    twice = runner.invoke(args=["disputes", "reject", str(dispute.id), "--staff", manager_name, "--reason", "x"])
    assert twice.exit_code != 0 and "upheld" in twice.output
    shown = runner.invoke(args=["disputes", "show", str(dispute.id), "--staff", support_name])
    assert "resolved" in shown.output and row.receipt in shown.output


@pytest.mark.committed
def test_two_managers_at_once_exactly_one_wins(app):
    setup = build_services(app, db.session)
    tag = uuid.uuid4().int
    agent = new_agent(setup, phone=f"+25473{tag % 10**7:07d}", code=f"D{tag % 10**6:06d}", float_minor=100000)
    member = new_member(setup, phone=f"+25475{tag % 10**7:07d}")
    row = setup.agent_cash.cash_deposit(agent, member, kes(300), idempotency_key=f"dsp:{tag}")
    setup.agent_disputes.dispute(member, row.receipt)
    dispute = db.session.query(AgentDispute).filter_by(transaction_id=row.id).one()
    setup.agent_disputes.investigate(typed(setup, new_staff(setup, "support")), dispute.id, "called")
    managers = [new_staff(setup, "branch_manager").id for _ in range(2)]
    db.session.commit()
    dispute_id, agent_id = dispute.id, agent.id
    db.session.remove()

    def decide(index):
        with app.app_context():
            services = build_services(app, db.session)
            try:
                actor = typed(services, services.staff.get(managers[index]))
                if index == 0:
                    services.agent_disputes.uphold(actor, dispute_id, "race")
                else:
                    services.agent_disputes.reject(actor, dispute_id, "race")
                db.session.commit()
                return "won"
            except errors.DisputeStateError:
                db.session.rollback()
                return "refused"
            finally:
                db.session.remove()

    assert sorted(run_in_threads(decide, 2)) == ["refused", "won"]
    services = build_services(app, db.session)
    final = db.session.get(AgentDispute, dispute_id)
    entries = services.ledger.entry(f"dispute:{dispute_id}:uphold")
    assert (final.state == UPHELD) == (entries is not None)
    expected = Money(100000 - 30000 - (30000 if final.state == UPHELD else 0), "KES")
    assert services.agent_float.balance(services.agents.get(agent_id)) == expected
