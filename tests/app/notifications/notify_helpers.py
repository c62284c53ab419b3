"""Set-up shared by the notification and reminder tests: a fixed clock every job sees too."""

from datetime import UTC, datetime

import pytest

from app.clock import FixedClock
from app.extensions import db
from app.services import build_services

MORNING = datetime(2026, 12, 1, 7, 0, tzinfo=UTC).replace(hour=4)
"""07:00 in Nairobi (UTC+3) on 1 Dec 2026."""


@pytest.fixture
def clock(app, monkeypatch):
    """A FixedClock installed as the app's clock, so RQ jobs run in this test see the same time."""
    fixed = FixedClock(MORNING)
    monkeypatch.setitem(app.extensions, "clock", fixed)
    return fixed


@pytest.fixture
def timed(app, clock):
    """Services on the test's session with the fixed clock."""
    return build_services(app, db.session, clock=clock)


def member(services, phone, *, locale="en", name="Amina Wanjiru", **fields):
    registered = services.members.register(phone=phone, name=name, national_id="12345678", locale=locale,
                                           pin="4821")
    for field, value in fields.items():
        setattr(registered, field, value)
    services.session.flush()
    return registered
