"""`Audit.record`: one append-only `audit_events` row in the caller's transaction.

The row is added to the caller's session and commits or rolls back with the change
it describes, so the log never shows a change that did not happen nor misses one
that did. `before` / `after` keep only the fields that differ, scrubbed
(app/audit/scrub.py). The action must be listed in app/audit/actions.py; a MONEY or
ACCESS action without a reason raises `ReasonRequired` (before anything is written).
"""

from sqlalchemy import select

from app.audit.actions import ACTIONS, NEEDS_REASON
from app.audit.models import AuditEvent
from app.audit.scrub import changes, scrub
from app.observability import redact


class AuditError(ValueError):
    """An action that is not in the table, or a malformed subject: a bug in the caller."""


class ReasonRequired(AuditError):
    """A money- or access-affecting action was attempted without a reason."""

    def __init__(self, action):
        super().__init__(f"{action} changes money or access: give a reason (--reason)")
        self.action = action


def subject_parts(subject):
    """`("member", 42)`, `"member:42"` or any object with `subject_type`/`subject_id` -> ("member", "42")."""
    if isinstance(subject, str):
        kind, separator, ident = subject.partition(":")
        if not separator or not kind or not ident:
            raise AuditError(f"a subject is type:id (member:42), not {subject!r}")
        return kind, ident
    if isinstance(subject, tuple) and len(subject) == 2:
        return str(subject[0]), str(subject[1])
    if hasattr(subject, "subject_type") and hasattr(subject, "subject_id"):
        return str(subject.subject_type), str(subject.subject_id)
    raise AuditError(f"a subject is type:id or (type, id), not {subject!r}")


def require_reason(action, reason):
    """Raise ReasonRequired when `action` needs a reason and `reason` is empty; the stripped reason otherwise.

    Services call this BEFORE changing anything, so a missing reason never leaves a partial write.
    """
    reason = (reason or "").strip() or None
    if action not in ACTIONS:
        raise AuditError(f"unknown audit action {action!r}: add it to app/audit/actions.py")
    if action in NEEDS_REASON and not reason:
        raise ReasonRequired(action)
    return reason


class Audit:
    def __init__(self, session, *, clock):
        self.session = session
        self.clock = clock

    def record(self, actor, action, subject, *, before=None, after=None, reason=None):
        """Add one AuditEvent for `actor` doing `action` to `subject`; returns it (flushed, with its id)."""
        reason = require_reason(action, reason)
        subject_type, subject_id = subject_parts(subject)
        before, after = changes(before, after)
        event = AuditEvent(
            created_at=self.clock.now(), actor_kind=actor.kind, actor_id=None if actor.id is None else str(actor.id),
            os_user=actor.os_user, action=action, subject_type=subject_type, subject_id=subject_id,
            before=scrub(before), after=scrub(after), reason=redact(reason) if reason else None,
            channel=actor.channel, request_id=actor.request_id)
        self.session.add(event)
        self.session.flush()
        return event

    def for_subject(self, subject, limit=200):
        """The subject's events, oldest first (its whole story)."""
        subject_type, subject_id = subject_parts(subject)
        return list(self.session.scalars(
            select(AuditEvent).where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == subject_id)
            .order_by(AuditEvent.id).limit(limit)))

    def search(self, *, actor=None, action=None, since=None, subject_type=None, limit=100):
        """The newest events first, filtered by actor label (`staff:3`), action (exact or `prefix.*`), time."""
        query = select(AuditEvent)
        if actor:
            kind, _, ident = actor.partition(":")
            query = query.where(AuditEvent.actor_kind == kind)
            if ident:
                query = query.where(AuditEvent.actor_id == ident)
        if action:
            query = query.where(AuditEvent.action.startswith(action[:-1]) if action.endswith("*")
                                else AuditEvent.action == action)
        if since is not None:
            query = query.where(AuditEvent.created_at >= since)
        if subject_type:
            query = query.where(AuditEvent.subject_type == subject_type)
        return list(self.session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))
