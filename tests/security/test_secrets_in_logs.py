"""Issue 11 item 12: no secret, PIN, confirmation code or full ID number in logs or job payloads.

A full flow (a member registered with an ID number and PIN, logged in over USSD, a
withdrawal by SMS confirmed with `YES <code>`, the sandbox operator's callback job
failing once and retried) runs through the real routes and the Procfile's worker class
(in process), with every log line captured. Then every log line and every byte RQ left
in Redis (job payloads, descriptions, stored tracebacks, results) is searched for the
callback token, the PIN, the code and the ID number. The SMS inbound job keeps the text
it must act on (`YES <code>`) in its arguments, and nowhere else.
"""

import logging
import re
import uuid
import zlib

import pytest
import responses
from rq import SimpleWorker

from app.observability import logger as pamoja_logger
from app.observability import redact
from app.payments.models import Payment
from app.worker import PamojaWorker
from tests.money_helpers import fund_savings
from tests.ussd_helpers import UssdPhone

PHONE = "+254711000777"
PIN = "7391"
NATIONAL_ID = "29876543"


class InProcessWorker(PamojaWorker, SimpleWorker):
    """The Procfile's worker settings (no job descriptions in logs), running jobs in this process."""


@pytest.fixture
def token(app, monkeypatch):
    value = "cbtok-" + uuid.uuid4().hex
    monkeypatch.setitem(app.config, "CALLBACK_TOKEN", value)
    monkeypatch.setitem(app.config, "SANDBOX_PAYMENT_DELAY", "0")
    return value


@pytest.fixture
def logs(caplog):
    """Every log line of the flow: the root logger's and the `pamoja` logger's (which does not propagate)."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="rq.worker")  # an earlier worker may have set it to WARNING
    pamoja_logger.addHandler(caplog.handler)
    yield caplog
    pamoja_logger.removeHandler(caplog.handler)


def run_jobs(app, client, refuse_first_callback):
    """Run the queued jobs; the sandbox's callback POST reaches our endpoint (the first one answered 503)."""
    answers = []

    def forward(request):
        path = request.url.split("://", 1)[1].split("/", 1)[1]
        if refuse_first_callback and not answers:
            answers.append(503)
            return 503, {}, "busy"
        answer = client.post("/" + path, data=request.body, content_type="application/json")
        answers.append(answer.status_code)
        return answer.status_code, {}, answer.get_data()

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        mocked.add_callback(responses.POST, re.compile(r".*/payments/sandbox/callback.*"), callback=forward)
        InProcessWorker(list(app.extensions["queues"].values()), connection=app.extensions["redis"]).work(burst=True)
    return answers


def sms(app, client, token, text):
    answer = client.post(f"/sms/inbound?token={token}", data={
        "from": PHONE, "to": "20880", "text": text, "date": "2026-11-25 10:00:00", "id": "ATXid_" + uuid.uuid4().hex,
        "linkId": "", "networkCode": "63902"})
    assert answer.status_code == 200


def last_reply(session):
    from app.notifications.messages import OutboundMessage

    session.expire_all()
    return session.query(OutboundMessage).filter_by(recipient=PHONE, kind="sms_reply").order_by(
        OutboundMessage.id.desc()).first().text


def redis_bytes(redis):
    """{key: every byte stored under it}, zlib-compressed job payloads decompressed."""
    found = {}
    for key in redis.scan_iter("*"):
        kind = redis.type(key).decode()
        if kind == "string":
            values = [redis.get(key)]
        elif kind == "hash":
            values = [*redis.hgetall(key).values()]
        elif kind == "list":
            values = redis.lrange(key, 0, -1)
        elif kind in ("set", "zset"):
            values = list(redis.smembers(key)) if kind == "set" else redis.zrange(key, 0, -1)
        elif kind == "stream":
            values = [value for _, entry in redis.xrange(key) for value in entry.values()]
        else:
            values = []
        blob = b""
        for value in values:
            value = value if isinstance(value, bytes) else str(value).encode()
            try:
                value += zlib.decompress(value)
            except zlib.error:
                pass
            blob += value + b"\n"
        found[key.decode()] = blob
    return found


def test_a_full_flow_leaves_no_token_pin_code_or_id_number_in_logs_or_job_payloads(
        app, client, services, session, token, logs):
    member = services.members.register(phone=PHONE, name="Neema Akinyi", national_id=NATIONAL_ID, locale="en",
                                       pin=PIN)
    fund_savings(services, member, 150000)
    session.commit()
    ussd = UssdPhone(client, PHONE)
    ussd.dial()
    ussd.send(PIN)

    sms(app, client, token, "WITHDRAW 500")
    run_jobs(app, client, refuse_first_callback=True)
    code = re.search(r"\bYES (\d{4,8})\b", last_reply(session)).group(1)
    sms(app, client, token, f"YES {code}")
    stored = redis_bytes(app.extensions["redis"])  # before the worker runs: every job as it was queued
    answers = run_jobs(app, client, refuse_first_callback=True)
    stored.update(redis_bytes(app.extensions["redis"]))  # after: descriptions, tracebacks, results

    assert answers == [503], "the sandbox's callback job ran and failed once (its traceback is stored)"
    assert session.query(Payment).filter_by(member_id=member.id, direction="disbursement").count() == 1
    logged = logs.text + "\n".join(record.getMessage() for record in logs.records)
    assert "CallbackNotDelivered" in logged  # RQ's lines (the failed job's traceback) were captured
    for name, secret in (("callback token", token), ("PIN", PIN), ("confirmation code", code),
                         ("ID number", NATIONAL_ID)):
        assert not re.search(rf"(?<![\d.]){re.escape(secret)}(?![\d.])", logged), f"{name} in the logs"
    for key, blob in stored.items():
        assert token.encode() not in blob, f"callback token in Redis {key}"
        assert NATIONAL_ID.encode() not in blob, f"ID number in Redis {key}"
        # the PIN as a value, not four digits inside a random hex job id or a float
        assert not re.search(rb"(?<![0-9a-fA-F.])" + PIN.encode() + rb"(?![0-9a-fA-F.])", blob), f"PIN in Redis {key}"
        if code.encode() in blob:
            assert key.startswith("rq:job:pamoja-sms-in"), f"confirmation code in Redis {key}"
            description = app.extensions["redis"].hget(key, "description") or b""
            assert code.encode() not in description


@pytest.mark.parametrize("line, secret", [
    ("POST http://x/payments/sandbox/callback?token=s3cr3t-tok&x=1 failed", "s3cr3t-tok"),
    ("channels.sms.answer_sms('+254711000777', 'YES 482113', 'ATXid_1')", "482113"),
    ("jibu NDIO 4821 sasa", "4821"),
    ('{"pin": "7391", "screen": "login"}', "7391"),
    ("registered national id 29876543 for +2547", "29876543"),
])
def test_the_log_filter_redacts_each_kind_of_secret(line, secret):
    assert secret not in redact(line)


def test_configured_secrets_are_redacted_from_any_record(app):
    record = logging.getLogger("rq.worker").makeRecord(
        "rq.worker", logging.ERROR, __file__, 1, "failed with %s", (app.config["PIN_PEPPER"],), None)
    assert app.config["PIN_PEPPER"] not in record.getMessage()
