"""Hostile payment callbacks against the real endpoints, a real pending payment and the real ledger.

Issue 11, item 7: a callback whose amount was missing or unreadable credited the whole
payment, unreadable numbers answered 503 (retried forever by the operator) and deeply
nested JSON an HTML 500. Here every hostile body goes to `/payments/<provider>/callback
?token=...` for a payment made pending by the real send job (the operator's HTTP faked
with its documented answers), and the test checks the money: nothing credited, the
payment untouched (pending) or parked in `review`, and the status code the operator
should get: 200 for a readable callback (a missing amount is a mismatch: review), 400
for an unreadable one (nothing posted, nothing changed), never a 5xx.
"""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import responses
from sqlalchemy.orm import sessionmaker

from app.extensions import db
from app.ledger.verify import verify_ledger
from app.money import Money
from app.services import build_services
from tests.member_helpers import make_member, unique_phone
from tests.messaging_helpers import TWILIO_TOKEN, signed_post

UGX_PHONE = "+256772000711"
KES_PHONE = "+254712000711"
CHECKOUT_ID = "ws_CO_191220191020363925"
MOMO_AMOUNT = Money(5_000, "UGX")
MPESA_AMOUNT = Money(150_00, "KES")


@pytest.fixture(autouse=True)
def momo_in_uganda(app, monkeypatch):
    """MoMo serves Ugandan members in UGX (no minor digits), so `"5000.5"` cannot be an amount."""
    monkeypatch.setitem(app.config, "MOMO_CURRENCY", "UGX")


def url(app, provider):
    return f"/payments/{provider}/callback?token={app.config['CALLBACK_TOKEN']}"


def send_momo(app, services, payment):
    """The real send job, MoMo's token and requesttopay answered as documented (202, no body)."""
    base = app.config["MOMO_BASE_URL"].rstrip("/")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:  # the token may be cached
        fake.post(f"{base}/collection/token/", json={"access_token": "t", "token_type": "access_token",
                                                     "expires_in": 3600})
        fake.post(f"{base}/collection/v1_0/requesttopay", status=202)
        services.payments.send(payment.id, checkpoint=services.session.commit)


def send_mpesa(app, services, payment):
    """The real send job, Daraja's token and STK push answered as documented."""
    base = app.config["MPESA_BASE_URL"].rstrip("/")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:  # the token may be cached
        fake.get(f"{base}/oauth/v1/generate", json={"access_token": "t", "expires_in": "3599"})
        fake.post(f"{base}/mpesa/stkpush/v1/processrequest", json={
            "MerchantRequestID": "29115-34620561-1", "CheckoutRequestID": CHECKOUT_ID, "ResponseCode": "0",
            "ResponseDescription": "Success. Request accepted for processing",
            "CustomerMessage": "Success. Request accepted for processing"})
        services.payments.send(payment.id, checkpoint=services.session.commit)


def pending_payment(app, services, phone, amount, provider, key):
    member = make_member(services.session, phone, "Akello Nambi")
    payment = services.payments.start(key, member, "collection", "deposit", amount, phone, provider=provider)
    services.session.commit()
    (send_momo if provider == "momo" else send_mpesa)(app, services, payment)
    services.session.commit()
    assert payment.state == "pending" and payment.provider_ref
    return member, payment


@pytest.fixture
def momo(app, services):
    return pending_payment(app, services, UGX_PHONE, MOMO_AMOUNT, "momo", "deposit:sec:momo")


@pytest.fixture
def mpesa(app, services):
    return pending_payment(app, services, KES_PHONE, MPESA_AMOUNT, "mpesa", "deposit:sec:mpesa")


def savings(services, member):
    return services.ledger.balance(services.savings.account_for(member))


def post(client, address, body):
    """POST `body` (a dict, or raw JSON text for what a dict cannot say) as the operator would."""
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(address, data=data, content_type="application/json")


# -- MTN MoMo ---------------------------------------------------------------------------

def momo_success(payment, **fields):
    body = {"referenceId": payment.provider_ref, "externalId": payment.reference, "amount": "5000",
            "currency": "UGX", "financialTransactionId": "363440463", "status": "SUCCESSFUL",
            "payer": {"partyIdType": "MSISDN", "partyId": UGX_PHONE[1:]}}
    body.update(fields)
    return {name: value for name, value in body.items() if value is not DROP}


DROP = object()
"""A field value meaning "leave the field out"."""

MOMO_MISSING = {"no amount": {"amount": DROP}, "null": {"amount": None}, "empty": {"amount": ""},
                "blank": {"amount": "  "}}
"""Readable callbacks that do not say how much: a success cannot be checked, so review (200)."""

