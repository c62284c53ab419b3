"""Metrics (Prometheus) and structured logs: what operators see of every hop.

Metrics are process-global by nature (prometheus-client registers them once);
under gunicorn set PROMETHEUS_MULTIPROC_DIR so /metrics sums every worker.
A log line is one JSON object; callers pass fields, never a PIN or a PIN input.
As a last line of defence every log record, ours and the libraries' (RQ prints job
arguments and tracebacks with URLs), is redacted as it is made (`install_redaction`):
configured secrets, `token=` parameters, `YES <code>` replies, and the values of
fields named like a PIN, code, secret or ID number never reach a log.
"""

import json
import logging
import os
import re

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


REDACTED = "[redacted]"
SECRET_SETTING = re.compile(r"TOKEN|SECRET|PEPPER|API_KEY|PASSWORD|AUTH|PRIVATE|ENCRYPTION_KEYS|LOOKUP_KEY")
"""Settings whose values are secrets: never logged, whatever the line (see `secret_values`)."""
MIN_SECRET_LENGTH = 6
"""Shorter values ("0", "1", "sandbox") are settings, not secrets, and would redact harmless words."""
REDACTIONS = (
    # ?token=..., &api_key=..., apiKey: ... in URLs, bodies and headers
    (re.compile(r"(?i)\b(token|api[_-]?key|apikey|secret|password|auth[_-]?token|signature)=[^&\s'\"]+"),
     rf"\1={REDACTED}"),
    (re.compile(r"(?i)\b(apikey|authorization|x-twilio-signature)(['\"]?\s*[:=]\s*['\"]?)[^'\",\s}]+"),
     rf"\1\2{REDACTED}"),
    # a confirmation code being answered or offered: YES 4821, NDIO 4821
    (re.compile(r"(?i)\b(YES|Y|NDIO|NDIYO)(\s+)\d{3,10}\b"), rf"\1\2{REDACTED}"),
    # JSON / repr fields named like a PIN, code, secret or ID number
    (re.compile(r"(?i)(['\"](?:pin|new_pin|old_pin|pin_confirm|code|otp|token|secret|password|national_id|"
                r"id_number)['\"]\s*[:=]\s*)(['\"]?)[^'\",}\s]+"), rf"\1\2{REDACTED}"),
    # a full national ID number after its name: "ID 12345678", "national id: 12345678"
    (re.compile(r"(?i)\b((?:national[ _]?)?id(?:[ _]?(?:no|number))?\.?\s*[:=#]?\s*)(\d{2})\d{4,10}\b"),
     r"\1\2******"),
)
"""(pattern, replacement) applied to every log message and traceback, in order."""

_secrets = set()


def secret_values(config):
    """The values of the secret settings in `config` (CALLBACK_TOKEN, PIN_PEPPER, AT_API_KEY, ...)."""
    return {str(value) for name, value in config.items()
            if isinstance(name, str) and SECRET_SETTING.search(name) and value and isinstance(value, str | bytes)
            and len(str(value)) >= MIN_SECRET_LENGTH}


def redact(text):
    """`text` without any configured secret, token parameter, confirmation code or PIN/ID field value."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class SecretFilter(logging.Filter):
    """Redacts a record's message and traceback in place; never drops a record."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logged as its template, still redacted
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_redaction(secrets=()):
    """Redact every log record of this process as it is made (whatever logger or handler writes it).

    A record factory, not a handler filter: RQ, gunicorn and Flask bring their own
    handlers, and a filter on a logger misses records propagated from its children.
    Safe to call again (a later call only adds secrets).
    """
    _secrets.update(secret for secret in secrets if secret and len(secret) >= MIN_SECRET_LENGTH)
    current = logging.getLogRecordFactory()
    if getattr(current, "redacting", False):
        return
    secret_filter = SecretFilter()

    def make_record(*args, **kwargs):
        record = current(*args, **kwargs)
        secret_filter.filter(record)
        return record

    make_record.redacting = True
    logging.setLogRecordFactory(make_record)


def configure_logging(level="INFO", secrets=()):
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    install_redaction(secrets)
