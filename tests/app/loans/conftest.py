"""Fixtures of the loan tests: services on a fixed clock at loan_helpers.START (move it with `services.clock.at`)."""

import pytest

from tests.app.loans.loan_helpers import loan_services


@pytest.fixture
def services(app):
    """Services on the test's session with a FixedClock at START, so schedules and ageing read a known day."""
    return loan_services(app)
