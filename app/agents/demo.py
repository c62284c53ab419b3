"""The demo field agent for `flask demo seed`: dial AGENT_USSD_CODE from +254700000009, PIN 2580."""

from app.agents.settlement import float_account
from app.money import Money

DEMO_AGENT = {"code": "A001", "phone": "+254700000009", "name": "Wanjiku Kamau", "per_transaction_limit": "10000",
              "daily_limit": "50000"}
DEMO_FLOAT_MINOR = 2_000_000
"""KES 20,000 of float, posted as a settled float top-up would be; re-seeding is a no-op."""


def seed_demo_agent(services, pin):
    """Create the demo agent once and give them float; returns the agent."""
    agent = services.agents.by_code(DEMO_AGENT["code"])
    if agent is None:
        agent = services.agents.create(pin=pin, **DEMO_AGENT)
    ledger = services.ledger
    amount = Money(DEMO_FLOAT_MINOR, agent.currency)
    ledger.post(f"demo:agent-float:{agent.id}",
                [(ledger.clearing_account("sandbox", agent.currency), amount),
                 (float_account(ledger, agent.id, agent.currency), -amount)],
                kind="agent_float_topup", memo="demo float", initiated_by="operator:demo", channel="cli")
    return agent
