"""Staff oversight of agents: suspend, reinstate, change limits, and float top-ups above a threshold.

Each action: the permission first (`agents.manage`, `floats.approve`), the reason
before any write, the agent row locked FOR UPDATE (a concurrent cash transaction
queues on it, so it sees the new status or limits), the change, and its audit row
with before/after in the same transaction. A suspended agent is refused at the PIN
(roster.check_pin), on every cash transaction (cash.py) and on top-ups (floats.py).

Float top-ups a staff member starts for an agent (at a branch, say) above
FLOAT_TOPUP_APPROVAL wait for a second, signed-in staff member with
`approvals.check` (the branch manager): `approvals.request(... "floats.approve" ...)`,
run by `approve_topup` (registered in app/services.py approval_handlers()). Knows
nothing of Flask or channels; callers commit.
"""

from app.agents import errors
from app.agents.models import ACTIVE, SUSPENDED
from app.audit.services import require_reason
from app.money import Money


class AgentOversight:
    def __init__(self, *, roster, floats, staff, audit, approvals):
        self.roster = roster
        self.floats = floats
        self.staff = staff
        self.audit = audit
        self.approvals = approvals

    def suspend(self, actor, code, reason):
        return self._set_status(actor, code, reason, "agents.suspend", ACTIVE, SUSPENDED)

    def reinstate(self, actor, code, reason):
        return self._set_status(actor, code, reason, "agents.reinstate", SUSPENDED, ACTIVE)

    def _set_status(self, actor, code, reason, action, was, becomes):
        self.staff.require(actor, "agents.manage")
        reason = require_reason(action, reason)
        agent = self._locked(code)
        if agent.status != was:
            raise errors.AgentStateError(f"agent {agent.code} is {agent.status}, not {was}")
        agent.status = becomes
        self.audit.record(actor, action, ("agent", agent.id), before={"status": was}, after={"status": becomes},
                          reason=reason)
        return agent

    def set_limits(self, actor, code, reason, *, per_transaction=None, daily=None):
        """Change the agent's limits (major units, either or both); the audit row keeps before and after."""
        self.staff.require(actor, "agents.manage")
        reason = require_reason("agents.limits", reason)
        if per_transaction is None and daily is None:
            raise errors.AgentStateError("give --limit, --daily-limit or both")
        agent = self._locked(code)
        before = {"per_transaction_limit_minor": agent.per_transaction_limit_minor,
                  "daily_limit_minor": agent.daily_limit_minor}
        per_minor = self._minor(per_transaction, agent, agent.per_transaction_limit_minor)
        daily_minor = self._minor(daily, agent, agent.daily_limit_minor)
        if per_minor > daily_minor:
            raise errors.AgentStateError("the per-transaction limit cannot be above the daily limit")
        agent.per_transaction_limit_minor, agent.daily_limit_minor = per_minor, daily_minor
        self.audit.record(actor, "agents.limits", ("agent", agent.id), before=before,
                          after={"per_transaction_limit_minor": per_minor, "daily_limit_minor": daily_minor},
                          reason=reason)
        return agent

    def request_topup(self, actor, code, major, reason, *, idempotency_key):
        """Start a float top-up for the agent (their mobile money is asked to pay), or wait for a checker.

        Returns (payment, None) when it ran now, (None, approval) when it waits above FLOAT_TOPUP_APPROVAL.
        """
        self.staff.require(actor, "floats.approve")
        reason = require_reason("floats.approve", reason)
        agent = self._agent(code)
        amount = self._amount(major, agent)
        payload = {"agent_id": agent.id, "amount_minor": amount.minor, "currency": amount.currency,
                   "idempotency_key": idempotency_key}
        outcome = self.approvals.request(actor, "floats.approve", ("agent", agent.id), payload, amount=amount,
                                         reason=reason)
        if not outcome.run_now:
            return None, outcome.approval
        return self._start_topup(actor, agent, amount, reason, idempotency_key, approval_id=None), None

    def approve_topup(self, approval, checker):
        """The approval handler: start the top-up the maker asked for (the checker is audited by approvals)."""
        payload = approval.payload
        agent = self.roster.get(payload["agent_id"])
        amount = Money(payload["amount_minor"], payload["currency"])
        payment = self._start_topup(checker, agent, amount, approval.reason, payload["idempotency_key"],
                                    approval_id=approval.id)
        return {"payment_id": payment.id}

    def _start_topup(self, actor, agent, amount, reason, key, *, approval_id):
        if agent.status != ACTIVE:
            raise errors.AgentStateError(f"agent {agent.code} is {agent.status}: no top-up")
        payment = self.floats.start_topup(agent, amount, idempotency_key=f"staff_topup:{key}", channel=actor.channel,
                                          approved=True)
        self.audit.record(actor, "floats.approve", ("agent", agent.id), reason=reason,
                          after={"payment_id": payment.id, "amount_minor": amount.minor, "currency": amount.currency,
                                 "approval_id": approval_id})
        return payment

    # -- helpers ---------------------------------------------------------------------------

    def _agent(self, code):
        agent = self.roster.by_code(code or "")
        if agent is None:
            raise errors.UnknownAgent(f"no agent with code {code!r}")
        return agent

    def _locked(self, code):
        return self.roster.lock(self._agent(code).id)

    @staticmethod
    def _amount(major, agent):
        try:
            amount = Money.from_major(str(major), agent.currency)
        except (ValueError, ArithmeticError):
            raise errors.AgentStateError(f"not an amount: {major!r}") from None
        if amount.minor <= 0:
            raise errors.AgentStateError("the amount must be above zero")
        return amount

    def _minor(self, major, agent, current):
        return current if major is None else self._amount(major, agent).minor
