"""The composition root for domain services: the one place that wires collaborators.

A `Services` is built per request (`request_services()`) or per job
(`job_services()`) around one database session. Each domain service is created on
first use with its keyword-only collaborators (clock, settings, other services,
senders), so no domain package imports another's wiring, Flask, `channels/` or
`menus/`. Outbound senders come from `app.extensions["senders"]`, installed by
`create_app` from `channels/`.
"""

from functools import cached_property

from flask import current_app, g

from app.clock import SystemClock
from app.config import as_int
from app.extensions import db


class Services:
    def __init__(self, session, *, config, redis, queues, clock=None, senders=None):
        self.session = session
        self.config = config
        self.redis = redis
        self.queues = queues
        self.clock = clock or SystemClock(config["TIMEZONE"])
        self.senders = senders or {}

    def setting(self, name):
        return as_int(self.config, name)

    def notify(self, member, kind, **params):
        """Tell a member something through the notification service (see app/notifications)."""
        return self.notifications.notify(member, kind, **params)

    @cached_property
    def members(self):
        from app.members.services import MemberService

        return MemberService(
            self.session, clock=self.clock, pepper=self.config["PIN_PEPPER"],
            max_attempts=self.setting("PIN_MAX_ATTEMPTS"), lock_minutes=self.setting("PIN_LOCK_MINUTES"),
            default_currency=self.config["DEFAULT_CURRENCY"], notify=self.notify,
        )

    @cached_property
    def notifications(self):
        from app.notifications.services import NotificationService

        return NotificationService(self.session, clock=self.clock, config=self.config,
                                   enqueue=self.enqueue)

    @cached_property
    def ledger(self):
        from app.ledger.services import LedgerService

        return LedgerService(self.session, clock=self.clock)

    @cached_property
    def providers(self):
        from app.payments.registry import providers_for

        return providers_for(self.config, self.redis)

    @cached_property
    def payments(self):
        from app.payments.services import PaymentService

        return PaymentService(self.session, clock=self.clock, ledger=self.ledger, providers=self.providers,
                              enqueue=self.enqueue)

    @cached_property
    def savings(self):
        from app.savings.services import SavingsService

        return SavingsService(self.session, clock=self.clock, ledger=self.ledger, payments=self.payments,
                              config=self.config, members=self.members)

    @cached_property
    def groups(self):
        from app.groups.services import GroupService, parse_limits

        return GroupService(self.session, clock=self.clock, ledger=self.ledger, payments=self.payments,
                            notify=self.notify, limits=parse_limits(self.config))

    def enqueue(self, queue_name, func, *args, **kwargs):
        """Enqueue a job after this unit of work commits (see app/jobs.enqueue_after_commit)."""
        from app.jobs import enqueue_after_commit

        return enqueue_after_commit(self.session, self.queues[queue_name], func, *args, **kwargs)


def build_services(app, session, **overrides):
    """Services around `session` for `app`; `overrides` replace collaborators (clock)."""
    return Services(
        session,
        config=app.config,
        redis=app.extensions["redis"],
        queues=app.extensions["queues"],
        senders=app.extensions.get("senders"),
        clock=overrides.get("clock") or app.extensions.get("clock"),
    )


def request_services():
    """The services of the current request or job, built once."""
    if "services" not in g:
        g.services = build_services(current_app, db.session)
    return g.services
