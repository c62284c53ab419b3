"""`flask ledger verify`: the operator's check that the books are sound."""

import click
from flask.cli import AppGroup

from app.extensions import db
from app.ledger.verify import CHECKS, verify_ledger

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
