"""A member's dispute of an agent's receipt, and the back office's answer to it.

A member disputes a receipt within 24 hours (`DISPUTE <receipt>` by SMS): the
transaction is flagged and an AgentDispute opens, due within DISPUTE_SLA_HOURS.
Staff move it along DISPUTE_TRANSITIONS (app/agents/models.py): support
investigates (`disputes.intake`), a branch manager upholds or rejects
(`disputes.resolve`). Still unresolved past its SLA, it escalates once to the
branch manager's work queue (`escalate_overdue`, a scheduled job).

Upholding compensates the party the transaction wronged, in ONE balanced ledger
entry under its own idempotency key (the original entry is never edited). Who pays
back depends on which way the value went (PAYS_BACK): for the agent's cash-ins the
member's cash is with the agent, so the member is credited and the agent's float
debited; for a cash-out the agent is credited and the member's savings debited.
When the payer's account holds less than the amount, the entry takes what is there
and books the rest to the payer's receivable (`agent_receivable` /
`member_receivable`): the institution is owed it; nothing fails and nothing
overdraws. Both parties are told the outcome by SMS in their own language.

Every change is one transaction: the dispute row locked FOR UPDATE and its state
re-checked (two staff at once: exactly one wins), the reason required before
anything is written, the audit row next to the change. Knows nothing of Flask or
channels; callers commit.
"""

from datetime import timedelta

from sqlalchemy import select

from app.agents import errors
from app.agents.models import (
    CASH_DEPOSIT,
    CASH_WITHDRAWAL,
    CONTRIBUTION,
    DISPUTE_TRANSITIONS,
    DISPUTED,
    INVESTIGATING,
    LOAN_REPAYMENT,
    OPEN,
    REJECTED,
    UNRESOLVED,
    UPHELD,
    Agent,
    AgentDispute,
    AgentTransaction,
)
from app.agents.settlement import float_account
from app.audit.services import ReasonRequired, require_reason
from app.i18n import N_, T
from app.members.models import Member
from app.money import Money
from app.staff.actor import SMS, Actor

DISPUTE_WINDOW = timedelta(hours=24)
"""A member may dispute a receipt this long after the transaction."""

AGENT, MEMBER = "agent", "member"

PAYS_BACK = {
    CASH_DEPOSIT: AGENT,
    LOAN_REPAYMENT: AGENT,
    CONTRIBUTION: AGENT,
    CASH_WITHDRAWAL: MEMBER,
}
"""Transaction kind -> who gives the value back when a dispute is upheld (the side the value went to)."""

ESCALATE_TO = "branch_manager"
WHERE = {AGENT: N_("your float"), MEMBER: N_("your savings")}
"""How an outcome SMS names the account it touched."""


