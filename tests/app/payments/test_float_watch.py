"""Float and SMS credit alerts: operators and Africa's Talking faked at HTTP; low balances to finance once a day."""

import json

import pytest

from app.extensions import db
from app.money import Money
from app.payments.float_watch import reported_money
from app.payments.providers.momo import MtnMomo
from app.payments.providers.mpesa import MpesaDaraja
from app.scheduler import JOBS
from app.services import build_services
from app.settings import keyed_money, optional_money
from app.staff.models import WorkItem
from tests.app.payments.test_provider_momo import CONFIG as MOMO_CONFIG
from tests.app.payments.test_provider_mpesa import CONFIG as MPESA_CONFIG
from tests.app.staff.staff_helpers import new_staff

DARAJA = MPESA_CONFIG["MPESA_BASE_URL"]
MOMO = MOMO_CONFIG["MOMO_BASE_URL"]
AT_USER = "https://api.africastalking.com/version1/user"


def balance_result(utility="49217.00", code=0):
    return {"Result": {
        "ResultType": 0, "ResultCode": code, "ResultDesc": "The service request is processed successfully.",
        "OriginatorConversationID": "16917-22577599-3", "ConversationID": "AG_20200206_00005e091a8ec6b9eac5",
        "TransactionID": "OA90000000",
        "ResultParameters": {"ResultParameter": [
            {"Key": "AccountBalance",
             "Value": f"Working Account|KES|700000.00|700000.00|0.00|0.00&Float Account|KES|0.00|0.00|0.00|0.00"
                      f"&Utility Account|KES|{utility}|{utility}|0.00|0.00"
                      "&Charges Paid Account|KES|-1540.00|-1540.00|0.00|0.00"},
            {"Key": "BOCompletedTime", "Value": 20200109125710}]},
        "ReferenceData": {"ReferenceItem": {"Key": "QueueTimeoutURL", "Value": "https://x/timeout"}}}}


@pytest.fixture
def watched(app, monkeypatch, providers, services, redis):
    """Services whose float watch sees mpesa, momo (EUR in its sandbox) and the SMS credit, all faked."""
    settings = app.extensions["settings"]
    monkeypatch.setattr(settings, "FLOAT_ALERT_THRESHOLDS",
                        keyed_money("mpesa=KES:50000,momo=EUR:1000"))
    monkeypatch.setattr(settings, "SMS_CREDIT_ALERT", optional_money("KES:500"))
    services.senders = app.extensions["senders"]
    services.providers.install(MpesaDaraja(MPESA_CONFIG, redis))
    services.providers.install(MtnMomo(MOMO_CONFIG, redis))
    providers.get(f"{DARAJA}/oauth/v1/generate", json={"access_token": "tok", "expires_in": "3599"})
    providers.post(f"{DARAJA}/mpesa/accountbalance/v1/query",
                   json={"OriginatorConversationID": "1", "ConversationID": "AG_1", "ResponseCode": "0",
                         "ResponseDescription": "Accept the service request successfully."})
    providers.post(f"{MOMO}/disbursement/token/", json={"access_token": "dis", "expires_in": 3600})
    return services


def test_parsers():
    assert keyed_money("mpesa=KES:50000, momo=UGX:1000000") == {
        "mpesa": Money(5_000_000, "KES"), "momo": Money(1_000_000, "UGX")}
    assert optional_money("") is None and reported_money("KES", "1785.5099") == Money(178550, "KES")
    for bad in ("mpesa", "mpesa=KES", "mpesa=50000"):
        with pytest.raises(ValueError):
            keyed_money(bad)


def test_low_momo_float_and_sms_credit_open_one_item_each_per_day(watched, providers, session):
    new_staff(watched, "finance", phone="+254700000111")
    providers.get(f"{MOMO}/disbursement/v1_0/account/balance", json={"availableBalance": "250.50", "currency": "EUR"})
    providers.get(AT_USER, json={"UserData": {"balance": "KES 120.5000"}})
    checks = {check.source: check for check in watched.float_watch.check_all()}
    assert checks["momo"].balance == Money(25050, "EUR") and checks["momo"].work_item_id
    assert checks["sms_credit"].balance == Money(12050, "KES") and checks["sms_credit"].work_item_id
    assert checks["mpesa"].balance is None and checks["mpesa"].error is None  # asked; answer comes later
    asked = json.loads(next(c for c in providers.calls if "accountbalance" in c.request.url).request.body)
    assert asked["CommandID"] == "AccountBalance" and asked["ResultURL"].startswith(
        "https://pamoja.test/payments/mpesa/balance")
    balance_call = next(c for c in providers.calls if c.request.url.endswith("/account/balance")).request
    assert balance_call.headers["X-Target-Environment"] == "sandbox"
    assert "username=pamoja" in next(c for c in providers.calls if c.request.url.startswith(AT_USER)).request.url
    again = {check.source: check.work_item_id for check in watched.float_watch.check_all()}
    assert again["momo"] == checks["momo"].work_item_id  # same day: the same item, no new SMS
    assert session.query(WorkItem).filter_by(kind="float_low", role="finance").count() == 2


def test_a_source_that_cannot_be_asked_does_not_stop_the_others(watched, providers, session):
    providers.get(f"{MOMO}/disbursement/v1_0/account/balance", status=500, json={})
    providers.get(AT_USER, json={"UserData": {"balance": "KES 9000.0000"}})
    checks = {check.source: check for check in watched.float_watch.check_all()}
    assert checks["momo"].error and checks["momo"].work_item_id is None
    assert checks["sms_credit"].balance == Money(900000, "KES") and checks["sms_credit"].work_item_id is None
    assert session.query(WorkItem).filter_by(kind="float_low").count() == 0


def test_the_daraja_balance_result_is_checked_when_it_comes(app, client, monkeypatch, session):
    monkeypatch.setattr(app.extensions["settings"], "FLOAT_ALERT_THRESHOLDS",
                        keyed_money("mpesa=KES:50000"))
    url = "/payments/mpesa/balance?token=" + app.config["CALLBACK_TOKEN"]
    assert client.post("/payments/mpesa/balance?token=wrong", json=balance_result()).status_code == 403
    assert client.post(url, json=balance_result(utility="80000.00")).status_code == 200
    assert session.query(WorkItem).filter_by(kind="float_low").count() == 0
    assert client.post(url, json=balance_result(code=1)).status_code == 200
    assert client.post(url, json={"nothing": 1}).status_code == 400
    assert client.post(url, json=balance_result(utility="49217.00")).status_code == 200
    [item] = session.query(WorkItem).filter_by(kind="float_low").all()
    assert item.details["balance_minor"] == 4_921_700 and "mpesa" in item.summary


def test_nothing_is_asked_when_nothing_is_watched(app):
    assert build_services(app, db.session).float_watch.check_all() == []
    assert "float_check" in {recurring.name for recurring in JOBS}
