"""Callback storm: 10,000 operator callbacks for 1,000 payments across M-Pesa, MoMo and Airtel Money.

Starts the web process exactly as the Procfile does (gunicorn, 2 workers x 4 threads,
gthread) with production settings against real PostgreSQL and Redis, in a `storm`
schema; Airtel's enquiry (every Airtel callback is confirmed by it before posting) is
answered by a local fake operator on another port that knows each payment's true
outcome. It seeds 1,000 pending deposits (a third per operator, as if acknowledged),
then CLIENTS connections post, in random order, for each payment: its true callback
six times, the opposite story twice (late or out of order), one with a forged amount
(a tenth of the payments, else a seventh true copy) and one with a wrong token.

Prints callbacks/s, the web processes' own CPU per callback (from /proc: on a busy
machine it moves far less than the rate, so compare code by it), this process's CPU
per callback (the clients and the fake Airtel share the 2 cores) and `doubles`: payments
credited more than once or credited while not succeeded (must be 0), with the final
states and the HTTP statuses seen, then runs the ledger's verify. Target (issue 13): 10,000
callbacks in under 30 s, 0 doubles.

    .venv/bin/python bench/callback_storm.py [--payments 1000] [--per-payment 10] [--clients 32]
"""

import argparse
import collections
import http.client
import http.server
import json
import os
import random
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.reminders_run import release_redis_db, reserve_redis_db  # noqa: E402 - after the path is set
from bench.ussd_load import KEEP_ROLE_TIMEOUTS, create_schema, drop_schema, schema_url, servers  # noqa: E402
from bench.web import serve, wait_booted, wait_up  # noqa: E402

BIN = Path(sys.executable).parent
PORT, AIRTEL_PORT = 5621, 5622
SECRETS = {name: secrets.token_urlsafe(32) for name in ("CALLBACK_TOKEN", "PIN_PEPPER", "SECRET_KEY")}
ID_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
OPERATORS = (("mpesa", "+25471", "KES"), ("momo", "+25677", "UGX"), ("airtel", "+25473", "KES"))
TRUTH = {}
"""reference -> True (paid) / False: what the fake Airtel's enquiry answers."""


def environment(db_url, redis_url):
    return dict(
        os.environ, DATABASE_URL=schema_url(db_url, "storm"), REDIS_URL=redis_url,
        APP_ENV="production",
        LOG_LEVEL="ERROR", PUBLIC_URL=f"http://127.0.0.1:{PORT}", MOMO_CURRENCY="UGX",
        PAYMENT_PROVIDERS="KE=mpesa,KE:airtel=airtel,UG=momo", AIRTEL_BASE_URL=f"http://127.0.0.1:{AIRTEL_PORT}",
        AIRTEL_CLIENT_ID="bench", AIRTEL_CLIENT_SECRET="bench", ID_ENCRYPTION_KEYS=f"k1={ID_KEY}",
        ID_LOOKUP_KEY=secrets.token_urlsafe(32), **KEEP_ROLE_TIMEOUTS, **SECRETS)


