"""Fixtures of the channel tests: a registered member to write from."""

import pytest

from tests.sms_helpers import register


@pytest.fixture
def amina(services):
    """Amina Wanjiru, registered in English on +254711000001 (tests/sms_helpers.register's defaults)."""
    return register(services)
