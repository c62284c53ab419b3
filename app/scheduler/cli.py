"""`flask scheduler run|tick`: the single recurring-job scheduler (app/scheduler), from the command line."""

import click
from flask import current_app
from flask.cli import with_appcontext

from app.clock import SystemClock


@click.group("scheduler")
def scheduler_cli():
    """The single recurring-job scheduler (safe if started twice)."""


def _tick_arguments():
    clock = current_app.extensions.get("clock") or SystemClock(current_app.config["TIMEZONE"])
    return current_app.extensions["settings"], current_app.extensions["redis"], current_app.extensions["queues"], clock


@scheduler_cli.command("run")
@with_appcontext
def scheduler_run_command():
    """Each minute, enqueue the due jobs (reminders, ageing, reconciliation, agent summaries, group fines
    and payout proposals)."""
    from app.scheduler import run_forever

    settings, redis, queues, clock = _tick_arguments()
    click.echo("scheduler running; Ctrl-C to stop")
    try:
        run_forever(settings, redis, queues, clock)
    except KeyboardInterrupt:
        pass


@scheduler_cli.command("tick")
@click.option("--at", "at", type=click.DateTime(["%Y-%m-%dT%H:%M"]), default=None, help="Local time to act as.")
@with_appcontext
def scheduler_tick_command(at):
    """Enqueue what is due now (or at --at) and exit."""
    from app.scheduler import tick

    settings, redis, queues, clock = _tick_arguments()
    now = at.replace(tzinfo=clock.zone) if at else clock.now()
    names = tick(settings, redis, queues, now, clock.zone)
    click.echo(", ".join(names) or "nothing due")
