"""Issue 13: Airtel Money through the real service and endpoint (Airtel faked at HTTP), callbacks that
come before the acknowledgement, and MoMo's sandbox currency."""

import responses

from app.money import Money
from app.payments.providers.momo import reference_uuid
from tests.member_helpers import make_member, unique_phone

AMOUNT = Money(1500_00, "KES")


def airtel_base(app):
    return app.config["AIRTEL_BASE_URL"].rstrip("/")


def airtel_deposit(app, services, key):
    """A deposit pushed by the real send job, Airtel answering "in process" as documented."""
    phone = unique_phone("+25473")
    member = make_member(services.session, phone, "Wanjiru Kamau")
    payment = services.payments.start(key, member, "collection", "deposit", AMOUNT, phone)
    services.session.commit()
    assert payment.provider == "airtel"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        fake.post(f"{airtel_base(app)}/auth/oauth2/token", json={"access_token": "t", "expires_in": "180"})
        fake.post(f"{airtel_base(app)}/merchant/v1/payments/", json={
            "data": {"transaction": {"id": payment.reference, "status": "Success."}},
            "status": {"code": "200", "message": "SUCCESS", "result_code": "ESB000010",
                       "response_code": "DP00800001006", "success": True}})
        services.payments.send(payment.id, checkpoint=services.session.commit)
    assert payment.state == "pending" and payment.provider_ref == payment.reference
    return member, payment


def enquiry(app, fake, payment, word, airtel_money_id="MP210603.1234.L06941"):
    fake.get(f"{airtel_base(app)}/standard/v1/payments/{payment.reference}", json={
        "data": {"transaction": {"id": payment.reference, "airtel_money_id": airtel_money_id, "message": "x",
                                 "status": word}},
        "status": {"code": "200", "message": "SUCCESS", "result_code": "ESB000010",
                   "response_code": "DP00800001001", "success": True}})


def callback(client, app, payment, word, airtel_money_id="MP210603.1234.L06941"):
    token = app.config["CALLBACK_TOKEN"]
    return client.post(f"/payments/airtel/callback?token={token}", json={"transaction": {
        "id": payment.reference, "message": "Paid", "status_code": word, "airtel_money_id": airtel_money_id}})


def savings(services, member):
    return services.ledger.balance(services.ledger.account("member", member.id, "member_savings", "KES"))


def route_airtel(app, services, monkeypatch):
    monkeypatch.setitem(services.payments.providers.by_country, "KE:airtel", "airtel")
    monkeypatch.setitem(app.extensions["settings"].PAYMENT_PROVIDERS, "KE:airtel", "airtel")


def test_an_airtel_callback_is_confirmed_by_enquiry_before_anything_is_posted(app, services, client, monkeypatch):
    route_airtel(app, services, monkeypatch)
    member, payment = airtel_deposit(app, services, "airtel-e2e-1")

    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        fake.post(f"{airtel_base(app)}/auth/oauth2/token", json={"access_token": "t", "expires_in": "180"})
        enquiry(app, fake, payment, "TS")
        assert callback(client, app, payment, "TS").status_code == 200
    with responses.RequestsMock() as fake:  # a repeat asks nothing and posts nothing
        assert callback(client, app, payment, "TS").status_code == 200

    services.session.expire_all()
    assert (payment.state, payment.receipt) == ("succeeded", "MP210603.1234.L06941")
    assert savings(services, member) == AMOUNT
    assert [e.outcome for e in services.payments.events(payment.id)][-2:] == ["applied_success", "duplicate"]


def test_a_forged_airtel_success_posts_nothing(app, services, client, monkeypatch):
    route_airtel(app, services, monkeypatch)
    member, payment = airtel_deposit(app, services, "airtel-e2e-2")

    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        fake.post(f"{airtel_base(app)}/auth/oauth2/token", json={"access_token": "t", "expires_in": "180"})
        enquiry(app, fake, payment, "TIP")
        assert callback(client, app, payment, "TS", airtel_money_id="FORGED").status_code == 200
        fake.replace(responses.GET, f"{airtel_base(app)}/standard/v1/payments/{payment.reference}", json={
            "data": {"transaction": {"id": payment.reference, "status": "TF", "message": "refused"}},
            "status": {"success": True, "response_code": "DP00800001001"}})
        assert callback(client, app, payment, "TS", airtel_money_id="FORGED").status_code == 200

    services.session.expire_all()
    assert (payment.state, payment.receipt) == ("failed", None)
    assert savings(services, member) == Money(0, "KES")


def test_a_kenyan_airtel_number_is_pushed_by_airtel_not_mpesa(app, services, monkeypatch):
    route_airtel(app, services, monkeypatch)
    monkeypatch.setitem(services.payments.providers.by_country, "KE", "mpesa")

    _, payment = airtel_deposit(app, services, "airtel-e2e-3")

    assert payment.provider == "airtel"


