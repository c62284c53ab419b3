"""Contributions: the one path by which money enters a group, and what members read of it.

A contribution fills the member's oldest unpaid period first, then the current one,
then pays ahead: one ledger entry, one row per period it covers, each row marked late
when paid after that period's meeting day. The allocation runs under a lock on the
membership row, so two contributions at once never both fill the same period. The
same code allocates a mobile-money contribution when the provider confirms it
(app/groups/settlement.py), so money always lands where the arrears say it is owed.
Cash an agent collects comes through `contribute` too (source: the agent's float), so
a contribution is posted the same way whoever brings the money.
"""

from sqlalchemy import func, select

from app.groups import errors, periods
from app.groups.models import GroupContribution
from app.groups.postings import contribution_credits, pool_account, savings_account, share_account
from app.ledger.errors import IdempotencyConflict, InsufficientFunds
from app.ledger.references import entry_reference
from app.members.models import Member
from app.money import Money

KIND = "contribution"
"""The ledger entry kind of every contribution (agents once posted theirs as `group_contribution`:
LedgerService reads that old kind as this one, see app/ledger/services.py RENAMED_KINDS)."""
MAX_PERIODS_AHEAD = 52
"""Paying further ahead than this puts the rest on the last period instead of looping on."""


def local_date(clock, moment):
    return moment.astimezone(clock.zone).date()


def paid_by_period(session, group_id, member_id, *, on_time_only=False):
    """{period: minor units paid} for one member of a group (money given back on leaving pays nothing)."""
    query = (select(GroupContribution.period, func.sum(GroupContribution.amount_minor))
             .where(GroupContribution.group_id == group_id, GroupContribution.member_id == member_id,
                    GroupContribution.refunded_entry_id.is_(None))
             .group_by(GroupContribution.period))
    if on_time_only:
        query = query.where(GroupContribution.late.is_(False))
    return {period: int(total) for period, total in session.execute(query)}


def allocate(session, clock, group, membership, amount):
    """Split `amount` over periods, oldest unpaid first: [(period, Money, late)]."""
    today = clock.today()
    paid = paid_by_period(session, group.id, membership.member_id)
    joined = membership.joined_at or clock.now()  # a payment confirmed after the member left and asked again
    period = periods.first_owed_period(local_date(clock, joined), group.frequency, group.meeting_day)
    current = periods.period_of(today, group.frequency)
    remaining, parts, ahead = amount.minor, [], 0
    while remaining > 0:
        ahead += period > current
        owed = group.contribution_minor - paid.get(period, 0)
        take = remaining if ahead >= MAX_PERIODS_AHEAD else min(remaining, owed)
        if take > 0:
            late = periods.due_date(period, group.meeting_day) < today
            parts.append((period, Money(take, group.currency), late))
            remaining -= take
        period = periods.next_period(period)
    return parts


def record_parts(session, clock, group, membership, parts, *, ledger_entry_id=None, payment_id=None):
    rows = [GroupContribution(group_id=group.id, member_id=membership.member_id, period=period,
                              amount_minor=money.minor, currency=money.currency, ledger_entry_id=ledger_entry_id,
                              payment_id=payment_id, paid_at=clock.now(), late=late)
            for period, money, late in parts]
    session.add_all(rows)
    session.flush()
    return rows


