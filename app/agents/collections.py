"""Adapters to the loans and groups services for cash an agent collects.

The agent service owns the float, the limits and the receipt; the loans service
owns how a repayment is allocated (penalties, interest, principal) and the groups
service how a contribution fills the member's periods. Each poster returned here is
`post(key, float_account) -> (entry_id, purpose_ref)` and posts ONE ledger entry
whose source is the agent's float instead of the member's savings or a clearing
account. Where a service (or what it needs) is not there yet, NotAvailable.
"""

from app.agents import errors
from app.agents.models import CONTRIBUTION, LOAN_REPAYMENT

__all__ = ["LOAN_REPAYMENT", "CONTRIBUTION", "loan_repayment_poster", "contribution_poster"]


def _message_of(exc):
    return errors.AgentError(getattr(exc, "message", None))


def loan_repayment_poster(service, agent, member, amount, channel, session_ref):
    """The loans service allocates; it must offer `repay_from_account(member, amount, source=..., ...)`."""
    repay = getattr(service.loans, "repay_from_account", None)
    if repay is None:
        raise errors.NotAvailable()

    def post(key, float_):
        entry, loan = repay(member, amount, source=float_, idempotency_key=key, initiated_by=f"agent:{agent.id}",
                            channel=channel, session_ref=session_ref)
        return entry.id, str(loan.id)

    return post


def contribution_poster(service, agent, member, group, amount, channel, session_ref):
    """A cash contribution to `group`: the group's own allocation and credits, debiting the float."""
    groups = service.groups
    if groups is None or group is None:
        raise errors.NotAvailable()
    from app.groups.contributions import allocate, record_parts
    from app.groups.errors import GroupError
    from app.groups.postings import contribution_credits

    try:
        amount = groups.check_amount(amount, group.currency)
        membership = groups.lock_membership(group, member)
    except GroupError as exc:
        raise _message_of(exc) from None

    def post(key, float_):
        parts = allocate(service.session, service.clock, group, membership, amount)
        entry = service.ledger.post(key, [(float_, amount), *contribution_credits(service.ledger, group, membership,
                                                                                   amount)],
                                    kind="group_contribution", memo=f"{group.code} {parts[0][0]} agent {agent.code}",
                                    initiated_by=f"agent:{agent.id}", channel=channel, session_ref=session_ref)
        if not groups.rows_of_entry(entry.id):
            record_parts(service.session, service.clock, group, membership, parts, ledger_entry_id=entry.id)
        return entry.id, str(group.id)

    return post
