"""`flask loans ...` for loan officers and operators: products, decisions, ageing, PAR, recovery, write-offs.

Each command is one unit of work (`@command_unit`): it calls the loan services and commits once.
Commands that decide anything take `--staff <username>` (unknown and disabled staff are
refused) and `--reason`: the decision is attributed to `staff:<username>` and audited with the
OS user (app/loans/officers.py, app/loans/write_off.py). An approval above the officer's
limit, and a write-off above its threshold, waits for a branch manager's
`flask approvals approve <id>`. Amounts are typed in major units (`1500`, `1500.50`), as a
member would say them.
"""

import json
from datetime import date

import click

from app.extensions import db
from app.loans.ageing import PAR_DAYS, Ageing, portfolio_at_risk
from app.loans.cli import loans_cli
from app.loans.products import ProductError, create_product
from app.money import Money, format_money
from app.services import request_services
from app.staff.cli_auth import as_staff, reason_option, staff_option
from app.unit_of_work import command_unit


def _date(value):
    return date.fromisoformat(value) if value else None


def _money(amount):
    return format_money(amount, "en", decimals=True)


def _charge(kind, value, currency):
    """A fee or penalty as the officer typed it: `5%` of the amount, or a flat `KES 50.00` (stored in minor units)."""
    if kind == "percent":
        return f"{value.normalize():f}%"
    return _money(Money(int(value), currency))


products_cli = click.Group("products", help="Loan products.")
loans_cli.add_command(products_cli)


@products_cli.command("create")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--currency", required=True)
@click.option("--min", "min_amount", required=True, help="Smallest loan, major units.")
@click.option("--max", "max_amount", required=True, help="Largest loan, major units.")
@click.option("--terms", required=True, help="Allowed numbers of instalments, e.g. 3,6,12.")
@click.option("--frequency", type=click.Choice(["weekly", "monthly"]), default="monthly", show_default=True)
@click.option("--method", type=click.Choice(["declining", "flat"]), default="declining", show_default=True)
@click.option("--rate", default="12", show_default=True, help="Annual interest rate, percent.")
@click.option("--fee-type", type=click.Choice(["flat", "percent"]), default="percent", show_default=True)
@click.option("--fee", default="0", show_default=True, help="Percent of the principal, or flat in major units.")
@click.option("--fee-timing", type=click.Choice(["deducted", "first_instalment"]), default="deducted",
              show_default=True)
@click.option("--penalty-type", type=click.Choice(["flat", "percent"]), default="percent", show_default=True)
@click.option("--penalty", default="0", show_default=True,
              help="Percent of the overdue instalment, or flat in major units.")
@click.option("--grace-days", default=0, show_default=True, type=click.IntRange(min=0))
@click.option("--multiplier", default="3", show_default=True, help="Limit = savings x this (at most).")
@click.option("--min-days", default=0, show_default=True, type=click.IntRange(min=0),
              help="Days of membership before borrowing.")
@click.option("--guarantors", type=click.Choice(["none", "above_limit"]), default="above_limit", show_default=True)
@click.option("--approval", type=click.Choice(["auto", "officer", "group"]), default="auto", show_default=True)
@click.option("--auto-max", default="0", show_default=True, help="Automatic approval up to this, major units.")
@click.option("--group-id", type=int, help="The group offering this product from its pool.")
@click.option("--in-multiples-of", "in_multiples_of", type=click.IntRange(min=1),
              help="Round schedules, fees and penalties to this many minor units [default: what the currency's "
                   "mobile money carries, OPERATOR_MINOR_UNITS].")
