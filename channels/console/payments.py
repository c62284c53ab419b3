"""Payments: search (reference, receipt, operator reference, phone, state) and the review list.

A payment's page shows its evidence and the forms that act on it: resolve a payment in
review as succeeded or failed (`payment_review.resolve`) and reverse a succeeded one
(`payment_reversals.reverse_payment`); above their APPROVAL_THRESHOLDS each becomes a
maker-checker request a second staff member approves from Home.
"""

from flask import abort, render_template, request, url_for

from app.payments.states import TRANSITIONS
from app.services import request_services
from channels.console import bp, queries
from channels.console.actions import act, reason
from channels.console.guard import page_number, permission
from channels.console.i18n import _


@bp.route("/payments")
@permission("payments.view")
def payments():
    services = request_services()
    state = request.args.get("state") if request.args.get("state") in TRANSITIONS else None
    page = page_number()
    found, more = queries.search_payments(services.session, request.args.get("q"), state, page)
    return render_template("console/payments.html", review=queries.payments_in_review(services.session),
                           found=found, more=more, page=page, q=request.args.get("q", ""), state=state or "",
                           states=sorted(TRANSITIONS), now=services.clock.now())


@bp.route("/payments/<int:payment_id>")
@permission("payments.view")
def payment(payment_id):
    services = request_services()
    found = services.payments.get(payment_id)
    if found is None:
        abort(404)
    return render_template("console/payment.html", payment=found, events=services.payments.events(payment_id))


def waiting_or(done_text):
    """The notice of a workflow that may wait for a checker: its approval's number, or what was done."""

    def notice(outcome):
        if outcome.approval is not None:
            return _("Approval #{approval} waits for a second staff member.", approval=outcome.approval.id)
        return done_text(outcome)

    return notice


@bp.route("/payments/<int:payment_id>/resolve", methods=["POST"])
@permission("payments.review")
def resolve_payment(payment_id):
    outcome = request.form.get("outcome", "")
    return act(lambda services, me: services.payment_review.resolve(me, str(payment_id), outcome, reason()),
               waiting_or(lambda done: _("Payment {reference} resolved: {state}.", reference=done.payment.reference,
                                         state=done.payment.state)),
               url_for("console.payment", payment_id=payment_id))


@bp.route("/payments/<int:payment_id>/reverse", methods=["POST"])
@permission("payments.reverse")
def reverse_payment(payment_id):
    return act(lambda services, me: services.payment_reversals.reverse_payment(me, str(payment_id), reason()),
               waiting_or(lambda done: _("Reversal of {reference} started.", reference=done.subject.reference)),
               url_for("console.payment", payment_id=payment_id))
