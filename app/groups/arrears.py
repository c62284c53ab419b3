"""Arrears and late fines (part of GroupService).

A member owes the group's contribution for every period from the first meeting on or
after they joined up to the last meeting that has passed; arrears are what is still
unpaid of each, plus fines savings could not cover. A fine is due for a period not
paid in full, on time, by its meeting day: recorded once per member and period and
charged from savings once (ledger key `group:<id>:fine:<member>:<period>`).
"""

from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from app.groups import periods
from app.groups.contributions import local_date, paid_by_period
from app.groups.models import Group, GroupFine
from app.groups.postings import fine_postings
from app.ledger.errors import InsufficientFunds
from app.money import Money


class PeriodDue(NamedTuple):
    period: str
    owed: Money


class Arrears(NamedTuple):
    """What one member owes the group: missed periods (oldest first) and unpaid fines."""

    member_id: int
    periods: list
    fines: Money

    @property
    def total(self):
        return sum((due.owed for due in self.periods), self.fines)


class ArrearsMixin:
    def arrears_of(self, group, membership):
        """The Arrears of one membership as of today (periods whose meeting day has passed)."""
        zero = Money.zero(group.currency)
        if membership.joined_at is None:
            return Arrears(membership.member_id, [], zero)
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
        return Arrears(membership.member_id, missed, Money(int(unpaid_fines), group.currency))

    def my_arrears(self, group, member):
        return self.arrears_of(group, self.active_membership(group, member))

    def arrears(self, group, viewer=None):
        """{member_id: Arrears} of every active member; chair or treasurer when a viewer is given."""
        if viewer is not None:
            self.official(group, viewer)
        return {row.member_id: self.arrears_of(group, row) for row, _ in self.members(group)}

    def members_with_arrears(self, group, viewer):
        """[(GroupMember, Member, Arrears)] for the chair and treasurer."""
        self.official(group, viewer)
        return [(row, person, self.arrears_of(group, row)) for row, person in self.members(group)]

    # -- fines --------------------------------------------------------------------------------------

    def apply_late_fines(self, group, period):
        """Fine every active member who had not paid `period` in full by its meeting day.

        Idempotent per member and period: a fine is recorded once, and charged from
        savings once (key `group:<id>:fine:<member>:<period>`); one that savings could
        not cover stays unpaid (in the member's arrears) and is charged on a later run.
        Returns the group's fines for the period. No fine for a group without one.
        """
        fine = group.fine
        if fine is None or periods.due_date(period, group.meeting_day) >= self.clock.today():
            return []
        for row, _person in self.members(group):
            first = periods.first_owed_period(local_date(self.clock, row.joined_at), group.frequency,
                                              group.meeting_day)
            on_time = paid_by_period(self.session, group.id, row.member_id, on_time_only=True).get(period, 0)
            if first <= period and on_time < group.contribution_minor:
                self.session.execute(insert(GroupFine).values(
                    group_id=group.id, member_id=row.member_id, period=period, amount_minor=fine.minor,
                    currency=group.currency, created_at=self.clock.now()).on_conflict_do_nothing())
        fines = list(self.session.scalars(select(GroupFine).where(GroupFine.group_id == group.id,
                                                                  GroupFine.period == period).with_for_update()))
        for row in fines:
            if row.ledger_entry_id is None:
                self.charge_fine(group, row)
        return fines

    def apply_due_fines(self):
        """Fine the last passed period of every group that has a fine; returns the fines touched."""
        fines = []
        for group in self.session.scalars(select(Group).where(Group.fine_minor.is_not(None)).order_by(Group.id)):
            period = periods.last_passed_period(self.clock.today(), group.frequency, group.meeting_day)
            fines += self.apply_late_fines(group, period)
        return fines

    def charge_fine(self, group, fine_row):
        key = f"group:{group.id}:fine:{fine_row.member_id}:{fine_row.period}"
        try:
            entry = self.ledger.post(key, fine_postings(self.ledger, group, fine_row.member_id, fine_row.amount),
                                     kind="group_fine", memo=f"{group.code} late {fine_row.period}",
                                     initiated_by="system", channel="system")
        except InsufficientFunds:
            return None
        fine_row.ledger_entry_id = entry.id
        return entry
