"""`flask staff ...`, `flask approvals ...`, `flask work ...`: thin over app/staff's services.

Passwords and TOTP codes are always prompted, never options. Commands that grant
access (create, enable, roles, reset-password) sign the admin in (password + TOTP);
`disable` takes `--staff` alone (the safe direction, for emergencies). Bootstrap:
while no active admin exists, `create` and `reset-password` run without `--staff`
(recorded as system:bootstrap with the OS user), so the first admin is made with
`flask staff create admin --name ... --role admin`, then `flask staff enroll-totp admin`.
"""

import click

from app.services import request_services
from app.staff.cli_auth import as_staff, bootstrap, reason_option, refusals, signed_in, staff_option
from app.staff.permissions import ROLES, permissions_of
from app.unit_of_work import command_unit

ROLE = click.Choice(list(ROLES))


@click.group("staff")
def staff_cli():
    """Staff accounts, roles, passwords and TOTP."""


def _manager(services, staff_username):
    return signed_in(services, staff_username) if staff_username else bootstrap()


def _new_password(label):
    return click.prompt(f"New password for {label}", hide_input=True, confirmation_prompt=True)


@staff_cli.command("create")
@click.argument("username")
@click.option("--name", required=True)
@click.option("--email", default=None)
@click.option("--phone", default=None, help="E.164 number for work-queue SMS.")
@click.option("--role", "roles", multiple=True, required=True, type=ROLE)
@staff_option(required=False)
@reason_option(required=False)
@command_unit
def create_command(username, name, email, phone, roles, staff_username, reason):
    """Create a staff member (the password is prompted). Without --staff: bootstrap, only while no admin exists."""
    services = request_services()
    actor = _manager(services, staff_username)
    with refusals():
        staff = services.staff.create(actor, username, name=name, password=_new_password(username), roles=roles,
                                      email=email, phone=phone, reason=reason)
    click.echo(f"created staff #{staff.id} {staff.username} ({', '.join(staff.roles)}); "
               f"next: flask staff enroll-totp {staff.username}")


@staff_cli.command("list")
@click.option("--all", "everyone", is_flag=True, help="Include disabled accounts.")
@command_unit
def list_command(everyone):
    """Staff accounts: roles, status, TOTP, last sign-in, lock."""
    services = request_services()
    for staff in services.staff.list(None if everyone else "active"):
        last = staff.last_login_at.isoformat(timespec="minutes") if staff.last_login_at else "never"
        locked = f" locked until {staff.locked_until.isoformat(timespec='minutes')}" if (
            staff.locked_until and staff.locked_until > services.clock.now()) else ""
        click.echo(f"#{staff.id} {staff.username} {staff.name!r} {staff.status} roles={','.join(staff.roles)} "
                   f"totp={'yes' if staff.totp_enrolled else 'no'} last_login={last}{locked}")


@staff_cli.command("disable")
@click.argument("username")
@staff_option()
@reason_option()
@command_unit
def disable_command(username, staff_username, reason):
    """Disable an account at once (staff.manage)."""
    services = request_services()
    as_staff(services, staff_username, services.staff.disable, username, reason)
    click.echo(f"{username} disabled")


@staff_cli.command("enable")
@click.argument("username")
@staff_option()
@reason_option()
@command_unit
def enable_command(username, staff_username, reason):
    """Enable a disabled account (staff.manage, signed in)."""
    services = request_services()
    as_staff(services, staff_username, services.staff.enable, username, reason, sign_in=True)
    click.echo(f"{username} enabled")


@staff_cli.command("reset-password")
@click.argument("username")
@click.option("--totp", "reset_totp", is_flag=True, help="Also clear the TOTP enrolment (lost phone).")
@staff_option(required=False)
@reason_option(required=False)
@command_unit
def reset_password_command(username, reset_totp, staff_username, reason):
    """Set a new password (prompted) and clear the lockout: a signed-in admin, or bootstrap while no admin exists."""
    services = request_services()
    actor = _manager(services, staff_username)
    with refusals():
        services.staff.reset_password(actor, username, _new_password(username), reason, reset_totp=reset_totp)
    click.echo(f"{username}: password reset" + ("; TOTP cleared (enroll-totp again)" if reset_totp else ""))


