"""Issue 13: how Daraja and MoMo really settle payments, end to end through the real service,
endpoints, ledger and alerts, the operators faked at HTTP with their documented answers.

- STK query 4999 / "being processed" is pending; a success after a recorded failure goes to
  review with a `late_success` alert for finance.
- Reconciliation settles, parks or skips each payment on its own (refusals, text codes,
  unknown MoMo statuses).
- A failure before anything was sent (no access token) is retried, never parked.
- A B2C with no result is settled by Transaction Status through `/payments/mpesa/status`.
- Per-operator callback secrets, two at once while rotating.
"""

from datetime import timedelta

import pytest
import responses
from sqlalchemy import select

from app.alerts.models import SecurityAlert
from app.keys import provider_token_key
from app.money import Money
from app.payments.providers.base import TransientProviderError
from app.payments.providers.momo import reference_uuid
from tests.member_helpers import make_member, unique_phone
from tests.money_helpers import fund_savings

AGES_AGO = timedelta(days=3650)
"""Our payments are made this stale, and reconciliation asked about those older than LONG_AGO only,
so payments other (committed) tests left behind are never queried here."""
LONG_AGO = timedelta(days=3000)


def daraja(app, path=""):
    return app.config["MPESA_BASE_URL"].rstrip("/") + path


def stk_accepted(checkout_id):
    return {"MerchantRequestID": "29115-34620561-1", "CheckoutRequestID": checkout_id, "ResponseCode": "0",
            "ResponseDescription": "Success. Request accepted for processing",
            "CustomerMessage": "Success. Request accepted for processing"}


def token_ok(app, fake):
    fake.get(daraja(app, "/oauth/v1/generate"), json={"access_token": "t", "expires_in": "3599"})


def stk_query(app, fake, checkout_id, code, desc):
    fake.post(daraja(app, "/mpesa/stkpushquery/v1/query"), match=[responses.matchers.json_params_matcher(
        {"CheckoutRequestID": checkout_id}, strict_match=False)],
        json={"ResponseCode": "0", "ResponseDescription": "The service request has been accepted successsfully",
              "MerchantRequestID": "29115-34620561-1", "CheckoutRequestID": checkout_id,
              "ResultCode": code, "ResultDesc": desc})


def stk_callback(checkout_id, code, amount=None, receipt="NLJ7RT61SV", phone=None):
    body = {"MerchantRequestID": "29115-34620561-1", "CheckoutRequestID": checkout_id, "ResultCode": code,
            "ResultDesc": "The service request is processed successfully." if code == 0 else "Request cancelled"}
    if code == 0:
        body["CallbackMetadata"] = {"Item": [
            {"Name": "Amount", "Value": amount}, {"Name": "MpesaReceiptNumber", "Value": receipt},
            {"Name": "TransactionDate", "Value": 20191219102115}, {"Name": "PhoneNumber", "Value": int(phone[1:])}]}
    return {"Body": {"stkCallback": body}}


def mpesa_deposit(app, services, key, minor=150_00):
    """A deposit pushed by the real send job (Daraja answering as documented), made stale."""
    phone = unique_phone("+2547")
    member = make_member(services.session, phone, "Akinyi Odhiambo")
    payment = services.payments.start(key, member, "collection", "deposit", Money(minor, "KES"), phone,
                                      provider="mpesa")
    services.session.commit()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        token_ok(app, fake)
        fake.post(daraja(app, "/mpesa/stkpush/v1/processrequest"), json=stk_accepted(f"ws_CO_{key}"))
        services.payments.send(payment.id, checkpoint=services.session.commit)
    assert payment.state == "pending" and payment.provider_ref == f"ws_CO_{key}"
    payment.updated_at -= AGES_AGO
    services.session.commit()
    return member, payment


def savings(services, member):
    return services.ledger.balance(services.savings.account_for(member))


def post(client, path, body, token):
    return client.post(f"{path}?token={token}", json=body)


# -- item 2: pending is not failed; a late success is reviewed and finance is told ------------------

def test_stk_query_4999_leaves_the_payment_pending_so_the_members_success_still_credits(app, services, client):
    member, payment = mpesa_deposit(app, services, "e2e4999")
    with responses.RequestsMock() as fake:
        stk_query(app, fake, payment.provider_ref, "4999", "The transaction is still under processing")
        (change,) = services.payments.reconcile(LONG_AGO, checkpoint=services.session.commit)
    assert (change.after, change.action) == ("pending", "pending")

    answer = post(client, "/payments/mpesa/callback", stk_callback(payment.provider_ref, 0, 150, phone=payment.phone),
                  app.config["CALLBACK_TOKEN"])
    assert answer.status_code == 200
    services.session.expire_all()
    assert payment.state == "succeeded" and savings(services, member) == Money(150_00, "KES")


