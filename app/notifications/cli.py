"""`flask reminders run --date D`, `flask notifications sweep` and `flask scheduler run|tick`.

`reminders run` builds the services with a clock stopped at REMINDERS_AT on D, so
it sends exactly what the scheduler would have sent that morning (quiet hours and
keys included), and nothing again if run twice. It shows a progress bar and ends
with what was computed, made (new) and handed to the outbox.
"""

from datetime import datetime, time

import click
from flask import current_app
from flask.cli import with_appcontext

from app.clock import FixedClock, SystemClock
from app.extensions import db


@click.group("reminders")
def reminders_cli():
    """Repayment and contribution reminders."""


@reminders_cli.command("run")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Local day (default today).")
@with_appcontext
def run_reminders_command(day):
    """Make and send the reminders of a day, once."""
    from app.services import build_services

    config = current_app.config
    zone = SystemClock(config["TIMEZONE"]).zone
    day = day.date() if day else SystemClock(config["TIMEZONE"]).today()
    morning = datetime.combine(day, time.fromisoformat(config["REMINDERS_AT"]), tzinfo=zone)
    services = build_services(current_app, db.session, clock=FixedClock(morning, config["TIMEZONE"]))
    reminders = services.reminders.compute(day)
    click.echo(f"{len(reminders)} reminders due for {day.isoformat()}")
    with click.progressbar(length=len(reminders), label="Sending") as bar:
        result = services.reminders.run(day, checkpoint=db.session.commit, progress=bar.update)
    db.session.commit()
    click.echo(f"computed {result.computed}, new {result.made}, handed to the outbox {result.dispatched}")


@click.group("notifications")
def notifications_cli():
    """Outbound notifications and messages."""


@notifications_cli.command("sweep")
@with_appcontext
def sweep_command():
    """Enqueue lost jobs again and send (or fail) messages stuck in `queued`, now."""
    from app.notifications.tasks import sweep
    from app.services import build_services

    found = sweep(build_services(current_app, db.session))
    db.session.commit()
    click.echo(", ".join(f"{name} {count}" for name, count in found.items()))


@click.group("scheduler")
def scheduler_cli():
    """The single recurring-job scheduler (safe if started twice)."""


def _tick_arguments():
    config = current_app.config
    clock = current_app.extensions.get("clock") or SystemClock(config["TIMEZONE"])
    return config, current_app.extensions["redis"], current_app.extensions["queues"], clock


@scheduler_cli.command("run")
@with_appcontext
def scheduler_run_command():
    """Each minute, enqueue the due jobs (reminders, ageing, reconciliation, agent summaries)."""
    from app.scheduler import run_forever

    config, redis, queues, clock = _tick_arguments()
    click.echo("scheduler running; Ctrl-C to stop")
    try:
        run_forever(config, redis, queues, clock)
    except KeyboardInterrupt:
        pass


@scheduler_cli.command("tick")
@click.option("--at", "at", type=click.DateTime(["%Y-%m-%dT%H:%M"]), default=None, help="Local time to act as.")
@with_appcontext
def scheduler_tick_command(at):
    """Enqueue what is due now (or at --at) and exit."""
    from app.scheduler import tick

    config, redis, queues, clock = _tick_arguments()
    now = at.replace(tzinfo=clock.zone) if at else clock.now()
    names = tick(config, redis, queues, now, clock.zone)
    click.echo(", ".join(names) or "nothing due")



