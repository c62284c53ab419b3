"""Read-only questions the console asks that no domain service answers yet: counts, lists, daily figures.

Everything here only reads (no rule decides anything here: states and purposes are
the domains' own constants), and each function takes the database session and plain
values, so a domain may adopt one as a service method without change. Times are
UTC in the database; "today" and "a day" are the deployment's local days (clock.zone).
"""

from datetime import datetime, time, timedelta

from sqlalchemy import Date, cast, distinct, func, or_, select

from app.agents.models import Agent, AgentTransaction
from app.groups.models import Group, GroupContribution, GroupFine, GroupMember, GroupPayout
from app.ledger.models import LedgerAccount, LedgerEntry, LedgerPosting
from app.loans.models import Loan
from app.members.models import Member, PinResetRequest
from app.notifications.messages import OutboundMessage
from app.payments.models import Payment
from app.payments.states import REVIEW, SUCCEEDED

FLOW_PURPOSES = ("deposit", "withdrawal", "loan_disbursement", "loan_repayment")
"""The money-flow chart's series: payment purposes, as app/services.py settlement_handlers names them."""
PAGE = 25
"""Rows per page of a long list."""


def day_bounds(clock, day):
    start = datetime.combine(day, time(0), tzinfo=clock.zone)
    return start, start + timedelta(days=1)


# -- members -------------------------------------------------------------------------------------


def find_members(session, members, text, limit=PAGE):
    """Members by phone (any form that ends the same), name (contains), member number, or ID (lookup hash)."""
    text = (text or "").strip()
    if not text:
        return []
    found = {}
    if text.isdigit():
        for member in members.by_national_id(text):
            found[member.id] = member
        member = session.get(Member, int(text)) if len(text) < 12 else None
        if member is not None:
            found[member.id] = member
    digits = "".join(ch for ch in text if ch.isdigit())
    conditions = [Member.name.ilike(f"%{escape_like(text)}%")]
    if len(digits) >= 6:
        conditions.append(Member.phone.like(f"%{digits[-9:]}"))
    for member in session.scalars(select(Member).where(or_(*conditions)).order_by(Member.id).limit(limit)):
        found.setdefault(member.id, member)
    return list(found.values())[:limit]