@command_unit
def create_product_command(code, name, currency, min_amount, max_amount, terms, frequency, method, rate, fee_type,
                           fee, fee_timing, penalty_type, penalty, grace_days, multiplier, min_days, guarantors,
                           approval, auto_max, group_id, in_multiples_of):
    """Create a loan product."""
    currency = currency.upper()
    try:
        def minor(major):
            return Money.from_major(major.strip(), currency).minor

        product = create_product(
            request_services().session, code=code, name=name, currency=currency, min_amount=minor(min_amount),
            max_amount=minor(max_amount), terms=[int(t) for t in terms.split(",") if t.strip()],
            frequency=frequency, interest_method=method, annual_rate=rate, fee_type=fee_type,
            fee_value=minor(fee) if fee_type == "flat" else fee, fee_timing=fee_timing, penalty_type=penalty_type,
            penalty_value=minor(penalty) if penalty_type == "flat" else penalty, grace_days=grace_days,
            savings_multiplier=multiplier, min_membership_days=min_days, guarantor_rule=guarantors,
            approval=approval, auto_approve_max=minor(auto_max), group_id=group_id,
            in_multiples_of_minor=in_multiples_of, operator_units=request_services().operator_units)
    except (ProductError, ValueError, ArithmeticError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"product {product.code} created (id {product.id})")


@products_cli.command("list")
@command_unit
def list_products():
    """List the loan products."""
    from sqlalchemy import select

    from app.loans.models import LoanProduct

    for p in db.session.scalars(select(LoanProduct).order_by(LoanProduct.id)):
        click.echo(f"{p.id:>3} {p.code:<10} {p.name:<14} {p.currency} {_money(p.min_amount)}-"
                   f"{_money(p.max_amount)} terms {p.terms} {p.frequency} {p.interest_method} "
                   f"{p.annual_rate.normalize():f}% fee {_charge(p.fee_type, p.fee_value, p.currency)} "
                   f"({p.fee_timing}) penalty {_charge(p.penalty_type, p.penalty_value, p.currency)} "
                   f"approval {p.approval}{'' if p.active else ' INACTIVE'}")


@loans_cli.command("pending")
@command_unit
def pending():
    """Loans waiting for a decision."""
    loans = request_services().loans
    for loan in loans.pending():
        missing = loans.pledges_missing(loan)
        click.echo(f"{loan.id:>5} member {loan.member_id} {_money(loan.principal)} x{loan.instalments}"
                   f" applied {loan.applied_at:%Y-%m-%d %H:%M}"
                   + (f"; pledges missing {_money(missing)}" if missing else ""))


@loans_cli.command("show")
@click.argument("loan_id", type=int)
@command_unit
def show(loan_id):
    """A loan's schedule (paid/unpaid) and every decision on it."""
    loans = request_services().loans
    loan = loans.get(loan_id)
    if loan is None:
        raise click.ClickException(f"no loan {loan_id}")
    click.echo(f"loan {loan.id}: member {loan.member_id}, {_money(loan.principal)}, {loan.state}")
    for row in loans.schedule(loan):
        click.echo(f"  {row.number:>2} {row.due_date} due {_money(row.total_due):>14} "
                   f"paid {_money(row.total_paid):>14} {'paid' if row.paid else 'unpaid'}"
                   + (f" {row.days_overdue}d overdue" if row.days_overdue and not row.paid else ""))
    for decision in loans.decisions_on(loan):
        click.echo(f"  {decision.created_at:%Y-%m-%d %H:%M} {decision.decision:<18} {decision.actor} "
                   f"({decision.channel}) {decision.reason}")


@loans_cli.command("approve")
@click.argument("loan_id", type=int)
@reason_option()
@staff_option()
@command_unit
def approve(loan_id, reason, staff_username):
    """Approve an applied loan (loans.decide); it is disbursed at once, or waits for a checker above your limit."""
    services = request_services()
    decided = as_staff(services, staff_username, services.loan_officers.approve, loan_id, reason)
    if decided.approval is not None:
        click.echo(f"loan {decided.loan.id} is above your limit: approval #{decided.approval.id} waits for a branch "
                   f"manager (flask approvals approve {decided.approval.id})")
    else:
        click.echo(f"loan {decided.loan.id} approved and {decided.loan.state} ({decided.loan.destination})")


@loans_cli.command("decline")
@click.argument("loan_id", type=int)
@reason_option()
@staff_option()
@command_unit
def decline(loan_id, reason, staff_username):
    """Decline an applied loan (loans.decide; the reason is told to the member); pledges are released."""
    services = request_services()
    loan = as_staff(services, staff_username, services.loan_officers.decline, loan_id, reason)
    click.echo(f"loan {loan.id} declined")


