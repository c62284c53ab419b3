"""Members for the tests: rows made directly (registration's welcome notification is not under test)."""

import uuid

from app.members.identity import DEVELOPMENT_KEYS, DEVELOPMENT_LOOKUP_KEY, IdentityKeys
from app.members.models import Member
from app.phones import currency_for

TEST_IDENTITY = IdentityKeys.parse(DEVELOPMENT_KEYS, DEVELOPMENT_LOOKUP_KEY)
"""The keys the test app runs on (APP_ENV=test, no ID_ENCRYPTION_KEYS): the published development ones."""


def make_member(session, phone, name, locale="en", national_id="12345678", **fields):
    """A member row as registration leaves it, without the member service, but at the top KYC tier (only the
    operators' limits apply) unless `kyc_level=` says otherwise."""
    values = {"national_id_encrypted": TEST_IDENTITY.encrypt(national_id),
              "national_id_lookup": TEST_IDENTITY.lookup_hash(national_id),
              "pin_failures": 0, "kyc_level": 3, "preferred_channel": "sms", "sms_opted_out": False, **fields}
    member = Member(phone=phone, name=name, locale=locale, currency=currency_for(phone), **values)
    session.add(member)
    session.flush()
    return member


def unique_phone(prefix="+2547"):
    """A Kenyan number unique to this run, for committed tests whose rows outlive the test."""
    digits = 12 - len(prefix) + 1
    return f"{prefix}{uuid.uuid4().int % 10**digits:0{digits}d}"
