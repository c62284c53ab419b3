"""Set-up shared by the notification and reminder tests (their `clock` fixture is in conftest.py)."""

from datetime import UTC, datetime

MORNING = datetime(2026, 12, 1, 7, 0, tzinfo=UTC).replace(hour=4)
"""07:00 in Nairobi (UTC+3) on 1 Dec 2026."""


def member(services, phone, *, locale="en", name="Amina Wanjiru", **fields):
    registered = services.members.register(phone=phone, name=name, national_id="12345678", locale=locale,
                                           pin="4821")
    for field, value in fields.items():
        setattr(registered, field, value)
    services.session.flush()
    return registered
