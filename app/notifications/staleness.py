"""Whether a queued notification still applies when its time comes: the one staleness rule, per kind.

A non-urgent notification may wait hours (quiet hours, a reminder run ahead of its day)
between being made and being handed to the outbox; by then the guarantor may have
answered, the loan may be decided, the instalment or the group's period paid. `NotificationService.dispatch`
asks `stale(session, rows)` for every batch it is about to send and marks those rows
`stale` instead (never sent). Each rule reads its kind's dedupe key (which names what
the message is about) and answers for the whole batch in one query, so a reminder run
of 100,000 rows stays a few queries. A kind without a rule, or a key not of its rule's
shape (it names nothing the rule can look up), always applies.
"""

from sqlalchemy import func, select, tuple_

from app.groups.models import Group, GroupContribution, GroupMember, GroupPayout
from app.loans.models import Loan, LoanGuarantee
from app.loans.models import LoanInstalment as Instalment
from app.loans.states import APPLIED, ON_BOOKS, REQUESTED

REPAYMENT_REMINDERS = ("repayment_due", "repayment_due_today", "repayment_overdue")


def _ids(key, *positions):
    """Integers at `positions` of a ':'-separated key, or None when the key is not of that shape."""
    parts = (key or "").split(":")
    try:
        return tuple(int(parts[i]) for i in positions)
    except (IndexError, ValueError):
        return None


def stale_guarantor_requests(session, rows):
    """`loan:<loan>:guarantor:<member>`: stale once the request is answered or the loan decided."""
    wanted = {row.id: _ids(row.dedupe_key, 1, 3) for row in rows}
    pairs = {pair for pair in wanted.values() if pair}
    open_pairs = set(session.execute(
        select(LoanGuarantee.loan_id, LoanGuarantee.guarantor_id).join(Loan, Loan.id == LoanGuarantee.loan_id)
        .where(tuple_(LoanGuarantee.loan_id, LoanGuarantee.guarantor_id).in_(pairs),
               LoanGuarantee.state == REQUESTED, Loan.state == APPLIED)).all()) if pairs else set()
    return {row_id for row_id, pair in wanted.items() if pair and pair not in open_pairs}


def stale_repayment_reminders(session, rows):
    """`<kind>:<loan>:<instalment>:<day>`: stale once the instalment is paid or the loan is off the books."""
    wanted = {row.id: _ids(row.dedupe_key, 1, 2) for row in rows}
    pairs = {pair for pair in wanted.values() if pair}
    owing = set(session.execute(
        select(Instalment.loan_id, Instalment.number).join(Loan, Loan.id == Instalment.loan_id)
        .where(tuple_(Instalment.loan_id, Instalment.number).in_(pairs), Instalment.paid.is_(False),
               Loan.state.in_(ON_BOOKS))).all()) if pairs else set()
    return {row_id for row_id, pair in wanted.items() if pair and pair not in owing}


def stale_contribution_reminders(session, rows):
    """`contribution_due:<group>:<member>:<period>:<day>`: stale once the period is paid in full (by the
    member, an agent's cash or a mobile-money payment confirmed meanwhile) or the member is no longer active."""
    wanted = {}
    for row in rows:
        ids, parts = _ids(row.dedupe_key, 1, 2), (row.dedupe_key or "").split(":")
        if ids is not None and len(parts) > 3 and parts[3]:
            wanted[row.id] = (*ids, parts[3])
    triples = set(wanted.values())
    if not triples:
        return set()
    due = {(group_id, member_id): contribution for group_id, member_id, contribution in session.execute(
        select(GroupMember.group_id, GroupMember.member_id, Group.contribution_minor)
        .join(Group, Group.id == GroupMember.group_id)
        .where(tuple_(GroupMember.group_id, GroupMember.member_id).in_({triple[:2] for triple in triples}),
               GroupMember.status == "active"))}
    paid = {(group_id, member_id, period): int(total) for group_id, member_id, period, total in session.execute(
        select(GroupContribution.group_id, GroupContribution.member_id, GroupContribution.period,
               func.sum(GroupContribution.amount_minor))
        .where(tuple_(GroupContribution.group_id, GroupContribution.member_id, GroupContribution.period)
               .in_(triples))
        .group_by(GroupContribution.group_id, GroupContribution.member_id, GroupContribution.period))}
    owing = {triple for triple in triples if triple[:2] in due and paid.get(triple, 0) < due[triple[:2]]}
    return {row_id for row_id, triple in wanted.items() if triple not in owing}


def stale_join_requests(session, rows):
    """`group_join_request:<membership>:<asked>:<official>`: stale once the request is approved or declined."""
    wanted = {row.id: _ids(row.dedupe_key, 1) for row in rows}
    ids = {key[0] for key in wanted.values() if key}
    pending = set(session.scalars(select(GroupMember.id).where(GroupMember.id.in_(ids),
                                                               GroupMember.status == "pending"))) if ids else set()
    return {row_id for row_id, key in wanted.items() if key and key[0] not in pending}


def stale_payout_proposals(session, rows):
    """`group_payout_due:<group>:<period>:<official>`: stale once an official has paid that period out."""
    wanted = {}
    for row in rows:
        parts = (row.dedupe_key or "").split(":")
        group = _ids(row.dedupe_key, 1)
        if group is not None and len(parts) > 2 and parts[2]:
            wanted[row.id] = (group[0], parts[2])
    pairs = set(wanted.values())
    paid = set(session.execute(select(GroupPayout.group_id, GroupPayout.period)
                               .where(tuple_(GroupPayout.group_id, GroupPayout.period).in_(pairs))).all()) \
        if pairs else set()
    return {row_id for row_id, pair in wanted.items() if pair in paid}


RULES = {"guarantor_request": stale_guarantor_requests,
         "group_join_request": stale_join_requests,
         "group_payout_due": stale_payout_proposals,
         **dict.fromkeys(REPAYMENT_REMINDERS, stale_repayment_reminders),
         "contribution_due": stale_contribution_reminders}
"""kind -> rule(session, rows) -> ids of the rows that no longer apply."""


def stale(session, rows):
    """Ids of `rows` (Notifications about to be sent) that no longer apply."""
    by_kind = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row)
    found = set()
    for kind, group in by_kind.items():
        rule = RULES.get(kind)
        if rule is not None:
            found |= rule(session, group)
    return found
