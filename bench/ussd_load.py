"""USSD load benchmark: our hop against a bare hop, on the same gunicorn settings.

Starts the app under gunicorn against real PostgreSQL and Redis (the local servers
when they answer, else the embedded ones), seeds members in a `bench` schema, and
drives CONCURRENCY concurrent USSD sessions through a realistic flow (dial, PIN,
My account, profile, back, main menu, exit) from a separate process. Then it does
the same against bench/bare_app.py (Redis GET + indexed SELECT + Redis SET) and
prints hops/s, p50 and p99 for both and the cost ratio.

    .venv/bin/python bench/ussd_load.py [--concurrency 16] [--seconds 10]
"""

import argparse
import http.client
import multiprocessing
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
FLOW = ["", "2580", "5", "1", "0", "00", "6"]
MEMBERS = 200
def gunicorn_settings(workers, threads):
    """The same settings for both servers, so the ratio compares code, not configuration."""
    return ["--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
            "--log-level", "warning"]


def reachable(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def servers():
    tmp = tempfile.mkdtemp(prefix="pamoja-bench-")
    from app.embedded import start_postgres, start_redis

    if reachable(5432):
        db_url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    else:
        _pg, db_url = start_postgres(Path(tmp) / "pg")
    if reachable(6379):
        redis_url = "redis://127.0.0.1:6379/12"
    else:
        _redis, redis_url = start_redis(Path(tmp) / "redis")
    return db_url, redis_url


def prepare(db_url, redis_url):
    """A fresh `bench` schema, migrated, with MEMBERS members whose PIN is 2580."""
    from sqlalchemy import create_engine, text

    admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS bench CASCADE"))
        conn.execute(text("CREATE SCHEMA bench"))
    separator = "&" if "?" in db_url else "?"
    url = f"{db_url}{separator}options=-csearch_path%3Dbench"
    # Development: the bench measures code, not secrets. The per-phone limit is counted on every hop
    # (its Redis round trip is part of the cost) but set out of reach of MEMBERS phones at full speed.
    env = dict(os.environ, DATABASE_URL=url, REDIS_URL=redis_url, LOG_LEVEL="WARNING", PIN_PEPPER="bench",
               APP_ENV="development", CALLBACK_TOKEN=secrets.token_urlsafe(32), RATE_LIMIT_PER_PHONE="1000000/60")
    subprocess.run([str(BIN / "flask"), "--app", "app:create_app", "db", "upgrade"], env=env, check=True,
                   cwd=ROOT, capture_output=True)
    from app import create_app
    from app.extensions import db

    app = create_app({"DATABASE_URL": url, "REDIS_URL": redis_url, "PIN_PEPPER": "bench", "LOG_LEVEL": "WARNING",
                      "APP_ENV": "development"})
    with app.app_context():
        from app.services import request_services

        members = request_services().members
        for index in range(MEMBERS):
            members.register(phone=phone_of(index), name="Bench Member", national_id=f"B{index:07d}",
                             locale="en", pin="2580")
        db.session.commit()
        db.engine.dispose()
    return env


def phone_of(index):
    return f"+2547100{index:05d}"


def serve(target, env, port, settings):
    return subprocess.Popen([str(BIN / "gunicorn"), *settings, "--bind", f"127.0.0.1:{port}", target],
                            env=env, cwd=ROOT)


def wait_up(port, path):
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("POST", path, body="sessionId=warm&phoneNumber=%2B254710000000&text=",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on {port} did not start")


def drive(port, path, concurrency, seconds, results):
    """Run in a separate process: `concurrency` threads replay the flow until time is up."""
    latencies, errors, stop_at = [], [], time.monotonic() + seconds
    lock = threading.Lock()

    def session_loop(worker):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        count = 0
        while time.monotonic() < stop_at:
            session_id, texts = uuid.uuid4().hex, []
            phone = phone_of((worker * 7919 + count) % MEMBERS)
            count += 1
            for value in FLOW:
                if value or texts:
                    texts.append(value)
                body = urllib.parse.urlencode({"sessionId": session_id, "serviceCode": "*384*1#",
                                               "phoneNumber": phone, "networkCode": "63902",
                                               "text": "*".join(texts)})
                started = time.perf_counter()
                conn.request("POST", path, body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
                reply = conn.getresponse().read().decode()
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if not reply.startswith(("CON ", "END ")):
                        errors.append(reply)

    threads = [threading.Thread(target=session_loop, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put((latencies, len(errors), seconds))


def measure(name, target, env, port, path, concurrency, seconds, settings):
    server = serve(target, env, port, settings)
    try:
        wait_up(port, path)
        results = multiprocessing.Queue()
        warm = multiprocessing.Process(target=drive, args=(port, path, concurrency, 2, results))
        warm.start()
        results.get()
        warm.join()
        run = multiprocessing.Process(target=drive, args=(port, path, concurrency, seconds, results))
        run.start()
        latencies, errors, duration = results.get()
        run.join()
    finally:
        server.terminate()
        server.wait(timeout=10)
    latencies.sort()
    summary = {
        "name": name, "hops": len(latencies), "errors": errors, "hops_per_s": len(latencies) / duration,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }
    print(f"{name:6} {summary['hops']:7d} hops  {summary['hops_per_s']:8.1f} hops/s  "
          f"p50 {summary['p50_ms']:6.2f} ms  p99 {summary['p99_ms']:6.2f} ms  errors {errors}", flush=True)
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    settings = gunicorn_settings(args.workers, args.threads)
    db_url, redis_url = servers()
    env = prepare(db_url, redis_url)
    print(f"gunicorn {' '.join(settings)}; {args.concurrency} concurrent sessions, {args.seconds} s each; "
          f"flow: {' -> '.join(repr(step) for step in FLOW)}", flush=True)
    token = f"?token={env['CALLBACK_TOKEN']}"  # both check the URL's token, as Africa's Talking calls it
    bare = measure("bare", "bench.bare_app:create_bare_app()", env, 5601, "/bare" + token, args.concurrency,
                   args.seconds, settings)
    ours = measure("pamoja", "app:create_app()", env, 5602, "/ussd" + token, args.concurrency, args.seconds, settings)
    ratio = bare["hops_per_s"] / ours["hops_per_s"]
    print(f"cost ratio (bare hops/s / our hops/s): {ratio:.2f}x  (target <= 1.5x)")
    print(f"p99 at {args.concurrency} sessions: {ours['p99_ms']:.1f} ms  (target < 50 ms)")


if __name__ == "__main__":
    main()
