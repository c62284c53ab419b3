"""Operations endpoints: liveness, readiness (which dependency failed) and metrics."""

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from app.extensions import db, redis_client
from app.observability import metrics_payload

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process is up; says nothing of its dependencies."""
    return jsonify(status="ok")


def check_dependencies():
    """Return {"postgres": "ok" | error, "redis": "ok" | error}."""
    results = {}
    try:
        db.session.execute(text("SELECT 1"))
        results["postgres"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready; reported, not raised
        db.session.rollback()
        results["postgres"] = f"error: {type(exc).__name__}"
    try:
        redis_client().ping()
        results["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        results["redis"] = f"error: {type(exc).__name__}"
    return results


@bp.get("/readyz")
def readyz():
    """Ready when PostgreSQL and Redis both answer; 503 naming the one that failed."""
    results = check_dependencies()
    ready = all(value == "ok" for value in results.values())
    return jsonify(status="ok" if ready else "unavailable", **results), (200 if ready else 503)


@bp.get("/metrics")
def metrics():
    return Response(metrics_payload(), mimetype="text/plain; version=0.0.4")
