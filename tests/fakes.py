"""Fakes of outside services, one of each, for the tests that need one in place of the real thing.

A payment operator is faked as a provider object (the same interface app/payments/providers
implement), so the payment service, its reservations and the ledger run for real. SMS and
WhatsApp are faked lower, at their HTTP boundary, by the `providers` fixture (tests/conftest.py).
"""

from app.money import Money
from app.payments.providers.base import Ack, ProviderResult


class FakeProvider:
    """An operator we control: records requests, answers what the test says.

    `error` (an exception) is raised by the next requests; `query_answer` is the state a status
    query reports. A callback payload is `{"status", "ref"}` plus optional `amount` (minor units),
    `reason`, `receipt` and `phone`: a success without an amount is what an operator's
    incomplete confirmation looks like.
    """

    name = "fake"

    def __init__(self, *, resend_safe=False):
        self.resend_safe = resend_safe
        self.requests = []
        self.error = None
        self.query_answer = "pending"

    def request_collection(self, req):
        self.requests.append(req)
        if self.error is not None:
            raise self.error
        return Ack(provider_ref=f"FK-{req.reference}")

    send_disbursement = request_collection

    def query_status(self, req):
        return ProviderResult(self.query_answer, f"FK-{req.reference}", None, "Q1", None, None, {"q": 1})

    def parse_callback(self, payload, *, kind="callback"):
        amount = Money(payload["amount"], "KES") if "amount" in payload else None
        return ProviderResult(payload["status"], payload["ref"], payload.get("reason"), payload.get("receipt"),
                              amount, payload.get("phone"), payload)
