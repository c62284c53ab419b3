"""PaymentService.start/replay: the same key and request is a replay, the key reused for anything else a refusal.

Before, `start` returned the first payment for ANY reused key, so a group contribution,
loan repayment or float top-up under an old key answered "approve on your phone" for a
payment nobody asked the operator for. Every field of the movement counts: member,
direction, purpose, purpose_ref, amount, fee and phone.
"""

import pytest

from app.i18n import Text
from app.ledger.errors import IdempotencyConflict as LedgerConflict
from app.money import Money
from app.payments import errors
from app.payments.models import Payment
from tests.app.agents.agent_helpers import new_agent
from tests.fakes import FakeProvider
from tests.member_helpers import make_member
from tests.money_helpers import fund_savings, kes

PHONE, OTHER_PHONE = "+254712000111", "+254712000222"


@pytest.fixture
def fake(services):
    services.payments.providers.install(FakeProvider())
    services.payments.providers.by_country["KE"] = "fake"


@pytest.fixture
def amina(services):
    return make_member(services.session, PHONE, "Amina Otieno")


@pytest.fixture
def baraka(services):
    return make_member(services.session, OTHER_PHONE, "Baraka Kiprop")


FIRST = dict(direction="disbursement", purpose="withdrawal", amount=kes(500), phone=PHONE, purpose_ref=None,
             fee=kes(15))


def start(services, member, key="k:1", **changes):
    request = {**FIRST, **changes}
    return services.payments.start(key, member, request.pop("direction"), request.pop("purpose"),
                                   request.pop("amount"), request.pop("phone"), **request)


def payments_under(services, key):
    return services.session.query(Payment).filter_by(idempotency_key=key).count()


def test_the_same_key_and_request_returns_the_first_payment(services, fake, amina):
    fund_savings(services, amina, 2_000_00)
    first = start(services, amina)
    assert start(services, amina) is first
    assert services.payments.replay("k:1", amina, "disbursement", "withdrawal", kes(500), PHONE, fee=kes(15)) is first
    assert services.payments.replay("k:new", amina, "disbursement", "withdrawal", kes(500), PHONE) is None
    assert payments_under(services, "k:1") == 1
    assert services.savings.balance(amina) == kes(2_000 - 515)  # reserved once


@pytest.mark.parametrize("changes", [
    {"amount": kes(501)}, {"fee": kes(16)}, {"fee": None}, {"phone": OTHER_PHONE}, {"purpose_ref": "7"},
    {"direction": "collection", "purpose": "deposit", "fee": None},
    {"direction": "collection", "purpose": "contribution", "fee": None, "purpose_ref": "3"},
    {"amount": Money(500_00, "UGX"), "fee": Money(15_00, "UGX")},
], ids=["amount", "fee", "no-fee", "phone", "purpose_ref", "direction", "purpose", "currency"])
def test_the_key_reused_for_another_movement_is_refused_and_moves_nothing(services, fake, amina, changes):
    fund_savings(services, amina, 2_000_00)
    first = start(services, amina)
    with pytest.raises(errors.IdempotencyConflict) as refused:
        start(services, amina, **changes)
    assert refused.value.payment.id == first.id
    assert payments_under(services, "k:1") == 1
    assert services.savings.balance(amina) == kes(2_000 - 515)  # nothing reserved for the refused one


def test_another_member_under_the_key_is_refused(services, fake, amina, baraka):
    fund_savings(services, amina, 2_000_00)
    start(services, amina)
    with pytest.raises(errors.IdempotencyConflict):
        start(services, baraka)
    with pytest.raises(errors.IdempotencyConflict):
        start(services, None)


def test_the_refusal_is_a_payment_error_in_the_ledgers_words(services, fake, amina):
    fund_savings(services, amina, 2_000_00)
    start(services, amina)
    with pytest.raises(errors.PaymentError) as refused:  # what every channel already shows as a refusal
        start(services, amina, amount=kes(900))
    assert isinstance(refused.value.message, Text)
    assert refused.value.message == LedgerConflict.message  # one message for every reused key
    assert refused.value.message.render("sw") != refused.value.message.render("en")


def test_group_loan_and_float_callers_refuse_a_reused_key(services, fake, amina, baraka):
    memberships, contributions = services.group_memberships, services.group_contributions
    group = memberships.create_group(amina, name="Umoja Women", contribution=kes(500), frequency="weekly",
                                     meeting_day=3)
    first = contributions.contribute_by_mobile_money(amina, group, "500", "mm:1", channel="sms")
    assert contributions.contribute_by_mobile_money(amina, group, "500", "mm:1", channel="sms").id == first.id
    with pytest.raises(errors.IdempotencyConflict):
        contributions.contribute_by_mobile_money(amina, group, "700", "mm:1", channel="sms")
    other = memberships.create_group(amina, name="Tumaini", contribution=kes(500), frequency="weekly", meeting_day=3)
    with pytest.raises(errors.IdempotencyConflict):  # the same amount to another group
        contributions.contribute_by_mobile_money(amina, other, "500", "mm:1", channel="sms")
    agent = new_agent(services)
    topup = services.agent_float.start_topup(agent, kes(1_000), idempotency_key="top:1")
    assert services.agent_float.start_topup(agent, kes(1_000), idempotency_key="top:1").id == topup.id
    with pytest.raises(errors.IdempotencyConflict):
        services.agent_float.start_topup(agent, kes(2_000), idempotency_key="top:1")
    assert payments_under(services, "mm:1") == payments_under(services, "top:1") == 1
