"""Attack a running Pamoja as a stranger would; print what was let in, lost or doubled.

Starts the web process exactly as the Procfile does (gunicorn, 2 workers x 4 threads,
gthread) with production settings (APP_ENV=production, long random secrets, Twilio
signature checks on), against real PostgreSQL and Redis, seeds a few members in an
`attack` schema, then runs each attack of issue 11 over HTTP and counts:

- forged_ussd_answered / accounts_taken_over: /ussd without the callback token, and
  a stranger choosing the first PIN of an agent-registered member and moving money;
- sessions_hijacked: another phone driving a logged-in member's USSD session;
- movements_skipped: a WhatsApp chat's 2nd..10th transfer answered "Sent" but not moved;
- extra_pin_guesses / extra_lock_alerts / pin_accepted_while_locked: 20 parallel wrong PINs;
- deadlocks: 50 opposite transfers A->B / B->A at once, answered "unavailable";
- amounts_faked / callbacks_5xx: payment callbacks with a missing or unreadable amount;
- names_leaked: the first USSD reply naming a registered member in full;
- reminders_sent_twice / batch_messages_never_settled / slow_worker_recovery: the Procfile's
  worker killed with -9 while the provider holds a reminder batch, then restarted.

Every count must be 0. The exit status is the total, so CI or a person sees it at once.

    .venv/bin/python bench/attacks.py
"""

import argparse
import concurrent.futures
import http.client
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ussd_load import servers  # noqa: E402 - after the path is set
from bench.web import serve, wait_up  # noqa: E402

BIN = Path(sys.executable).parent
PORT = 5611
PIN = "2580"
WRONG_PIN = "1357"
SECRETS = {name: secrets.token_urlsafe(32) for name in ("CALLBACK_TOKEN", "PIN_PEPPER", "SECRET_KEY")}
TWILIO_TOKEN = secrets.token_hex(16)
PHONES = {
    "alice": "+254700100001", "bob": "+254700100002", "carol": "+254700100003", "dan": "+254700100004",
    "pat": "+254700100005", "victim": "+254700100006", "ugo": "+256770100007", "stranger": "+254700199999",
}
ID_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


def environment(db_url, redis_url):
    separator = "&" if "?" in db_url else "?"
    return dict(
        os.environ, DATABASE_URL=f"{db_url}{separator}options=-csearch_path%3Dattack", REDIS_URL=redis_url,
        APP_ENV="production", LOG_LEVEL="ERROR", PUBLIC_URL=f"http://127.0.0.1:{PORT}",
        TWILIO_ACCOUNT_SID="AC" + "0" * 32, TWILIO_AUTH_TOKEN=TWILIO_TOKEN, TWILIO_VALIDATE_SIGNATURE="1",
        TWILIO_WHATSAPP_FROM="+14155238886", PAYMENT_PROVIDERS="KE=mpesa,UG=momo", SANDBOX_PAYMENT_DELAY="3600",
        ID_ENCRYPTION_KEYS=f"k1={ID_KEY}", ID_LOOKUP_KEY=secrets.token_urlsafe(32),
        # The PIN burst and the opposite transfers send hundreds of hops from one phone: the per-phone
        # limit (tests/security/test_edge.py) would answer them before the defences measured here.
        RATE_LIMIT_PER_PHONE="1000000/60",
        # The local server's role is shared with other databases' users: leave its timeouts alone.
        DB_STATEMENT_TIMEOUT_MS="", DB_LOCK_TIMEOUT_MS="", **SECRETS)


def prepare(env):
    """A fresh `attack` schema, migrated, with the members each attack needs."""
    from sqlalchemy import create_engine, text

    db_url = env["DATABASE_URL"].split("?")[0] if "options=" in env["DATABASE_URL"] else env["DATABASE_URL"]
    admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS attack CASCADE"))
        conn.execute(text("CREATE SCHEMA attack"))
    admin.dispose()
    subprocess.run([str(BIN / "flask"), "--app", "app:create_app", "db", "upgrade"], env=env, check=True,
                   cwd=ROOT, capture_output=True)
    os.environ.update(env)
    from app import create_app

    app = create_app()
    app.extensions["redis"].flushdb()
    with app.app_context():
        from app.extensions import db
        from app.money import Money
        from app.services import request_services

        services = request_services()
        names = {"alice": "Alice Wanjiru", "bob": "Bob Otieno", "carol": "Carol Akinyi", "dan": "Dan Mwangi",
                 "pat": "Pat Njeri", "victim": "Victor Kamau", "ugo": "Ugo Mukasa"}
        for index, (who, name) in enumerate(names.items()):
            member = services.members.register(phone=PHONES[who], name=name, national_id=f"A{index:07d}",
                                               locale="en", pin=None if who == "victim" else PIN)
            account = services.savings.account_for(member)
            amount = Money(1_000_000, member.currency)
            ledger = services.ledger
            ledger.post(f"attack-fund:{who}", [(ledger.clearing_account("sandbox", member.currency), amount),
                                               (account, -amount)],
                        kind="deposit", initiated_by="system", channel="system")
        db.session.commit()
        db.engine.dispose()
    return app