@staff_cli.command("roles")
@click.argument("username")
@click.option("--add", "added", multiple=True, type=ROLE)
@click.option("--remove", "removed", multiple=True, type=ROLE)
@staff_option(required=False)
@reason_option(required=False)
@command_unit
def roles_command(username, added, removed, staff_username, reason):
    """Show a staff member's roles and permissions, or change them (--add/--remove; staff.manage, signed in)."""
    services = request_services()
    staff = services.staff.by_username(username)
    if staff is None:
        raise click.ClickException(f"no staff member {username!r}")
    if added or removed:
        if not staff_username:
            raise click.ClickException("changing roles needs --staff <admin>")
        actor = signed_in(services, staff_username)
        with refusals():
            staff = services.staff.set_roles(actor, username, (set(staff.roles) | set(added)) - set(removed), reason)
    click.echo(f"{staff.username}: {', '.join(staff.roles) or 'no roles'}")
    click.echo("permissions: " + ", ".join(sorted(permissions_of(staff.roles))))


@staff_cli.command("enroll-totp")
@click.argument("username")
@command_unit
def enroll_totp_command(username):
    """Set up your TOTP second factor: your password, then a code from your authenticator app."""
    from app.extensions import db
    from app.staff.cli_auth import os_user
    from app.staff.errors import SignInFailed, StaffError

    services = request_services()
    password = click.prompt(f"Password for {username}", hide_input=True)
    try:
        secret, uri = services.staff.begin_totp(username, password, os_user=os_user())
    except SignInFailed as error:
        db.session.commit()
        raise click.ClickException(str(error)) from None
    except StaffError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Add this key to your authenticator app: {secret}")
    click.echo(f"(or open: {uri})")
    code = click.prompt("Code shown by the app")
    with refusals():
        services.staff.confirm_totp(username, code, os_user=os_user())
    click.echo(f"TOTP enrolled for {username}")


@click.group("approvals")
def approvals_cli():
    """Maker-checker: requests waiting for a second staff member."""


@approvals_cli.command("list")
@command_unit
def approvals_list_command():
    """Pending approvals, oldest first."""
    services = request_services()
    pending = services.approvals.pending()
    if not pending:
        click.echo("no pending approvals")
    for approval in pending:
        maker = services.staff.get(approval.maker_staff_id)
        amount = f" {approval.currency} {approval.amount_minor} (minor)" if approval.amount_minor is not None else ""
        click.echo(f"#{approval.id} {approval.created_at.isoformat(timespec='minutes')} {approval.action} "
                   f"{approval.subject}{amount} by {maker.username}: {approval.reason}")


@approvals_cli.command("approve")
@click.argument("approval_id", type=int)
@click.option("--note", default=None, help="Optional note kept with the decision.")
@staff_option()
@command_unit
def approve_command(approval_id, note, staff_username):
    """Approve another staff member's request and run it (approvals.check; asks your password and TOTP code)."""
    services = request_services()
    approval = as_staff(services, staff_username, services.approvals.approve, approval_id, note, sign_in=True)
    click.echo(f"approval #{approval.id} approved: {approval.action} {approval.subject} done")


@approvals_cli.command("reject")
@click.argument("approval_id", type=int)
@staff_option()
@reason_option()
@command_unit
def reject_command(approval_id, staff_username, reason):
    """Reject a request (a checker), or withdraw your own; nothing runs."""
    services = request_services()
    approval = as_staff(services, staff_username, services.approvals.reject, approval_id, reason, sign_in=True)
    click.echo(f"approval #{approval.id} rejected")


@click.group("work")
def work_cli():
    """The back-office work queue (items for finance, compliance, the branch manager...)."""


@work_cli.command("list")
@click.option("--role", type=ROLE, default=None)
@click.option("--done", is_flag=True, help="Show done items instead of open ones.")
@command_unit
def work_list_command(role, done):
    """Open items, soonest due first."""
    services = request_services()
    items = services.work_queue.list(role, status="done" if done else "open")
    if not items:
        click.echo("nothing in the queue")
    for item in items:
        due = f" due {item.due_at.isoformat(timespec='minutes')}" if item.due_at else ""
        click.echo(f"#{item.id} [{item.role}] {item.kind} {item.subject}{due}: {item.summary}")


@work_cli.command("close")
@click.argument("item_id", type=int)
@click.option("--note", required=True, help="What was done.")
@staff_option()
@command_unit
def work_close_command(item_id, note, staff_username):
    """Mark an item done (a staff member with the item's role)."""
    services = request_services()
    as_staff(services, staff_username, services.work_queue.close, item_id, note)
    click.echo(f"work item #{item_id} done")
