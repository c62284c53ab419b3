"""Payments: search (reference, receipt, operator reference, phone, state) and the review list.

Read-only for now: resolving a payment in review is the actions pass (one POST form
per payment calling the payments workflow's service method).
"""

from flask import abort, render_template, request

from app.payments.states import TRANSITIONS
from app.services import request_services
from channels.console import bp, queries
from channels.console.guard import page_number, permission


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
