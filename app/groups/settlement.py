"""The "contribution" purpose of mobile-money collections (see app/payments/settlement.py).

When the provider confirms a group contribution, the payments service posts one entry:
its clearing account is debited and these credits (pool, share register, the member's
share) complete it. The same allocation as a contribution from savings decides which
periods the money pays, as of the moment it arrives; the period rows name the payment.
Listed with the other purposes by app/services.py.
"""

from sqlalchemy import select

from app.groups.contributions import allocate, record_parts
from app.groups.models import Group, GroupMember
from app.groups.postings import contribution_credits
from app.members.models import Member
from app.payments.settlement import Notice


def credit_group_contribution(ledger, payment):
    session = ledger.session
    group = session.get(Group, int(payment.purpose_ref))
    membership = session.scalar(select(GroupMember).where(GroupMember.group_id == group.id,
                                                          GroupMember.member_id == payment.member_id)
                                .with_for_update())
    parts = allocate(session, ledger.clock, group, membership, payment.amount)
    record_parts(session, ledger.clock, group, membership, parts, payment_id=payment.id)
    return contribution_credits(ledger, group, membership, payment.amount)


def contribution_notice(ledger, payment):
    """The member's receipt for a contribution by mobile money: the same one a contribution from savings gets."""
    group = ledger.session.get(Group, int(payment.purpose_ref))
    return Notice(ledger.session.get(Member, payment.member_id), "contribution_received",
                  {"amount": payment.amount, "group": group.name})
