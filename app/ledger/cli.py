"""`flask ledger verify` (are the books sound?) and `flask ledger reverse` (a compensating entry)."""

import click
from flask.cli import AppGroup

from app.extensions import db
from app.ledger.verify import CHECKS, verify_ledger
from app.unit_of_work import command_unit

ledger_command = AppGroup("ledger", help="Ledger checks.")


@ledger_command.command("verify")
def verify():
    """Check every ledger invariant over the whole database; exit 1 on any violation."""
    problems = verify_ledger(db.session)
    for name in CHECKS:
        count = sum(1 for problem in problems if problem.startswith(name + ":"))
        click.echo(f"{'FAIL' if count else 'ok  '}  {name}" + (f" ({count})" if count else ""))
    for problem in problems:
        click.echo(f"  - {problem}", err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s) found.", err=True)
        raise SystemExit(1)
    click.echo("Ledger verified: every invariant holds.")


@ledger_command.command("reverse")
@click.argument("entry_id", type=int)
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@click.option("--to-member", type=int, default=None,
              help="Move the entry's effect to this member instead (credited to the wrong member).")
@click.option("--staff", "staff_username", required=True, metavar="USERNAME", help="Your staff username.")
@command_unit
def reverse_command(entry_id, reason, to_member, staff_username):
    """Post the compensating entry of a ledger entry (payments.reverse); the ledger is never edited."""
    from app.services import request_services
    from app.staff.cli_auth import acting, refusals

    services = request_services()
    with refusals():
        done = services.payment_reversals.reverse_entry(acting(services, staff_username), entry_id, reason,
                                                        to_member=to_member)
    if done.approval is not None:
        click.echo(f"entry {entry_id}: waiting for approval #{done.approval.id}")
    else:
        click.echo(f"entry {entry_id}: reversed by entry {done.result.id}")