# -- HTTP -----------------------------------------------------------------------------------------

def post(path, form, *, token=True, headers=None, raw=None):
    """POST a form (or a raw body) to the server; returns (status, text)."""
    query = "?" + urllib.parse.urlencode({"token": SECRETS["CALLBACK_TOKEN"]}) if token else ""
    body = raw if raw is not None else urllib.parse.urlencode(form)
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    try:
        conn.request("POST", path + query, body=body,
                     headers=headers or {"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


class Handset:
    """One USSD session as Africa's Talking drives it: the cumulative text."""

    def __init__(self, phone, *, token=True, session_id=None):
        self.phone, self.token = phone, token
        self.session_id = session_id or "ATUid_" + uuid.uuid4().hex
        self.inputs = None

    def send(self, value=None, *, phone=None, text=None):
        if value is not None:
            self.inputs = [] if self.inputs is None else self.inputs
            self.inputs.append(value)
        elif self.inputs is None:
            self.inputs = []
        form = {"sessionId": self.session_id, "serviceCode": "*384*1#", "phoneNumber": phone or self.phone,
                "networkCode": "63902", "text": "*".join(self.inputs) if text is None else text}
        return post("/ussd", form, token=self.token)[1]

    def login(self):
        self.send()
        return self.send(PIN)


def whatsapp(phone, body):
    from twilio.request_validator import RequestValidator

    form = {"From": f"whatsapp:{phone}", "To": "whatsapp:+14155238886", "Body": body,
            "MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": "AC" + "0" * 32, "NumMedia": "0"}
    url = f"http://127.0.0.1:{PORT}/whatsapp/inbound"
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, form)
    return post("/whatsapp/inbound", form, token=False,
                headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})[1]


def balance(app, who):
    with app.app_context():
        from app.extensions import db
        from app.services import request_services

        services = request_services()
        member = services.members.by_phone(PHONES[who])
        value = services.ledger.balance(services.savings.account_for(member)).minor
        db.session.remove()
        return value


def sql(app, statement, **params):
    from sqlalchemy import text

    with app.app_context():
        from app.extensions import db

        result = db.session.execute(text(statement), params).all()
        db.session.commit()
        db.session.remove()
        return result


# -- the attacks ----------------------------------------------------------------------------------

def forged_ussd(app):
    """A stranger posts /ussd without the token as the agent-registered victim, sets the PIN, sends money."""
    before = balance(app, "victim")
    thief = Handset(PHONES["victim"], token=False)
    first = thief.send()
    answered = int(first.startswith("CON "))
    for value in (WRONG_PIN, WRONG_PIN, "3", "1", "500", PHONES["bob"], "1", WRONG_PIN):
        thief.send(value)
    taken = int(sql(app, "SELECT pin_hash IS NOT NULL FROM members WHERE phone = :p", p=PHONES["victim"])[0][0])
    return {"forged_ussd_answered": answered, "accounts_taken_over": taken,
            "money_moved_by_stranger": int(balance(app, "victim") != before)}


def hijack(app):
    """Alice logs in; Bob's phone sends the next input with Alice's sessionId (valid and unknown prefixes)."""
    alice = Handset(PHONES["alice"])
    alice.login()
    hijacked = 0
    for text in (f"{PIN}*5", "9*5", f"{PIN}*3*2"):
        reply = alice.send(phone=PHONES["bob"], text=text)
        hijacked += reply.startswith("CON ")
    return {"sessions_hijacked": hijacked}


def names_leaked(app):
    """The first reply to a registered number must not carry the member's full name."""
    reply = Handset(PHONES["carol"]).send()
    return {"names_leaked": int("Akinyi" in reply)}


def whatsapp_repeats(app):
    """Ten transfers of 100 in one WhatsApp chat: every 'Sent' must have moved money."""
    before = balance(app, "bob")
    said_sent = 0
    for _ in range(10):
        replies = [whatsapp(PHONES["bob"], body) for body in ("hi", PIN, "3", "1", PHONES["dan"], "100", "1", PIN)]
        said_sent += "Sent" in replies[-1]
    moved = (before - balance(app, "bob")) // 10_000 if said_sent else 0
    return {"movements_skipped": max(0, said_sent - moved), "whatsapp_transfers_said_sent": said_sent}


