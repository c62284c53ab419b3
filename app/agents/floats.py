"""An agent's float: the e-value Pamoja owes the agent, spent on members' cash.

The balance is the ledger's (account: settlement.float_account); a top-up asks the
agent's own mobile money and credits the float when the operator confirms
(settlement.py registers that purpose). An agent may top up from their phone up to
FLOAT_TOPUP_APPROVAL ({currency: Money}); above it a staff member requests the
top-up and a branch manager approves it (oversight.py), which passes `approved=True`.
"""

from app.agents import errors
from app.agents.models import ACTIVE
from app.agents.settlement import FLOAT_TOPUP, float_account


class AgentFloat:
    def __init__(self, *, ledger, payments, approval_threshold=None):
        self.ledger = ledger
        self.payments = payments
        self.approval_threshold = approval_threshold or {}

    def balance(self, agent):
        return self.ledger.balance(float_account(self.ledger, agent.id, agent.currency))

    def start_topup(self, agent, amount, *, idempotency_key, channel="ussd", session_ref=None, approved=False):
        """Ask the agent's mobile money for `amount`; the float is credited when the operator confirms.

        Refuses a suspended agent (AgentInactive) and, unless a branch manager approved it,
        an amount above the approval threshold (TopupNeedsApproval).
        """
        if agent.status != ACTIVE:
            raise errors.AgentInactive()
        limit = self.approval_threshold.get(amount.currency)
        if not approved and limit is not None and amount.minor > limit.minor:
            raise errors.TopupNeedsApproval(limit)
        return self.payments.start(idempotency_key, None, "collection", FLOAT_TOPUP, amount, agent.phone,
                                   purpose_ref=agent.id, initiated_by=f"agent:{agent.id}", channel=channel,
                                   session_ref=session_ref)
