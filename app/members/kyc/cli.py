"""`flask members kyc`, `flask members kyc-history`, `flask members notify-kyc-change`: thin over services.kyc.

    flask members kyc +254712345678 --tier 2 --id-type national_id --reason "ID seen on call-back" --staff amina
    flask members kyc +254712345678 --tier 3 --reason "documents sighted at Nakuru branch" --staff amina
    flask members kyc +254712345678 --tier 1 --reason "ID card reported stolen" --staff amina

Tier 2 prompts for the ID number sighted (never an option: it would stay in shell history).
Tier 3 is a maker-checker request (`kyc.tier3`): another staff member approves it with
`flask approvals approve <id> --staff <username>` (signed in).
"""

import contextlib

import click
from flask import current_app

from app.extensions import db
from app.members.errors import MemberError
from app.members.kyc.errors import KycError
from app.members.kyc.models import KycChange
from app.members.kyc.tiers import ID_TYPES, TIERS
from app.phones import InvalidPhone, normalize_phone
from app.services import request_services
from app.staff.cli_auth import acting, reason_option, refusals, staff_option
from app.unit_of_work import command_unit


@contextlib.contextmanager
def kyc_refusals():
    """KYC, member and staff refusals as click errors (the unit of work rolls back)."""
    with refusals():
        try:
            yield
        except (KycError, MemberError) as error:
            raise click.ClickException(error.message.render("en")) from None


def member_by_phone(services, raw):
    try:
        phone = normalize_phone(raw, current_app.config["DEFAULT_REGION"])
    except InvalidPhone:
        raise click.ClickException(f"{raw!r} is not a valid phone number") from None
    member = services.members.by_phone(phone)
    if member is None:
        raise click.ClickException(f"no member with phone {phone}")
    return member


@click.command("kyc")
@click.argument("phone")
@click.option("--tier", type=click.IntRange(min(TIERS), max(TIERS)), required=True)
@click.option("--id-type", type=click.Choice(list(ID_TYPES)), default=None, help="Tier 2: the ID type sighted.")
@reason_option()
@staff_option()
@command_unit
def kyc_command(phone, tier, id_type, reason, staff_username):
    """Change a member's KYC tier: verify (2, kyc.verify), request the top tier (3, kyc.upgrade, approved by a
    second staff member), or downgrade (kyc.verify)."""
    services = request_services()
    actor = acting(services, staff_username)
    member = member_by_phone(services, phone)
    id_number = None
    if tier == 2 and tier > member.kyc_level:
        if not id_type:
            raise click.ClickException("tier 2 needs --id-type (the ID type sighted)")
        id_number = click.prompt("ID number sighted", hide_input=True)  # kept off screen and history
    with kyc_refusals():
        result = services.kyc.set_tier(actor, member, tier, reason, id_type=id_type, id_number=id_number)
    if isinstance(result, KycChange):
        click.echo(f"member {member.id}: tier {result.from_tier} -> {result.to_tier}; the member gets an SMS")
    elif result.approval is not None:
        click.echo(f"member {member.id}: tier 3 waits for approval #{result.approval.id} "
                   f"(flask approvals approve {result.approval.id} --staff <another username>)")
    else:
        click.echo(f"member {member.id}: tier 3; the member gets an SMS")


@click.command("kyc-history")
@click.argument("phone")
@staff_option()
@command_unit
def kyc_history_command(phone, staff_username):
    """A member's tier and its changes, newest first (kyc.view)."""
    services = request_services()
    actor = acting(services, staff_username)
    with refusals():
        services.staff.require(actor, "kyc.view")
    member = member_by_phone(services, phone)
    click.echo(f"member {member.id}: tier {member.kyc_level}, ID {services.members.masked_national_id(member)}")
    for change in services.kyc.history(member):
        click.echo(f"{change.created_at.isoformat(timespec='minutes')} {change.from_tier}->{change.to_tier} "
                   f"{change.source} by {change.actor}{' ' + change.id_type if change.id_type else ''}: "
                   f"{change.reason or ''}")


@click.command("notify-kyc-change")
@click.option("--batch", default=500, show_default=True)
@command_unit
def notify_kyc_change_command(batch):
    """Tell every member migration 0017 moved to a lower tier how to verify at an agent (once each; repeatable).

    Run once after the migration, in the daytime (the SMS is urgent: it ignores quiet hours).
    Batches commit as they go, so an interrupted run can be repeated without doubling an SMS.
    """
    services = request_services()
    after, read, made = 0, 0, 0
    while True:
        rows, new, after = services.kyc.notify_migrated(after_id=after, limit=batch)
        if not rows:
            break
        read, made = read + rows, made + new
        db.session.commit()  # a checkpoint per batch; the outbox sends after each commit
    click.echo(f"{read} members moved by the migration; {made} SMS queued now ({read - made} told before)")
