"""Demo staff for `flask demo seed`, development only: one account per role, same password and TOTP key.

Sign in as `demo.<role>` (demo.finance, demo.branch_manager, demo.admin, ...) with the
password DEMO_STAFF_PASSWORD and a code from an authenticator app given the key
DEMO_TOTP_SECRET (or `python -c "import pyotp; print(pyotp.TOTP('PAMOJADEMOSTAFFTOTPKEYDEVONLY234').now())"`).
Published here, so refused outside APP_ENV development/test. The rows are written
directly (with a system:demo audit row), not through StaffService.create, so seeding
works whether or not an admin exists yet.
"""

from app.config import is_development
from app.staff.actor import CLI, Actor
from app.staff.models import ACTIVE, Staff, StaffRole
from app.staff.passwords import hash_password
from app.staff.permissions import ROLES

DEMO_STAFF_PASSWORD = "pamoja-demo-staff"
DEMO_TOTP_SECRET = "PAMOJADEMOSTAFFTOTPKEYDEVONLY234"


def seed_demo_staff(services):
    """Create the missing demo accounts; returns their usernames, or () outside development."""
    if not is_development(services.config):
        return ()
    actor = Actor.system("demo", channel=CLI)
    now = services.clock.now()
    password_hash = None
    for role in ROLES:
        username = f"demo.{role}"
        if services.staff.by_username(username) is not None:
            continue
        password_hash = password_hash or hash_password(DEMO_STAFF_PASSWORD)
        staff = Staff(username=username, name=f"Demo {role.replace('_', ' ')}", status=ACTIVE,
                      password_hash=password_hash, password_changed_at=now, totp_secret=DEMO_TOTP_SECRET,
                      totp_enrolled=True, failed_logins=0, created_at=now, role_rows=[StaffRole(role=role)])
        services.session.add(staff)
        services.session.flush()
        services.audit.record(actor, "staff.create", ("staff", staff.id), reason="demo seed (development only)",
                              after={"username": username, "roles": [role]})
    return tuple(f"demo.{role}" for role in ROLES)
