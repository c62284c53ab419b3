"""The groups' collaborators wired as app/services.py wires them, around a test's own clock, ledger and notify."""

from app.groups.arrears import Arrears
from app.groups.contributions import Contributions
from app.groups.fines import Fines
from app.groups.limits import ContributionLimits
from app.groups.membership import Memberships
from app.groups.payouts import Payouts


class GroupParts:
    def __init__(self, session, *, clock, ledger, payments=None, notify=None, limits=None):
        notify = notify or (lambda *args, **kwargs: None)
        self.session = session
        self.ledger = ledger
        self.limits = ContributionLimits(limits)
        self.memberships = Memberships(session, clock=clock, limits=self.limits)
        self.contributions = Contributions(session, clock=clock, ledger=ledger, payments=payments, notify=notify,
                                           memberships=self.memberships, limits=self.limits)
        self.arrears = Arrears(session, clock=clock, memberships=self.memberships)
        self.fines = Fines(session, clock=clock, ledger=ledger, memberships=self.memberships)
        self.payouts = Payouts(session, clock=clock, ledger=ledger, notify=notify, memberships=self.memberships)
