"""Members for the tests: rows made directly (registration's welcome notification is not under test)."""

import uuid

from app.members.models import Member
from app.phones import currency_for


def make_member(session, phone, name, locale="en", **fields):
    """A member row as registration leaves it, without the member service."""
    values = {"national_id": "12345678", "pin_failures": 0, "kyc_level": 2, "preferred_channel": "sms",
              "sms_opted_out": False, **fields}
    member = Member(phone=phone, name=name, locale=locale, currency=currency_for(phone), **values)
    session.add(member)
    session.flush()
    return member


def unique_phone(prefix="+2547"):
    """A Kenyan number unique to this run, for committed tests whose rows outlive the test."""
    digits = 12 - len(prefix) + 1
    return f"{prefix}{uuid.uuid4().int % 10**digits:0{digits}d}"
