"""Issue 11 item 10: a Redis outage during a payment callback must not lose the member's SMS.

The app's queues point at a real redis-server this module starts and really stops
(never a mock). With it down, a sandbox payment callback commits the payment, answers
200 (not a 500 from a rollback after the commit) and keeps the failed enqueue in
`deferred_jobs`; once Redis is back the sweep enqueues it again and the SMS goes out,
once. A message stuck in `queued` with no record at all is sent again by the sweep,
or marked failed past the attempt limit.
"""

import shutil
import socket
import subprocess
import tempfile
import time
from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import select

from app.deferred_jobs import DeferredJob
from app.extensions import QUEUE_NAMES
from app.money import Money
from app.notifications import messages as m
from app.notifications.messages import OutboundMessage
from app.notifications.models import Notification
from tests.member_helpers import make_member
from tests.messaging_helpers import sent_sms

PHONE = "+254712300410"


class RedisServer:
    """A redis-server of this test's own, on a free port, that can really go away and come back."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.dir = tempfile.mkdtemp(prefix="pamoja-outage-")
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                if Redis.from_url(self.url, socket_connect_timeout=0.2).ping():
                    return
            except OSError:
                pass
            except Exception:  # noqa: BLE001 - redis' ConnectionError while it starts
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=5)


@pytest.fixture
def outage(app, monkeypatch):
    """The app's RQ queues on a Redis of their own, started; `outage.stop()` takes it away."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer()
    server.start()
    connection = Redis.from_url(server.url, socket_timeout=1, socket_connect_timeout=0.5)
    monkeypatch.setitem(app.extensions, "queues", {name: Queue(name, connection=connection)
                                                   for name in QUEUE_NAMES})
    server.connection = connection
    yield server
    if server.process.poll() is None:
        server.stop()
    shutil.rmtree(server.dir, ignore_errors=True)


def sent_to(fake, phone):
    """The texts that reached the Africa's Talking fake for `phone` (rows other tests left may go too)."""
    return [text for to, text in sent_sms(fake) if phone in to.split(",")]


def run_queued_jobs(app, outage):
    SimpleWorker(list(app.extensions["queues"].values()), connection=outage.connection).work(burst=True)


def pending_deposit(services, session, amount=Money(500_00, "KES")):
    member = make_member(session, PHONE, "Achieng Otieno")
    payment = services.savings.deposit(member, amount, "deposit:outage:1", channel="ussd")
    services.payments.send(payment.id, checkpoint=session.commit)
    session.commit()
    return member, payment


def sandbox_callback(app, client, payment):
    body = {"reference": payment.reference, "direction": payment.direction, "status": "succeeded",
            "reason": None, "receipt": "SBX" + "".join(ch for ch in payment.reference if ch.isdigit()),
            "amount_minor": payment.amount_minor, "currency": payment.currency, "phone": PHONE}
    return client.post(f"/payments/sandbox/callback?token={app.config['CALLBACK_TOKEN']}", json=body)


def test_a_callback_during_a_redis_outage_is_applied_answered_200_and_its_sms_sent_later(
        app, services, session, client, outage, providers):
    member, payment = pending_deposit(services, session)
    outage.stop()

    answer = sandbox_callback(app, client, payment)

    assert answer.status_code == 200, answer.get_data(as_text=True)
    session.expire_all()
    assert payment.state == "succeeded"
    assert services.savings.balance(member) == Money(500_00, "KES")
    [notification] = session.scalars(select(Notification).where(Notification.member_id == member.id))
    message = session.get(OutboundMessage, notification.message_id)
    assert message.status == m.QUEUED
    [deferred] = session.scalars(select(DeferredJob))
    assert deferred.func == "app.notifications.outbox.send_sms_job" and deferred.args == [message.id]

    outage.start()
    result = app.test_cli_runner().invoke(args=["notifications", "sweep"])
    assert result.exit_code == 0, result.output
    assert session.get(DeferredJob, deferred.id) is None
    run_queued_jobs(app, outage)
    session.expire_all()
    assert session.get(OutboundMessage, message.id).status == m.ACCEPTED
    [text] = sent_to(providers, PHONE)  # once
    assert text.startswith("Pamoja PJ") and ": KES 500 received into your savings" in text


def test_the_sweep_resends_a_message_stuck_in_queued_and_fails_it_past_the_limit(
        app, services, session, outage, providers):
    make_member(session, PHONE, "Achieng Otieno")
    stuck = services.outbox.send_sms(PHONE, "Pamoja: KES 500 received.", kind="deposit_received")
    hopeless = services.outbox.send_sms(PHONE, "Pamoja: KES 20 received.", kind="deposit_received")
    session.commit()
    outage.connection.flushdb()  # their jobs are lost: nothing but the rows says they exist
    long_ago = services.clock.now() - timedelta(minutes=10)
    stuck.updated_at = hopeless.updated_at = long_ago
    hopeless.attempts = int(app.config["OUTBOX_MAX_ATTEMPTS"])
    session.commit()

    result = app.test_cli_runner().invoke(args=["notifications", "sweep"])

    assert result.exit_code == 0, result.output
    run_queued_jobs(app, outage)
    session.expire_all()
    resent = session.get(OutboundMessage, stuck.id)
    assert resent.status == m.ACCEPTED, (result.output, resent.status_history)
    assert session.get(OutboundMessage, hopeless.id).status == m.FAILED
    assert sent_to(providers, PHONE) == ["Pamoja: KES 500 received."]
