"""`flask demo seed`'s staff: one per role, signing in with the documented password and TOTP key."""

from app.staff.demo import DEMO_STAFF_PASSWORD, DEMO_TOTP_SECRET, seed_demo_staff
from app.staff.permissions import ROLES
from tests.app.staff.staff_helpers import code_for


def test_one_demo_account_per_role_signs_in_and_reseeding_changes_nothing(services):
    usernames = seed_demo_staff(services)
    assert usernames == tuple(f"demo.{role}" for role in ROLES)
    assert seed_demo_staff(services) == usernames
    actor = services.staff.sign_in("demo.finance", DEMO_STAFF_PASSWORD, code_for(services, DEMO_TOTP_SECRET),
                                   channel="console")
    assert actor.signed_in and services.staff.can(actor, "payments.reverse")
