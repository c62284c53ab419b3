"""The groups' collaborators wired as app/services.py wires them, around a test's own clock, ledger and notify,
and the helpers the groups' service tests share (fixtures: conftest.py)."""

from datetime import UTC, datetime

from sqlalchemy import func, select

from app.groups.arrears import Arrears
from app.groups.contributions import Contributions
from app.groups.fines import Fines
from app.groups.leaving import Leaving
from app.groups.limits import ContributionLimits
from app.groups.membership import Memberships
from app.groups.payouts import Payouts
from app.groups.share_out import ShareOut
from app.ledger.models import LedgerEntry
from app.money import Money
from tests.member_helpers import make_member
from tests.money_helpers import credit_from_clearing

WEDNESDAY = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
"""2026-11-25 is the Wednesday of ISO week 2026-W48."""


class Recorder:
    """A notify that records (member id, kind, key, params) and sends nothing."""

    def __init__(self):
        self.calls = []

    def __call__(self, member, kind, key=None, **params):
        self.calls.append((member.id, kind, key, params))


class GroupParts:
    def __init__(self, session, *, clock, ledger, payments=None, notify=None, limits=None):
        notify = notify or (lambda *args, **kwargs: None)
        self.session = session
        self.ledger = ledger
        self.limits = ContributionLimits(limits)
        self.memberships = Memberships(session, clock=clock, limits=self.limits, notify=notify)
        self.contributions = Contributions(session, clock=clock, ledger=ledger, payments=payments, notify=notify,
                                           memberships=self.memberships, limits=self.limits)
        self.arrears = Arrears(session, clock=clock, memberships=self.memberships)
        self.fines = Fines(session, clock=clock, ledger=ledger, memberships=self.memberships, limits=self.limits)
        self.payouts = Payouts(session, clock=clock, ledger=ledger, notify=notify, memberships=self.memberships)
        self.leaving = Leaving(session, clock=clock, ledger=ledger, notify=notify, memberships=self.memberships,
                               arrears=self.arrears, payouts=self.payouts)
        self.share_out = ShareOut(session, clock=clock, ledger=ledger, notify=notify, memberships=self.memberships,
                                  payouts=self.payouts, operator_units=self.limits.operator_units)


def person(services, phone, name):
    return make_member(services.session, phone, name)


def fund(groups, member, minor):
    """Savings the way a confirmed deposit posts them: clearing debited, member savings credited."""
    ledger = groups.ledger
    credit_from_clearing(ledger, ledger.account("member", member.id, "member_savings", member.currency),
                         Money(minor, member.currency),
                         f"test-fund:{member.id}:{minor}:{ledger.session.scalar(select(func.count(LedgerEntry.id)))}")


def savings(groups, member):
    return groups.contributions.savings_balance(member, member.currency)


def chama(groups, chair, **overrides):
    options = {"name": "Umoja Women", "contribution": "500", "frequency": "weekly", "meeting_day": 3}
    return groups.memberships.create_group(chair, **{**options, **overrides})


def joined(groups, group, chair, *members):
    for member in members:
        groups.memberships.join_by_code(member, group.code)
        groups.memberships.approve(group, chair, member.id)


def monday_group(groups, clock, chair, *members, fine=None):
    """A weekly group meeting on Mondays, created Monday 2026-11-02 (2026-W45)."""
    clock.at = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
    group = chama(groups, chair, meeting_day=1, fine=fine)
    joined(groups, group, chair, *members)
    clock.at = WEDNESDAY
    return group
