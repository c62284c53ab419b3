"""Staff oversight of agents: suspend and reinstate, limits, float top-ups above the threshold."""

import pytest

from app.agents import errors
from app.agents.models import ACTIVE, SUSPENDED
from app.audit.services import ReasonRequired
from app.extensions import db
from app.payments.models import Payment
from app.staff.errors import ApprovalNotPending, PermissionDenied, SelfApproval
from tests.app.agents.agent_helpers import AGENT_PHONE, AGENT_PIN, new_agent, new_member
from tests.app.staff.staff_helpers import new_staff, sign_in, typed
from tests.money_helpers import kes
from tests.ussd_helpers import UssdPhone


def test_suspend_refuses_the_agent_everywhere_and_reinstate_restores(app, services, client):
    agent = new_agent(services, float_minor=100000)
    member = new_member(services)
    manager = typed(services, new_staff(services, "branch_manager"))
    support = typed(services, new_staff(services, "support"))
    with pytest.raises(PermissionDenied):
        services.agent_oversight.suspend(support, agent.code, "fraud report")
    with pytest.raises(ReasonRequired):
        services.agent_oversight.suspend(manager, agent.code, "")
    assert services.agent_oversight.suspend(manager, "a001", "fraud report").status == SUSPENDED
    with pytest.raises(errors.AgentStateError):
        services.agent_oversight.suspend(manager, agent.code, "twice")
    with pytest.raises(errors.AgentInactive):
        services.agent_cash.cash_deposit(agent, member, kes(100), idempotency_key="s1")
    with pytest.raises(errors.AgentInactive):
        services.agent_float.start_topup(agent, kes(100), idempotency_key="s2")
    db.session.commit()
    phone = UssdPhone(client, AGENT_PHONE, service_code=app.config["AGENT_USSD_CODE"])
    phone.dial()
    refused = phone.send(AGENT_PIN)
    assert refused.startswith("END ") and "suspended" in refused
    with pytest.raises(errors.UnknownAgent):
        services.agent_oversight.reinstate(manager, "NOPE", "typo")
    assert services.agent_oversight.reinstate(manager, agent.code, "cleared").status == ACTIVE
    events = [(e.action, e.before, e.after) for e in services.audit.for_subject(("agent", agent.id))]
    assert events == [("agents.suspend", {"status": ACTIVE}, {"status": SUSPENDED}),
                      ("agents.reinstate", {"status": SUSPENDED}, {"status": ACTIVE})]


def test_limits_change_is_audited_with_before_and_after(services):
    agent = new_agent(services)
    manager = typed(services, new_staff(services, "branch_manager"))
    with pytest.raises(PermissionDenied):
        services.agent_oversight.set_limits(typed(services, new_staff(services, "finance")), agent.code, "x",
                                            per_transaction="100")
    with pytest.raises(errors.AgentStateError):
        services.agent_oversight.set_limits(manager, agent.code, "bad", per_transaction="30000")
    services.agent_oversight.set_limits(manager, agent.code, "busy market", per_transaction="8000",
                                        daily="40000")
    assert (agent.per_transaction_limit, agent.daily_limit) == (kes(8000), kes(40000))
    event = services.audit.for_subject(("agent", agent.id))[-1]
    assert (event.action, event.reason) == ("agents.limits", "busy market")
    assert event.before == {"per_transaction_limit_minor": 500000, "daily_limit_minor": 2000000}
    assert event.after == {"per_transaction_limit_minor": 800000, "daily_limit_minor": 4000000}


def test_a_large_topup_waits_for_a_branch_manager(services, session):
    agent = new_agent(services)
    with pytest.raises(errors.TopupNeedsApproval):  # not from the agent's phone
        services.agent_float.start_topup(agent, kes(150_000), idempotency_key="big")
    finance = new_staff(services, "finance")
    small, none = services.agent_oversight.request_topup(typed(services, finance), agent.code, "5000", "routine",
                                                         idempotency_key="r1")
    assert none is None and small.purpose == "agent_float_topup"
    payment, approval = services.agent_oversight.request_topup(typed(services, finance), agent.code, "150000",
                                                               "market day", idempotency_key="r2")
    assert payment is None and approval.action == "floats.approve"
    assert session.query(Payment).filter_by(amount_minor=15_000_000).count() == 0
    with pytest.raises(PermissionDenied):
        services.approvals.approve(sign_in(services, new_staff(services, "finance")), approval.id)
    with pytest.raises(PermissionDenied):  # a checker must be signed in
        services.approvals.approve(typed(services, new_staff(services, "branch_manager")), approval.id)
    manager = new_staff(services, "branch_manager")
    services.approvals.approve(sign_in(services, manager), approval.id)
    started = session.query(Payment).filter_by(amount_minor=15_000_000).one()
    assert approval.result == {"payment_id": started.id}
    with pytest.raises(ApprovalNotPending):
        services.approvals.approve(sign_in(services, new_staff(services, "branch_manager")), approval.id)
    maker_manager = new_staff(services, "branch_manager")
    _, own = services.agent_oversight.request_topup(typed(services, maker_manager), agent.code, "200000", "again",
                                                    idempotency_key="r3")
    with pytest.raises(SelfApproval):
        services.approvals.approve(sign_in(services, maker_manager), own.id)


def test_agents_cli_suspend_and_limits(app, services):
    agent = new_agent(services)
    manager = new_staff(services, "branch_manager")
    db.session.commit()
    runner = app.test_cli_runner()
    done = runner.invoke(args=["agents", "suspend", agent.code, "--reason", "audit", "--staff", manager.username])
    assert done.exit_code == 0 and "suspended" in done.output
    again = runner.invoke(args=["agents", "suspend", agent.code, "--reason", "audit", "--staff", manager.username])
    assert again.exit_code != 0 and "suspended" in again.output
    limits = runner.invoke(args=["agents", "limits", agent.code, "--daily-limit", "30000", "--reason", "growth",
                                 "--staff", manager.username])
    assert limits.exit_code == 0 and "KES" in limits.output
    missing = runner.invoke(args=["agents", "reinstate", agent.code, "--staff", manager.username])
    assert missing.exit_code != 0
