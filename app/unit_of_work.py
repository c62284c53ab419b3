"""One unit of work per provider callback and per `flask` command, as `@job` (app/jobs.py) is per job.

A callback (USSD hop, SMS or WhatsApp report, mobile-money result) runs its body in
`with callback_unit(channel, kind) as unit:` and commits once when the body ends. Any
failure, the commit's included, rolls back, is logged with its traceback and counted
in `pamoja_errors_total{channel, kind}`, and is swallowed: the view sees
`unit.failed` and answers the provider its own polite way, never a 500 page.
Exceptions listed in `refusals` are expected answers, not bugs: rolled back, kept in
`unit.refused`, neither logged nor counted. Anything that is not an Exception
(KeyboardInterrupt, SystemExit) rolls back and propagates.

A command is decorated with `@command_unit` instead of `@with_appcontext`: it runs in
the app context and commits once after it returns; a failure rolls back and raises,
so click reports it and exits non-zero. A click usage error or refusal
(`click.ClickException`) is the operator's mistake, not ours: not logged or counted.
Commands that commit batches as they go (a checkpoint per batch) still may.

A session that began nothing (a static USSD screen, a hop that only read outside a
transaction, or a hop whose engine already committed) is not committed again:
`commit_if_owed` (app/jobs.py) skips what would be SQLAlchemy's bookkeeping for an empty transaction.

`callback_unit(..., defer_transaction=True)` lets the unit read outside a transaction
until its first write or lock (app/deferred_transaction.py): a hop that only reads
sends no BEGIN or COMMIT, one that writes is still one transaction committed here.
"""

import functools

import click
from flask.cli import with_appcontext

from app.deferred_transaction import defer_transaction, stop_deferring
from app.extensions import db
from app.jobs import commit_if_owed
from app.observability import ERRORS, logger


class CallbackUnit:
    """The unit of work of one callback request; see the module docstring."""

    def __init__(self, channel, kind, refusals=(), context=None, defer=False):
        self.channel = channel
        self.kind = kind
        self.refusals = tuple(refusals)
        self.context = context or {}
        self.failed = False
        self.refused = None
        """The refusal raised by the body (one of `refusals`), or None."""
        self.services = None
        self.defer = defer

    def __enter__(self):
        from app.services import request_services

        self.services = request_services()
        if self.defer:
            defer_transaction(self.services.session)
        return self

    def __exit__(self, exc_type, error, traceback):
        session = self.services.session
        try:
            return self._end(session, exc_type, error, traceback)
        finally:
            stop_deferring(session)

    def _end(self, session, exc_type, error, traceback):
        if exc_type is None:
            try:
                commit_if_owed(session)
                return False
            except Exception as commit_error:  # noqa: BLE001 - handled below like a failure of the body
                exc_type, error, traceback = type(commit_error), commit_error, commit_error.__traceback__
        session.rollback()
        if issubclass(exc_type, self.refusals):
            self.refused = error
            return True
        if not issubclass(exc_type, Exception):
            return False
        self.failed = True
        logger.error("%s %s failed", self.channel, self.kind, exc_info=(exc_type, error, traceback),
                     extra={"kind": self.kind, **self.context})
        ERRORS.labels(self.channel, self.kind).inc()
        return True


def callback_unit(channel, kind, *, refusals=(), defer_transaction=False, **context):
    """`with callback_unit("sms", "delivery") as unit:` one commit; on failure `unit.failed` (logged, counted).

    `context` goes into the failure's log line (never a secret: a session or message id).
    `defer_transaction`: reads run outside a transaction until the first write or lock.
    """
    return CallbackUnit(channel, kind, refusals, context, defer=defer_transaction)


def command_unit(func):
    """Run a `flask` command in the app context, committing once after it returns; failures roll back and raise."""

    @functools.wraps(func)
    @with_appcontext
    def run(*args, **kwargs):
        try:
            result = func(*args, **kwargs)
            db.session.commit()
            return result
        except click.ClickException:
            db.session.rollback()
            raise
        except Exception:
            db.session.rollback()
            logger.exception("command %s failed", func.__name__)
            ERRORS.labels("cli", func.__name__).inc()
            raise
        except BaseException:
            db.session.rollback()
            raise

    return run