MOMO_UNREADABLE = {
    "abc": {"amount": "abc"}, "NaN text": {"amount": "NaN"}, "Infinity text": {"amount": "Infinity"},
    "-Infinity text": {"amount": "-Infinity"}, "sNaN": {"amount": "sNaN"},
    "decimals UGX lacks": {"amount": "5000.5"}, "one too many decimals": {"amount": "5000.001"},
    "exponent": {"amount": "5e3"}, "huge exponent": {"amount": "1e999999999"},
    "tiny exponent": {"amount": "5000e-999999999"}, "negative": {"amount": "-5000"}, "plus": {"amount": "+5000"},
    "grouped": {"amount": "5,000"}, "hex": {"amount": "0x1388"}, "arabic digits": {"amount": "٥٠٠٠"},
    "huge": {"amount": "9" * 40}, "bool": {"amount": True}, "list": {"amount": [5000]},
    "object": {"amount": {"value": "5000"}}, "float with a fraction": {"amount": 5000.5},
    "no currency": {"currency": DROP}, "currency not a code": {"currency": ["UGX"]},
    "reference as object": {"referenceId": {"$ne": None}}, "receipt too long": {"financialTransactionId": "9" * 101},
    "NUL in receipt": {"financialTransactionId": "36344\u00000463"},
}
"""Values present but not readable: 400, nothing posted, the payment left as it was."""


def raw_momo(payment, amount_literal):
    """A body whose amount is a literal only raw JSON text can carry (NaN, Infinity, 1e400, 5000 digits)."""
    return json.dumps(momo_success(payment, amount="__AMOUNT__")).replace('"__AMOUNT__"', amount_literal)


MOMO_RAW = {"NaN literal": "NaN", "Infinity literal": "Infinity", "-Infinity literal": "-Infinity",
            "1e400": "1e400", "5000 digits": "9" * 5000}


@pytest.mark.parametrize("fields", MOMO_MISSING.values(), ids=MOMO_MISSING.keys())
def test_momo_success_without_an_amount_goes_to_review(app, client, services, momo, fields):
    member, payment = momo
    answer = post(client, url(app, "momo"), momo_success(payment, **fields))
    services.session.expire_all()
    assert answer.status_code == 200
    assert (payment.state, payment.failure_reason) == ("review", "amount_missing")
    assert payment.ledger_entry_id is None and savings(services, member) == Money(0, "UGX")


@pytest.mark.parametrize("fields", MOMO_UNREADABLE.values(), ids=MOMO_UNREADABLE.keys())
def test_momo_unreadable_values_answer_400_and_change_nothing(app, client, services, momo, fields):
    member, payment = momo
    answer = post(client, url(app, "momo"), momo_success(payment, **fields))
    services.session.expire_all()
    assert answer.status_code == 400 and answer.is_json
    assert payment.state == "pending" and payment.ledger_entry_id is None
    assert savings(services, member) == Money(0, "UGX")


@pytest.mark.parametrize("literal", MOMO_RAW.values(), ids=MOMO_RAW.keys())
def test_momo_numbers_json_cannot_carry_answer_400(app, client, services, momo, literal):
    member, payment = momo
    answer = post(client, url(app, "momo"), raw_momo(payment, literal))
    services.session.expire_all()
    assert answer.status_code == 400 and answer.is_json
    assert payment.state == "pending" and savings(services, member) == Money(0, "UGX")


@pytest.mark.parametrize("depth", [100, 10_000])
def test_deeply_nested_json_answers_400_not_a_500_page(app, client, services, momo, depth):
    member, payment = momo
    nested = "[" * depth + "]" * depth
    for body in (nested, raw_momo(payment, nested)):
        answer = post(client, url(app, "momo"), body)
        assert answer.status_code == 400 and answer.is_json
    services.session.expire_all()
    assert payment.state == "pending" and savings(services, member) == Money(0, "UGX")


def test_momo_wrong_amount_or_currency_is_a_mismatch(app, client, services, momo):
    member, payment = momo
    assert post(client, url(app, "momo"), momo_success(payment, amount="4999", currency="UGX")).status_code == 200
    services.session.expire_all()
    assert (payment.state, payment.failure_reason) == ("review", "amount_mismatch")
    assert savings(services, member) == Money(0, "UGX")


def test_momo_the_real_callback_still_credits_once(app, client, services, momo):
    member, payment = momo
    for amount in ("5000", "5000.00", 5000):  # the operator's spellings of the same amount
        assert post(client, url(app, "momo"), momo_success(payment, amount=amount)).status_code == 200
    services.session.expire_all()
    assert payment.state == "succeeded" and savings(services, member) == MOMO_AMOUNT