def parallel_pins(app):
    """20 sessions guess Pat's PIN at the same moment; then the right PIN while locked."""
    handsets = [Handset(PHONES["pat"]) for _ in range(20)]
    for handset in handsets:
        handset.send()
    barrier = threading.Barrier(len(handsets))

    def guess(handset):
        barrier.wait()
        return handset.send(WRONG_PIN)

    with concurrent.futures.ThreadPoolExecutor(len(handsets)) as pool:
        replies = list(pool.map(guess, handsets))
    wrong = sum("Wrong PIN" in reply for reply in replies)
    alerts = sql(app, "SELECT count(*) FROM notifications n JOIN members m ON m.id = n.member_id "
                      "WHERE m.phone = :p AND n.kind = 'pin_locked'", p=PHONES["pat"])[0][0]
    evaluated = wrong + alerts
    late = Handset(PHONES["pat"])
    late.send()
    accepted = int(late.send(PIN).startswith("CON ") and "locked" not in late.send("0"))
    return {"extra_pin_guesses": max(0, evaluated - 3), "extra_lock_alerts": max(0, alerts - 1),
            "pin_accepted_while_locked": accepted}


def opposite_transfers(app, count=50):
    """Carol -> Dan and Dan -> Carol, KES 10 each, the PIN of all 50 sent at the same moment."""
    pairs = [("carol", "dan") if n % 2 else ("dan", "carol") for n in range(count)]
    handsets = []
    for sender, recipient in pairs:
        handset = Handset(PHONES[sender])
        handset.login()
        for value in ("3", "1", "10", PHONES[recipient], "1"):
            handset.send(value)
        handsets.append(handset)
    barrier = threading.Barrier(count)

    def send(handset):
        barrier.wait()
        started = time.perf_counter()
        return handset.send(PIN), time.perf_counter() - started

    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        results = list(pool.map(send, handsets))
    failed = [reply for reply, _ in results if "Sent" not in reply]
    if failed:
        print(f"  opposite_transfers: first refusal: {failed[0]!r}", flush=True)
    return {"deadlocks": len(failed), "slowest_transfer_s": round(max(seconds for _, seconds in results), 2)}


HOSTILE_MOMO_AMOUNTS = (None, "", "abc", "NaN")
UNREADABLE_AMOUNTS = ("1.001", "Infinity", "1e400", "9" * 400)


def hostile_callbacks(app):
    """Pending MoMo and M-Pesa collections answered with missing, unreadable and nested amounts."""
    payments = start_collections(app, "ugo", len(HOSTILE_MOMO_AMOUNTS) + len(UNREADABLE_AMOUNTS))
    mpesa = start_collections(app, "alice", 2)
    statuses = []
    for reference, amount in zip(payments, HOSTILE_MOMO_AMOUNTS + UNREADABLE_AMOUNTS, strict=True):
        body = {"referenceId": reference, "externalId": reference, "status": "SUCCESSFUL", "currency": "UGX",
                "financialTransactionId": "F" + reference, "payer": {"partyIdType": "MSISDN",
                                                                      "partyId": PHONES["ugo"][1:]}}
        if amount is not None:
            body["amount"] = amount
        statuses.append(post("/payments/momo/callback", None, raw=json.dumps(body).replace(
            '"1e400"', "1e400"), headers={"Content-Type": "application/json"})[0])
    for reference, items in zip(mpesa, ([{"Name": "Amount", "Value": None}], []), strict=True):
        body = {"Body": {"stkCallback": {"MerchantRequestID": "m", "CheckoutRequestID": reference, "ResultCode": 0,
                                         "ResultDesc": "ok", "CallbackMetadata": {"Item": items + [
                                             {"Name": "MpesaReceiptNumber", "Value": "R" + reference}]}}}}
        statuses.append(post("/payments/mpesa/callback", None, raw=json.dumps(body),
                             headers={"Content-Type": "application/json"})[0])
    nested = "[" * 100_000 + "]" * 100_000
    statuses.append(post("/payments/momo/callback", None, raw=nested, headers={"Content-Type": "application/json"})[0])
    faked = sql(app, "SELECT count(*) FROM payments WHERE reference = ANY(:refs) AND state = 'succeeded'",
                refs=list(payments + mpesa))[0][0]
    return {"amounts_faked": faked, "callbacks_5xx": sum(status >= 500 for status in statuses)}


