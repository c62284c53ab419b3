"""What loans need to know about savings groups, read from the groups' tables (no groups service call).

A group's own products are offered to its active members and approved by two of its
officials: the holders of the group's single roles (app/groups/models.SINGLE_ROLES:
chair, treasurer, secretary).
"""

from sqlalchemy import select

from app.groups.models import SINGLE_ROLES, GroupMember


def group_officials(session, group_id):
    """Member ids of the active officials (SINGLE_ROLES) of `group_id` (empty for None)."""
    if group_id is None:
        return set()
    return set(session.scalars(select(GroupMember.member_id).where(
        GroupMember.group_id == group_id, GroupMember.status == "active", GroupMember.role.in_(SINGLE_ROLES))))


def member_group_ids(session, member):
    """Ids of the groups the member is an active member of."""
    return set(session.scalars(select(GroupMember.group_id).where(
        GroupMember.member_id == member.id, GroupMember.status == "active")))


def official_group_ids(session, member):
    """Ids of the groups where the member is an active official (SINGLE_ROLES)."""
    return set(session.scalars(select(GroupMember.group_id).where(
        GroupMember.member_id == member.id, GroupMember.status == "active", GroupMember.role.in_(SINGLE_ROLES))))