def test_a_failure_without_an_amount_is_still_a_failure(app, client, services, momo):
    member, payment = momo
    body = momo_success(payment, status="FAILED", reason="APPROVAL_REJECTED", amount=DROP, currency=DROP,
                        financialTransactionId=DROP)
    assert post(client, url(app, "momo"), body).status_code == 200
    services.session.expire_all()
    assert (payment.state, payment.failure_reason) == ("failed", "cancelled")


# -- M-Pesa Daraja ----------------------------------------------------------------------

def stk_success(items=None, **fields):
    metadata = [{"Name": "Amount", "Value": 150.00}, {"Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV"},
                {"Name": "TransactionDate", "Value": 20191219102115}, {"Name": "PhoneNumber", "Value": 254712000711}]
    if items is not None:
        metadata = [item for item in metadata if item["Name"] != "Amount"] + items
    callback = {"MerchantRequestID": "29115-34620561-1", "CheckoutRequestID": CHECKOUT_ID, "ResultCode": 0,
                "ResultDesc": "The service request is processed successfully.",
                "CallbackMetadata": {"Item": metadata}, **fields}
    return {"Body": {"stkCallback": {name: value for name, value in callback.items() if value is not DROP}}}


MPESA_MISSING = {"Amount null": stk_success([{"Name": "Amount", "Value": None}]),
                 "Amount without Value": stk_success([{"Name": "Amount"}]),
                 "no Amount item": stk_success([]),
                 "no CallbackMetadata": stk_success(CallbackMetadata=DROP),
                 "empty Item": stk_success(CallbackMetadata={"Item": []})}

MPESA_UNREADABLE = {
    "abc": stk_success([{"Name": "Amount", "Value": "abc"}]),
    "NaN text": stk_success([{"Name": "Amount", "Value": "NaN"}]),
    "Infinity text": stk_success([{"Name": "Amount", "Value": "Infinity"}]),
    "1.001 shillings": stk_success([{"Name": "Amount", "Value": 150.001}]),
    "bool": stk_success([{"Name": "Amount", "Value": True}]),
    "list": stk_success([{"Name": "Amount", "Value": [150]}]),
    "ResultCode false": stk_success(ResultCode=False),
    "ResultCode 0.5": stk_success(ResultCode=0.5),
    "ResultCode list": stk_success(ResultCode=[0]),
    "CallbackMetadata a list": stk_success(CallbackMetadata=[{"Name": "Amount", "Value": 150}]),
    "Item name a list": stk_success([{"Name": ["Amount"], "Value": 150}]),
    "CheckoutRequestID an object": stk_success(CheckoutRequestID={"$gt": ""}),
}


@pytest.mark.parametrize("body", MPESA_MISSING.values(), ids=MPESA_MISSING.keys())
def test_mpesa_success_without_an_amount_goes_to_review(app, client, services, mpesa, body):
    member, payment = mpesa
    answer = post(client, url(app, "mpesa"), body)
    services.session.expire_all()
    assert answer.status_code == 200 and answer.json["ResultCode"] == 0
    assert (payment.state, payment.failure_reason) == ("review", "amount_missing")
    assert payment.ledger_entry_id is None and savings(services, member) == Money(0, "KES")


@pytest.mark.parametrize("body", MPESA_UNREADABLE.values(), ids=MPESA_UNREADABLE.keys())
def test_mpesa_unreadable_values_answer_400_and_change_nothing(app, client, services, mpesa, body):
    member, payment = mpesa
    answer = post(client, url(app, "mpesa"), body)
    services.session.expire_all()
    assert answer.status_code == 400 and answer.is_json
    assert payment.state == "pending" and savings(services, member) == Money(0, "KES")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "1e400", "9" * 5000])
def test_mpesa_numbers_json_cannot_carry_answer_400(app, client, services, mpesa, literal):
    member, payment = mpesa
    body = json.dumps(stk_success([{"Name": "Amount", "Value": "__AMOUNT__"}])).replace('"__AMOUNT__"', literal)
    answer = post(client, url(app, "mpesa"), body)
    services.session.expire_all()
    assert answer.status_code == 400
    assert payment.state == "pending" and savings(services, member) == Money(0, "KES")


def test_mpesa_the_real_callback_still_credits_once(app, client, services, mpesa):
    member, payment = mpesa
    for amount in (150, 150.00, "150.00"):
        assert post(client, url(app, "mpesa"), stk_success([{"Name": "Amount", "Value": amount}])).status_code == 200
    services.session.expire_all()
    assert payment.state == "succeeded" and savings(services, member) == MPESA_AMOUNT


# -- the sandbox operator ---------------------------------------------------------------

