"""A member's right to dispute an agent's receipt: flagged for an operator's review within 24 hours."""

from datetime import timedelta

from sqlalchemy import select

from app.agents import errors
from app.agents.models import DISPUTED, Agent, AgentTransaction

DISPUTE_WINDOW = timedelta(hours=24)
"""A member may dispute a receipt this long after the transaction."""


class AgentDisputes:
    def __init__(self, session, *, clock, notify):
        self.session = session
        self.clock = clock
        self.notify = notify

    def dispute(self, member, receipt_code):
        """Flag the member's agent transaction for review (within 24 h); return it.

        Raises ReceiptNotFound (no such receipt for this member), DisputeTooLate, AlreadyDisputed.
        Notifies the agent; the member's acknowledgement is the reply to their DISPUTE SMS
        (menus/sms_commands.py), so the member gets one SMS, not two.
        """
        code = (receipt_code or "").strip().upper()
        transaction = self.session.scalar(
            select(AgentTransaction).where(AgentTransaction.receipt == code, AgentTransaction.member_id == member.id)
            .with_for_update())
        if transaction is None:
            raise errors.ReceiptNotFound()
        if transaction.status == DISPUTED:
            raise errors.AlreadyDisputed()
        now = self.clock.now()
        if now - transaction.created_at > DISPUTE_WINDOW:
            raise errors.DisputeTooLate()
        transaction.status, transaction.disputed_at = DISPUTED, now
        agent = self.session.get(Agent, transaction.agent_id)
        self.notify(agent, "agent_dispute", f"agent_dispute:{transaction.id}", receipt=code)
        return transaction

    def disputed(self):
        """Every transaction under review, oldest first (for operators)."""
        return list(self.session.scalars(select(AgentTransaction).where(AgentTransaction.status == DISPUTED)
                                         .order_by(AgentTransaction.disputed_at)))
