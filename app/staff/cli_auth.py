"""How a `flask` command learns who runs it: `--staff <username>`, and a sign-in prompt where it must.

- `acting(services, username)`: the actor for `--staff` (refuses unknown and disabled
  staff; not signed in), with the OS user recorded.
- `signed_in(services, username)`: asks for the password and the TOTP code (never on
  the command line) and signs in; a failure is committed (the failed count and the
  lock must survive the refusal) and reported as a click error.
- `bootstrap()`: the system actor that may create the first admin (app/staff/services.py).
- `refusals()`: turns the domain's refusals into click errors (exit 1, the message).
- `as_staff(services, username, call, ...)`: the shape of a staff command: who acts
  (`acting`, or `signed_in` with `sign_in=True`), then the service call under the
  refusals (a package's own wider `refused` when its services raise more).

Other packages' commands use these the same way (`--staff` on everything that changes
anything; `signed_in` for the checker's side of maker-checker).
"""

import contextlib
import getpass

import click

from app.audit.services import AuditError
from app.extensions import db
from app.staff.actor import CLI, Actor
from app.staff.errors import SignInFailed, StaffError


def os_user():
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def staff_option(required=True):
    """`--staff <username>`: who runs the command (recorded with the OS user)."""
    return click.option("--staff", "staff_username", required=required, metavar="USERNAME",
                        help="Your staff username (recorded in the audit log with your OS user).")


def reason_option(required=True):
    return click.option("--reason", required=required, help="Why (kept in the audit log).")


def acting(services, username):
    with refusals():
        return services.staff.cli_actor(username, os_user=os_user())


def signed_in(services, username):
    """Prompt for `username`'s password and TOTP code; the signed-in actor, or a click error (failure committed)."""
    password = click.prompt(f"Password for {username}", hide_input=True)
    code = click.prompt("TOTP code", hide_input=False)
    try:
        return services.staff.sign_in(username, password, code, channel=CLI, os_user=os_user())
    except SignInFailed as error:
        db.session.commit()
        raise click.ClickException(str(error)) from None


def bootstrap():
    return Actor.system("bootstrap", channel=CLI, os_user=os_user())


def as_staff(services, username, call, *args, sign_in=False, refused=None, **kwargs):
    """`call(actor, *args, **kwargs)` as the `--staff` member (`sign_in`: after their password and TOTP code),
    every refusal a click error, so nothing is written; `refused` defaults to `refusals`."""
    actor = signed_in(services, username) if sign_in else acting(services, username)
    with (refused or refusals)():
        return call(actor, *args, **kwargs)


@contextlib.contextmanager
def refusals():
    """Staff and audit refusals as click errors (the unit of work rolls back)."""
    try:
        yield
    except (StaffError, AuditError) as error:
        raise click.ClickException(str(error)) from None
