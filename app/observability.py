"""Metrics (Prometheus) and structured logs: what operators see of every hop.

Metrics are process-global by nature (prometheus-client registers them once);
under gunicorn set PROMETHEUS_MULTIPROC_DIR so /metrics sums every worker.
A log line is one JSON object; callers pass fields, never a PIN or a PIN input.
"""

import json
import logging
import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

HOPS = Counter("pamoja_hops_total", "Menu hops served", ["channel", "outcome"])
HOP_SECONDS = Histogram(
    "pamoja_hop_seconds", "Time to answer one menu hop", ["channel"],
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
ERRORS = Counter("pamoja_errors_total", "Errors answered politely instead of crashing", ["channel", "kind"])
CALLBACKS = Counter("pamoja_callbacks_total", "Provider callbacks received", ["provider", "outcome"])
RATE_LIMITED = Counter("pamoja_rate_limited_total", "Requests refused by a rate limit", ["channel", "scope"])

logger = logging.getLogger("pamoja")


def metrics_payload():
    """The exposition text for /metrics, across gunicorn workers when configured."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()


def log_event(event, **fields):
    """Write one structured log line; `fields` must already be free of secrets."""
    if logger.isEnabledFor(logging.INFO):
        logger.info(json.dumps({"event": event, **fields}, default=str, ensure_ascii=False))


def configure_logging(level="INFO"):
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
