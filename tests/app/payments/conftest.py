"""The payments tests' shared fixtures (a module with its own fixture of the same name keeps it)."""

import pytest

from tests.app.payments.review_helpers import PHONE
from tests.app.staff.staff_helpers import new_staff, typed
from tests.fakes import FakeProvider
from tests.member_helpers import make_member


@pytest.fixture
def fake(services):
    """The operators' fake at their HTTP boundary, installed for every provider."""
    return services.providers.install(FakeProvider())


@pytest.fixture
def member(services):
    """A Kiswahili-speaking member at review_helpers.PHONE."""
    return make_member(services.session, PHONE, "Akinyi Odhiambo", "sw")


@pytest.fixture
def finance(services):
    return typed(services, new_staff(services, "finance"))