def test_a_success_after_a_recorded_failure_is_parked_for_review_and_raises_a_finance_alert(app, services, client):
    member, payment = mpesa_deposit(app, services, "e2elate")
    token = app.config["CALLBACK_TOKEN"]
    assert post(client, "/payments/mpesa/callback", stk_callback(payment.provider_ref, 1032), token).status_code == 200
    services.session.expire_all()
    assert payment.state == "failed"

    late = stk_callback(payment.provider_ref, 0, 150, receipt="NLJ7RT61SV", phone=payment.phone)
    assert post(client, "/payments/mpesa/callback", late, token).status_code == 200
    services.session.expire_all()
    assert payment.state == "review" and payment.receipt == "NLJ7RT61SV"
    assert savings(services, member) == Money(0, "KES")
    alert = services.session.scalars(select(SecurityAlert).where(SecurityAlert.rule == "late_success",
                                                                 SecurityAlert.subject_id == payment.id)).one()
    assert alert.subject_type == "payment" and alert.evidence["operator"] == late
    assert alert.evidence["failed_for"] == "cancelled"


# -- item 3: reconciliation never stalls -------------------------------------------------------------

def test_reconcile_settles_parks_or_skips_each_mpesa_payment_on_its_own(app, services):
    _, refused = mpesa_deposit(app, services, "e2eref")
    _, text_code = mpesa_deposit(app, services, "e2etxt")
    member, paid = mpesa_deposit(app, services, "e2epaid")
    with responses.RequestsMock() as fake:
        fake.post(daraja(app, "/mpesa/stkpushquery/v1/query"), status=400, match=[
            responses.matchers.json_params_matcher({"CheckoutRequestID": refused.provider_ref}, strict_match=False)],
            json={"requestId": "11728-2929992-1", "errorCode": "400.002.02",
                  "errorMessage": "Bad Request - Invalid CheckoutRequestID"})
        stk_query(app, fake, text_code.provider_ref, "SFC_IC0003", "The operator does not exist")
        stk_query(app, fake, paid.provider_ref, "0", "The service request is processed successfully.")
        changes = services.payments.reconcile(LONG_AGO, checkpoint=services.session.commit)

    assert [(c.payment_id, c.after, c.action) for c in changes] == [
        (refused.id, "pending", "skipped"), (text_code.id, "failed", "settled"), (paid.id, "succeeded", "settled")]
    assert savings(services, member) == Money(150_00, "KES")


def test_reconcile_skips_an_unknown_momo_status_and_goes_on(app, services, monkeypatch):
    monkeypatch.setitem(app.config, "MOMO_CURRENCY", "UGX")
    base = app.config["MOMO_BASE_URL"].rstrip("/")
    payments = []
    for key in ("e2emomo1", "e2emomo2"):
        phone = unique_phone("+25677")
        member = make_member(services.session, phone, "Nakato Sarah")
        payment = services.payments.start(key, member, "collection", "deposit", Money(5_000, "UGX"), phone,
                                          provider="momo")
        services.session.commit()
        with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
            fake.post(f"{base}/collection/token/", json={"access_token": "t", "expires_in": 3600})
            fake.post(f"{base}/collection/v1_0/requesttopay", status=202)
            services.payments.send(payment.id, checkpoint=services.session.commit)
        payment.updated_at -= AGES_AGO
        payments.append((member, payment))
    services.session.commit()
    (_, odd), (member, good) = payments
    with responses.RequestsMock() as fake:
        fake.get(f"{base}/collection/v1_0/requesttopay/{odd.provider_ref}",
                 json={"status": "REVERSED_BY_OPERATOR", "externalId": odd.reference})
        fake.get(f"{base}/collection/v1_0/requesttopay/{good.provider_ref}", json={
            "amount": "5000", "currency": "UGX", "financialTransactionId": "363440463", "externalId": good.reference,
            "payer": {"partyIdType": "MSISDN", "partyId": good.phone[1:]}, "status": "SUCCESSFUL"})
        changes = services.payments.reconcile(LONG_AGO, checkpoint=services.session.commit)
    assert good.provider_ref == reference_uuid(good.reference)
    assert [(c.after, c.action) for c in changes] == [("pending", "skipped"), ("succeeded", "settled")]


# -- item 6: nothing sent, nothing in doubt ----------------------------------------------------------

