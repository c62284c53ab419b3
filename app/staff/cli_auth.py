"""How a `flask` command learns who runs it: `--staff <username>`, and a sign-in prompt where it must.

- `acting(services, username)`: the actor for `--staff` (refuses unknown and disabled
  staff; not signed in), with the OS user recorded.
- `signed_in(services, username)`: asks for the password and the TOTP code (never on
  the command line) and signs in; a failure is committed (the failed count and the
  lock must survive the refusal) and reported as a click error.
- `bootstrap()`: the system actor that may create the first admin (app/staff/services.py).
- `refusals()`: turns the domain's refusals into click errors (exit 1, the message).

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


@contextlib.contextmanager
def refusals():
    """Staff and audit refusals as click errors (the unit of work rolls back)."""
    try:
        yield
    except (StaffError, AuditError) as error:
        raise click.ClickException(str(error)) from None