class FakeAirtel(http.server.BaseHTTPRequestHandler):
    """Airtel's token and enquiry, as documented; the enquiry tells each payment's truth."""

    protocol_version = "HTTP/1.1"

    def answer(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.answer({"access_token": "bench-token", "expires_in": "180", "token_type": "bearer"})

    def do_GET(self):  # noqa: N802
        reference = self.path.rstrip("/").rsplit("/", 1)[-1]
        self.answer({"data": {"transaction": {"id": reference, "airtel_money_id": f"A{reference}", "message": "m",
                                              "status": "TS" if TRUTH.get(reference) else "TF"}},
                     "status": {"success": True, "response_code": "DP00800001001", "result_code": "ESB000010"}})

    def log_message(self, *args):
        pass


def seed(env, count):
    """`count` pending deposits, a third per operator, with the ids their operators gave them."""
    subprocess.run([str(BIN / "flask"), "--app", "app:create_app", "db", "upgrade"], env=env, check=True,
                   cwd=ROOT, capture_output=True)
    os.environ.update(env)
    from app import create_app
    from app.extensions import db
    from app.money import Money
    from app.payments import states
    from app.payments.providers.momo import reference_uuid
    from app.services import request_services
    from tests.member_helpers import make_member

    app = create_app()
    app.extensions["redis"].flushdb()
    payments = []
    rng = random.Random(13)
    with app.app_context():
        services = request_services()
        services.enqueue = lambda *args, **kwargs: None  # no send job: the pushes are taken as acknowledged
        services.payments.enqueue = services.enqueue
        for index in range(count):
            provider, prefix, currency = OPERATORS[index % 3]
            phone = f"{prefix}{index:07d}"
            member = make_member(db.session, phone, "Storm Member")
            major = 100 + index % 900
            payment = services.payments.start(f"storm:{index}", member, "collection", "deposit",
                                              Money.from_major(major, currency), phone, provider=provider)
            payment.provider_ref = {"mpesa": f"ws_CO_{payment.reference}", "momo": reference_uuid(payment.reference),
                                    "airtel": payment.reference}[provider]
            states.move(payment, states.PENDING, payment.created_at)
            truth = rng.random() < 0.6
            TRUTH[payment.reference] = truth
            payments.append({"id": payment.id, "member": member.id, "provider": provider, "phone": phone,
                             "currency": currency, "major": major, "reference": payment.reference, "truth": truth})
        db.session.commit()
        db.engine.dispose()
    return app, payments


def body(payment, success, amount=None):
    amount = amount or payment["major"]
    if payment["provider"] == "mpesa":
        stk = {"MerchantRequestID": "m", "CheckoutRequestID": f"ws_CO_{payment['reference']}",
               "ResultCode": 0 if success else 1032, "ResultDesc": "done"}
        if success:
            stk["CallbackMetadata"] = {"Item": [
                {"Name": "Amount", "Value": amount}, {"Name": "MpesaReceiptNumber", "Value": f"R{payment['id']}"},
                {"Name": "TransactionDate", "Value": 20261206101010},
                {"Name": "PhoneNumber", "Value": int(payment["phone"][1:])}]}
        return {"Body": {"stkCallback": stk}}
    if payment["provider"] == "momo":
        from app.payments.providers.momo import reference_uuid

        return {"amount": str(amount), "currency": "UGX", "externalId": payment["reference"],
                "referenceId": reference_uuid(payment["reference"]), "financialTransactionId": f"F{payment['id']}",
                "payer": {"partyIdType": "MSISDN", "partyId": payment["phone"][1:]},
                "status": "SUCCESSFUL" if success else "FAILED", "reason": None if success else "APPROVAL_REJECTED"}
    return {"transaction": {"id": payment["reference"], "message": "m", "status_code": "TS" if success else "TF",
                            "airtel_money_id": f"A{payment['reference']}"}}


def deliveries(payments, per_payment, rng):
    token = SECRETS["CALLBACK_TOKEN"]
    storm = []
    for payment in payments:
        good = f"/payments/{payment['provider']}/callback?token={token}"
        truth = payment["truth"]
        mine = [(good, body(payment, not truth))] * 2 + [(f"/payments/{payment['provider']}/callback?token=x",
                                                          body(payment, True))]
        if rng.random() < 0.1:
            mine.append((good, body(payment, True, amount=payment["major"] + 1)))
        mine += [(good, body(payment, truth))] * (per_payment - len(mine))
        storm += mine
    rng.shuffle(storm)
    return storm


def post_all(share, statuses, lock):
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    seen = collections.Counter()
    for path, payload in share:
        data = json.dumps(payload)
        for attempt in range(3):
            try:
                conn.request("POST", path, data, {"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                seen[response.status] += 1
                break
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
                if attempt == 2:
                    seen["connection_error"] += 1
    conn.close()
    with lock:
        statuses.update(seen)


def cpu_seconds(process):
    """User + system CPU of gunicorn and its workers so far, from /proc: the server's own cost."""
    from tests.worker_helpers import descendants

    total = 0
    for pid in (process.pid, *descendants(process.pid)):
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def results(app, payments):
    """(doubles, states, ledger problems): doubles are payments credited twice or credited while not succeeded."""
    from sqlalchemy import text

    from app.extensions import db
    from app.ledger.verify import verify_ledger

    with app.app_context():
        ids = [payment["id"] for payment in payments]
        entries = dict(db.session.execute(text(
            "SELECT p.id, count(e.id) FROM payments p LEFT JOIN ledger_entries e ON e.idempotency_key = "
            "'payment:' || p.id WHERE p.id = ANY(:ids) GROUP BY p.id"), {"ids": ids}).all())
        state = dict(db.session.execute(text("SELECT id, state FROM payments WHERE id = ANY(:ids)"),
                                        {"ids": ids}).all())
        doubles = sum(1 for pid in ids if entries[pid] > 1 or (entries[pid] == 1 and state[pid] != "succeeded"))
        problems = verify_ledger(db.session)
        db.session.remove()
    return doubles, collections.Counter(state.values()), problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1000)
    parser.add_argument("--per-payment", type=int, default=10)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    db_url, redis_url = servers()
    create_schema(db_url, "storm")
    if redis_url.startswith("redis://127.0.0.1:6379/"):  # shared with test runs: a database reserved as they do
        redis_url = reserve_redis_db()
    try:
        return run_storm(args, db_url, redis_url)
    finally:
        release_redis_db(redis_url)
        drop_schema(db_url, "storm")


def run_storm(args, db_url, redis_url):
    env = environment(db_url, redis_url)
    airtel = http.server.ThreadingHTTPServer(("127.0.0.1", AIRTEL_PORT), FakeAirtel)
    threading.Thread(target=airtel.serve_forever, daemon=True).start()
    app, payments = seed(env, args.payments)
    callbacks = deliveries(payments, args.per_payment, random.Random(7))
    server = serve(env, PORT)
    try:
        wait_up(PORT)
        wait_booted(server)  # else every client connection lands on the first worker up
        statuses, lock = collections.Counter(), threading.Lock()
        threads = [threading.Thread(target=post_all, args=(callbacks[i::args.clients], statuses, lock))
                   for i in range(args.clients)]
        cpu_before, client_before = cpu_seconds(server), time.process_time()
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        server_cpu, client_cpu = cpu_seconds(server) - cpu_before, time.process_time() - client_before
    finally:
        server.terminate()
        server.wait(timeout=10)
        airtel.shutdown()
    doubles, states, problems = results(app, payments)
    print(f"callbacks        {len(callbacks)} for {len(payments)} payments, {args.clients} clients")
    print(f"elapsed_s        {elapsed:.1f}")
    print(f"callbacks/s      {len(callbacks) / elapsed:.0f}")
    print(f"server CPU       {1000 * server_cpu / len(callbacks):.2f} ms a callback (gunicorn's processes; "
          f"load average {' '.join(f'{load:.1f}' for load in os.getloadavg())})")
    print(f"client CPU       {1000 * client_cpu / len(callbacks):.2f} ms a callback (this process: the "
          f"{args.clients} operators' side and the fake Airtel, sharing the cores)")
    print(f"http             {dict(sorted(statuses.items(), key=str))}")
    print(f"states           {dict(sorted(states.items()))}")
    print(f"ledger_verify    {'clean' if not problems else problems[:5]}")
    print(f"doubles          {doubles}")
    return 1 if doubles or problems or set(states) - {"succeeded", "failed", "review"} else 0


if __name__ == "__main__":
    sys.exit(main())
