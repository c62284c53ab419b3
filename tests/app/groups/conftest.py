"""The groups' service tests' fixtures: a clock on a Wednesday, three members, the collaborators
wired around a notify that records (tests/app/groups/group_helpers.py has the helpers)."""

import pytest

from app.ledger.services import LedgerService
from tests.app.groups.group_helpers import WEDNESDAY, GroupParts, Recorder, person
from tests.clock_helpers import fixed_clock

clock = fixed_clock(WEDNESDAY)


@pytest.fixture
def told():
    return Recorder()


@pytest.fixture
def groups(services, session, clock, told, app):
    ledger = LedgerService(session, clock=clock)
    return GroupParts(session, clock=clock, ledger=ledger, payments=services.payments, notify=told,
                      limits=app.extensions["settings"].GROUP_CONTRIBUTION_LIMITS)


@pytest.fixture
def amina(services):
    return person(services, "+254712000001", "Amina Wanjiru")


@pytest.fixture
def baraka(services):
    return person(services, "+254712000002", "Baraka Otieno")


@pytest.fixture
def chebet(services):
    return person(services, "+254712000003", "Chebet Kiprop")
