"""`flask alerts scan [--since]`, `flask alerts list [--status] [--limit]`, `flask alerts close ID`.

`scan` runs the same scan the scheduler runs, over any past period (`--since 3d`,
`--since 2026-12-01T08:00`): alerts already raised are not raised again, so a
scan over a period already scanned is safe. `list` shows the newest alerts.
"""

import json
import re
from datetime import datetime, timedelta

import click
from flask import current_app

from app.alerts.models import STATUSES
from app.extensions import db
from app.unit_of_work import command_unit

DURATION = re.compile(r"^(\d+)([mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_since(text, now):
    """`90m`, `6h`, `3d` before `now`, or an ISO date/time (local time when it has no offset)."""
    match = DURATION.match(text.strip())
    if match:
        return now - timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter("use 90m, 6h, 3d or an ISO date/time such as 2026-12-01T08:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=now.tzinfo)


@click.group("alerts")
def alerts_cli():
    """Compliance alerts raised by the velocity rules."""


@alerts_cli.command("scan")
@click.option("--since", default=None, help="How far back: 90m, 6h, 3d or an ISO date/time "
                                            "(default ALERT_SCAN_LOOKBACK_MINUTES).")
@command_unit
def scan_command(since):
    """Apply the velocity rules to recent movements; record each new alert once."""
    from app.services import build_services

    services = build_services(current_app, db.session)
    now = services.clock.now()
    result = services.alerts.scan(since=parse_since(since, now) if since else None, until=now)
    click.echo(f"scanned {result.since.isoformat()} .. {result.until.isoformat()}: "
               f"{result.hits} hit(s), {len(result.raised)} new alert(s)")
    for alert in result.raised:
        click.echo(f"  #{alert.id} {alert.rule} {alert.subject_type}:{alert.subject_id} {alert.window_key}")


@alerts_cli.command("list")
@click.option("--status", type=click.Choice([*STATUSES, "all"]), default="open", show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--evidence", is_flag=True, help="Print each alert's evidence as JSON.")
@command_unit
def list_command(status, limit, evidence):
    """The newest alerts."""
    from app.services import build_services

    alerts = build_services(current_app, db.session).alerts.list(None if status == "all" else status, limit)
    if not alerts:
        click.echo("no alerts")
    for alert in alerts:
        click.echo(f"#{alert.id} {alert.created_at.isoformat(timespec='seconds')} {alert.status} {alert.rule} "
                   f"{alert.subject_type}:{alert.subject_id} {alert.window_key}")
        if evidence:
            click.echo("  " + json.dumps(alert.evidence, sort_keys=True))


@alerts_cli.command("close")
@click.argument("alert_id", type=int)
@click.option("--reason", required=True, help="What was found (kept in the audit log).")
@click.option("--staff", "staff_username", required=True, metavar="USERNAME", help="Your staff username.")
@command_unit
def close_command(alert_id, reason, staff_username):
    """Close a compliance alert and its work item (alerts.work: compliance, branch manager)."""
    from app.alerts.services import AlertClosed
    from app.services import build_services
    from app.staff.cli_auth import acting, refusals

    services = build_services(current_app, db.session)
    with refusals():
        try:
            alert = services.alerts.close(acting(services, staff_username), alert_id, reason)
        except AlertClosed as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"alert #{alert.id} closed")
