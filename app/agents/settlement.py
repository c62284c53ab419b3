"""An agent's float top-up by mobile money: where the collected money goes in the ledger.

The payment's `purpose_ref` is the agent id (an agent is not a member, so the
payment has no member): the clearing debit is matched by a credit to the agent's
float, in the one entry the payments service posts when the operator confirms.
"""

from app.agents.models import Agent
from app.payments.settlement import Notice

FLOAT_TOPUP = "agent_float_topup"


def float_account(ledger, agent_id, currency):
    """The agent's float: credit-normal (Pamoja owes the agent this e-value), never below zero."""
    return ledger.account("agent", agent_id, "agent_float", currency)


def credit_agent_float(ledger, payment):
    return [(float_account(ledger, int(payment.purpose_ref), payment.currency), -payment.amount)]


def float_topup_notice(ledger, payment):
    """The agent's confirmation of a top-up by mobile money, with the new float."""
    agent_id = int(payment.purpose_ref)
    float_now = ledger.balance(float_account(ledger, agent_id, payment.currency))
    return Notice(ledger.session.get(Agent, agent_id), "float_topped_up",
                  {"amount": payment.amount, "float": float_now})
