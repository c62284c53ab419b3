"""The sandbox provider: a pretend operator for demos and tests that behaves like a real one.

It acknowledges at once and, SANDBOX_PAYMENT_DELAY seconds later, POSTs its result to
`PUBLIC_URL/payments/sandbox/callback?token=CALLBACK_TOKEN` from an RQ job, exactly
the way an operator calls us back (so the whole callback path is exercised).

The outcome is decided by the amount's whole (major) part, so a demo can show each case:

- ends in 99 (`KES 199`, `UGX 5,099`): fails with reason `insufficient_funds`;
- ends in 98: never answers (stays pending until reconciliation times it out);
- anything else: succeeds, with receipt `SBX` + our reference's digits.

The sandbox's own id for a request is our reference, and it dedupes by it (the callback
job has a stable id), so resending a request is safe, as with MTN MoMo.
`query_status` answers the final outcome at once, as if the member had already approved.
"""

from datetime import timedelta

import requests
from rq import Queue

from app.keys import sandbox_callback_job_id
from app.payments.providers import inbound
from app.payments.providers.base import Ack, MalformedCallback, ProviderResult
from app.payments.providers.base import callback_url as operator_callback_url

NAME = "sandbox"
FAILING_ENDING = 99
"""Amounts whose major part ends in this fail with `insufficient_funds`."""
SILENT_ENDING = 98
"""Amounts whose major part ends in this never get an answer."""


def outcome(amount):
    """(status, reason) the sandbox gives `amount`."""
    ending = int(amount.major) % 100
    if ending == FAILING_ENDING:
        return "failed", "insufficient_funds"
    if ending == SILENT_ENDING:
        return "pending", None
    return "succeeded", None


class CallbackNotDelivered(Exception):
    """The sandbox's callback POST failed; the message never names the URL (it carries the token)."""


def callback_url(config):
    return operator_callback_url(config, NAME, "/payments/sandbox/callback")


def deliver_callback(*args):
    """The delayed job: POST the result (`args[-1]`) to our callback URL; a failure raises so RQ retries.

    The URL carries CALLBACK_TOKEN, so it is built here from the worker's configuration,
    never passed as a job argument (Redis, job descriptions and RQ's logs would hold the
    token), and a failure is re-raised without the URL requests puts in its messages.
    Jobs queued before this change passed the URL first; it is ignored.
    """
    from app.jobs import worker_app

    payload = args[-1]
    try:
        requests.post(callback_url(worker_app().config), json=payload, timeout=10).raise_for_status()
    except requests.RequestException as error:
        status = getattr(error.response, "status_code", None) or ""
        raise CallbackNotDelivered(
            f"sandbox callback for {payload.get('reference')} failed: {type(error).__name__} {status}") from None


class SandboxProvider:
    name = NAME
    resend_safe = True

    def __init__(self, config, redis, *, queue=None):
        self.delay = int(config["SANDBOX_PAYMENT_DELAY"])
        self.queue = queue or Queue("high", connection=redis)

    def _result_payload(self, req):
        status, reason = outcome(req.amount)
        receipt = "SBX" + "".join(ch for ch in req.reference if ch.isdigit()) if status == "succeeded" else None
        return {"reference": req.reference, "direction": req.direction, "status": status, "reason": reason,
                "receipt": receipt,
                "amount_minor": req.amount.minor, "currency": req.amount.currency, "phone": req.phone}

    def _acknowledge(self, req):
        payload = self._result_payload(req)
        job_id = sandbox_callback_job_id(req.reference)
        if payload["status"] != "pending" and self.queue.fetch_job(job_id) is None:
            if self.delay > 0:
                self.queue.enqueue_in(timedelta(seconds=self.delay), deliver_callback, payload,
                                      job_id=job_id)
            else:
                self.queue.enqueue(deliver_callback, payload, job_id=job_id)
        return Ack(provider_ref=req.reference, raw={"accepted": True, "reference": req.reference})

    def request_collection(self, req):
        return self._acknowledge(req)

    def send_disbursement(self, req):
        return self._acknowledge(req)

    def request_reversal(self, req):
        """A refund or recovery (app/payments/refunds.py), simulated like any request: same amount rules."""
        return self._acknowledge(req)

    def query_status(self, req):
        return self.parse_callback(self._result_payload(req))

    def parse_callback(self, payload, *, kind="callback"):
        """The sandbox's callback JSON -> ProviderResult; MalformedCallback for anything else.

        Read like a real operator's (`inbound.py`): `amount_minor` is whole minor units,
        never a float or a bool; a missing amount is None (a success then goes to review).
        """
        if not isinstance(payload, dict):
            raise MalformedCallback("sandbox callback is not an object")
        status = payload.get("status")
        reference = inbound.text(payload.get("reference"), "reference")
        if status not in ("succeeded", "failed", "pending") or not reference:
            raise MalformedCallback(f"sandbox status {status!r:.40} or reference {reference!r}")
        amount = inbound.minor_amount(payload.get("amount_minor"), inbound.currency_code(payload.get("currency")))
        return ProviderResult(status, reference, inbound.text(payload.get("reason"), "reason", max_length=60),
                              inbound.text(payload.get("receipt"), "receipt"), amount,
                              inbound.text(payload.get("phone"), "phone", max_length=16), payload)
