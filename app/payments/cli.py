"""`flask payments reconcile|review|reverse`: thin over the payments services.

- `reconcile`: settle stale payments now and print what changed.
- `review list|show|resolve`: payments in review (app/payments/review.py).
- `reverse <ref>`: refund or recover a succeeded payment (app/payments/reversals.py).
- `reconcile-statement FILE`: match an operator's statement with our payments
  (app/payments/statements.py reads it, app/payments/statement_reconcile.py matches it).
"""

from datetime import date, timedelta

import click
from flask.cli import AppGroup

from app.extensions import db
from app.payments.statements import StatementError, read_statement
from app.services import request_services
from app.staff.cli_auth import acting, refusals, staff_option
from app.unit_of_work import command_unit

STATEMENT_PROVIDERS = ("mpesa", "momo", "airtel")

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


review_command = AppGroup("review", help="Payments in review: see what is known, resolve them (payments.review).")
payments_command.add_command(review_command)


def _echo_case(case, *, full=False):
    payment = case.payment
    hours = int(case.age.total_seconds() // 3600)
    click.echo(f"{payment.reference} #{payment.id} {payment.direction} {payment.purpose} {payment.provider} "
               f"member={payment.member_id} phone={payment.phone} expected={payment.amount} "
               f"age={hours}h why={case.why} receipt={payment.receipt or '-'} callbacks={case.callbacks}")
    for claim in case.reported:
        click.echo(f"    operator {claim['source']} #{claim['event']}: {claim['status']} "
                   f"amount={claim['amount'] or '-'} phone={claim['phone'] or '-'} "
                   f"receipt={claim['receipt'] or '-'}" + (f" reason={claim['reason']}" if claim["reason"] else ""))
    if full:
        for event in case.events:
            click.echo(f"    event #{event.id} {event.received_at.isoformat(timespec='seconds')} {event.source} "
                       f"{event.outcome}: {str(event.raw)[:300]}")


@review_command.command("list")
@command_unit
def review_list_command():
    """Every payment in review, oldest first, with what the operator said and how old it is."""
    cases = request_services().payment_review.list()
    if not cases:
        click.echo("no payments in review")
    for case in cases:
        _echo_case(case)


@review_command.command("show")
@click.argument("ref")
@command_unit
def review_show_command(ref):
    """One payment by reference or id: every callback, query, job and decision."""
    from app.staff.cli_auth import refusals

    with refusals():
        _echo_case(request_services().payment_review.show(ref), full=True)


@review_command.command("resolve")
@click.argument("ref")
@click.option("--as", "outcome", type=click.Choice(["succeeded", "failed"]), required=True,
              help="succeeded: post it as the operator's success would; failed: release and tell the member.")
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@click.option("--staff", "staff_username", required=True, metavar="USERNAME", help="Your staff username.")
@command_unit
def review_resolve_command(ref, outcome, reason, staff_username):
    """Resolve a payment in review (payments.review; above the threshold a second staff member approves)."""
    from app.staff.cli_auth import acting, refusals

    services = request_services()
    with refusals():
        done = services.payment_review.resolve(acting(services, staff_username), ref, outcome, reason)
    if done.approval is not None:
        click.echo(f"{done.payment.reference}: waiting for approval #{done.approval.id} "
                   "(flask approvals approve <id> by another staff member)")
    else:
        click.echo(f"{done.payment.reference}: {done.payment.state}")


@payments_command.command("reverse")
@click.argument("ref")
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@click.option("--staff", "staff_username", required=True, metavar="USERNAME", help="Your staff username.")
@command_unit
def reverse_command(ref, reason, staff_username):
    """Refund a succeeded deposit or pull back a withdrawal paid by mistake, by the operator (payments.reverse)."""
    from app.staff.cli_auth import acting, refusals

    services = request_services()
    with refusals():
        done = services.payment_reversals.reverse_payment(acting(services, staff_username), ref, reason)
    if done.approval is not None:
        click.echo(f"{done.subject.reference}: waiting for approval #{done.approval.id}")
    else:
        click.echo(f"{done.subject.reference}: {done.result.purpose} {done.result.reference} started "
                   f"({done.result.state}); the original becomes reversed when the operator confirms")


def _day(value, name):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=name) from None


@payments_command.command("reconcile-statement")
@click.argument("statement", type=click.File("r", encoding="utf-8-sig"))
@click.option("--provider", type=click.Choice(STATEMENT_PROVIDERS), default="mpesa", show_default=True)
@click.option("--currency", default=None, help="Currency of a simple statement without a currency column.")
@click.option("--from", "first", default=None, help="First day of the period (default: the statement's first).")
@click.option("--to", "last", default=None, help="Last day of the period (default: the statement's last).")
@staff_option()
@command_unit
def reconcile_statement_command(statement, provider, currency, first, last, staff_username):
    """Match an operator's settlement statement (CSV) with our payments; each difference goes to finance's queue."""
    services = request_services()
    with refusals():
        actor = acting(services, staff_username)
        services.staff.require(actor, "reconciliation.run")
    try:
        lines = read_statement(statement, zone=services.clock.zone, currency=currency and currency.upper())
    except StatementError as error:
        raise click.ClickException(f"{statement.name}: {error}") from None
    with refusals():
        result = services.statement_reconciliation.run(actor, provider, lines, first=_day(first, "--from"),
                                                       last=_day(last, "--to"))
    click.echo(f"{provider} statement {result.first}..{result.last}: {len(lines)} line(s), {result.matched} matched, "
               f"{len(result.differences)} difference(s)")
    for difference in result.differences:
        click.echo(f"  {difference.kind:<17} {difference.receipt or '-':<14} payment {difference.payment_id or '-'}: "
                   f"{difference.detail} (work item #{difference.work_item_id})")
    for currency_code in sorted(set(result.statement_net) | set(result.clearing_net)):
        on_statement = result.statement_net.get(currency_code)
        in_clearing = result.clearing_net.get(currency_code)
        click.echo(f"  net {currency_code}: statement {on_statement.major if on_statement else 0}, "
                   f"clearing account {in_clearing.major if in_clearing else 0}")
