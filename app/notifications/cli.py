"""`flask reminders run --date D` and `flask notifications sweep`.

`reminders run` for today or a past day builds the services with a clock stopped at
REMINDERS_AT on D, so it sends exactly what the scheduler would have sent that morning
(quiet hours and keys included), and nothing again if run twice. For a future day it
never sends early: the reminders are made now (as of D) and scheduled for REMINDERS_AT
on D, and the command says so. It shows a progress bar and ends with what was computed,
made (new) and handed to the outbox or scheduled.
"""

from datetime import datetime

import click
from flask import current_app

from app.clock import FixedClock, SystemClock
from app.extensions import db
from app.unit_of_work import command_unit


@click.group("reminders")
def reminders_cli():
    """Repayment and contribution reminders."""


@reminders_cli.command("run")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Local day (default today).")
@command_unit
def run_reminders_command(day):
    """Make and send the reminders of a day, once."""
    from app.services import build_services

    config = current_app.config
    now = current_app.extensions.get("clock") or SystemClock(config["TIMEZONE"])
    day = day.date() if day else now.today()
    morning = datetime.combine(day, current_app.extensions["settings"].REMINDERS_AT, tzinfo=now.zone)
    ahead = morning > now.now()
    services = build_services(current_app, db.session, clock=now if ahead else FixedClock(morning, config["TIMEZONE"]))
    due = services.reminders.count(day)
    click.echo(f"{due} reminders due for {day.isoformat()}")
    if ahead:
        click.echo(f"{day.isoformat()} is ahead: nothing is sent now; they are scheduled for "
                   f"{morning.isoformat(timespec='minutes')}")
    with click.progressbar(length=due, label="Scheduling" if ahead else "Sending") as bar:
        result = services.reminders.run(day, checkpoint=db.session.commit, progress=bar.update,
                                        not_before=morning if ahead else None)
    if ahead:
        click.echo(f"computed {result.computed}, new {result.made}, scheduled {result.made}")
    else:
        click.echo(f"computed {result.computed}, new {result.made}, handed to the outbox {result.dispatched}")


@click.group("notifications")
def notifications_cli():
    """Outbound notifications and messages."""


@notifications_cli.command("sweep")
@command_unit
def sweep_command():
    """Enqueue lost jobs again and send (or fail) messages stuck in `queued`, now."""
    from app.notifications.tasks import sweep
    from app.services import build_services

    found = sweep(build_services(current_app, db.session))
    click.echo(", ".join(f"{name} {count}" for name, count in found.items()))
