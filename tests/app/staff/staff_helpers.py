"""Staff for tests: rows written directly (tests of `create` use the service), TOTP enrolled, signed in on demand."""

import uuid

import pyotp

from app.staff.models import ACTIVE, Staff, StaffRole
from app.staff.passwords import hash_password

PASSWORD = "correct horse battery"


def new_staff(services, *roles, phone=None, username=None):
    """An active staff member with `roles` and a confirmed TOTP secret; returns the Staff row."""
    username = username or f"s{uuid.uuid4().hex[:10]}"
    now = services.clock.now()
    staff = Staff(username=username, name=f"Staff {username}", status=ACTIVE, phone=phone,
                  password_hash=_HASH, password_changed_at=now, totp_secret=pyotp.random_base32(),
                  totp_enrolled=True, failed_logins=0, created_at=now,
                  role_rows=[StaffRole(role=role) for role in roles])
    services.session.add(staff)
    services.session.flush()
    return staff


_HASH = hash_password(PASSWORD)


def code_for(services, secret, steps_ahead=0):
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(services.clock.now()) + steps_ahead)


def sign_in(services, staff, channel="console"):
    """The signed-in actor (uses the next step's code so two sign-ins in a row both work)."""
    staff.totp_last_step = None
    return services.staff.sign_in(staff.username, PASSWORD, code_for(services, staff.totp_secret), channel=channel)


def typed(services, staff):
    """The actor of `--staff <username>`: not signed in."""
    return services.staff.cli_actor(staff.username, os_user="tester")
