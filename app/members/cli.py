"""`flask members ...`: key rotation (`reencrypt`) and the access workflows of issue 14.

`block` / `unblock`, `change-phone`, `pin-reset list|approve`: thin over
app/members/access.py and app/members/pin_reset.py, each with `--staff` and `--reason`.
The KYC commands (`kyc`, `kyc-history`, `notify-kyc-change`) live in app/members/kyc/cli.py.
"""

import contextlib

import click
from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.members.identity import IdentityError
from app.services import request_services
from app.staff.cli_auth import acting, as_staff, reason_option, refusals, staff_option
from app.unit_of_work import command_unit

BATCH = 500


@click.group("members")
def members_cli():
    """Members: operator maintenance."""


def _kyc_commands():
    """The KYC commands (app/members/kyc/cli.py) under `flask members`."""
    from app.members.kyc.cli import kyc_command, kyc_history_command, notify_kyc_change_command

    for command in (kyc_command, kyc_history_command, notify_kyc_change_command):
        members_cli.add_command(command)


_kyc_commands()


@members_cli.command("reencrypt")
@command_unit
def reencrypt_command():
    """Re-encrypt every national ID under the first ID_ENCRYPTION_KEYS key and recompute its lookup hash.

    Run after putting a new key first (or setting a new ID_LOOKUP_KEY); when it
    reports 0 left on an old key, the old key can be removed. Batches commit as
    they go, so a run can be interrupted and repeated. Prints counts, never an ID.
    """
    from app.members.models import Member
    from app.services import build_services

    services = build_services(current_app, db.session)
    after, changed, unreadable = 0, 0, []
    while True:
        batch = list(db.session.scalars(select(Member).where(Member.id > after).order_by(Member.id)
                                        .limit(BATCH).with_for_update(key_share=True)))
        if not batch:
            break
        for member in batch:
            try:
                changed += services.members.reencrypt(member)
            except IdentityError:
                unreadable.append(member.id)
        db.session.commit()  # a checkpoint per batch: an interrupted run keeps what it did
        after = batch[-1].id
    click.echo(f"re-encrypted {changed} national IDs under key {services.identity_keys.current_id!r}")
    if unreadable:
        raise click.ClickException(f"{len(unreadable)} national IDs no configured key opens (member ids "
                                   f"{', '.join(map(str, unreadable[:20]))}): keep their old key in "
                                   "ID_ENCRYPTION_KEYS")


# -- access: blocking, phone changes, forgotten PINs (app/members/access.py, app/members/pin_reset.py) -------


@contextlib.contextmanager
def access_refusals():
    """Staff, audit and access refusals (and a refused code) as click errors; the unit of work rolls back."""
    from app.members.errors import MemberError
    from app.one_time_codes import CodeError

    with refusals():
        try:
            yield
        except (MemberError, CodeError) as error:
            raise click.ClickException(error.message.render("en")) from None


@members_cli.command("block")
@click.argument("phone")
@staff_option()
@reason_option()
@command_unit
def block_command(phone, staff_username, reason):
    """Block a member on every channel (lost phone, fraud): no money moves until unblocked (members.block)."""
    services = request_services()
    member = as_staff(services, staff_username, services.member_access.block, phone, reason, refused=access_refusals)
    click.echo(f"member #{member.id} {member.phone} blocked; they were told by SMS")


@members_cli.command("unblock")
@click.argument("phone")
@staff_option()
@reason_option()
@command_unit
def unblock_command(phone, staff_username, reason):
    """Lift a member's block (members.block)."""
    services = request_services()
    member = as_staff(services, staff_username, services.member_access.unblock, phone, reason, refused=access_refusals)
    click.echo(f"member #{member.id} {member.phone} unblocked; they were told by SMS")


@members_cli.command("change-phone")
@click.argument("old_phone")
@click.argument("new_phone")
@click.option("--code", default=None, help="The code the member read out from the new phone (second step).")
@staff_option()
@reason_option(required=False)
@command_unit
def change_phone_command(old_phone, new_phone, code, staff_username, reason):
    """Move a member to a new number after a SIM replacement (members.phone_change), verified by a code.

    First run (with --reason) texts a code to NEW_PHONE. Then either run again with
    --code <code> as the member reads it out, or the member replies YES <code> from
    the new phone. Only then does the number change; both numbers are told.
    """
    services = request_services()
    actor = acting(services, staff_username)
    with access_refusals():
        if code is None:
            member, new = services.member_access.start_phone_change(actor, old_phone, new_phone, reason)
            click.echo(f"code sent to {new} for member #{member.id}; run again with --code <code>, or the member "
                       f"replies YES <code> from {new}")
            return
        member = services.member_access.confirm_phone_change(actor, new_phone, code)
    click.echo(f"member #{member.id} now uses {member.phone}; both numbers were told by SMS")


@members_cli.group("pin-reset")
def pin_reset_cli():
    """Forgotten PINs: the member asks (USSD Forgot PIN, SMS RESET PIN), an agent or support approves."""


@pin_reset_cli.command("list")
@click.option("--status", type=click.Choice(["requested", "approved", "completed", "expired", "cancelled"]),
              default=None, help="Default: the open ones (requested and approved).")
@command_unit
def pin_reset_list_command(status):
    """PIN reset requests, newest first: call the member back, then approve."""
    from app.members.models import Member

    services = request_services()
    for request in services.pin_resets.list(status):
        member = services.session.get(Member, request.member_id)
        approved = f" approved_by={request.approved_by}" if request.approved_by else ""
        click.echo(f"#{request.id} member #{member.id} {member.phone} {member.name!r} {request.status} "
                   f"via {request.channel} at {request.requested_at.isoformat(timespec='minutes')}{approved}")


@pin_reset_cli.command("approve")
@click.argument("phone")
@staff_option()
@reason_option()
@command_unit
def pin_reset_approve_command(phone, staff_username, reason):
    """Approve a member's forgotten-PIN request after calling them back (pins.reset.approve).

    The member gets an SMS with a one-time code and sets a new PIN at their next dial.
    """
    services = request_services()
    request = as_staff(services, staff_username, services.pin_resets.approve_by_staff, phone, reason,
                       refused=access_refusals)
    click.echo(f"PIN reset #{request.id} approved; the member gets a code by SMS")
