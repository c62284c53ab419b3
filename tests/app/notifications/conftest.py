"""Fixtures of the notification and reminder tests: a fixed morning clock every job sees too."""

from tests.app.notifications.notify_helpers import MORNING
from tests.clock_helpers import app_clock

clock = app_clock(MORNING)
