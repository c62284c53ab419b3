"""The share-out: at the end of a cycle an official gives the group's money back to its members.

What each active member gets, into their savings, in one balanced entry:
- a savings group (no payout order): their share (contributions still in the pool)
  back, plus a part of the surplus (fines: the pool beyond all shares) in proportion
  to their share;
- a rotating group (payout order on): the shares stay in the pool for the payouts they
  are owed to, and only the surplus is shared, in equal parts.
Parts are split by app/groups/splits.py's one remainder rule (largest remainder, in
whole operator units, earliest joiner first on a tie), so the parts add up to the pool
exactly: nothing left, nothing lost. Refused while a payout is waiting (its money is
spoken for). The contributions given back are marked `shared_out_entry_id`: their
periods stay paid (nobody falls into arrears) and no later payout counts them.
The group row and every active membership are locked first, so no contribution, payout
or departure lands half-way through.
"""

from typing import NamedTuple

from sqlalchemy import select

from app.groups import errors
from app.groups.models import Group
from app.groups.postings import pool_account, savings_account, share_account, share_register
from app.groups.splits import split_by_weights
from app.ledger.references import entry_reference
from app.money import Money


class SharePart(NamedTuple):
    """One member's part of a share-out: their share given back and their part of the surplus."""

    membership: object
    member: object
    share: Money
    surplus: Money

    @property
    def amount(self):
        return self.share + self.surplus


class SharePlan(NamedTuple):
    total: Money
    parts: list


class ShareOut:
    def __init__(self, session, *, clock, ledger, notify, memberships, payouts, operator_units):
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.notify = notify
        self.memberships = memberships
        self.payouts = payouts
        self.operator_units = operator_units

    def plan(self, group, actor):
        """The SharePlan an official would run now, or raise NotAnOfficial, PayoutWaiting, NothingToShareOut."""
        self.memberships.official(group, actor)
        if self.payouts.payout_waiting(group):
            raise errors.PayoutWaiting()
        members = self.memberships.members(group)
        pool = self.ledger.balance(pool_account(self.ledger, group))
        all_shares = -self.ledger.balance(share_register(self.ledger, group))
        shares = [self.ledger.balance(share_account(self.ledger, group, row)) for row, _ in members]
        rotating = group.payout_order_enabled
        given_back = [Money.zero(group.currency)] * len(members) if rotating else shares
        weights = [0] * len(members) if rotating else [share.minor for share in shares]
        surplus = split_by_weights(pool - all_shares, weights, unit=self.operator_units.of(group.currency))
        parts = [SharePart(row, person, back, extra)
                 for (row, person), back, extra in zip(members, given_back, surplus, strict=True)]
        total = sum((part.amount for part in parts), Money.zero(group.currency))
        if not total:
            raise errors.NothingToShareOut()
        return SharePlan(total, parts)

    def share_out(self, group, actor, idempotency_key, *, channel="system", session_ref=None):
        """Run the share-out (rules above); returns the SharePlan paid, or None when this key already ran
        (the same key again pays nothing more). Raises what `plan` raises."""
        existing = self.ledger.entry(idempotency_key)
        if existing is not None:
            return None
        self.session.scalar(select(Group.id).where(Group.id == group.id).with_for_update())
        for row, _ in self.memberships.members(group):
            self.memberships.lock_active(group, row.member_id)
        plan = self.plan(group, actor)
        postings = [(pool_account(self.ledger, group), plan.total)]
        for part in plan.parts:
            if part.amount:
                postings.append((savings_account(self.ledger, part.member.id, group.currency), -part.amount))
            if part.share:
                postings += [(share_account(self.ledger, group, part.membership), part.share),
                             (share_register(self.ledger, group), -part.share)]
        entry = self.ledger.post(idempotency_key, postings, kind="group_share_out", memo=f"{group.code} share-out",
                                 initiated_by=f"member:{actor.id}", channel=channel, session_ref=session_ref)
        shared = [part.member.id for part in plan.parts if part.share]
        for row in self.payouts.unpaid_out_rows(group, shared):
            row.shared_out_entry_id = entry.id
        self.session.flush()
        for part in plan.parts:
            if part.amount:
                self.notify(part.member, "group_share_out", key=f"group_share_out:{entry.id}:{part.member.id}",
                            ref=entry_reference(entry.id), group=group.name, amount=part.amount,
                            balance=self.ledger.balance(savings_account(self.ledger, part.member.id,
                                                                        group.currency)))
        return plan
