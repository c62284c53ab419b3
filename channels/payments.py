"""Mobile-money callbacks: `/payments/<provider>/callback` (POST or PUT, JSON: mpesa, momo, airtel,
sandbox), M-Pesa's B2C timeout, its Transaction Status results (`/payments/mpesa/status`), its
Reversal results (`/payments/mpesa/reversal`, `/payments/mpesa/reversal-timeout`) and its
AccountBalance results (`/payments/mpesa/balance`, the float check of app/payments/float_watch.py).
Airtel's callback URL is the one set on its portal, `/payments/airtel/callback?token=…`; its
callbacks are unsigned hints the payments service confirms by enquiry.

This adapter authenticates and parses; the payments service decides. The operator
registered `PUBLIC_URL + path + ?token=<secret>` (the operator's own callback token or
CALLBACK_TOKEN), so a wrong token is a 403 (compared in constant time), a source outside
CALLBACK_ALLOWED_IPS (when set) too (channels/callback_auth.py). Never rate-limited: a 429
to an operator can lose a result.
Anything we accept answers 200, unknown and duplicate payments included, so the
operator does not keep retrying something we already recorded; a body that is not
strict JSON, or holds a value that cannot be read (app/payments/providers/inbound.py:
an amount like "1.001" or "Infinity", an id that is a list), is a 400 with nothing
posted or changed: a retry cannot fix it. An unexpected failure answers 503 (never a 500 page): the operator
may retry, and reconciliation settles the payment anyway. One commit per callback.
"""

from flask import Blueprint, jsonify, request

from app.observability import CALLBACKS, log_event
from app.payments.errors import UnknownProvider
from app.payments.providers import PROVIDERS
from app.payments.providers.base import MalformedCallback, UnreadableCallback
from app.payments.providers.inbound import read_json
from app.unit_of_work import callback_unit
from channels.callback_auth import authorized

bp = Blueprint("payments", __name__)

ACCEPTED = {"ResultCode": 0, "ResultDesc": "Accepted"}
"""Daraja expects this body; the other operators only look at the status code."""


def receive(provider, kind):
    label = provider if provider in PROVIDERS else "unknown"  # the URL must not grow metric labels
    if not authorized(provider):
        CALLBACKS.labels(label, "forbidden").inc()
        return jsonify(error="forbidden"), 403
    try:  # strict JSON: NaN, 1e400 or 10,000 levels of [[[ are a 400 here, never a 500 page
        payload = read_json(request.get_data())
    except UnreadableCallback:
        payload = None
    if not isinstance(payload, dict):
        CALLBACKS.labels(label, "malformed").inc()
        log_event("payments.callback_malformed", provider=provider, body=request.get_data(as_text=True)[:500])
        return jsonify(error="malformed JSON"), 400
    unreadable = None
    with callback_unit("payments", "callback", refusals=(UnknownProvider,), defer_transaction=True,
                       provider=provider) as unit:
        try:
            payment = unit.services.payments.apply_callback(provider, payload, kind)
        except UnreadableCallback as exc:  # recorded by the service; nothing else changed
            payment, unreadable = None, exc
    if unit.refused is not None:
        CALLBACKS.labels(label, "unknown_provider").inc()
        return jsonify(error="unknown provider"), 404
    if unit.failed:  # never a 500 page to an operator; logged, reconciliation settles it
        return jsonify(error="try again"), 503
    if unreadable is not None:  # a retry cannot make it readable; the status query settles the payment
        CALLBACKS.labels(label, "unreadable").inc()
        return jsonify(error="unreadable callback", detail=str(unreadable)[:200]), 400
    CALLBACKS.labels(label, "applied" if payment is not None else "unmatched").inc()
    return jsonify(ACCEPTED), 200


@bp.route("/payments/<provider>/callback", methods=["POST", "PUT"])
def callback(provider):
    return receive(provider, "callback")


@bp.post("/payments/mpesa/timeout")
def mpesa_timeout():
    return receive("mpesa", "timeout")


@bp.post("/payments/mpesa/status")
def mpesa_status():
    return receive("mpesa", "status")


@bp.post("/payments/mpesa/reversal")
def mpesa_reversal():
    """Daraja's Reversal result (a refund or recovery, app/payments/refunds.py)."""
    return receive("mpesa", "reversal")


@bp.post("/payments/mpesa/reversal-timeout")
def mpesa_reversal_timeout():
    return receive("mpesa", "timeout")


@bp.post("/payments/mpesa/balance")
def mpesa_balance():
    """Daraja's AccountBalance result: the float watch checks it (a low float opens a finance item)."""
    if not authorized("mpesa"):
        CALLBACKS.labels("mpesa", "forbidden").inc()
        return jsonify(error="forbidden"), 403
    try:
        payload = read_json(request.get_data())
    except UnreadableCallback:
        payload = None
    if not isinstance(payload, dict):
        CALLBACKS.labels("mpesa", "malformed").inc()
        return jsonify(error="malformed JSON"), 400
    with callback_unit("payments", "balance", refusals=(MalformedCallback,), provider="mpesa") as unit:
        unit.services.float_watch.observe_mpesa_result(payload)
    if unit.refused is not None:
        CALLBACKS.labels("mpesa", "unreadable").inc()
        return jsonify(error="unreadable balance result"), 400
    if unit.failed:
        return jsonify(error="try again"), 503
    CALLBACKS.labels("mpesa", "balance").inc()
    return jsonify(ACCEPTED), 200
