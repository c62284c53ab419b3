"""`flask payments reconcile`: settle stale payments now and print what changed."""

from datetime import timedelta

import click
from flask.cli import AppGroup

from app.extensions import db
from app.services import request_services
from app.unit_of_work import command_unit

payments_command = AppGroup("payments", help="Mobile-money payments.")


@payments_command.command("reconcile")
@click.option("--older-than", "minutes", type=int, default=None,
              help="Minutes without news (default PAYMENT_PENDING_RECONCILE_MINUTES).")
@command_unit
def reconcile_command(minutes):
    """Query the operators about stale payments and apply their answers."""
    services = request_services()
    minutes = minutes if minutes is not None else services.settings.PAYMENT_PENDING_RECONCILE_MINUTES
    changes = services.payments.reconcile(timedelta(minutes=minutes), checkpoint=db.session.commit)
    for change in changes:
        arrow = f"{change.before} -> {change.after}" if change.before != change.after else change.after
        click.echo(f"payment {change.payment_id}: {arrow}  ({change.action}: {change.note})")
    click.echo(f"{len(changes)} payment(s) looked at, "
               f"{sum(1 for c in changes if c.before != c.after)} changed, "
               f"{sum(1 for c in changes if c.action == 'skipped')} skipped.")
