"""Agents for the tests: created through the service, float funded like a confirmed mobile-money top-up."""

from itertools import count

from app.money import Money
from tests.money_helpers import credit_from_clearing

AGENT_PHONE = "+254722000001"
AGENT_PIN = "7391"
_numbers = count(1)


def new_agent(services, *, phone=AGENT_PHONE, code="A001", limit="5000", daily_limit="20000", float_minor=0):
    agent = services.agents.create(code=code, phone=phone, name="Baraka Otieno", pin=AGENT_PIN,
                                   per_transaction_limit=limit, daily_limit=daily_limit)
    if float_minor:
        fund(services, agent, float_minor)
    return agent


def fund(services, agent, minor):
    """Credit the float as a settled agent_float_topup does: clearing -> agent float, one entry."""
    ledger = services.ledger
    credit_from_clearing(ledger, ledger.account("agent", agent.id, "agent_float", agent.currency),
                         Money(minor, agent.currency), f"test-float:{agent.id}:{next(_numbers)}",
                         kind="agent_float_topup", initiated_by="test")


def new_member(services, phone=None, name="Amina Wanjiru"):
    phone = phone or f"+2547110{next(_numbers):05d}"
    return services.members.register(phone=phone, name=name, national_id="12345678", locale="en", pin="4821")
