"""Reading what the `pamoja` logger wrote (the `pamoja_log` fixture in tests/conftest.py captures it)."""

import json
import logging

STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
"""The attributes every LogRecord has: timestamps, pid, thread ids, source location."""


def logged_text(record):
    """What a log line carries: its message and its extra fields (not its timestamps, pid or thread ids).

    A secret check reads only this: a float timestamp or a thread id can hold any four digits by chance.
    """
    extras = {key: value for key, value in record.__dict__.items() if key not in STANDARD}
    return record.getMessage() + json.dumps(extras, default=str)
