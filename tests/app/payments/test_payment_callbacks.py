"""The callback endpoint and the sandbox provider end to end through real RQ workers.

The sandbox's delayed callback job POSTs with `requests`; `responses` hands that HTTP
call to the app's test client, so the request goes through our real endpoint.
"""

import re
from datetime import timedelta

import pytest
import responses
from rq import SimpleWorker

from app.money import Money
from app.payments.providers.sandbox import outcome
from tests.member_helpers import make_member

PHONE = "+254712000444"


@pytest.fixture
def member(services):
    return make_member(services.session, PHONE, "Wanjiru Kamau", "sw")


@pytest.fixture(autouse=True)
def no_delay(app, monkeypatch):
    monkeypatch.setitem(app.config, "SANDBOX_PAYMENT_DELAY", "0")


def run_jobs(app, session, client):
    """Run every queued job in this process; sandbox callbacks reach our endpoint through the test client."""

    def forward(request):
        path = request.url.split("://", 1)[1].split("/", 1)[1]
        answer = client.post("/" + path, data=request.body, content_type="application/json")
        return answer.status_code, {}, answer.get_data()

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        mocked.add_callback(responses.POST, re.compile(r".*/payments/sandbox/callback.*"), callback=forward)
        SimpleWorker(list(app.extensions["queues"].values()), connection=app.extensions["redis"]).work(burst=True)
    session.expire_all()


def url(app, provider="sandbox", token=None):
    return f"/payments/{provider}/callback?token={token or app.config['CALLBACK_TOKEN']}"


def test_sandbox_outcome_rule():
    assert outcome(Money(199_00, "KES")) == ("failed", "insufficient_funds")
    assert outcome(Money(5_099, "UGX")) == ("failed", "insufficient_funds")
    assert outcome(Money(98_00, "KES"))[0] == "pending"
    assert outcome(Money(500_50, "KES"))[0] == "succeeded"


def test_deposit_through_the_sandbox_and_rq(app, services, session, client, member):
    payment = services.savings.deposit(member, Money(500_00, "KES"), "deposit:e2e:1", channel="ussd")
    session.commit()
    run_jobs(app, session, client)
    assert payment.state == "succeeded" and payment.receipt.startswith("SBX")
    assert services.savings.balance(member) == Money(500_00, "KES")
    assert [e.outcome for e in services.payments.events(payment.id)] == ["acknowledged", "applied_success"]


def test_failed_sandbox_withdrawal_gives_the_money_back(app, services, session, client, member):
    services.savings.deposit(member, Money(1_000_00, "KES"), "deposit:e2e:2", channel="ussd")
    session.commit()
    run_jobs(app, session, client)
    payment = services.savings.withdraw(member, Money(199_00, "KES"), "wd:e2e:1", channel="ussd")
    session.commit()
    assert services.savings.balance(member) == Money(1_000_00 - 199_00 - 15_00, "KES")
    run_jobs(app, session, client)
    assert payment.state == "failed" and payment.failure_reason == "insufficient_funds"
    assert services.savings.balance(member) == Money(1_000_00, "KES")


def test_reconcile_command_settles_a_silent_payment(app, services, session, member):
    payment = services.savings.deposit(member, Money(98_00, "KES"), "deposit:e2e:3", channel="ussd")
    services.payments.send(payment.id, checkpoint=session.commit)
    payment.updated_at -= timedelta(minutes=10)
    payment.created_at -= timedelta(days=2)
    session.commit()
    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    assert f"payment {payment.id}: pending -> timed_out" in result.output


def test_endpoint_refuses_a_wrong_token_and_bad_json(app, client):
    assert client.post(url(app, token="wrong"), json={"status": "succeeded"}).status_code == 403
    assert client.post(url(app), data="{not json", content_type="application/json").status_code == 400


def test_endpoint_answers_200_to_unknown_and_malformed_shapes(app, client, services):
    unknown = {"reference": "PMJ999999999", "status": "succeeded", "amount_minor": 100, "currency": "KES"}
    assert client.post(url(app), json=unknown).status_code == 200
    assert client.put(url(app), json={"hello": "world"}).status_code == 200
    assert client.post(url(app, provider="nobody"), json={}).status_code == 404
    mpesa = client.post("/payments/mpesa/timeout?token=" + app.config["CALLBACK_TOKEN"],
                        json={"Result": {"OriginatorConversationID": "PMJ000000001"}})
    assert mpesa.status_code == 200 and mpesa.json["ResultCode"] == 0


def test_endpoint_checks_the_source_ip_when_configured(app, client, monkeypatch):
    monkeypatch.setattr(app.extensions["settings"], "CALLBACK_ALLOWED_IPS", ("196.201.214.200",))
    assert client.post(url(app), json={}).status_code == 403