def start_collections(app, who, count):
    """Start `count` mobile-money deposits for `who` (no worker runs: they stay pending)."""
    with app.app_context():
        from app.extensions import db
        from app.money import Money
        from app.services import request_services

        services = request_services()
        member = services.members.by_phone(PHONES[who])
        references = []
        for _ in range(count):
            payment = services.payments.start(f"attack-deposit:{uuid.uuid4().hex}", member, "collection", "deposit",
                                              Money(50_000, member.currency), member.phone, channel="ussd")
            references.append(payment.reference)
        db.session.commit()
        db.session.remove()
        return references


def worker_crash(app, recovery=60):
    """kill -9 of the Procfile's worker while the provider holds a reminder batch; then a new worker.

    Counts reminders the fake Africa's Talking received twice, batch messages never settled, and
    whether a delayed job (a deposit SMS due 5 s later) waited more than a minute for the new
    worker's scheduler.
    """
    import tempfile
    from datetime import timedelta

    from tests.worker_helpers import FakeAfricasTalking, Workers

    for queue in app.extensions["queues"].values():
        queue.empty()  # replies the earlier attacks queued are not this attack's
    fake = FakeAfricasTalking()
    log_dir = tempfile.mkdtemp(prefix="attack-worker-")
    workers = Workers(dict(os.environ), log_dir, fake)
    phones = [f"+2547002000{n:02d}" for n in range(6)]
    try:
        with app.app_context():
            from app.extensions import db
            from app.notifications.outbox import send_sms_job
            from app.services import request_services

            services = request_services()
            first = workers.start()
            fake.holding.set()
            batch = [message.id for message in services.outbox.send_sms_many(
                phones, "Pamoja reminder: KES 500 is due on 1 Dec.", kind="repayment_due", urgent=False)]
            db.session.commit()
            if not fake.held.wait(30):
                raise RuntimeError("the worker never reached the provider:\n" + workers.logs())
            delayed = services.outbox.send_sms(phones[0], "Pamoja: KES 500 received.", kind="deposit_received")
            db.session.info.pop("pending_jobs", None)  # its job goes through the scheduler instead
            db.session.commit()
            app.extensions["queues"]["default"].enqueue_in(timedelta(seconds=5), send_sms_job, delayed.id,
                                                           job_id=f"attack-delayed-{delayed.id}")
            workers.kill_hard(first)
            crashed_at = time.monotonic()
            fake.release.set()
            workers.start()
            recovered, settled = None, False
            while time.monotonic() - crashed_at < recovery + 30 and not (recovered and settled):
                time.sleep(0.5)
                rows = dict(sql(app, "SELECT id, status FROM outbound_messages WHERE id = ANY(:ids)",
                                ids=[*batch, delayed.id]))
                if recovered is None and rows[delayed.id] != "queued":
                    recovered = time.monotonic() - crashed_at
                settled = all(rows[message] != "queued" for message in batch)
    finally:
        workers.stop_all()
        fake.close()
    twice = sum(1 for phone in phones[1:] if fake.received[phone] > 1)
    return {"reminders_sent_twice": twice, "batch_messages_never_settled": int(not settled),
            "slow_worker_recovery": int(recovered is None or recovered > recovery),
            "worker_recovery_s": round(recovered, 1) if recovered else -1}


ATTACKS = (forged_ussd, hijack, names_leaked, whatsapp_repeats, parallel_pins, opposite_transfers,
           hostile_callbacks, worker_crash)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="names of the attacks to run")
    args = parser.parse_args()
    db_url, redis_url = servers()
    env = environment(db_url, redis_url.rsplit("/", 1)[0] + "/13")
    app = prepare(env)
    server = serve(env, PORT, workers=2)
    totals = {}
    try:
        wait_up(PORT)
        for attack in ATTACKS:
            if args.only and attack.__name__ not in args.only:
                continue
            try:
                counts = attack(app)
            except Exception as exc:  # noqa: BLE001 - an attack that crashes is reported, not hidden
                counts = {f"{attack.__name__}_crashed": 1}
                print(f"  {attack.__name__}: {type(exc).__name__}: {exc}", flush=True)
            for name, value in counts.items():
                print(f"{attack.__name__:20} {name:30} {value}", flush=True)
            totals.update(counts)
    finally:
        server.terminate()
        server.wait(timeout=10)
    informational = {"whatsapp_transfers_said_sent", "slowest_transfer_s", "worker_recovery_s"}
    bad = sum(value for name, value in totals.items() if name not in informational)
    print(f"TOTAL let in, lost or doubled: {bad}")
    return min(int(bad), 100)


if __name__ == "__main__":
    sys.exit(main())
