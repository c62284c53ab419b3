"""Placeholder notification service until app/notifications is built (issue 8).

`notify` records nothing yet and sends nothing: callers can already say what
should be told to whom, and the real service replaces this class unchanged.
"""

from app.observability import log_event


class NotificationService:
    def __init__(self, session, *, clock, config, enqueue):
        self.session = session
        self.clock = clock
        self.config = config
        self.enqueue = enqueue

    def notify(self, member, kind, **params):
        log_event("notify.pending", member_id=member.id, kind=kind)
