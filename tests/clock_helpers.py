"""`clock` fixtures at a fixed time: `clock = fixed_clock(WHEN)` in a test module or a folder's conftest.py
(conftest's `timed` uses it)."""

import pytest

from app.clock import FixedClock


def fixed_clock(when):
    """A `clock` fixture: a FixedClock at `when`, for services the test builds itself."""

    @pytest.fixture
    def clock():
        return FixedClock(when)

    return clock


def app_clock(when):
    """A `clock` fixture: a FixedClock at `when` installed as the app's clock, so RQ jobs run in the test see it."""

    @pytest.fixture
    def clock(app, monkeypatch):
        fixed = FixedClock(when)
        monkeypatch.setitem(app.extensions, "clock", fixed)
        return fixed

    return clock
