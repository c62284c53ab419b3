"""Payments parked in review, and succeeded ones, through the real service with the FakeProvider."""

from app.money import Money
from tests.money_helpers import fund_savings

PHONE = "+254712000777"


def fake_callback(services, payment, status="succeeded", amount=None, **extra):
    payload = {"status": status, "ref": f"FK-{payment.reference}", "phone": PHONE, "receipt": "RC1",
               "amount": payment.amount_minor if amount is None else amount, **extra}
    return services.payments.apply_callback("fake", payload)


def deposit(services, member, minor, key):
    payment = services.payments.start(key, member, "collection", "deposit", Money(minor, "KES"), PHONE,
                                      provider="fake")
    services.payments.send(payment.id, checkpoint=services.session.flush)
    return payment


def deposit_in_review(services, member, minor=500_00, key="deposit:review:1"):
    """A deposit whose callback reported another amount: parked in review, nothing posted."""
    payment = deposit(services, member, minor, key)
    fake_callback(services, payment, amount=minor + 1_00)
    assert payment.state == "review"
    return payment


def withdrawal_in_review(services, member, minor=300_00, key="withdrawal:review:1"):
    """A withdrawal whose request may have reached the operator (in doubt): parked in review, money reserved."""
    fund_savings(services, member, 1_000_00, provider="fake")
    payment = services.payments.start(key, member, "disbursement", "withdrawal", Money(minor, "KES"), PHONE,
                                      provider="fake")
    payment.in_doubt = True
    services.payments.send(payment.id, checkpoint=services.session.flush)
    assert payment.state == "review"
    return payment


def savings(services, member):
    return services.ledger.balance(services.ledger.account("member", member.id, "member_savings", "KES"))