@loans_cli.command("disburse")
@click.argument("loan_id", type=int)
@click.option("--to", "destination", type=click.Choice(["savings", "mobile_money"]))
@reason_option()
@staff_option()
@command_unit
def disburse(loan_id, destination, reason, staff_username):
    """Disburse an approved loan again (after a failed mobile-money payout; loans.decide)."""
    services = request_services()
    loan = as_staff(services, staff_username, services.loan_officers.redisburse, loan_id, reason,
                    destination=destination)
    click.echo(f"loan {loan.id} {loan.state} to {loan.destination}")


@loans_cli.command("write-off")
@click.argument("loan_id", type=int)
@reason_option()
@staff_option()
@command_unit
def write_off(loan_id, reason, staff_username):
    """Write a defaulted loan off (loans.write_off; maker-checker above the loans.write_off threshold)."""
    services = request_services()
    done = as_staff(services, staff_username, services.loan_write_offs.request, loan_id, reason)
    if done.approval is not None:
        click.echo(f"write-off of loan {done.loan.id} ({_money(done.amount)}) waits for approval #{done.approval.id} "
                   f"(flask approvals approve {done.approval.id})")
    else:
        click.echo(f"loan {done.loan.id} written off: {_money(done.amount)}")


@loans_cli.command("age")
@click.option("--date", "as_of", help="Age as of this date (YYYY-MM-DD) [default: today].")
@command_unit
def age(as_of):
    """Mark overdue instalments and charge late penalties (safe to run twice for a date)."""
    services = request_services()
    as_of = _date(as_of) or services.clock.today()
    reverted = services.loans.revert_failed_disbursements()
    result = Ageing(services.session, ledger=services.ledger, clock=services.clock).run(as_of)
    click.echo(f"aged {result.loans} loan(s) as of {as_of}: {result.overdue_instalments} overdue instalment(s), "
               f"{len(result.penalties)} new penalt{'y' if len(result.penalties) == 1 else 'ies'}"
               + (f"; {len(reverted)} failed payout(s) back to approved" if reverted else ""))


@loans_cli.command("par")
@click.option("--date", "as_of", help="As of this date (YYYY-MM-DD) [default: today].")
@click.option("--json", "as_json", is_flag=True, help="JSON with amounts in minor units.")
@command_unit
def par(as_of, as_json):
    """Portfolio at risk: outstanding principal and PAR1/30/60/90, overall, per product and per group."""
    services = request_services()
    as_of = _date(as_of) or services.clock.today()
    lines = portfolio_at_risk(services.read_session, as_of)
    if as_json:
        click.echo(json.dumps({"date": as_of.isoformat(), "lines": [line.as_dict() for line in lines]}, indent=2))
        return
    click.echo(f"Portfolio at risk as of {as_of}")
    header = f"{'scope':<9} {'name':<12} {'loans':>5} {'outstanding':>16}" + "".join(
        f" {'PAR' + str(days):>22}" for days in PAR_DAYS)
    click.echo(header)
    for line in lines:
        click.echo(f"{line.scope:<9} {line.name:<12} {line.loans:>5} {_money(line.money(line.outstanding)):>16}"
                   + "".join(f" {_money(line.money(line.at_risk[d])) + ' ' + str(line.share(d)) + '%':>22}"
                             for d in PAR_DAYS))


@loans_cli.command("recover")
@click.argument("loan_id", type=int)
@reason_option()
@staff_option()
@command_unit
def recover(loan_id, reason, staff_username):
    """Declare a loan defaulted and recover it: the borrower's savings, then guarantors' pledges (loans.decide)."""
    services = request_services()
    taken = as_staff(services, staff_username, services.loan_officers.recover, loan_id, reason)
    for source, owner, amount in taken:
        click.echo(f"took {_money(amount)} from {source} of member {owner}")
    if not taken:
        click.echo("nothing could be recovered")
