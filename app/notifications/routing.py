"""When a notification may go, and whether WhatsApp is tried: pure rules, no I/O.

- Quiet hours (QUIET_HOURS, "21:00-07:00" in TIMEZONE): a non-urgent message made
  then waits until they end; urgent ones (security, money) go at once.
- WhatsApp is tried only for members who prefer it; the outbox then sends free
  text inside the 24-hour window, else the approved template we pass (configured
  per kind and language in WHATSAPP_TEMPLATES), else SMS.
"""

from datetime import datetime, time, timedelta
from typing import NamedTuple


def wants_whatsapp(recipient):
    return getattr(recipient, "preferred_channel", "sms") == "whatsapp"


class QuietHours(NamedTuple):
    start: time
    end: time

    @classmethod
    def parse(cls, setting):
        """`"21:00-07:00"` -> QuietHours; an empty setting means never quiet."""
        if not str(setting or "").strip():
            return cls(time(0), time(0))
        start, _, end = str(setting).partition("-")
        return cls(time.fromisoformat(start.strip()), time.fromisoformat(end.strip()))

    def contains(self, local_time):
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local_time < self.end
        return local_time >= self.start or local_time < self.end

    def send_after(self, now, zone, urgent):
        """When a message made at `now` may go: now, or the end of the quiet hours (aware, in now's zone)."""
        local = now.astimezone(zone)
        clock_time = local.time().replace(tzinfo=None)
        if urgent or not self.contains(clock_time):
            return now
        day = local.date() if clock_time < self.end else local.date() + timedelta(days=1)
        return datetime.combine(day, self.end, tzinfo=zone).astimezone(now.tzinfo)