class Contributions:
    def __init__(self, session, *, clock, ledger, payments, notify, memberships, limits):
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.payments = payments
        self.notify = notify
        self.memberships = memberships
        self.limits = limits

    def check(self, member, group, amount):
        """The checked amount, or raise why the member cannot contribute it (NotAMember, amount errors).

        `contribute` checks again under the membership lock; this lets a caller with
        its own checks (an agent's cash) refuse before it takes any lock.
        """
        amount = self.limits.check(amount, group.currency)
        self.memberships.active_membership(group, member)
        return amount

    def contribute_from_savings(self, member, group, amount, idempotency_key, *, channel="system", session_ref=None):
        """Move `amount` from the member's savings to the group: one entry; returns the period rows.

        The same key again returns the first contribution's rows and moves nothing.
        Raises NotAMember, InvalidAmount/AmountAboveLimit, NotEnoughSavings.
        """
        source = savings_account(self.ledger, member.id, group.currency)
        try:
            return self.contribute(member, group, amount, source=source, idempotency_key=idempotency_key,
                                   initiated_by=f"member:{member.id}", channel=channel, session_ref=session_ref)
        except InsufficientFunds as exc:
            raise errors.NotEnoughSavings(exc.available) from None

    def contribute(self, member, group, amount, *, source, idempotency_key, initiated_by, channel="system",
                   session_ref=None, memo="", acknowledge=True):
        """Contribute `amount` debited from the ledger account `source` (savings, an agent's float...).

        One entry: the source's debit and the group's credits (postings.py); one row per
        period covered. Idempotent per key: the same contribution again returns its rows; the
        key used for another movement raises ConflictingRequest. Raises NotAMember,
        InvalidAmount/AmountAboveLimit, and the ledger's InsufficientFunds when the source
        cannot pay (nothing is written). `acknowledge=False` when the caller gives the member
        its own receipt (an agent's), so the member gets one SMS, not two.
        """
        amount = self.limits.check(amount, group.currency)
        membership = self.memberships.lock_active(group, member)
        postings = [(source, amount), *contribution_credits(self.ledger, group, membership, amount)]
        try:
            existing = self.ledger.replay(idempotency_key, postings, kind=KIND)
            if existing is not None:
                return self.rows_of_entry(existing.id)
            parts = allocate(self.session, self.clock, group, membership, amount)
            entry = self.ledger.post(idempotency_key, postings, kind=KIND,
                                     memo=f"{group.code} {parts[0][0]} {memo}".strip(),
                                     initiated_by=initiated_by, channel=channel, session_ref=session_ref)
        except IdempotencyConflict as exc:
            raise errors.ConflictingRequest(exc.message) from exc
        rows = self.rows_of_entry(entry.id)  # a concurrent post of this key may have recorded them
        if rows:
            return rows
        if acknowledge:
            self.notify(member, "contribution_received", key=f"group_contribution:{entry.id}", amount=amount,
                        group=group.name, ref=entry_reference(entry.id))
        return record_parts(self.session, self.clock, group, membership, parts, ledger_entry_id=entry.id)

    def contribute_by_mobile_money(self, member, group, amount, idempotency_key, *, channel="system",
                                   session_ref=None):
        """Start a mobile-money collection for the group; it is posted when the provider confirms.

        Returns the Payment. Raises GroupErrors for the member or amount, PaymentErrors for the provider.
        """
        amount = self.check(member, group, amount)
        return self.payments.start(idempotency_key, member, "collection", "contribution", amount, member.phone,
                                   purpose_ref=str(group.id), initiated_by=f"member:{member.id}", channel=channel,
                                   session_ref=session_ref)

    def rows_of_entry(self, entry_id):
        return list(self.session.scalars(select(GroupContribution).where(GroupContribution.ledger_entry_id == entry_id)
                                         .order_by(GroupContribution.id)))

    # -- reading ------------------------------------------------------------------------------------

    def group_balance(self, group, viewer):
        """The money in the group's pool; members only."""
        self.memberships.active_membership(group, viewer)
        return self.ledger.balance(pool_account(self.ledger, group))

    def my_share(self, group, member):
        """The member's contributions still in the pool."""
        membership = self.memberships.active_membership(group, member)
        return self.ledger.balance(share_account(self.ledger, group, membership))

    def last_contributions(self, group, viewer, limit=10):
        """[(GroupContribution, Member)] newest first; members only."""
        self.memberships.active_membership(group, viewer)
        rows = self.session.execute(
            select(GroupContribution, Member).join(Member, Member.id == GroupContribution.member_id)
            .where(GroupContribution.group_id == group.id)
            .order_by(GroupContribution.id.desc()).limit(limit))
        return [tuple(row) for row in rows]

    def savings_balance(self, member, currency):
        return self.ledger.balance(savings_account(self.ledger, member.id, currency))

