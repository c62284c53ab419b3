"""Adapters to the loans and groups rules for cash an agent collects.

The agent's cash flow (cash.py) owns the float, the limits and the receipt; the
loans service owns how a repayment is allocated (penalties, interest, principal)
and the groups' Contributions how a contribution fills the member's periods: the
same call a member's own contribution makes, with the agent's float as its source,
so both are posted identically. Each poster returned here is
`post(key, float_account) -> (entry_id, purpose_ref)` and posts ONE ledger entry.
"""

from app.agents import errors
from app.agents.models import CONTRIBUTION, LOAN_REPAYMENT
from app.groups.errors import ConflictingRequest, GroupError

__all__ = ["LOAN_REPAYMENT", "CONTRIBUTION", "loan_repayment_poster", "contribution_poster"]


def loan_repayment_poster(loans, agent, member, amount, channel, session_ref):
    """The loans service allocates the repayment, debiting the float."""

    def post(key, float_):
        entry, loan = loans.repay_from_account(member, amount, source=float_, idempotency_key=key,
                                               initiated_by=f"agent:{agent.id}", channel=channel,
                                               session_ref=session_ref)
        return entry.id, str(loan.id)

    return post


def contribution_poster(contributions, agent, member, group, amount, channel, session_ref):
    """A cash contribution to `group` through Contributions.contribute, debiting the float.

    The member and amount are checked before the agent's own checks (as a member's
    refusal is the first thing the agent should read); a group's refusal is shown as
    the agent's. The agent's receipt is the member's only SMS.
    """
    try:
        amount = contributions.check(member, group, amount)
    except GroupError as exc:
        raise errors.AgentError(exc.message) from None

    def post(key, float_):
        try:
            rows = contributions.contribute(member, group, amount, source=float_, idempotency_key=key,
                                            initiated_by=f"agent:{agent.id}", channel=channel,
                                            session_ref=session_ref, memo=f"agent {agent.code}", acknowledge=False)
        except ConflictingRequest as exc:
            raise errors.ConflictingRequest(exc.message) from exc
        except GroupError as exc:
            raise errors.AgentError(exc.message) from None
        return rows[0].ledger_entry_id, str(group.id)

    return post
