"""Payment jobs (queue `high`): the provider call of a payment, and scheduled reconciliation;
the float and SMS credit check (`check_floats`, queue `low`).

`send_payment` commits twice on purpose: once before the operator is called (the
in-doubt mark, see PaymentService.send) and once at the end (the @job wrapper).
"""

from datetime import timedelta

from app.jobs import job


@job
def send_payment(services, payment_id):
    """Send payment `payment_id` to its provider; transient failures raise so RQ retries."""
    services.payments.send(payment_id, checkpoint=services.session.commit)


@job
def reconcile_payments(services, older_than_minutes=None):
    """Settle payments pending longer than PAYMENT_PENDING_RECONCILE_MINUTES (schedule it every few minutes)."""
    minutes = older_than_minutes or services.settings.PAYMENT_PENDING_RECONCILE_MINUTES
    return [tuple(change) for change in services.payments.reconcile(
        timedelta(minutes=minutes), checkpoint=services.session.commit)]


@job
def check_floats(services):
    """Read the operators' disbursement floats and the SMS credit; low ones become finance work items."""
    return [tuple(check) for check in services.float_watch.check_all()]
