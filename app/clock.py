"""The service clock: one place to read the time, so tests and replays can fix it.

Services take a `clock` collaborator instead of calling `datetime.now()`; the CLI
commands that run "as of" a date (reminders, ageing) pass a FixedClock.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


class SystemClock:
    """Real time, timezone-aware, in UTC; `local_now` and `today` in the deployment's zone."""

    def __init__(self, timezone="Africa/Nairobi"):
        self.zone = ZoneInfo(timezone)

    def now(self):
        return datetime.now(UTC)

    def local_now(self):
        return self.now().astimezone(self.zone)

    def today(self):
        return self.local_now().date()


class FixedClock(SystemClock):
    """A clock stopped at `at` (aware datetime) that tests can move forward."""

    def __init__(self, at, timezone="Africa/Nairobi"):
        super().__init__(timezone)
        self.at = at

    def now(self):
        return self.at

    def advance(self, **kwargs):
        self.at = self.at + timedelta(**kwargs)
