"""The app under the Procfile's `web` command, on a local port: shared by the benches that attack it over HTTP.

`serve(env, port)` starts gunicorn as the Procfile does (WEB_CONCURRENCY workers, 2 unless
set, 4 threads each, gthread); `wait_up(port)` returns once /healthz answers.
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
