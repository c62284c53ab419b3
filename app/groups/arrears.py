"""Arrears: what each member still owes their group.

A member owes the group's contribution for every period from the first meeting on or
after they joined up to the last meeting that has passed; arrears are what is still
unpaid of each, plus fines savings could not cover (fines.py). Reading only.
"""

from typing import NamedTuple

from sqlalchemy import func, select

from app.groups import periods
from app.groups.contributions import local_date, paid_by_period
from app.groups.models import GroupFine
from app.money import Money


class PeriodDue(NamedTuple):
    period: str
    owed: Money


class MemberArrears(NamedTuple):
    """What one member owes the group: missed periods (oldest first) and unpaid fines."""

    member_id: int
    periods: list
    fines: Money

    @property
    def total(self):
        return sum((due.owed for due in self.periods), self.fines)


class NextDue(NamedTuple):
    """The next meeting a member has not paid in full: its day and what is left to pay for it."""

    due_date: object
    amount: Money


class Arrears:
    def __init__(self, session, *, clock, memberships):
        self.session = session
        self.clock = clock
        self.memberships = memberships

    def arrears_of(self, group, membership):
        """The MemberArrears of one membership as of today (periods whose meeting day has passed)."""
        zero = Money.zero(group.currency)
        if membership.joined_at is None:
            return MemberArrears(membership.member_id, [], zero)
        first = periods.first_owed_period(local_date(self.clock, membership.joined_at), group.frequency,
                                          group.meeting_day)
        last = periods.last_passed_period(self.clock.today(), group.frequency, group.meeting_day)
        paid = paid_by_period(self.session, group.id, membership.member_id)
        missed = [PeriodDue(period, Money(group.contribution_minor - paid.get(period, 0), group.currency))
                  for period in periods.periods_between(first, last)
                  if paid.get(period, 0) < group.contribution_minor]
        unpaid_fines = self.session.scalar(
            select(func.coalesce(func.sum(GroupFine.amount_minor), 0))
            .where(GroupFine.group_id == group.id, GroupFine.member_id == membership.member_id,
                   GroupFine.ledger_entry_id.is_(None)))
        return MemberArrears(membership.member_id, missed, Money(int(unpaid_fines), group.currency))

    def next_due(self, group, member):
        """The member's NextDue: the first meeting from today on not yet paid in full (paying ahead skips)."""
        membership = self.memberships.active_membership(group, member)
        today = self.clock.today()
        joined = local_date(self.clock, membership.joined_at)
        period = max(periods.period_of(today, group.frequency),
                     periods.first_owed_period(joined, group.frequency, group.meeting_day))
        if periods.due_date(period, group.meeting_day) < today:
            period = periods.next_period(period)
        paid = paid_by_period(self.session, group.id, membership.member_id)
        while paid.get(period, 0) >= group.contribution_minor:
            period = periods.next_period(period)
        return NextDue(periods.due_date(period, group.meeting_day),
                       Money(group.contribution_minor - paid.get(period, 0), group.currency))

    def my_arrears(self, group, member):
        return self.arrears_of(group, self.memberships.active_membership(group, member))

    def arrears(self, group, viewer=None):
        """{member_id: MemberArrears} of every active member; chair or treasurer when a viewer is given."""
        if viewer is not None:
            self.memberships.official(group, viewer)
        return {row.member_id: self.arrears_of(group, row) for row, _ in self.memberships.members(group)}

    def members_with_arrears(self, group, viewer):
        """[(GroupMember, Member, MemberArrears)] for the chair and treasurer."""
        self.memberships.official(group, viewer)
        return [(row, person, self.arrears_of(group, row)) for row, person in self.memberships.members(group)]