def test_a_token_failure_before_the_push_is_retried_not_parked_for_review(app, services, redis):
    redis.delete(provider_token_key("mpesa"))
    phone = unique_phone("+2547")
    member = make_member(services.session, phone, "Otieno Baraka")
    payment = services.payments.start("e2etoken", member, "collection", "deposit", Money(150_00, "KES"), phone,
                                      provider="mpesa")
    services.session.commit()
    with responses.RequestsMock() as fake:
        fake.get(daraja(app, "/oauth/v1/generate"), status=503, json={
            "requestId": "1", "errorCode": "503.001.01", "errorMessage": "Service Unavailable"})
        with pytest.raises(TransientProviderError):
            services.payments.send(payment.id, checkpoint=services.session.commit)
    services.session.rollback()  # what the @job wrapper does before RQ retries
    assert payment.state == "initiated" and not payment.in_doubt

    with responses.RequestsMock() as fake:  # RQ's retry
        token_ok(app, fake)
        fake.post(daraja(app, "/mpesa/stkpush/v1/processrequest"), json=stk_accepted("ws_CO_e2etoken"))
        services.payments.send(payment.id, checkpoint=services.session.commit)
    assert payment.state == "pending" and payment.provider_ref == "ws_CO_e2etoken"


# -- item 7: a B2C with no result is settled by Transaction Status -----------------------------------

def transaction_status(payment, status="Completed"):
    return {"Result": {
        "ResultType": 0, "ResultCode": 0, "ResultDesc": "The service request is processed successfully.",
        "OriginatorConversationID": "5118-111210482-1", "ConversationID": "AG_20230420_2010759fd5662ef6d054",
        "TransactionID": "NLJ0000000",
        "ResultParameters": {"ResultParameter": [
            {"Key": "DebitPartyName", "Value": "600000 - Safaricom"},
            {"Key": "CreditPartyName", "Value": f"{payment.phone[1:]} - John Doe"},
            {"Key": "OriginatorConversationID", "Value": payment.reference},
            {"Key": "TransactionStatus", "Value": status},
            {"Key": "FinalisedTime", "Value": 20230420101530},
            {"Key": "Amount", "Value": payment.amount_minor // 100},
            {"Key": "ReceiptNo", "Value": "RDK9XYZ123"}]},
        "ReferenceData": {"ReferenceItem": {"Key": "Occasion", "Value": payment.reference}}}}


def test_a_silent_b2c_is_asked_about_and_settled_by_the_transaction_status_result(app, services, client):
    phone = unique_phone("+2547")
    member = make_member(services.session, phone, "Wairimu Njeri")
    fund_savings(services, member, 2_000_00)
    payment = services.payments.start("e2eb2c", member, "disbursement", "withdrawal", Money(500_00, "KES"), phone,
                                      provider="mpesa")
    services.session.commit()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        token_ok(app, fake)
        fake.post(daraja(app, "/mpesa/b2c/v3/paymentrequest"), json={
            "ConversationID": "AG_20191219_00005797af5d7d75f652", "OriginatorConversationID": payment.reference,
            "ResponseCode": "0", "ResponseDescription": "Accept the service request successfully."})
        services.payments.send(payment.id, checkpoint=services.session.commit)
    payment.updated_at -= AGES_AGO
    services.session.commit()

    with responses.RequestsMock() as fake:
        fake.post(daraja(app, "/mpesa/transactionstatus/v1/query"), json={
            "OriginatorConversationID": "5118-111210482-1", "ConversationID": "AG_20230420_2010759fd5662ef6d054",
            "ResponseCode": "0", "ResponseDescription": "Accept the service request successfully."})
        (change,) = services.payments.reconcile(LONG_AGO, checkpoint=services.session.commit)
        asked = fake.calls[0].request
    assert (change.after, change.action) == ("pending", "pending")
    assert b'"OriginalConversationID": "' + payment.reference.encode() in asked.body

    token = app.config["CALLBACK_TOKEN"]
    assert post(client, "/payments/mpesa/status", transaction_status(payment), "wrong").status_code == 403
    assert post(client, "/payments/mpesa/status", transaction_status(payment), token).status_code == 200
    services.session.expire_all()
    assert payment.state == "succeeded" and payment.receipt == "RDK9XYZ123"
    assert savings(services, member) == Money(1_500_00, "KES")


# -- a callback secret per operator, two at once while rotating --------------------------------------

def test_each_operator_may_have_its_own_secret_and_two_while_rotating(app, services, client, monkeypatch):
    monkeypatch.setitem(app.config, "MPESA_CALLBACK_TOKEN", "mpesa-new-secret,mpesa-old-secret")
    monkeypatch.setitem(app.config, "CALLBACK_TOKEN", "shared-new,shared-old")
    unknown = stk_callback("ws_CO_nobody", 1032)
    for token, expected in [("mpesa-new-secret", 200), ("mpesa-old-secret", 200), ("shared-new", 403),
                            ("mpesa-new-secret,mpesa-old-secret", 403), ("", 403)]:
        assert post(client, "/payments/mpesa/callback", unknown, token).status_code == expected, token
    momo = {"referenceId": "8d1c7a4b-0000-4000-8000-000000000000", "status": "FAILED", "reason": "EXPIRED"}
    for token, expected in [("shared-new", 200), ("shared-old", 200), ("mpesa-new-secret", 403)]:
        assert client.put(f"/payments/momo/callback?token={token}", json=momo).status_code == expected, token
