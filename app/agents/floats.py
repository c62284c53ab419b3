"""An agent's float: the e-value Pamoja owes the agent, spent on members' cash.

The balance is the ledger's (account: settlement.float_account); a top-up asks the
agent's own mobile money and credits the float when the operator confirms
(settlement.py registers that purpose).
"""

from app.agents.settlement import FLOAT_TOPUP, float_account


class AgentFloat:
    def __init__(self, *, ledger, payments):
        self.ledger = ledger
        self.payments = payments

    def balance(self, agent):
        return self.ledger.balance(float_account(self.ledger, agent.id, agent.currency))

    def start_topup(self, agent, amount, *, idempotency_key, channel="ussd", session_ref=None):
        """Ask the agent's mobile money for `amount`; the float is credited when the operator confirms."""
        return self.payments.start(idempotency_key, None, "collection", FLOAT_TOPUP, amount, agent.phone,
                                   purpose_ref=agent.id, initiated_by=f"agent:{agent.id}", channel=channel,
                                   session_ref=session_ref)
