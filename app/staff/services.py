"""StaffService: staff accounts, sign-in (password + TOTP, lockout), actors and permission checks.

The calls other packages use:

- `require(actor, permission, *, signed_in=False) -> Staff`: raises PermissionDenied
  (naming the permission, the actor's roles and the roles that would do) unless the
  actor is an active staff member whose roles grant it; with `signed_in=True` the
  actor must also have signed in with password and TOTP in this request.
- `can(actor, permission) -> bool`, `permissions(actor) -> frozenset`.
- `loan_limit(actor, currency) -> Money | None` and `require_loan_limit(actor, amount)`.
- `cli_actor(username, os_user=None)`: the actor of a `--staff` CLI option (refuses
  unknown and disabled staff; `signed_in` False).
- `sign_in(username, password, code, *, channel, ...) -> Actor` (`signed_in` True).
  A failure is state (the failed count, a lock, an audit row) written in the
  caller's session before SignInFailed / AccountLocked is raised: the caller
  COMMITS before reporting it (the CLI helper in app/staff/cli_auth.py does).
- `console_actor(staff_id, request_id=None)`: for a console request whose session
  signed in through `sign_in`; refuses a staff member disabled since.
- `holders(role)`: active staff with a role (for notifications).

Staff management (create, disable, enable, set_roles, reset_password) needs
`staff.manage`; all but `disable` (the safe direction, for emergencies) need the
actor signed in. Bootstrap: while no active admin exists, `Actor.system("bootstrap",
channel="cli")` may create staff and reset passwords, so the first admin can be made
from a shell; from the first admin on, only admins can.
"""

import hmac
import re
from datetime import timedelta

import pyotp
from sqlalchemy import select

from app.staff import errors
from app.staff.actor import CONSOLE, STAFF, SYSTEM, Actor
from app.staff.models import ACTIVE, DISABLED, Staff, StaffRole
from app.staff.passwords import hash_password, needs_rehash, verify_password
from app.staff.permissions import PERMISSIONS, check_roles, permissions_of, roles_granting

USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,59}$")
BOOTSTRAP = "bootstrap"
WRONG = "wrong username, password or TOTP code"
TOTP_ISSUER = "Pamoja"