@pytest.mark.parametrize("amount_minor", [15_000.9, True, "15000.0", "1.5e4", None, [15_000]])
def test_sandbox_amounts_are_whole_minor_units(app, client, services, amount_minor):
    member = make_member(services.session, KES_PHONE, "Akello Nambi")
    payment = services.payments.start("deposit:sec:sbx", member, "collection", "deposit", Money(150_00, "KES"),
                                      KES_PHONE, provider="sandbox")
    body = {"reference": payment.reference, "status": "succeeded", "receipt": "SBX1", "amount_minor": amount_minor,
            "currency": "KES", "phone": KES_PHONE}
    answer = post(client, url(app, "sandbox"), body)
    services.session.expire_all()
    assert answer.status_code in (200, 400)
    assert payment.state in ("initiated", "review") and savings(services, member) == Money(0, "KES")


# -- a storm: the real callback 200 times, hostile ones in between ----------------------

STORM_VALID = 200
STORM_THREADS = 8


@pytest.mark.committed
def test_callback_storm_with_hostile_payloads_credits_exactly_once(app, monkeypatch):
    monkeypatch.setitem(app.config, "MOMO_CURRENCY", "UGX")
    make_session = sessionmaker(bind=db.engine)
    phones = [unique_phone("+25677"), unique_phone("+25677")]
    with make_session() as session:
        services = build_services(app, session)
        made = [pending_payment(app, services, phone, MOMO_AMOUNT, "momo", f"storm:{phone}") for phone in phones]
        (member, payment), (other_member, other) = [(m.id, p) for m, p in made]
        target, bystander = momo_success(payment), momo_success(other)
        target["payer"]["partyId"], bystander["payer"]["partyId"] = phones[0][1:], phones[1][1:]
        payment_id, other_id = payment.id, other.id
    hostile = [json.dumps({**target, **fields}, default=str) for fields in MOMO_UNREADABLE.values()
               if DROP not in fields.values()]
    hostile += [raw_momo(payment, literal).replace(UGX_PHONE[1:], phones[0][1:]) for literal in MOMO_RAW.values()]
    hostile += ["[" * 10_000 + "]" * 10_000]
    missing = [json.dumps({**bystander, "amount": value}) for value in (None, "", "  ")]
    bodies = []
    for index in range(STORM_VALID):
        bodies.append(("valid", json.dumps(target)))
        bodies.append(("hostile", hostile[index % len(hostile)]))
        if index % 20 == 0:
            bodies.append(("missing", missing[index % len(missing)]))
    start = threading.Barrier(STORM_THREADS)

    def deliver(chunk):
        start.wait()
        client = app.test_client()
        return [(kind, post(client, url(app, "momo"), body).status_code) for kind, body in chunk]

    chunks = [bodies[i::STORM_THREADS] for i in range(STORM_THREADS)]
    with ThreadPoolExecutor(STORM_THREADS) as pool:
        answers = [answer for chunk in pool.map(deliver, chunks) for answer in chunk]

    assert {code for kind, code in answers if kind == "valid"} == {200}
    assert {code for kind, code in answers if kind == "hostile"} == {400}
    assert {code for kind, code in answers if kind == "missing"} == {200}
    with make_session() as session:
        services = build_services(app, session)
        outcomes = [event.outcome for event in services.payments.events(payment_id)]
        assert outcomes.count("applied_success") == 1 and outcomes.count("duplicate") == STORM_VALID - 1
        assert services.payments.get(payment_id).state == "succeeded"
        assert services.ledger.balance(services.ledger.account("member", member, "member_savings", "UGX")) \
            == MOMO_AMOUNT
        assert services.payments.get(other_id).state == "review"
        assert services.ledger.balance(services.ledger.account("member", other_member, "member_savings", "UGX")) \
            == Money(0, "UGX")
        assert verify_ledger(session) == []


# -- the same fault in other inbound callbacks ------------------------------------------

@pytest.mark.parametrize("form", [{"id": "ATXid_nul\x00", "status": "Success"},
                                  {"id": "ATXid_1", "status": "Failed", "failureReason": "x\x00y"},
                                  {"id": "ATXid_2", "status": "Success", "networkCode": "63902\x00"}])
def test_sms_delivery_report_with_a_nul_is_refused_not_retried_forever(app, client, form):
    """PostgreSQL cannot keep NUL: storing it answered 503, which Africa's Talking retries forever."""
    answer = client.post(f"/sms/delivery?token={app.config['CALLBACK_TOKEN']}", data=form)
    assert answer.status_code == 200


def test_whatsapp_status_with_a_nul_is_refused_not_retried_forever(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
    monkeypatch.setattr(app.extensions["settings"], "TWILIO_VALIDATE_SIGNATURE", True)
    status = {"MessageSid": "SM\x00" + "1" * 32, "MessageStatus": "delivered", "ErrorCode": ""}
    assert signed_post(client, "/whatsapp/status", status).status_code == 200
