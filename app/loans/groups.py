"""What loans need to know about savings groups, read from the groups' tables (no groups service call).

A group's own products are offered to its active members and approved by two of its
officials: the chair, the treasurer and the secretary (the loan rule; the groups
package's own OFFICIALS, who manage contributions, are narrower).
"""

from sqlalchemy import select

LOAN_OFFICIALS = ("chair", "treasurer", "secretary")
"""Roles whose two approvals approve a group product's loan."""


def group_officials(session, group_id):
    """Member ids of the active chair, treasurer and secretary of `group_id` (empty for None)."""
    if group_id is None:
        return set()
    from app.groups.models import GroupMember

    return set(session.scalars(select(GroupMember.member_id).where(
        GroupMember.group_id == group_id, GroupMember.status == "active", GroupMember.role.in_(LOAN_OFFICIALS))))


def member_group_ids(session, member):
    """Ids of the groups the member is an active member of."""
    from app.groups.models import GroupMember

    return set(session.scalars(select(GroupMember.group_id).where(
        GroupMember.member_id == member.id, GroupMember.status == "active")))


def official_group_ids(session, member):
    """Ids of the groups where the member is an active chair, treasurer or secretary."""
    from app.groups.models import GroupMember

    return set(session.scalars(select(GroupMember.group_id).where(
        GroupMember.member_id == member.id, GroupMember.status == "active", GroupMember.role.in_(LOAN_OFFICIALS))))
