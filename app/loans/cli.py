"""`flask loans ...`: the loan officer's commands.

`schedule` is pure (no database, no app context), so an officer can answer a
member's "what will I pay?" anywhere the code is installed. Its `--json` output
is a stable contract: a list of {"number", "due_date", "principal", "interest",
"total"} with amounts as integers in minor units.
"""

import json
from decimal import InvalidOperation

import click
from flask.cli import AppGroup

from app.clock import SystemClock
from app.config import load_config
from app.loans.schedule import METHODS, PERIODS_PER_YEAR, build_schedule
from app.money import Money, format_money

loans_cli = AppGroup("loans", help="Loan products, schedules, approvals, ageing and portfolio reports.")


@loans_cli.command("schedule", with_appcontext=False)
@click.option("--principal", required=True, help="Amount lent, in major units (10000 or 10000.50).")
@click.option("--currency", required=True, help="ISO 4217 code, e.g. KES or UGX.")
@click.option("--rate", required=True, help="Annual interest rate in percent, e.g. 12 or 18.5.")
@click.option("--instalments", required=True, type=click.IntRange(min=1), help="Number of instalments.")
@click.option("--frequency", required=True, type=click.Choice(sorted(PERIODS_PER_YEAR)))
@click.option("--method", required=True, type=click.Choice(METHODS), help="declining (equal instalments) or flat.")
@click.option("--start", type=click.DateTime(formats=["%Y-%m-%d"]), help="Disbursement date [default: today].")
@click.option("--in-multiples-of", "in_multiples_of", type=click.IntRange(min=1), default=1,
              help="Round instalments to multiples of this many minor units (100: whole KES) [default: 1].")
@click.option("--json", "as_json", is_flag=True, help="Print JSON with amounts in minor units.")
def schedule_command(principal, currency, rate, instalments, frequency, method, start, in_multiples_of, as_json):
    """Print a loan's repayment schedule, by the rules in app/loans/schedule.py."""
    currency = currency.upper()
    amount = _principal_money(principal, currency)
    start_date = start.date() if start else SystemClock(load_config()["TIMEZONE"]).today()
    try:
        schedule = build_schedule(principal_minor=amount.minor, currency=currency, annual_rate=rate,
                                  instalments=instalments, frequency=frequency, method=method, start=start_date,
                                  in_multiples_of=in_multiples_of)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    if as_json:
        click.echo(json.dumps([_as_row(instalment) for instalment in schedule], indent=2))
    else:
        click.echo(_as_table(schedule, currency))


def _principal_money(principal, currency):
    """The principal exactly as typed (no float on the way), or a usage error."""
    try:
        amount = Money.from_major(principal.strip(), currency)
    except (ValueError, InvalidOperation) as exc:
        raise click.BadParameter(f"{principal!r} is not an amount in {currency}", param_hint="--principal") from exc
    if amount.minor <= 0:
        raise click.BadParameter("the principal must be positive", param_hint="--principal")
    return amount


def _as_row(instalment):
    return {
        "number": instalment.number,
        "due_date": instalment.due_date.isoformat(),
        "principal": instalment.principal,
        "interest": instalment.interest,
        "total": instalment.total,
    }


def _as_table(schedule, currency):
    """Aligned columns with formatted amounts and a totals row, for reading aloud to a member."""

    def money(minor):
        return format_money(Money(minor, currency), "en", decimals=True)

    header = ("No.", "Due date", "Principal", "Interest", "Total")
    rows = [(str(i.number), i.due_date.isoformat(), money(i.principal), money(i.interest), money(i.total))
            for i in schedule]
    totals = ("", "Total", *(money(sum(column)) for column in zip(
        *((i.principal, i.interest, i.total) for i in schedule), strict=True)))
    widths = [max(len(row[column]) for row in (header, *rows, totals)) for column in range(len(header))]

    def line(cells):
        return "  ".join(cell.ljust(width) if column == 1 else cell.rjust(width)
                         for column, (cell, width) in enumerate(zip(cells, widths, strict=True))).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *map(line, rows), rule, line(totals)])




from app.loans import officer_cli  # noqa: E402,F401  (registers the officers' commands on loans_cli)
