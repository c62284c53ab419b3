"""Leaving a group, and what happens to the money the member has in it.

The rules, checked by `check_leave` (the menu asks it before the confirmation screen)
and again under the group's lock by `leave`:

- the chair hands the chair over first (a group is never without one);
- nothing may be due: missed contributions and unpaid fines are paid before leaving
  (the group is owed them; a leaver could not be asked later);
- no payout may be waiting: once a period's meeting day has come in a group with a
  payout order, its contributions belong to that payout until an official pays it;
- nobody in the payout order may still be waiting for the turn the member has had:
  a member who has taken the pot this round stays until everyone has had theirs;
- no mobile-money contribution of theirs may still be on its way (it would land in a
  share nobody holds).

What they get: their share, i.e. their contributions still in the pool (not yet paid
out to anyone), goes back to their savings in one balanced entry (the reverse of a
contribution: pool and share debited, savings and share register credited), keyed
`group:<id>:leave:<membership>:<joined>` so it happens once per stint in the group.
Those contribution rows are marked refunded, so they pay no period (a member who comes
back owes from their new joining day) and no later payout counts them. Fines they paid
stay with the group (fines are the group's, never a member's share), and contributions
already paid out in earlier payouts stay with the members whose turn it was: leaving
gives up one's own turn.
"""

from sqlalchemy import select

from app.groups import errors
from app.groups.models import Group
from app.groups.postings import leave_postings, share_account
from app.ledger.references import entry_reference
from app.members.models import Member
from app.payments.models import Payment
from app.payments.states import FINAL


class Leaving:
    def __init__(self, session, *, clock, ledger, notify, memberships, arrears, payouts):
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.notify = notify
        self.memberships = memberships
        self.arrears = arrears
        self.payouts = payouts

    def check_leave(self, group, member):
        """The Money the member would get back on leaving, or raise why they may not leave yet.

        Raises NotAMember, ChairMustHandOver, DueBeforeLeaving, PayoutWaiting, PayoutTurnOwed,
        ContributionOnItsWay.
        """
        row = self.memberships.active_membership(group, member)
        if row.role == "chair":
            raise errors.ChairMustHandOver()
        owed = self.arrears.arrears_of(group, row).total
        if owed:
            raise errors.DueBeforeLeaving(owed)
        if self.payouts.payout_waiting(group):
            raise errors.PayoutWaiting()
        if self.turn_owed(group, row):
            raise errors.PayoutTurnOwed()
        if self.contribution_on_its_way(group, row):
            raise errors.ContributionOnItsWay()
        return self.ledger.balance(share_account(self.ledger, group, row))

    def turn_owed(self, group, row):
        """True when the member has had more payouts than someone still in the order."""
        received = self.payouts.payouts_received(group)
        others = [received.get(other.member_id, 0) for other in self.payouts.payout_order(group)
                  if other.member_id != row.member_id]
        return bool(others) and received.get(row.member_id, 0) > min(others)

    def contribution_on_its_way(self, group, row):
        return self.session.scalar(
            select(Payment.id).where(Payment.member_id == row.member_id, Payment.purpose == "contribution",
                                     Payment.purpose_ref == str(group.id), Payment.state.not_in(FINAL))
            .limit(1)) is not None

    def leave(self, group, member, *, channel="system", session_ref=None):
        """Leave the group under the rules above; returns the Money given back to savings (maybe zero).

        Idempotent per stint: the refund's ledger key names the membership and its joining time.
        """
        self.session.scalar(select(Group.id).where(Group.id == group.id).with_for_update())
        row = self.memberships.lock_active(group, member)
        share = self.check_leave(group, member)
        if share:
            key = f"group:{group.id}:leave:{row.id}:{int(row.joined_at.timestamp())}"
            entry = self.ledger.post(key, leave_postings(self.ledger, group, row, share), kind="group_refund",
                                     memo=f"{group.code} left", initiated_by=f"member:{row.member_id}",
                                     channel=channel, session_ref=session_ref)
            self.mark_refunded(group, row, entry.id)
            person = self.session.get(Member, row.member_id)
            self.notify(person, "group_left", key=f"group_left:{entry.id}", group=group.name, amount=share,
                        ref=entry_reference(entry.id),
                        balance=self.ledger.balance(self.ledger.account("member", person.id, "member_savings",
                                                                        group.currency)))
        self.memberships.leave(group, member)
        return share

    def mark_refunded(self, group, row, entry_id):
        """Mark the member's contributions still in the pool as refunded (they pay no period any more)."""
        for contribution in self.payouts.unpaid_out_rows(group, [row.member_id]):
            contribution.refunded_entry_id = entry_id
        self.session.flush()
