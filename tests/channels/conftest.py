"""Fixtures of the channel tests: a registered member to write from, and a group she chairs."""

import pytest

from app.money import Money
from tests.sms_helpers import register


@pytest.fixture
def amina(services):
    """Amina Wanjiru, registered in English on +254711000001 (tests/sms_helpers.register's defaults)."""
    return register(services)


@pytest.fixture
def group(services, amina):
    """Umoja Women, KES 500 a month, meeting on the 5th, with Amina as its chair."""
    group = services.group_memberships.create_group(amina, name="Umoja Women", contribution=Money(50000, "KES"),
                                                    frequency="monthly", meeting_day=5)
    services.session.commit()
    return group
