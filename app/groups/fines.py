"""Late fines: one per member and period not paid in full, on time, by its meeting day.

A fine is recorded once per member and period and charged from savings once (ledger
key `group:<id>:fine:<member>:<period>`); one savings cannot cover stays unpaid, in
the member's arrears (arrears.py), and is charged on a later run. The scheduler runs
`apply_due_fines` every morning (app/groups/tasks.py), so running it twice, or with
`flask groups fines` the same day, fines nobody twice. Officials set the fine from
the phone (`set_late_fine`); a fine applies to the periods fined after it is set.
"""

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from app.groups import periods
from app.groups.contributions import local_date, paid_by_period
from app.groups.models import Group, GroupFine
from app.groups.postings import fine_postings
from app.ledger.errors import InsufficientFunds


class Fines:
    def __init__(self, session, *, clock, ledger, memberships, limits):
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.memberships = memberships
        self.limits = limits

    def check_fine(self, group, raw):
        """The late fine as Money in the group's currency (typed text or Money), or raise the amount's error."""
        return self.limits.check(raw, group.currency)

    def set_late_fine(self, group, actor, fine):
        """The chair or treasurer sets the group's late fine (Money or typed text), or removes it (None).

        Returns the group. Raises NotAnOfficial and the amount errors of `check_fine`.
        """
        self.memberships.official(group, actor)
        fine = None if fine is None else self.check_fine(group, fine)
        group.fine_minor = fine.minor if fine else None
        self.session.flush()
        return group

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
        for row, _person in self.memberships.members(group):
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