def escape_like(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def member_accounts(session, member_id):
    return list(session.scalars(select(LedgerAccount).where(
        LedgerAccount.owner_type == "member", LedgerAccount.owner_id == member_id).order_by(LedgerAccount.id)))


def statement_page(session, account, page, kind=None, per_page=PAGE):
    """(rows, has_more): the account's movements, newest first; rows are (entry, signed amount in minor units)."""
    query = (select(LedgerEntry, LedgerPosting.amount).join(LedgerPosting, LedgerPosting.entry_id == LedgerEntry.id)
             .where(LedgerPosting.account_id == account.id))
    if kind:
        query = query.where(LedgerEntry.kind == kind)
    rows = session.execute(query.order_by(LedgerEntry.id.desc()).offset((page - 1) * per_page)
                           .limit(per_page + 1)).all()
    return [(entry, amount * account.normal_sign) for entry, amount in rows[:per_page]], len(rows) > per_page


def account_movements(session, account, start, end):
    """(opening, [(entry, signed amount)]): the balance as the owner reads it before `start`, then the
    movements from `start` (inclusive) to `end` (exclusive), oldest first; amounts in minor units."""
    before = session.scalar(select(func.coalesce(func.sum(LedgerPosting.amount), 0))
                            .join(LedgerEntry, LedgerEntry.id == LedgerPosting.entry_id)
                            .where(LedgerPosting.account_id == account.id, LedgerEntry.created_at < start))
    rows = session.execute(select(LedgerEntry, LedgerPosting.amount)
                           .join(LedgerPosting, LedgerPosting.entry_id == LedgerEntry.id)
                           .where(LedgerPosting.account_id == account.id, LedgerEntry.created_at >= start,
                                  LedgerEntry.created_at < end)
                           .order_by(LedgerEntry.created_at, LedgerEntry.id)).all()
    return int(before) * account.normal_sign, [(entry, amount * account.normal_sign) for entry, amount in rows]


def member_loans(session, member_id):
    return list(session.scalars(select(Loan).where(Loan.member_id == member_id).order_by(Loan.id.desc())))


def member_payments(session, member_id, limit=50):
    return list(session.scalars(select(Payment).where(Payment.member_id == member_id)
                                .order_by(Payment.id.desc()).limit(limit)))


def member_messages(session, member, limit=50):
    return list(session.scalars(select(OutboundMessage).where(
        or_(OutboundMessage.member_id == member.id, OutboundMessage.recipient == member.phone))
        .order_by(OutboundMessage.id.desc()).limit(limit)))


def member_disputes(session, member_id):
    return list(session.scalars(select(AgentTransaction).where(
        AgentTransaction.member_id == member_id, AgentTransaction.disputed_at.is_not(None))
        .order_by(AgentTransaction.id.desc())))


def pin_reset_member(session, request_id):
    """The member whose forgotten-PIN request this is, or None."""
    return session.scalar(select(Member).join(PinResetRequest, PinResetRequest.member_id == Member.id)
                          .where(PinResetRequest.id == request_id))


def messages_to(session, phone, after_id=0, limit=20):
    """Messages recorded for `phone` after message `after_id`, oldest first (the simulator's inbox)."""
    return list(session.scalars(select(OutboundMessage).where(
        OutboundMessage.recipient == phone, OutboundMessage.id > after_id)
        .order_by(OutboundMessage.id.desc()).limit(limit)))[::-1]


# -- queues and today's figures ------------------------------------------------------------------


def payments_in_review(session, limit=200):
    return list(session.scalars(select(Payment).where(Payment.state == REVIEW).order_by(Payment.id).limit(limit)))


def search_payments(session, text, state=None, page=1, per_page=PAGE):
    """(payments, has_more) by reference, receipt, provider reference or phone; newest first."""
    query = select(Payment)
    text = (text or "").strip()
    if text:
        query = query.where(or_(Payment.reference == text, Payment.receipt == text, Payment.provider_ref == text,
                                Payment.phone.like(f"%{escape_like(text.lstrip('+'))}")))
    if state:
        query = query.where(Payment.state == state)
    rows = list(session.scalars(query.order_by(Payment.id.desc()).offset((page - 1) * per_page).limit(per_page + 1)))
    return rows[:per_page], len(rows) > per_page


def today_figures(session, clock):
    """{purpose: {currency: minor}} of succeeded payments settled today, agents' cash deposits, new members."""
    start, end = day_bounds(clock, clock.today())
    figures = {purpose: {} for purpose in FLOW_PURPOSES}
    for purpose, currency, total in session.execute(
            select(Payment.purpose, Payment.currency, func.sum(Payment.amount_minor))
            .where(Payment.state == SUCCEEDED, Payment.settled_at >= start, Payment.settled_at < end,
                   Payment.purpose.in_(FLOW_PURPOSES)).group_by(Payment.purpose, Payment.currency)):
        figures[purpose][currency] = int(total)
    for currency, total in session.execute(
            select(AgentTransaction.currency, func.sum(AgentTransaction.amount_minor))
            .where(AgentTransaction.kind == "cash_deposit", AgentTransaction.created_at >= start,
                   AgentTransaction.created_at < end).group_by(AgentTransaction.currency)):
        figures["deposit"][currency] = figures["deposit"].get(currency, 0) + int(total)
    new_members = session.scalar(select(func.count(Member.id)).where(Member.created_at >= start,
                                                                     Member.created_at < end))
    return figures, int(new_members or 0)


# -- charts --------------------------------------------------------------------------------------


def money_flow(session, clock, days, currency):
    """{(day, provider, purpose): minor} of succeeded payments in `currency` over the last `days` local days."""
    start, _end = day_bounds(clock, clock.today() - timedelta(days=days - 1))
    local_day = cast(func.timezone(str(clock.zone), Payment.settled_at), Date)
    rows = session.execute(
        select(local_day, Payment.provider, Payment.purpose, func.sum(Payment.amount_minor))
        .where(Payment.state == SUCCEEDED, Payment.settled_at >= start, Payment.currency == currency,
               Payment.purpose.in_(FLOW_PURPOSES)).group_by(local_day, Payment.provider, Payment.purpose))
    return {(day, provider, purpose): int(total) for day, provider, purpose, total in rows}


def active_members_per_week(session, clock, weeks):
    """{(week start date, channel): distinct members} with a ledger movement in that week, by its channel."""
    start = clock.today() - timedelta(days=clock.today().weekday() + 7 * (weeks - 1))
    begin, _end = day_bounds(clock, start)
    week = cast(func.date_trunc("week", func.timezone(str(clock.zone), LedgerEntry.created_at)), Date)
    rows = session.execute(
        select(week, LedgerEntry.channel, func.count(distinct(LedgerAccount.owner_id)))
        .join(LedgerPosting, LedgerPosting.entry_id == LedgerEntry.id)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(LedgerAccount.owner_type == "member", LedgerEntry.created_at >= begin)
        .group_by(week, LedgerEntry.channel))
    return {(monday, channel): int(count) for monday, channel, count in rows}


# -- loans, agents, groups -----------------------------------------------------------------------


def loans_by_state(session):
    return dict(session.execute(select(Loan.state, func.count(Loan.id)).group_by(Loan.state)).all())


def loans_in_state(session, state, limit=200):
    return list(session.scalars(select(Loan).where(Loan.state == state).order_by(Loan.id).limit(limit)))


def agents(session):
    return list(session.scalars(select(Agent).order_by(Agent.code)))


def agent_activity(session, clock, days=30):
    """[(agent, kind, count, minor)] of agents' transactions over the last `days` local days."""
    start, _end = day_bounds(clock, clock.today() - timedelta(days=days - 1))
    return session.execute(
        select(Agent, AgentTransaction.kind, func.count(AgentTransaction.id), func.sum(AgentTransaction.amount_minor))
        .join(AgentTransaction, AgentTransaction.agent_id == Agent.id)
        .where(AgentTransaction.created_at >= start).group_by(Agent.id, AgentTransaction.kind)
        .order_by(Agent.code, AgentTransaction.kind)).all()


def groups(session):
    counts = (select(GroupMember.group_id, func.count(GroupMember.id).label("members"))
              .where(GroupMember.status == "active").group_by(GroupMember.group_id).subquery())
    return session.execute(select(Group, func.coalesce(counts.c.members, 0))
                           .outerjoin(counts, counts.c.group_id == Group.id).order_by(Group.name)).all()


def group_pool(session, group):
    """The group's pool account (app/groups/postings.py), or None before its first movement."""
    return session.scalar(select(LedgerAccount).where(
        LedgerAccount.owner_type == "group", LedgerAccount.owner_id == group.id, LedgerAccount.kind == "group_pool",
        LedgerAccount.currency == group.currency))


def group_entry_sources(session, group, entry_ids):
    """{entry id: (what, member, [periods])} for the group's contributions, fines and payouts among `entry_ids`.

    A contribution paid by mobile money names its payment, whose ledger entry is the one on the pool."""
    found = {}
    sources = (
        ("contribution", select(GroupContribution.ledger_entry_id, GroupContribution.member_id,
                                GroupContribution.period)
         .where(GroupContribution.group_id == group.id, GroupContribution.ledger_entry_id.in_(entry_ids))),
        ("contribution", select(Payment.ledger_entry_id, GroupContribution.member_id, GroupContribution.period)
         .join(Payment, Payment.id == GroupContribution.payment_id)
         .where(GroupContribution.group_id == group.id, Payment.ledger_entry_id.in_(entry_ids))),
        ("fine", select(GroupFine.ledger_entry_id, GroupFine.member_id, GroupFine.period)
         .where(GroupFine.group_id == group.id, GroupFine.ledger_entry_id.in_(entry_ids))),
        ("payout", select(GroupPayout.ledger_entry_id, GroupPayout.member_id, GroupPayout.period)
         .where(GroupPayout.group_id == group.id, GroupPayout.ledger_entry_id.in_(entry_ids))),
    )
    member_ids = set()
    for what, query in sources:
        for entry_id, member_id, period in session.execute(query):
            _what, _member, periods = found.setdefault(entry_id, (what, member_id, []))
            periods.append(period)
            member_ids.add(member_id)
    members = {member.id: member for member in session.scalars(select(Member).where(Member.id.in_(member_ids)))}
    return {entry_id: (what, members.get(member_id), sorted(periods))
            for entry_id, (what, member_id, periods) in found.items()}


def trial_balance(session):
    """[(kind, owner_type, currency, balance minor)] summed over accounts: the ledger's trial balance."""
    return session.execute(
        select(LedgerAccount.kind, LedgerAccount.owner_type, LedgerAccount.currency, func.sum(LedgerAccount.balance))
        .group_by(LedgerAccount.kind, LedgerAccount.owner_type, LedgerAccount.currency)
        .order_by(LedgerAccount.currency, LedgerAccount.owner_type, LedgerAccount.kind)).all()
