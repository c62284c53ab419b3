"""`flask groups fines|propose|payouts --date D`: the groups' due work of a day;
`flask groups roles --code C --phone P --role R`: an operator names a group's official.

The scheduler runs `fines` and `propose` every day (app/groups/tasks.py): a proposed
payout waits for an official's PIN on the phone. `payouts` pays every due payout at
once, without an official: an operator's tool for a group that asks for it.
Each runs "as of" the end of local day D (default today) with a FixedClock, so a
day can be replayed, and each is safe to run twice: a payout is unique per group
and period, a fine per member and period, a proposal one notification per group,
period and official (see app/groups/payouts.py, fines.py).
"""

from datetime import datetime, time

import click
from flask import current_app

from app.clock import FixedClock, SystemClock
from app.extensions import db
from app.groups.errors import GroupError
from app.groups.models import ROLES
from app.i18n import render
from app.phones import InvalidPhone, normalize_phone
from app.unit_of_work import command_unit

END_OF_DAY = time(23, 0)
"""Late enough that the day's meetings have happened."""


@click.group("groups")
def groups_cli():
    """Savings groups: rotating payouts, late fines and officials' roles."""


def services_as_of(day):
    from app.services import build_services

    zone_name = current_app.config["TIMEZONE"]
    clock = SystemClock(zone_name)
    day = day.date() if day else clock.today()
    return day, build_services(current_app, db.session,
                               clock=FixedClock(datetime.combine(day, END_OF_DAY, tzinfo=clock.zone), zone_name))


def as_of_day(name):
    """Register `flask groups <name> [--date D]`; the command runs with (day, services as of day D)."""

    def register(run):
        @groups_cli.command(name, help=run.__doc__)
        @click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None,
                      help="Local day (default today).")
        @command_unit
        def command(day):
            run(*services_as_of(day))

        return command

    return register


@as_of_day("payouts")
def payouts_command(day, services):
    """Pay each group's due period to the next member in turn (once)."""
    payouts = services.group_payouts.run_due_payouts()
    for payout in payouts:
        click.echo(f"group {payout.group_id} {payout.period}: {payout.amount} to member {payout.member_id}")
    click.echo(f"{len(payouts)} payout(s) made for {day.isoformat()}")


@as_of_day("propose")
def propose_command(day, services):
    """Ask each group's officials to confirm its due payout with their PIN (once per group and period)."""
    proposed = services.group_payouts.propose_due_payouts()
    for group, period in proposed:
        click.echo(f"group {group.id} {period}: proposed to its officials")
    click.echo(f"{len(proposed)} payout(s) proposed for {day.isoformat()}")


@as_of_day("fines")
def fines_command(day, services):
    """Fine members who missed their group's last meeting (once per member and period)."""
    fines = services.group_fines.apply_due_fines()
    unpaid = sum(1 for fine in fines if fine.ledger_entry_id is None)
    click.echo(f"{len(fines)} fine(s) for {day.isoformat()}, {unpaid} not yet paid from savings")


@groups_cli.command("roles")
@click.option("--code", required=True, help="The group's join code.")
@click.option("--phone", required=True, help="The member's phone number.")
@click.option("--role", required=True, type=click.Choice(ROLES), help="chair hands the chair over.")
@command_unit
def roles_command(code, phone, role):
    """Give a member of a group a role, on the chair's behalf (the service's rules apply)."""
    from app.services import build_services

    services = build_services(current_app, db.session)
    group = services.group_memberships.by_code(code)
    if group is None:
        raise click.ClickException(f"no group has the code {code}")
    try:
        member = services.members.by_phone(normalize_phone(phone))
    except InvalidPhone:
        raise click.ClickException(f"not a valid mobile number: {phone}") from None
    chair = services.group_memberships.chair_of(group)
    if member is None or chair is None:
        raise click.ClickException(f"{phone} is not a member of {group.code}" if member is None
                                   else f"{group.code} has no chair")
    try:
        services.group_memberships.set_role(group, chair, member.id, role)
    except GroupError as error:
        raise click.ClickException(render(error.message, "en")) from None
    click.echo(f"{member.name} is now {role} of {group.name} ({group.code})")
