"""Operations endpoints: liveness, readiness (which dependency failed) and metrics.

Readiness answers within the hop deadline even when a dependency hangs: PostgreSQL
is asked in a thread of its own under `hop_deadline` (a new connection to a frozen
server may take libpq's 2-second minimum connect timeout, longer than the deadline)
while Redis is pinged here (its socket timeout bounds it), and whatever has not
answered when the deadline passes is reported as not ready.
"""

import threading
import time

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text

from app.deadline import hop_deadline
from app.extensions import db, redis_client
from app.observability import metrics_payload

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process is up; says nothing of its dependencies."""
    return jsonify(status="ok")


def check_dependencies(deadline_ms):
    """Return {"postgres": "ok" | error, "redis": "ok" | error}, within `deadline_ms`."""
    started = time.monotonic()
    postgres = {}
    probe = threading.Thread(target=_ping_postgres, args=(db.engine, deadline_ms, postgres), daemon=True,
                             name="readyz-postgres")
    probe.start()
    results = {"redis": _ping_redis()}
    probe.join(max(0.0, deadline_ms / 1000 - (time.monotonic() - started)) if deadline_ms else None)
    results["postgres"] = postgres.get("result", "error: no answer within the deadline")
    return results


def _ping_postgres(engine, deadline_ms, out):
    try:
        with hop_deadline(deadline_ms), engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        out["result"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready; reported, not raised
        out["result"] = f"error: {type(exc).__name__}"


def _ping_redis():
    try:
        redis_client().ping()
        return "ok"
    except Exception as exc:  # noqa: BLE001
        return f"error: {type(exc).__name__}"


@bp.get("/readyz")
def readyz():
    """Ready when PostgreSQL and Redis both answer; 503 naming the one that failed."""
    results = check_dependencies(current_app.extensions["settings"].HOP_DEADLINE_MS)
    ready = all(value == "ok" for value in results.values())
    return jsonify(status="ok" if ready else "unavailable", **results), (200 if ready else 503)


@bp.get("/metrics")
def metrics():
    return Response(metrics_payload(), mimetype="text/plain; version=0.0.4")
