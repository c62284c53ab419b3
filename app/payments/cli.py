"""`flask payments reconcile|review|reverse`: thin over the payments services.

- `reconcile`: settle stale payments now and print what changed.
- `review list|show|resolve`: payments in review (app/payments/review.py).
- `reverse <ref>`: refund or recover a succeeded payment (app/payments/reversals.py).
"""

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