class AgentDisputes:
    def __init__(self, session, *, clock, notify, ledger=None, staff=None, audit=None, work_queue=None,
                 sla_hours=48):
        self.session = session
        self.clock = clock
        self.notify = notify
        self.ledger = ledger
        self.staff = staff
        self.audit = audit
        self.work_queue = work_queue
        self.sla = timedelta(hours=sla_hours)

    # -- the member's side ---------------------------------------------------------------

    def dispute(self, member, receipt_code, *, channel=SMS):
        """Flag the member's agent transaction for review (within 24 h) and open its dispute; return the transaction.

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
        dispute = AgentDispute(transaction_id=transaction.id, state=OPEN, opened_at=now, due_at=now + self.sla)
        self.session.add(dispute)
        self.session.flush()
        if self.audit is not None:
            self.audit.record(Actor.member(member.id, channel), "disputes.open", ("agent_dispute", dispute.id),
                              after={"state": OPEN, "receipt": code, "due_at": dispute.due_at.isoformat()})
        agent = self.session.get(Agent, transaction.agent_id)
        self.notify(agent, "agent_dispute", f"agent_dispute:{transaction.id}", receipt=code)
        return transaction

    def disputed(self):
        """Every transaction under review, oldest first (for operators)."""
        return list(self.session.scalars(select(AgentTransaction).where(AgentTransaction.status == DISPUTED)
                                         .order_by(AgentTransaction.disputed_at)))

    # -- the back office -----------------------------------------------------------------

    def list(self, actor, state=None):
        """Disputes (one state, or all unresolved), oldest first, each with its transaction."""
        self.staff.require(actor, "disputes.view")
        query = (select(AgentDispute, AgentTransaction).join(AgentTransaction,
                                                             AgentTransaction.id == AgentDispute.transaction_id)
                 .order_by(AgentDispute.opened_at, AgentDispute.id))
        query = query.where(AgentDispute.state == state) if state else query.where(AgentDispute.state.in_(UNRESOLVED))
        return list(self.session.execute(query))

    def show(self, actor, dispute_id):
        """(dispute, transaction, agent) for one dispute; UnknownDispute if there is none."""
        self.staff.require(actor, "disputes.view")
        dispute = self._get(dispute_id)
        transaction = self.session.get(AgentTransaction, dispute.transaction_id)
        return dispute, transaction, self.session.get(Agent, transaction.agent_id)

    def investigate(self, actor, dispute_id, reason=None):
        """open -> investigating: someone has taken the case (support's call-back, the agent's side)."""
        self.staff.require(actor, "disputes.intake")
        reason = require_reason("disputes.investigate", reason)
        if not reason:  # a RECORD action in the audit table, but the case file starts with why
            raise ReasonRequired("disputes.investigate")
        dispute = self._move(dispute_id, INVESTIGATING)
        dispute.investigated_by_staff_id, dispute.investigated_at = actor.id, self.clock.now()
        self.audit.record(actor, "disputes.investigate", ("agent_dispute", dispute.id), reason=reason,
                          before={"state": OPEN}, after={"state": INVESTIGATING})
        return dispute

    def reject(self, actor, dispute_id, reason):
        """investigating -> rejected: the transaction stands; both parties are told."""
        self.staff.require(actor, "disputes.resolve")
        reason = require_reason("disputes.reject", reason)
        dispute = self._move(dispute_id, REJECTED)
        self._resolved(dispute, actor, reason)
        self.audit.record(actor, "disputes.reject", ("agent_dispute", dispute.id), reason=reason,
                          before={"state": INVESTIGATING}, after={"state": REJECTED})
        transaction, agent, member = self._parties(dispute)
        for side, party in ((MEMBER, member), (AGENT, agent)):
            self.notify(party, "dispute_rejected", f"dispute_outcome:{dispute.id}:{side}", receipt=transaction.receipt)
        return dispute

    def uphold(self, actor, dispute_id, reason):
        """investigating -> upheld: the compensating entry is posted and both parties are told; returns the dispute."""
        self.staff.require(actor, "disputes.resolve")
        reason = require_reason("disputes.uphold", reason)
        dispute = self._move(dispute_id, UPHELD)
        transaction, agent, member = self._parties(dispute)
        payer = PAYS_BACK.get(transaction.kind)
        if payer is None:
            raise errors.DisputeStateError(f"no rule says who pays back a {transaction.kind} transaction")
        amount = transaction.amount
        entry, taken, owed = self._compensate(actor, dispute, transaction, agent, member, payer, amount)
        dispute.reversal_entry_id = entry.id
        self._resolved(dispute, actor, reason)
        self.audit.record(actor, "disputes.uphold", ("agent_dispute", dispute.id), reason=reason,
                          before={"state": INVESTIGATING},
                          after={"state": UPHELD, "entry_id": entry.id, "payer": payer, "amount_minor": amount.minor,
                                 "currency": amount.currency, "receivable_minor": owed.minor})
        payee_party, payer_party = (member, agent) if payer == AGENT else (agent, member)
        payee_side = MEMBER if payer == AGENT else AGENT
        key = f"dispute_outcome:{dispute.id}"
        self.notify(payee_party, "dispute_upheld_paid", f"{key}:{payee_side}", receipt=transaction.receipt,
                    amount=amount, where=T(WHERE[payee_side]))
        if owed.minor:
            self.notify(payer_party, "dispute_upheld_owed", f"{key}:{payer}", receipt=transaction.receipt, taken=taken,
                        where=T(WHERE[payer]), owed=owed)
        else:
            self.notify(payer_party, "dispute_upheld_charged", f"{key}:{payer}", receipt=transaction.receipt,
                        amount=amount, where=T(WHERE[payer]))
        return dispute

    def _compensate(self, actor, dispute, transaction, agent, member, payer, amount):
        """Post the one entry: payee credited `amount`; payer's account debited what it holds, the rest receivable.

        The payer's account is locked (with the others, in the ledger's lock order) before
        its balance is read, so the split cannot be beaten by a concurrent spend.
        """
        currency = amount.currency
        float_ = float_account(self.ledger, agent.id, agent.currency)
        savings = self.ledger.account("member", member.id, "member_savings", currency)
        if payer == AGENT:
            paying, receiving = float_, savings
            receivable = self.ledger.account("agent", agent.id, "agent_receivable", currency)
        else:
            paying, receiving = savings, float_
            receivable = self.ledger.account("member", member.id, "member_receivable", currency)
        paying, receiving, receivable = self.ledger.lock([paying, receiving, receivable])
        available = Money(max(paying.balance * paying.normal_sign, 0), currency)
        taken = Money(min(available.minor, amount.minor), currency)
        owed = Money(amount.minor - taken.minor, currency)
        postings = [(receiving, -amount)]
        if taken.minor:
            postings.append((paying, taken))
        if owed.minor:
            postings.append((receivable, owed))
        entry = self.ledger.post(f"dispute:{dispute.id}:uphold", postings, kind="dispute_compensation",
                                 memo=f"dispute {dispute.id} receipt {transaction.receipt}",
                                 initiated_by=f"staff:{actor.id}", channel=actor.channel)
        return entry, taken, owed

    # -- the SLA ---------------------------------------------------------------------------

    def escalate_overdue(self):
        """Open one branch-manager work item (texted to them) per unresolved dispute past its SLA; return how many.

        Safe to run twice: a dispute escalates once (escalated_at, under its row lock, and the
        work item's dedupe key).
        """
        now = self.clock.now()
        overdue = list(self.session.scalars(
            select(AgentDispute).where(AgentDispute.state.in_(UNRESOLVED), AgentDispute.due_at <= now,
                                       AgentDispute.escalated_at.is_(None))
            .order_by(AgentDispute.due_at).with_for_update(skip_locked=True)))
        system = Actor.system("scheduler")
        for dispute in overdue:
            transaction = self.session.get(AgentTransaction, dispute.transaction_id)
            agent = self.session.get(Agent, transaction.agent_id)
            hours = int(self.sla.total_seconds() // 3600)
            self.work_queue.open(
                "agent_dispute_overdue", ("agent_dispute", dispute.id), ESCALATE_TO,
                summary=(f"Dispute #{dispute.id} (receipt {transaction.receipt}, {transaction.amount}, agent "
                         f"{agent.code}) still {dispute.state} after {hours}h"),
                dedupe_key=f"dispute_sla:{dispute.id}", details={"dispute_id": dispute.id, "state": dispute.state},
                actor=system)
            dispute.escalated_at = now
            self.audit.record(system, "disputes.escalate", ("agent_dispute", dispute.id),
                              after={"escalated_at": now.isoformat(), "role": ESCALATE_TO})
        return len(overdue)

    # -- helpers ---------------------------------------------------------------------------

    def _get(self, dispute_id, *, lock=False):
        query = select(AgentDispute).where(AgentDispute.id == dispute_id)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        dispute = self.session.scalar(query)
        if dispute is None:
            raise errors.UnknownDispute(f"no agent dispute #{dispute_id}")
        return dispute

    def _move(self, dispute_id, state):
        """The dispute, locked and re-read, if it may move to `state`; DisputeStateError otherwise."""
        dispute = self._get(dispute_id, lock=True)
        if state not in DISPUTE_TRANSITIONS[dispute.state]:
            allowed = ", ".join(sorted(DISPUTE_TRANSITIONS[dispute.state])) or "nothing: it is resolved"
            raise errors.DisputeStateError(f"dispute #{dispute.id} is {dispute.state}; it can move to {allowed}")
        dispute.state = state
        return dispute

    def _resolved(self, dispute, actor, reason):
        dispute.resolved_by_staff_id, dispute.resolved_at = actor.id, self.clock.now()
        dispute.resolution_reason = reason[:500]

    def _parties(self, dispute):
        transaction = self.session.get(AgentTransaction, dispute.transaction_id)
        return transaction, self.session.get(Agent, transaction.agent_id), self.session.get(Member,
                                                                                           transaction.member_id)
