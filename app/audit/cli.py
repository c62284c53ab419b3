"""`flask audit show --subject member:42` (a subject's whole story) and `flask audit list` (filtered, newest first)."""

import json

import click

from app.alerts.cli import parse_since
from app.audit.services import AuditError
from app.services import request_services
from app.unit_of_work import command_unit


@click.group("audit")
def audit_cli():
    """The append-only audit log."""


def _line(event):
    who = event.actor + (f" (os {event.os_user})" if event.os_user else "")
    text = (f"#{event.id} {event.created_at.isoformat(timespec='seconds')} {event.channel} {who} "
            f"{event.action} {event.subject}")
    if event.reason:
        text += f" reason={event.reason!r}"
    if event.before:
        text += f" before={json.dumps(event.before, sort_keys=True, ensure_ascii=False)}"
    if event.after:
        text += f" after={json.dumps(event.after, sort_keys=True, ensure_ascii=False)}"
    return text


@audit_cli.command("show")
@click.option("--subject", required=True, help="type:id, e.g. member:42, payment:7, staff:3.")
@click.option("--limit", type=click.IntRange(1, 5000), default=500, show_default=True)
@command_unit
def show_command(subject, limit):
    """Every event about one subject, oldest first."""
    try:
        events = request_services().audit.for_subject(subject, limit)
    except AuditError as error:
        raise click.BadParameter(str(error), param_hint="--subject") from None
    if not events:
        click.echo(f"no events for {subject}")
    for event in events:
        click.echo(_line(event))


@audit_cli.command("list")
@click.option("--actor", default=None, help="kind:id (staff:3, member:42, system:scheduler) or a kind (staff).")
@click.option("--action", default=None, help="An action (staff.roles) or a prefix with * (payments.*).")
@click.option("--subject-type", default=None, help="Only subjects of this type (member, payment, ...).")
@click.option("--since", default=None, help="90m, 6h, 3d or an ISO date/time.")
@click.option("--limit", type=click.IntRange(1, 5000), default=100, show_default=True)
@command_unit
def list_command(actor, action, subject_type, since, limit):
    """The newest events, filtered."""
    services = request_services()
    moment = parse_since(since, services.clock.now()) if since else None
    events = services.audit.search(actor=actor, action=action, since=moment, subject_type=subject_type, limit=limit)
    if not events:
        click.echo("no events")
    for event in events:
        click.echo(_line(event))
