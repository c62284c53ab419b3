"""Memberships: creating groups, joining by code, approving joiners, roles, leaving.

The creator is the chair. A joiner's request waits (`pending`) until the chair or
treasurer approves it; contributions are owed from the day it is approved. Each
request is told to the group's officials (chair, treasurer, secretary) by SMS, and
the joiner is told the decision, each in their own language. A declined or departed
member may ask again with the code. The money rules of leaving are in leaving.py.

Join codes are six digits, typed on any keypad. Groups made before that keep their
letter code (`AB3XYZ`), and the digits a phone keypad gives for its letters
(`223999`) find them too (`keypad_digits`), so `JOIN 223999` works on a phone with
no letters mode; a new code is never the keypad digits of an old one.
"""

import re
import secrets

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from app.groups import errors, periods
from app.groups.models import ROLES, SINGLE_ROLES, Group, GroupMember
from app.members.models import Member

CODE_DIGITS = "0123456789"
"""A new group's join code: digits only, what every keypad types without a letters mode."""
LETTER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""The characters of the letter codes groups were given before digit codes (no 0/O, 1/I/L)."""
CODE_LENGTH = 6
KEYPAD_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
KEYPAD_KEYS = "22233344455566677778889999"
"""The key of each letter on a phone keypad (ITU E.161): ABC on 2 ... WXYZ on 9."""
KEYPAD = str.maketrans(KEYPAD_LETTERS, KEYPAD_KEYS)
NAME_PATTERN = re.compile(r"^[^\W_][\w '&.\-]{1,28}[^\W_]$")
FREQUENCY_CHOICES = {"1": "weekly", "2": "monthly", "weekly": "weekly", "monthly": "monthly"}


def new_code():
    """Six random digits, never starting with 0 (read as a dropped digit, and `0` is Back on a menu)."""
    return secrets.choice(CODE_DIGITS[1:]) + "".join(secrets.choice(CODE_DIGITS) for _ in range(CODE_LENGTH - 1))


def clean_code(raw):
    """A typed code, upper-cased and without spaces; None when it cannot be a code."""
    code = "".join((raw or "").split()).upper()
    allowed = set(LETTER_ALPHABET) | set(CODE_DIGITS)
    return code if len(code) == CODE_LENGTH and code.isascii() and set(code) <= allowed else None


def keypad_digits(code):
    """The digits a phone keypad gives for a code: `AB3XYZ` -> `223999`; a digit code is itself."""
    return code.translate(KEYPAD)


def keypad_column():
    """SQL of `keypad_digits(groups.code)`, the expression migration 0021 indexes."""
    return func.translate(Group.code, KEYPAD_LETTERS, KEYPAD_KEYS)


class Memberships:
    """Who is in which group, in what role; every other group collaborator asks it who may act."""

    def __init__(self, session, *, clock, limits, notify):
        self.session = session
        self.clock = clock
        self.limits = limits
        self.notify = notify

    # -- reading ------------------------------------------------------------------------------------

    def get(self, group_id):
        """The group with this id, or None."""
        return self.session.get(Group, group_id)

    def by_code(self, raw_code):
        """The group with this join code (typed in any case, or as keypad digits), or None.

        The code itself first; else the one group whose letter code gives these keypad
        digits (None when two old codes give the same digits: the member then types the letters).
        """
        code = clean_code(raw_code)
        if code is None:
            return None
        group = self.session.scalar(select(Group).where(Group.code == code))
        if group is not None or not code.isdigit():
            return group
        found = list(self.session.scalars(select(Group).where(keypad_column() == code).limit(2)))
        return found[0] if len(found) == 1 else None

    def code_is_free(self, code):
        """No group has this code, nor a letter code whose keypad digits are it."""
        return self.session.scalar(select(Group.id).where((Group.code == code) | (keypad_column() == code))
                                   .limit(1)) is None

    def membership(self, group, member, *, lock=False):
        """The member's row in the group (any status), or None."""
        query = select(GroupMember).where(GroupMember.group_id == group.id,
                                          GroupMember.member_id == getattr(member, "id", member))
        return self.session.scalar(query.with_for_update() if lock else query)

    def active_membership(self, group, member):
        """The member's active row, or raise NotAMember."""
        row = self.membership(group, member)
        if row is None or row.status != "active":
            raise errors.NotAMember()
        return row

    def lock_active(self, group, member):
        """The member's active row, locked (FOR UPDATE) for a contribution's allocation, or raise NotAMember."""
        row = self.membership(group, member, lock=True)
        if row is None or row.status != "active":
            raise errors.NotAMember()
        return row

    def official(self, group, member):
        """The member's row if they are an active chair or treasurer, or raise NotAnOfficial."""
        row = self.membership(group, member)
        if row is None or not row.is_official:
            raise errors.NotAnOfficial()
        return row

    def is_official(self, group, member):
        row = self.membership(group, member)
        return row is not None and row.is_official

    def groups_of(self, member):
        """[(Group, GroupMember)] of the member's active and pending groups, oldest first."""
        rows = self.session.execute(
            select(Group, GroupMember).join(GroupMember, GroupMember.group_id == Group.id)
            .where(GroupMember.member_id == member.id, GroupMember.status.in_(("active", "pending")))
            .order_by(GroupMember.id))
        return [tuple(row) for row in rows]

    def members(self, group, statuses=("active",)):
        """[(GroupMember, Member)] of the group with these statuses, in joining order."""
        rows = self.session.execute(
            select(GroupMember, Member).join(Member, Member.id == GroupMember.member_id)
            .where(GroupMember.group_id == group.id, GroupMember.status.in_(statuses))
            .order_by(GroupMember.joined_at.nulls_last(), GroupMember.id))
        return [tuple(row) for row in rows]

    def pending_requests(self, group, actor):
        """[(GroupMember, Member)] waiting for approval; chair or treasurer only."""
        self.official(group, actor)
        return self.members(group, ("pending",))

    # -- rules of input -----------------------------------------------------------------------------

    @staticmethod
    def clean_name(raw):
        name = " ".join((raw or "").split())
        if not NAME_PATTERN.match(name) or not any(char.isalpha() for char in name):
            # Digits alone are no name: on a phone they are an amount or a `0` typed one screen late.
            raise errors.InvalidGroupName()
        return name

    @staticmethod
    def clean_frequency(raw):
        frequency = FREQUENCY_CHOICES.get((raw or "").strip().lower())
        if frequency is None:
            raise errors.InvalidFrequency()
        return frequency

    @staticmethod
    def clean_meeting_day(frequency, raw):
        text = str(raw).strip()
        day = int(text) if text.isdigit() and text.isascii() and len(text) <= 2 else None
        if day is None or not periods.valid_meeting_day(frequency, day):
            raise errors.InvalidMeetingDay()
        return day

    # -- changing -----------------------------------------------------------------------------------

    def create_group(self, creator, *, name, contribution, frequency, meeting_day, fine=None):
        """Create a group in the creator's currency; the creator becomes its active chair.

        `contribution` and `fine` are Money or typed text. Raises a GroupError on bad input.
        """
        name = self.clean_name(name)
        contribution = self.limits.check(contribution, creator.currency)
        fine = None if fine in (None, "") else self.limits.check(fine, creator.currency)
        frequency = self.clean_frequency(frequency)
        meeting_day = self.clean_meeting_day(frequency, meeting_day)
        now = self.clock.now()
        while True:
            code = new_code()
            if not self.code_is_free(code):
                continue
            with self.session.begin_nested():
                group_id = self.session.scalar(
                    insert(Group).values(
                        name=name, code=code, currency=creator.currency, contribution_minor=contribution.minor,
                        frequency=frequency, meeting_day=meeting_day, fine_minor=fine.minor if fine else None,
                        payout_order_enabled=False, created_by=creator.id, created_at=now)
                    .on_conflict_do_nothing(index_elements=["code"]).returning(Group.id))
            if group_id is not None:  # else the random code was taken: draw again
                break
        group = self.session.get(Group, group_id)
        self.session.add(GroupMember(group_id=group.id, member_id=creator.id, role="chair", status="active",
                                     requested_at=now, joined_at=now))
        self.session.flush()
        return group

    def join_by_code(self, member, raw_code):
        """Ask to join the group with this code; returns (group, membership) in `pending`."""
        group = self.by_code(raw_code)
        if group is None:
            raise errors.UnknownGroupCode()
        self.check_can_join(group, member)
        row = self.membership(group, member, lock=True)
        now = self.clock.now()
        if row is None:
            row = GroupMember(group_id=group.id, member_id=member.id, role="member", status="pending",
                              requested_at=now)
            self.session.add(row)
        else:
            row.status, row.role, row.requested_at, row.joined_at = "pending", "member", now, None
            row.payout_position = None
        self.session.flush()
        self.tell_officials(group, member, row)
        return group, row

    def tell_officials(self, group, member, row):
        """Tell the chair, treasurer and secretary that `member` asks to join (once per request)."""
        asked = int(row.requested_at.timestamp())
        for official, person in self.members(group):
            if official.role in SINGLE_ROLES:
                self.notify(person, "group_join_request", key=f"group_join_request:{row.id}:{asked}:{person.id}",
                            name=member.name, group=group.name, code=group.code)

    def check_can_join(self, group, member):
        """Raise why the member cannot ask to join (already in, already asked, other currency)."""
        row = self.membership(group, member)
        if row is not None and row.status == "active":
            raise errors.AlreadyMember()
        if row is not None and row.status == "pending":
            raise errors.AlreadyRequested()
        if member.currency != group.currency:
            raise errors.CurrencyMismatch()

    def decide_request(self, group, actor, member_id, *, approve):
        """Approve or decline a pending request (chair or treasurer); returns the row."""
        self.official(group, actor)
        row = self.membership(group, member_id, lock=True)
        if row is None or row.status != "pending":
            raise errors.NoSuchRequest()
        if approve:
            row.status, row.joined_at = "active", self.clock.now()
        else:
            row.status = "declined"
        self.session.flush()
        kind = "group_join_approved" if approve else "group_join_declined"
        self.notify(self.session.get(Member, row.member_id), kind,
                    key=f"{kind}:{row.id}:{int(row.requested_at.timestamp())}", group=group.name, code=group.code)
        return row

    def approve(self, group, actor, member_id):
        return self.decide_request(group, actor, member_id, approve=True)

    def decline(self, group, actor, member_id):
        return self.decide_request(group, actor, member_id, approve=False)

    def chair_row(self, group, actor):
        """The actor's row if they are the group's active chair, or raise NotTheChair."""
        row = self.membership(group, actor)
        if row is None or row.status != "active" or row.role != "chair":
            raise errors.NotTheChair()
        return row

    def is_chair(self, group, member):
        row = self.membership(group, member)
        return row is not None and row.status == "active" and row.role == "chair"

    def role_candidates(self, group, actor):
        """[(GroupMember, Member)] the chair may give a role to: every other active member."""
        chair = self.chair_row(group, actor)
        return [(row, person) for row, person in self.members(group) if row.id != chair.id]

    def check_role(self, group, actor, member_id, role):
        """Raise why the chair may not give `member_id` this role; returns (chair row, member row).

        A group has one chair, one treasurer and one secretary: naming a treasurer or
        secretary while another holds the role is refused (RoleTaken), so nobody loses
        an official's duties without the chair deciding it. The chair steps down only
        by handing the chair over, so a group is never left without one.
        """
        chair = self.chair_row(group, actor)
        if role not in ROLES:
            raise errors.InvalidRole()
        row = self.active_membership(group, member_id)
        if row.id == chair.id and role != "chair":
            raise errors.ChairMustHandOver()
        if role in SINGLE_ROLES and role != "chair" and row.role != role:
            holder = self.holder_of(group, role)
            if holder is not None:
                raise errors.RoleTaken(role, holder[1].name)
        return chair, row

    def set_role(self, group, actor, member_id, role):
        """The chair gives an active member a role (rules: check_role); returns the member's row.

        Giving "chair" hands the chair over (the old chair becomes a member). Role changes
        of a group are serialised by a lock on its row, so two never name two treasurers.
        """
        self.session.execute(select(Group.id).where(Group.id == group.id).with_for_update())
        chair, row = self.check_role(group, actor, member_id, role)
        if role == "chair" and row.id != chair.id:
            chair.role = "member"
        row.role = role
        self.session.flush()
        return row

    def holder_of(self, group, role):
        """(GroupMember, Member) of the active member holding `role`, or None (the first for "member")."""
        holders = [pair for pair in self.members(group) if pair[0].role == role]
        return holders[0] if holders else None

    def chair_of(self, group):
        """The group's chair (a Member), for operators acting on the chair's behalf."""
        holder = self.holder_of(group, "chair")
        return None if holder is None else holder[1]

    def leave(self, group, member):
        """Mark the member as left (the chair must hand over first); nothing else.

        Members leave through Leaving.leave (app/groups/leaving.py), which checks what they
        owe and gives back their share before calling this.
        """
        row = self.active_membership(group, member)
        if row.role == "chair":
            raise errors.ChairMustHandOver()
        row.status, row.payout_position = "left", None
        self.session.flush()
        return row
