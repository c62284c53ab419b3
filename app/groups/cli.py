"""`flask groups payouts --date D` and `flask groups fines --date D`: the groups' due work of a day.

Both run "as of" the end of local day D (default today) with a FixedClock, so a
day can be replayed, and both are safe to run twice: a payout is unique per group
and period, a fine per member and period (see app/groups/payouts.py, contributions.py).
"""

from datetime import datetime, time

import click
from flask import current_app
from flask.cli import with_appcontext

from app.clock import FixedClock, SystemClock
from app.extensions import db

END_OF_DAY = time(23, 0)
"""Late enough that the day's meetings have happened."""


@click.group("groups")
def groups_cli():
    """Savings groups: rotating payouts and late fines."""


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
        @with_appcontext
        def command(day):
            run(*services_as_of(day))

        return command

    return register


@as_of_day("payouts")
def payouts_command(day, services):
    """Pay each group's due period to the next member in turn (once)."""
    payouts = services.groups.run_due_payouts()
    db.session.commit()
    for payout in payouts:
        click.echo(f"group {payout.group_id} {payout.period}: {payout.amount} to member {payout.member_id}")
    click.echo(f"{len(payouts)} payout(s) made for {day.isoformat()}")


@as_of_day("fines")
def fines_command(day, services):
    """Fine members who missed their group's last meeting (once per member and period)."""
    fines = services.groups.apply_due_fines()
    db.session.commit()
    unpaid = sum(1 for fine in fines if fine.ledger_entry_id is None)
    click.echo(f"{len(fines)} fine(s) for {day.isoformat()}, {unpaid} not yet paid from savings")
