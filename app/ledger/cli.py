"""`flask ledger verify|reverse|trial-balance|export`: the books' soundness, corrections, reports.

`reverse` posts a compensating entry (payments.reverse); `trial-balance` and `export` read
only (app/ledger/reports.py) and need `ledger.view` (`--staff <username>`); an export is
recorded in the audit log (the whole ledger leaving the system is worth knowing about).
"""

from datetime import date

import click
from flask.cli import AppGroup

from app.extensions import db
from app.ledger import reports
from app.ledger.verify import CHECKS, verify_ledger
from app.services import request_services
from app.staff.cli_auth import acting, refusals, staff_option
from app.unit_of_work import command_unit

ledger_command = AppGroup("ledger", help="Ledger checks and reports.")


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


def _day(value, name):
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=name) from None


@ledger_command.command("trial-balance")
@click.option("--date", "as_of", required=True, help="As of the end of this day (YYYY-MM-DD, in TIMEZONE).")
@staff_option()
@command_unit
def trial_balance_command(as_of, staff_username):
    """Debit and credit totals per account kind and currency at the end of a day (ledger.view)."""
    services = request_services()
    with refusals():
        services.staff.require(acting(services, staff_username), "ledger.view")
    report = reports.trial_balance(services.session, _day(as_of, "--date"), services.clock.zone)
    click.echo(f"Trial balance as of the end of {report.as_of} ({services.config['TIMEZONE']})")
    click.echo(f"{'currency':<8} {'account kind':<34} {'accounts':>8} {'debit':>18} {'credit':>18}")
    for line in report.lines:
        click.echo(f"{line.currency:<8} {line.kind:<34} {line.accounts:>8} {line.debit.major:>18} "
                   f"{line.credit.major:>18}")
    for currency, (debit, credit) in report.totals().items():
        click.echo(f"{currency:<8} {'TOTAL':<34} {'':>8} {debit.major:>18} {credit.major:>18}"
                   + ("" if debit == credit else "  UNBALANCED"))
    if not report.balanced:
        raise click.ClickException("debits and credits differ: run flask ledger verify")


@ledger_command.command("export")
@click.option("--from", "first", required=True, help="First day (YYYY-MM-DD, in TIMEZONE).")
@click.option("--to", "last", required=True, help="Last day, included (YYYY-MM-DD).")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="CSV file [default: stdout].")
@staff_option()
@command_unit
def export_command(first, last, out, staff_username):
    """The postings of entries made between two days as CSV, for the accountants (ledger.view)."""
    services = request_services()
    first, last = _day(first, "--from"), _day(last, "--to")
    if last < first:
        raise click.BadParameter("--to is before --from", param_hint="--to")
    with refusals():
        actor = acting(services, staff_username)
        services.staff.require(actor, "ledger.view")
        services.audit.record(actor, "ledger.export", ("ledger", f"{first}..{last}"),
                              after={"from": first.isoformat(), "to": last.isoformat(), "file": out})
    rows = reports.postings_between(services.read_session, first, last, services.clock.zone)
    if out:
        with open(out, "w", newline="", encoding="utf-8") as stream:
            count = reports.write_csv(rows, stream)
        click.echo(f"{count} posting(s) written to {out}")
    else:
        reports.write_csv(rows, click.get_text_stream("stdout"))