class StaffService:
    def __init__(self, session, *, clock, audit, loan_limits, max_failed_logins, lock_minutes,
                 min_password_length=12):
        self.session = session
        self.clock = clock
        self.audit = audit
        self.loan_limits = loan_limits
        self.max_failed_logins = max_failed_logins
        self.lock_minutes = lock_minutes
        self.min_password_length = min_password_length

    # -- lookups --------------------------------------------------------------------------------

    def get(self, staff_id):
        """The staff row, or None."""
        return self.session.get(Staff, staff_id)

    def by_username(self, username, *, lock=False):
        """The staff row by username (case-insensitive), or None; `lock` takes its row lock."""
        query = select(Staff).where(Staff.username == (username or "").strip().lower())
        return self.session.scalars(query.with_for_update() if lock else query).first()

    def list(self, status=None):
        query = select(Staff).order_by(Staff.username)
        return list(self.session.scalars(query.where(Staff.status == status) if status else query))

    def holders(self, role):
        """Active staff holding `role`, by username."""
        return list(self.session.scalars(
            select(Staff).join(StaffRole).where(StaffRole.role == role, Staff.status == ACTIVE)
            .order_by(Staff.username)))

    def admin_exists(self):
        return bool(self.holders("admin"))

    # -- actors ---------------------------------------------------------------------------------

    def _named(self, username):
        staff = self.by_username(username)
        if staff is None:
            raise errors.UnknownStaff(f"no staff member {username!r} (see flask staff list)")
        if staff.status != ACTIVE:
            raise errors.StaffDisabled(f"staff member {staff.username} is disabled")
        return staff

    def cli_actor(self, username, os_user=None, request_id=None):
        """The actor of `--staff <username>`: active staff, NOT signed in (a typed name proves nothing)."""
        staff = self._named(username)
        return Actor(STAFF, staff.id, "cli", os_user=os_user, username=staff.username,
                     **({"request_id": request_id} if request_id else {}))

    def console_actor(self, staff_id, request_id=None):
        """A signed-in console actor for a session that signed in with `sign_in`; refuses disabled staff."""
        staff = self.get(staff_id)
        if staff is None or staff.status != ACTIVE:
            raise errors.StaffDisabled(f"staff member {staff_id} is unknown or disabled")
        return Actor(STAFF, staff.id, CONSOLE, signed_in=True, username=staff.username,
                     **({"request_id": request_id} if request_id else {}))

    def sign_in(self, username, password, code, *, channel, os_user=None, request_id=None):
        """Check password and TOTP code; the signed-in Actor, or SignInFailed / AccountLocked (commit first!)."""
        staff = self.by_username(username, lock=True)
        if staff is None:
            verify_password(None, password or "")
            raise errors.SignInFailed(WRONG)
        now = self.clock.now()
        actor = Actor(STAFF, staff.id, channel, os_user=os_user, username=staff.username,
                      **({"request_id": request_id} if request_id else {}))
        if staff.locked_until and staff.locked_until > now:
            raise errors.AccountLocked(f"{staff.username} is locked after failed sign-ins until "
                                       f"{staff.locked_until.isoformat(timespec='minutes')}", staff.locked_until)
        step = self._totp_step(staff, code) if staff.totp_enrolled else None
        if not verify_password(staff.password_hash, password or "") or (staff.totp_enrolled and step is None):
            self._failed(staff, actor, now)
        if staff.status != ACTIVE:
            raise errors.StaffDisabled(f"staff member {staff.username} is disabled")
        if not staff.totp_enrolled:
            raise errors.SignInFailed(f"{staff.username} has no TOTP enrolled yet: run flask staff enroll-totp "
                                      f"{staff.username}")
        if needs_rehash(staff.password_hash):
            staff.password_hash = hash_password(password)
        staff.failed_logins, staff.locked_until, staff.last_login_at, staff.totp_last_step = 0, None, now, step
        self.audit.record(actor, "staff.sign_in", ("staff", staff.id))
        return Actor(STAFF, staff.id, channel, os_user=os_user, request_id=actor.request_id, signed_in=True,
                     username=staff.username)

    def _failed(self, staff, actor, now):
        """Count a failed sign-in; lock the account at the limit; always raises."""
        staff.failed_logins += 1
        if staff.failed_logins >= self.max_failed_logins:
            staff.failed_logins, staff.locked_until = 0, now + timedelta(minutes=self.lock_minutes)
            self.audit.record(actor, "staff.locked", ("staff", staff.id),
                              after={"locked_until": staff.locked_until.isoformat()})
            self.session.flush()
            raise errors.AccountLocked(f"{staff.username} is locked for {self.lock_minutes} min after "
                                       f"{self.max_failed_logins} failed sign-ins", staff.locked_until)
        self.audit.record(actor, "staff.sign_in_failed", ("staff", staff.id),
                          after={"failed_logins": staff.failed_logins})
        self.session.flush()
        raise errors.SignInFailed(WRONG)

    def _totp_step(self, staff, code, secret=None):
        """The 30-second step `code` belongs to (now, or one step either side), newer than the last used; or None."""
        totp = pyotp.TOTP(secret or staff.totp_secret or pyotp.random_base32())
        code = (code or "").strip().replace(" ", "")
        current = totp.timecode(self.clock.now())
        for step in (current, current - 1, current + 1):
            if hmac.compare_digest(totp.generate_otp(step), code) and step > (staff.totp_last_step or -1):
                return step
        return None

    # -- permissions ----------------------------------------------------------------------------

    def permissions(self, actor):
        """What the actor may do now (nothing for a member, agent, the system or a disabled account)."""
        staff = self.get(actor.id) if actor.kind == STAFF else None
        return permissions_of(staff.roles) if staff is not None and staff.status == ACTIVE else frozenset()

    def can(self, actor, permission):
        return permission in self.permissions(actor)

    def require(self, actor, permission, *, signed_in=False):
        """The acting Staff row when `actor` may `permission`; PermissionDenied (or StaffDisabled) otherwise."""
        if permission not in PERMISSIONS:
            raise ValueError(f"unknown permission {permission!r}: add it to app/staff/permissions.py")
        needs = " or ".join(roles_granting(permission))
        if actor.kind != STAFF:
            raise errors.PermissionDenied(f"{permission} is for staff ({needs}); {actor.label} is not staff",
                                          permission=permission, actor=actor)
        staff = self.get(actor.id)
        if staff is None or staff.status != ACTIVE:
            raise errors.StaffDisabled(f"staff member {actor} is unknown or disabled", permission=permission,
                                       actor=actor)
        if permission not in permissions_of(staff.roles):
            raise errors.PermissionDenied(
                f"{staff.username} (roles: {', '.join(staff.roles) or 'none'}) may not {permission} "
                f"({PERMISSIONS[permission]}); it needs the role {needs}", permission=permission, actor=actor)
        if signed_in and not actor.signed_in:
            raise errors.PermissionDenied(
                f"{permission} needs {staff.username} signed in with password and TOTP code (the console, or a "
                "command that asks for them): a --staff name alone proves nothing", permission=permission,
                actor=actor)
        return staff

    def loan_limit(self, actor, currency):
        """The largest loan the actor may decide in `currency` (Money), or None when none of their roles has one."""
        if not self.can(actor, "loans.decide"):
            return None
        return self.loan_limits.for_roles(self.get(actor.id).roles, currency)

    def require_loan_limit(self, actor, amount):
        """`require(actor, "loans.decide")`, and PermissionDenied when `amount` is above the actor's limit."""
        staff = self.require(actor, "loans.decide")
        limit = self.loan_limits.for_roles(staff.roles, amount.currency)
        if limit is None or amount.minor > limit.minor:
            shown = f"{limit.currency} {limit.minor}" if limit else "none"
            raise errors.PermissionDenied(
                f"{staff.username} may decide loans up to {shown} (minor units) in {amount.currency} "
                f"(LOAN_OFFICER_LIMITS); this one is {amount.minor}: ask a role with a higher limit",
                permission="loans.decide", actor=actor)
        return staff

    def _require_manager(self, actor, *, signed_in=True):
        """staff.manage (signed in unless told otherwise), or the bootstrap actor while no admin exists."""
        if actor.kind == SYSTEM and actor.id == BOOTSTRAP:
            if self.admin_exists():
                raise errors.PermissionDenied("an admin exists: bootstrap is over, use --staff <admin>",
                                              permission="staff.manage", actor=actor)
            return
        self.require(actor, "staff.manage", signed_in=signed_in)

    # -- management -----------------------------------------------------------------------------

    def _check_password(self, password):
        if len(password or "") < self.min_password_length:
            raise errors.InvalidStaffInput(f"a password has at least {self.min_password_length} characters")

    def create(self, actor, username, *, name, password, roles, email=None, phone=None, reason=None):
        """A new active staff member with `roles`; InvalidStaffInput on a bad or taken username, role, password."""
        username = (username or "").strip().lower()
        self._require_manager(actor)
        if not USERNAME.match(username):
            raise errors.InvalidStaffInput("a username is 2-60 lowercase letters, digits, '.', '_' or '-', "
                                           "starting with a letter")
        try:
            roles = check_roles(roles)
        except ValueError as error:
            raise errors.InvalidStaffInput(str(error)) from None
        self._check_password(password)
        if self.by_username(username) is not None:
            raise errors.InvalidStaffInput(f"username {username} is taken")
        reason = reason or ("bootstrap" if actor.kind == SYSTEM else None)
        now = self.clock.now()
        staff = Staff(username=username, name=name.strip(), email=email, phone=phone, status=ACTIVE,
                      password_hash=hash_password(password), password_changed_at=now, totp_enrolled=False,
                      failed_logins=0, created_at=now, role_rows=[StaffRole(role=role) for role in roles])
        self.session.add(staff)
        self.session.flush()
        self.audit.record(actor, "staff.create", ("staff", staff.id), reason=reason,
                          after={"username": username, "name": staff.name, "roles": list(roles), "status": ACTIVE})
        return staff

    def _target(self, username):
        staff = self.by_username(username, lock=True)
        if staff is None:
            raise errors.UnknownStaff(f"no staff member {username!r}")
        return staff

    def _set_status(self, actor, username, status, reason, action):
        self.audit_reason(action, reason)
        staff = self._target(username)
        if staff.status == status:
            return staff  # a repeated command changes nothing and records nothing
        before = staff.status
        staff.status = status
        self.audit.record(actor, action, ("staff", staff.id), before={"status": before}, after={"status": status},
                          reason=reason)
        return staff

    def audit_reason(self, action, reason):
        from app.audit.services import require_reason

        return require_reason(action, reason)

    def disable(self, actor, username, reason):
        """Disable an account at once (staff.manage; a --staff name is enough, the safe direction)."""
        self._require_manager(actor, signed_in=False)
        if actor.kind == STAFF and self._target(username).id == actor.id:
            raise errors.InvalidStaffInput("you cannot disable yourself")
        return self._set_status(actor, username, DISABLED, reason, "staff.disable")

    def enable(self, actor, username, reason):
        """Enable a disabled account (staff.manage, signed in)."""
        self._require_manager(actor)
        return self._set_status(actor, username, ACTIVE, reason, "staff.enable")

    def set_roles(self, actor, username, roles, reason):
        """Give `username` exactly `roles` (staff.manage, signed in); an admin cannot drop their own admin role."""
        self._require_manager(actor)
        self.audit_reason("staff.roles", reason)
        try:
            roles = check_roles(roles)
        except ValueError as error:
            raise errors.InvalidStaffInput(str(error)) from None
        staff = self._target(username)
        if actor.kind == STAFF and staff.id == actor.id and "admin" in staff.roles and "admin" not in roles:
            raise errors.InvalidStaffInput("you cannot remove your own admin role: ask another admin")
        before = staff.roles
        if before == roles:
            return staff
        staff.role_rows = [row for row in staff.role_rows if row.role in roles] + [
            StaffRole(role=role) for role in roles if role not in before]
        self.session.flush()
        self.audit.record(actor, "staff.roles", ("staff", staff.id), before={"roles": list(before)},
                          after={"roles": list(roles)}, reason=reason)
        return staff

    def reset_password(self, actor, username, new_password, reason, *, reset_totp=False):
        """Set a new password, clear the lockout; with `reset_totp` also clear the TOTP enrolment.

        staff.manage by a signed-in admin, or the bootstrap actor while no admin exists.
        """
        self._require_manager(actor)
        reason = self.audit_reason("staff.password_reset", reason or ("bootstrap" if actor.kind == SYSTEM else None))
        self._check_password(new_password)
        staff = self._target(username)
        staff.password_hash, staff.password_changed_at = hash_password(new_password), self.clock.now()
        staff.failed_logins, staff.locked_until = 0, None
        self.audit.record(actor, "staff.password_reset", ("staff", staff.id), reason=reason,
                          after={"password": "changed", "locked": False})
        if reset_totp and (staff.totp_enrolled or staff.totp_secret):
            staff.totp_secret, staff.totp_enrolled, staff.totp_last_step = None, False, None
            self.audit.record(actor, "staff.totp_reset", ("staff", staff.id), reason=reason,
                              before={"totp_enrolled": True}, after={"totp_enrolled": False})
        return staff

    # -- TOTP enrolment (self-service) ------------------------------------------------------------

    def begin_totp(self, username, password, *, channel="cli", os_user=None):
        """A new TOTP secret for `username` after checking their password: (secret, otpauth URI).

        Refused when already enrolled (an admin's reset-password --totp clears it). The
        secret is kept unconfirmed until `confirm_totp` sees a right code.
        """
        staff = self.by_username(username, lock=True)
        if staff is None or staff.status != ACTIVE:
            raise errors.SignInFailed(WRONG)
        actor = Actor(STAFF, staff.id, channel, os_user=os_user, username=staff.username)
        if staff.locked_until and staff.locked_until > self.clock.now():
            raise errors.AccountLocked(f"{staff.username} is locked until {staff.locked_until.isoformat()}",
                                       staff.locked_until)
        if not verify_password(staff.password_hash, password or ""):
            self._failed(staff, actor, self.clock.now())
        if staff.totp_enrolled:
            raise errors.TotpError(f"{staff.username} already has TOTP: an admin can reset it "
                                   "(flask staff reset-password --totp)")
        staff.totp_secret = pyotp.random_base32()
        uri = pyotp.TOTP(staff.totp_secret).provisioning_uri(name=staff.username, issuer_name=TOTP_ISSUER)
        return staff.totp_secret, uri

    def confirm_totp(self, username, code, *, channel="cli", os_user=None):
        """Confirm the pending secret with a code from the authenticator app; TotpError when wrong."""
        staff = self.by_username(username, lock=True)
        if staff is None or staff.totp_enrolled or not staff.totp_secret:
            raise errors.TotpError("no TOTP enrolment is waiting for a code: start with the password again")
        step = self._totp_step(staff, code)
        if step is None:
            raise errors.TotpError("that code is not right: check the phone's clock and try the next code")
        staff.totp_enrolled, staff.totp_last_step = True, step
        actor = Actor(STAFF, staff.id, channel, os_user=os_user, username=staff.username)
        self.audit.record(actor, "staff.totp_enrolled", ("staff", staff.id), after={"totp_enrolled": True})
        return staff
