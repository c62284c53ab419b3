"""What reminders read from the loans and groups tables, as plain rows.

Kept apart so the reminder rules do not depend on how those packages store things.
Both are single set-based queries: a reminder run over 100,000 members is a few
queries, not one per member; the instalments' query is also the source the set-based
run (reminder_batch.py) inserts from.
"""

from datetime import datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import and_, func, select

from app.groups import periods
from app.groups.models import Group, GroupContribution, GroupMember
from app.loans.models import Loan
from app.loans.models import LoanInstalment as Instalment
from app.loans.states import ON_BOOKS
from app.money import Money


class InstalmentDue(NamedTuple):
    member_id: int
    loan_id: int
    number: int
    due_date: object
    owed: Money


class ContributionDue(NamedTuple):
    member_id: int
    group_id: int
    group_name: str
    period: str
    due_date: object
    owed: Money


def unpaid_instalments_query(due_dates):
    """The select behind `unpaid_instalments`, columns named as InstalmentDue's (owed in minor units
    beside `currency`), for callers that build on it in SQL (the set-based run, reminder_batch.py)."""
    owed = Instalment.remaining_minor
    return (select(Loan.member_id.label("member_id"), Loan.id.label("loan_id"), Instalment.number.label("number"),
                   Instalment.due_date.label("due_date"), owed.label("owed"), Loan.currency.label("currency"))
            .join(Loan, Loan.id == Instalment.loan_id)
            .where(Instalment.due_date.in_(list(due_dates)), Instalment.paid.is_(False), Loan.state.in_(ON_BOOKS),
                   owed > 0))


def unpaid_instalments(session, due_dates):
    """Instalments due on any of `due_dates` with something still owed, for loans on the books."""
    if not due_dates:
        return []
    query = unpaid_instalments_query(due_dates).order_by(Loan.member_id, Loan.id, Instalment.number)
    return [InstalmentDue(member_id, loan_id, number, due_date, Money(int(amount), currency))
            for member_id, loan_id, number, due_date, amount, currency in session.execute(query)]


def unpaid_contributions(session, due_date, zone):
    """Active members of groups whose meeting day is `due_date` and who have not paid that period in full."""
    weekly = periods.period_of(due_date, "weekly")
    monthly = periods.period_of(due_date, "monthly")
    candidates = session.execute(
        select(Group).where(
            ((Group.frequency == "weekly") & (Group.meeting_day == due_date.isoweekday()))
            | ((Group.frequency == "monthly") & (Group.meeting_day == due_date.day)))).scalars().all()
    found = []
    for group in candidates:
        period = weekly if group.frequency == "weekly" else monthly
        if periods.due_date(period, group.meeting_day) != due_date:
            continue
        joined_by = datetime.combine(due_date + timedelta(days=1), time(0), tzinfo=zone)
        paid = (select(GroupContribution.member_id, func.sum(GroupContribution.amount_minor).label("paid"))
                .where(GroupContribution.group_id == group.id, GroupContribution.period == period)
                .group_by(GroupContribution.member_id).subquery())
        rows = session.execute(
            select(GroupMember.member_id, func.coalesce(paid.c.paid, 0))
            .outerjoin(paid, paid.c.member_id == GroupMember.member_id)
            .where(and_(GroupMember.group_id == group.id, GroupMember.status == "active",
                        GroupMember.joined_at < joined_by))
            .order_by(GroupMember.member_id))
        for member_id, paid_minor in rows:
            owed = group.contribution_minor - int(paid_minor)
            if owed > 0:
                found.append(ContributionDue(member_id, group.id, group.name, period, due_date,
                                             Money(owed, group.currency)))
    return found
