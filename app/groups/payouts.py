"""Payouts, the merry-go-round: each period's pool goes to the next member in turn.

The chair or treasurer sets the order (by default the order members joined). The
next recipient is the member in the order who has received the fewest payouts,
earliest position first, so the rotation survives members joining and leaving.
A period pays out once its meeting day has come, at most once (a unique row per
group and period and the ledger key `group:<id>:payout:<period>`), under a lock on
the group row so two officials pressing at once pay once.

Nobody's money moves without an official: each evening the scheduler
(app/groups/tasks.py) proposes every due payout to the group's chair and treasurer
by SMS (`propose_due_payouts`, once per group, period and official: the notification's
key), and one of them confirms it with their PIN on the phone (My groups > Pay out).

The payout is the sum of the period's contributions, each contributor's share given
back to the contra: no division, so no remainder; the entry balances by construction.
"""

from collections import defaultdict

from sqlalchemy import func, select

from app.groups import errors, periods
from app.groups.models import Group, GroupContribution, GroupMember, GroupPayout
from app.groups.postings import payout_postings, savings_account
from app.ledger.references import entry_reference
from app.members.models import Member
from app.members.names import short_name
from app.money import Money


class Payouts:
    def __init__(self, session, *, clock, ledger, notify, memberships):
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.notify = notify
        self.memberships = memberships

    def set_payout_order(self, group, actor, member_ids=None):
        """Turn payouts on with this order of active member ids (default: joining order)."""
        self.memberships.official(group, actor)
        active = {row.member_id: row for row, _ in self.memberships.members(group)}
        order = list(active) if member_ids is None else list(member_ids)
        if not order or len(set(order)) != len(order) or not set(order) <= active.keys():
            raise errors.NotAMember()
        for row in active.values():
            row.payout_position = None
        for position, member_id in enumerate(order, start=1):
            active[member_id].payout_position = position
        group.payout_order_enabled = True
        self.session.flush()
        return [active[member_id] for member_id in order]

    def payout_order(self, group):
        """Active memberships in payout order."""
        return list(self.session.scalars(
            select(GroupMember).where(GroupMember.group_id == group.id, GroupMember.status == "active",
                                      GroupMember.payout_position.is_not(None))
            .order_by(GroupMember.payout_position)))

    def payouts_received(self, group):
        """{member_id: how many payouts they have had from the group}."""
        return dict(self.session.execute(
            select(GroupPayout.member_id, func.count()).where(GroupPayout.group_id == group.id)
            .group_by(GroupPayout.member_id)).all())

    def next_recipient(self, group):
        """The membership whose turn is next, or None when nobody is in the order."""
        received = self.payouts_received(group)
        order = self.payout_order(group)
        return min(order, key=lambda row: (received.get(row.member_id, 0), row.payout_position), default=None)

    def payout_period(self, group):
        """The period a payout would run for today: the latest whose meeting day has come."""
        return periods.last_due_period(self.clock.today(), group.frequency, group.meeting_day)

    def payout_waiting(self, group):
        """True when the group's due period has contributions and no payout yet (its money is spoken for)."""
        if not group.payout_order_enabled or not self.payout_order(group):
            return False
        period = self.payout_period(group)
        return self.payout_of(group, period) is None and bool(self.period_contributions(group, period))

    def unpaid_out_rows(self, group, member_ids):
        """The members' contribution rows whose money is still in the pool: no payout for their period,
        not refunded, not shared out. Locked (FOR UPDATE) for the caller that is about to mark them."""
        paid_out = select(GroupPayout.period).where(GroupPayout.group_id == group.id)
        return list(self.session.scalars(
            select(GroupContribution).where(GroupContribution.group_id == group.id,
                                            GroupContribution.member_id.in_(member_ids),
                                            GroupContribution.refunded_entry_id.is_(None),
                                            GroupContribution.shared_out_entry_id.is_(None),
                                            GroupContribution.period.not_in(paid_out))
            .order_by(GroupContribution.id).with_for_update()))

    def period_contributions(self, group, period):
        """[(GroupMember, Money)] contributed to `period`, per member (not money given back: left, shared out)."""
        totals = defaultdict(int)
        for member_id, amount in self.session.execute(
                select(GroupContribution.member_id, GroupContribution.amount_minor)
                .where(GroupContribution.group_id == group.id, GroupContribution.period == period,
                       GroupContribution.refunded_entry_id.is_(None),
                       GroupContribution.shared_out_entry_id.is_(None))):
            totals[member_id] += amount
        return [(self.memberships.membership(group, member_id), Money(total, group.currency))
                for member_id, total in sorted(totals.items())]

    def payout_preview(self, group, actor, period=None):
        """(period, recipient Member, amount) of the payout due, or raise why there is none."""
        self.memberships.official(group, actor)
        period = period or self.payout_period(group)
        self.check_payout(group, period)
        shares = self.period_contributions(group, period)
        amount = sum((money for _, money in shares), Money.zero(group.currency))
        if not amount:
            raise errors.NothingToPayOut(period)
        recipient = self.next_recipient(group)
        return period, self.session.get(Member, recipient.member_id), amount

    def check_payout(self, group, period):
        if not group.payout_order_enabled or not self.payout_order(group):
            raise errors.PayoutsNotEnabled()
        if periods.due_date(period, group.meeting_day) > self.clock.today():
            raise errors.PayoutNotDue()
        if self.payout_of(group, period) is not None:
            raise errors.AlreadyPaidOut(period)

    def payout_of(self, group, period):
        return self.session.scalar(select(GroupPayout).where(GroupPayout.group_id == group.id,
                                                             GroupPayout.period == period))

    def run_payout(self, group, period, actor=None, *, channel="system", session_ref=None):
        """Pay `period`'s contributions to the next member in turn, into their savings; idempotent.

        Returns the GroupPayout (the existing one when the period was already paid).
        Raises NotAnOfficial (when an actor is given), PayoutsNotEnabled, PayoutNotDue, NothingToPayOut.
        """
        if actor is not None:
            self.memberships.official(group, actor)
        self.session.scalar(select(Group).where(Group.id == group.id).with_for_update())
        existing = self.payout_of(group, period)
        if existing is not None:
            return existing
        self.check_payout(group, period)
        shares = self.period_contributions(group, period)
        recipient = self.next_recipient(group)
        if not shares:
            raise errors.NothingToPayOut(period)
        amount, postings = payout_postings(self.ledger, group, recipient.member_id, shares)
        entry = self.ledger.post(f"group:{group.id}:payout:{period}", postings, kind="group_payout",
                                 memo=f"{group.code} payout {period}",
                                 initiated_by=f"member:{actor.id}" if actor else "system", channel=channel,
                                 session_ref=session_ref)
        payout = GroupPayout(group_id=group.id, period=period, member_id=recipient.member_id,
                             amount_minor=amount.minor, currency=group.currency, ledger_entry_id=entry.id,
                             created_at=self.clock.now())
        self.session.add(payout)
        self.session.flush()
        self.notify(self.session.get(Member, recipient.member_id), "group_payout", key=f"group_payout:{payout.id}",
                    group=group.name, amount=amount, ref=entry_reference(entry.id),
                    balance=self.ledger.balance(savings_account(self.ledger, recipient.member_id, group.currency)))
        return payout

    def propose_due_payouts(self):
        """Tell the officials of every group with a payout due and not made; returns [(group, period)] proposed.

        Safe to run twice: each official hears of a group's period once (notification key
        `group_payout_due:<group>:<period>:<official>`); nothing is paid here.
        """
        proposed = []
        for group in self.session.scalars(select(Group).where(Group.payout_order_enabled.is_(True))
                                          .order_by(Group.id)):
            period = self.payout_period(group)
            shares = self.period_contributions(group, period)
            recipient = self.next_recipient(group)
            if self.payout_of(group, period) is not None or not shares or recipient is None:
                continue
            amount = sum((money for _, money in shares), Money.zero(group.currency))
            name = short_name(self.session.get(Member, recipient.member_id).name)
            for row, official in self.memberships.members(group):
                if row.is_official:
                    self.notify(official, "group_payout_due", key=f"group_payout_due:{group.id}:{period}:{official.id}",
                                group=group.name, amount=amount, name=name,
                                due_date=periods.due_date(period, group.meeting_day))
            proposed.append((group, period))
        return proposed

    def run_due_payouts(self):
        """Run today's due payout of every group with a payout order; returns the new payouts."""
        done = []
        for group in self.session.scalars(select(Group).where(Group.payout_order_enabled.is_(True))
                                          .order_by(Group.id)):
            period = self.payout_period(group)
            if self.payout_of(group, period) is not None:
                continue
            try:
                done.append(self.run_payout(group, period))
            except (errors.NothingToPayOut, errors.PayoutsNotEnabled):
                continue
        return done