# -- item 5: a callback before the acknowledgement was stored ---------------------------------------

def test_an_stk_callback_that_came_before_the_ack_is_applied_when_the_ack_lands(app, services):
    phone = unique_phone("+25471")
    member = make_member(services.session, phone, "Otieno Brian")
    payment = services.payments.start("early-cb-1", member, "collection", "deposit", Money(150_00, "KES"), phone,
                                      provider="mpesa")
    services.session.commit()
    checkout_id = "ws_CO_early_cb_1"
    early = {"Body": {"stkCallback": {
        "MerchantRequestID": "29115-1", "CheckoutRequestID": checkout_id, "ResultCode": 0,
        "ResultDesc": "The service request is processed successfully.", "CallbackMetadata": {"Item": [
            {"Name": "Amount", "Value": 150}, {"Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV"},
            {"Name": "TransactionDate", "Value": 20191219102115}, {"Name": "PhoneNumber", "Value": int(phone[1:])}]}}}}
    assert services.payments.apply_callback("mpesa", early) is None
    services.session.commit()

    base = app.config["MPESA_BASE_URL"].rstrip("/")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        fake.get(f"{base}/oauth/v1/generate", json={"access_token": "t", "expires_in": "3599"})
        fake.post(f"{base}/mpesa/stkpush/v1/processrequest", json={
            "MerchantRequestID": "29115-1", "CheckoutRequestID": checkout_id, "ResponseCode": "0",
            "ResponseDescription": "Success. Request accepted for processing", "CustomerMessage": "Success."})
        services.payments.send(payment.id, checkpoint=services.session.commit)
    services.session.commit()

    assert (payment.state, payment.receipt) == ("succeeded", "NLJ7RT61SV")
    assert savings(services, member) == Money(150_00, "KES")
    assert [e.outcome for e in services.payments.events(payment.id)] == [
        "matched_after_ack", "acknowledged", "applied_success"]


def test_a_momo_callback_before_the_ack_finds_its_payment_by_our_echoed_reference(app, services, monkeypatch):
    monkeypatch.setitem(app.config, "MOMO_CURRENCY", "UGX")
    phone = unique_phone("+25677")
    member = make_member(services.session, phone, "Nakato Sarah")
    payment = services.payments.start("early-momo-1", member, "collection", "deposit", Money(5_000, "UGX"), phone,
                                      provider="momo")
    services.session.commit()

    result = services.payments.apply_callback("momo", {
        "amount": "5000", "currency": "UGX", "financialTransactionId": "363440463", "externalId": payment.reference,
        "referenceId": reference_uuid(payment.reference), "payer": {"partyIdType": "MSISDN", "partyId": phone[1:]},
        "status": "SUCCESSFUL"})

    assert result is payment and payment.state == "succeeded" and payment.receipt == "363440463"


# -- MoMo's sandbox takes only EUR ----------------------------------------------------------------------

def test_the_momo_sandbox_is_sent_eur_with_the_same_number_and_its_answer_read_back(app, services, monkeypatch):
    monkeypatch.setitem(app.config, "MOMO_CURRENCY", "UGX")
    monkeypatch.setitem(app.config, "MOMO_TARGET_ENVIRONMENT", "sandbox")
    phone = unique_phone("+25677")
    member = make_member(services.session, phone, "Namubiru Grace")
    payment = services.payments.start("momo-sandbox-1", member, "collection", "deposit", Money(5_000, "UGX"),
                                      phone, provider="momo")
    services.session.commit()
    base = app.config["MOMO_BASE_URL"].rstrip("/")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        fake.post(f"{base}/collection/token/", json={"access_token": "t", "expires_in": 3600})
        fake.post(f"{base}/collection/v1_0/requesttopay", status=202, match=[responses.matchers.json_params_matcher(
            {"amount": "5000", "currency": "EUR"}, strict_match=False)])
        services.payments.send(payment.id, checkpoint=services.session.commit)

    services.payments.apply_callback("momo", {
        "amount": "5000", "currency": "EUR", "financialTransactionId": "1", "externalId": payment.reference,
        "referenceId": payment.provider_ref, "payer": {"partyIdType": "MSISDN", "partyId": phone[1:]},
        "status": "SUCCESSFUL"})

    assert payment.state == "succeeded"
    assert services.ledger.balance(services.ledger.account("member", member.id, "member_savings", "UGX")) == Money(
        5_000, "UGX")


def test_airtel_may_have_its_own_callback_secret(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "AIRTEL_CALLBACK_TOKEN", "airtel-current,airtel-previous")
    body = {"transaction": {"id": "PMJ999999999", "status_code": "TS", "airtel_money_id": "X"}}

    assert client.post(f"/payments/airtel/callback?token={app.config['CALLBACK_TOKEN']}", json=body).status_code == 403
    assert client.post("/payments/airtel/callback?token=airtel-previous", json=body).status_code == 200
