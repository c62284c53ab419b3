"""The app under the Procfile's `web` command, on a local port: shared by the benches that attack it over HTTP.

`serve(env, port)` starts gunicorn as the Procfile does (WEB_CONCURRENCY workers, 2 unless
set, 4 threads each, gthread); `wait_up(port)` returns once /healthz answers, and
`wait_booted(process)` once every worker has loaded the app.
"""

import http.client
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def serve(env, port, workers=None):
    """The Procfile's web command on 127.0.0.1:`port` (`workers`: WEB_CONCURRENCY, 2 unless set)."""
    workers = workers or os.environ.get("WEB_CONCURRENCY", "2")
    return subprocess.Popen([str(BIN / "gunicorn"), "--workers", str(workers), "--threads", "4",
                             "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
                             "app:create_app()"], env=env, cwd=ROOT)


def wait_up(port):
    """Return once the server on `port` answers /healthz (RuntimeError after about 30 s)."""
    for _ in range(150):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def wait_booted(process, workers=None, timeout=60):
    """Return once each of gunicorn's workers has loaded the app (its CPU time stopped climbing).

    /healthz answers as soon as the first worker is up; clients that connect then all land
    on it, and a keep-alive connection stays with the worker that accepted it: a storm that
    starts before the second worker finished importing the app ran on one core of two.
    """
    workers = int(workers or os.environ.get("WEB_CONCURRENCY", "2"))
    deadline, before = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        ticks = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == process.pid:  # a worker: utime + stime
                ticks[stat.parent.name] = int(fields[11]) + int(fields[12])
        if len(ticks) >= workers and before is not None and all(
                ticks[pid] - before.get(pid, 0) <= 1 for pid in ticks):
            return
        before = ticks
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn's {workers} workers did not settle within {timeout} s")
