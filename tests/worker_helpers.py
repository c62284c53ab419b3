"""A real `python -m app.worker` process against a fake Africa's Talking, and how to kill it like a crash.

Shared by tests/security/test_worker_crash.py and bench/attacks.py (the kill -9 attack).
"""

import json
import os
import shlex
import signal
import subprocess
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parents[1]


class FakeAfricasTalking:
    """Africa's Talking's bulk SMS endpoint on 127.0.0.1: counts each recipient; can hold an answer."""

    def __init__(self):
        self.received = Counter()
        self.holding = threading.Event()  # set: the next batch request is held (the provider is slow)
        self.held = threading.Event()  # set once a request is being held
        self.release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real API: the sender's session reuses its connection
            wbufsize = -1  # the answer goes out in one write, flushed after each request, and
            disable_nagle_algorithm = True  # never waits for the client's delayed ACK

            def do_POST(self):  # noqa: N802 - http.server's name
                form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
                recipients = form["to"][0].split(",")
                fake.received.update(recipients)
                if fake.holding.is_set() and len(recipients) > 1:
                    fake.holding.clear()
                    fake.held.set()
                    fake.release.wait(30)
                body = {"SMSMessageData": {"Message": f"Sent to {len(recipients)}/{len(recipients)}",
                                           "Recipients": [{"statusCode": 101, "number": phone, "status": "Success",
                                                           "cost": "KES 0.8000", "messageId": f"ATXid_{phone}"}
                                                          for phone in recipients]}}
                data = json.dumps(body).encode()
                try:
                    self.send_response(201)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the worker that asked is dead

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def descendants(pid):
    """Every process under `pid` (the work horse runs in its own process group, so killpg would miss it)."""
    found = []
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return found
    for child in map(int, children):
        found += [child, *descendants(child)]
    return found


def procfile_worker(redis_url):
    """The Procfile's own `worker:` command, run with this venv's executables: what is deployed is what is killed."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("worker:"))
    words = shlex.split(line.removeprefix("worker:").replace("${REDIS_URL}", redis_url))
    if words[0] == "python":
        return [sys.executable, *words[1:]]
    return [str(Path(sys.executable).parent / words[0]), *words[1:]]


class Workers:
    """`python -m app.worker` processes with `env` (its database and Redis), sending SMS to `fake`, logging to files."""

    def __init__(self, env, log_dir, fake):
        self.env = {**env, "AT_USERNAME": "pamoja", "AT_API_KEY": "fake-at-key", "AFRICASTALKING_API_URL": fake.url,
                    "TWILIO_ACCOUNT_SID": "", "QUIET_HOURS": ""}
        self.tmp_path = Path(log_dir)
        self.processes = []

    def start(self):
        log = open(self.tmp_path / f"worker-{len(self.processes)}.log", "w")  # noqa: SIM115 - kept until stop
        process = subprocess.Popen(procfile_worker(self.env["REDIS_URL"]), env=self.env, cwd=ROOT, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process

    def kill_hard(self, process):
        """SIGKILL the worker and everything under it (scheduler, work horse), as a crashed host would."""
        for pid in [process.pid, *descendants(process.pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait(timeout=5)

    def stop_all(self):
        for process in self.processes:
            if process.poll() is None:
                for pid in descendants(process.pid):
                    try:
                        os.kill(pid, signal.SIGTERM)
                    except ProcessLookupError:
                        pass
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.kill_hard(process)

    def logs(self):
        return "\n".join(path.read_text() for path in sorted(self.tmp_path.glob("worker-*.log")))


# Jobs for tests/app/test_worker.py, importable by the worker process (it runs from the repository root).

def job_without_app(seconds):
    """A plain RQ job that only takes time: what a long job looks like to the worker's heartbeat."""
    import time

    time.sleep(seconds)
    return seconds


def where_job_ran():
    """The process and the app that ran this job (through app.jobs.job, as every task is)."""
    from app.jobs import job

    @job
    def body(services):
        from flask import current_app

        return os.getpid(), id(current_app._get_current_object())

    return body()


def sleep_in_postgres(seconds):
    """A job busy inside a PostgreSQL statement: a timeout interrupts it mid-command."""
    from sqlalchemy import text

    from app.jobs import job

    @job
    def body(services):
        services.session.execute(text("SELECT pg_sleep(:seconds)"), {"seconds": seconds})

    return body()


def ask_postgres():
    """A job that needs a working database connection from the worker's pool."""
    from sqlalchemy import text

    from app.jobs import job

    @job
    def body(services):
        return services.session.scalar(text("SELECT 42"))

    return body()


def add(a, b):
    """A job that only computes: what RQ's own bookkeeping costs around a job."""
    return a + b


def always_fails():
    """A job that raises every time it runs: RQ's retry, then its failed registry."""
    raise RuntimeError("this job always fails")
