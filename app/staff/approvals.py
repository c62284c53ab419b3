"""Maker-checker: actions above a threshold wait for a second, different, signed-in staff member.

    outcome = approvals.request(actor, "payments.reverse", ("payment", 7), {"payment_id": 7},
                                amount=Money(2_000_000, "KES"), reason="duplicate disbursement")
    if outcome.run_now:      # below the threshold: the caller runs the action itself, now
        ...
    else:                    # outcome.approval is pending; tell the maker its id
        ...

- `request` checks nothing about the maker's permission: the workflow calls
  `staff.require(actor, <its permission>)` first, as for any action. It needs a
  reason, and records `approvals.request`. A second request for the same pending
  (action, subject) returns the pending one (a double click makes one approval).
- `approve(checker, approval_id)` requires `approvals.check`, a signed-in checker,
  a different staff member from the maker, and the approval still pending under its
  row lock (two checkers at once: exactly one wins, the other gets
  ApprovalNotPending). It then runs the action's handler in the same transaction and
  records `approvals.approve`; a handler that raises rolls everything back, so the
  approval stays pending.
- `reject(actor, approval_id, reason)`: a checker (same rules, except the maker may
  withdraw their own request).

Handlers are registered in the composition root by action name
(app/services.py `approval_handlers`): `handler(services, approval, checker) -> dict | None`;
the approval carries the maker's payload, subject, amount, reason and maker id. The
handler records its own audit row for the action (with `approval.reason`).

Thresholds (APPROVAL_THRESHOLDS, parsed by app/settings.py `approval_thresholds`): "payments.resolve=KES:10000,
loans.write_off=KES:0,kyc.tier3=0". An action with a money threshold needs approval
when its amount is above it (or the amount is missing or in a currency not listed);
an action listed with a bare number always needs approval; an action not listed
never does.
"""

from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.audit.services import require_reason, subject_parts
from app.staff import errors
from app.staff.actor import STAFF
from app.staff.models import APPROVED, PENDING, REJECTED, Approval

ALWAYS = "always"


class Thresholds:
    """APPROVAL_THRESHOLDS parsed: {action: {currency: Money} or ALWAYS}."""

    def __init__(self, limits):
        self.limits = limits

    def needs_approval(self, action, amount=None):
        """True when `action` of `amount` (Money or None) must wait for a checker."""
        limit = self.limits.get(action)
        if limit is None:
            return False
        if limit == ALWAYS or amount is None or amount.currency not in limit:
            return True
        return amount.minor > limit[amount.currency].minor


class Outcome(NamedTuple):
    """What `request` decided: run now (approval None), or wait for `approval` (pending)."""

    run_now: bool
    approval: Approval | None


class Approvals:
    def __init__(self, session, *, clock, staff, audit, thresholds, handlers):
        self.session = session
        self.clock = clock
        self.staff = staff
        self.audit = audit
        self.thresholds = thresholds
        self.handlers = handlers
        """action -> callable(approval, checker) (the composition root binds the services)."""

    def get(self, approval_id, *, lock=False):
        """The approval, or None."""
        query = select(Approval).where(Approval.id == approval_id)
        return self.session.scalars(query.with_for_update() if lock else query).first()

    def pending(self, action=None):
        query = select(Approval).where(Approval.state == PENDING).order_by(Approval.id)
        return list(self.session.scalars(query.where(Approval.action == action) if action else query))

    def request(self, actor, action, subject, payload, *, amount=None, reason, always=False):
        """Outcome(run_now=True, None) below the threshold; else a pending Approval (one per action and subject).

        `always`: the caller's own rule already says a checker is needed (a loan above the
        officer's limit), whatever APPROVAL_THRESHOLDS says.
        """
        reason = require_reason(action, reason)
        if not reason:
            raise errors.ApprovalError("a request for approval needs a reason")
        if not always and not self.thresholds.needs_approval(action, amount):
            return Outcome(True, None)
        if action not in self.handlers:
            raise errors.ApprovalError(f"no approval handler for {action!r}: register it in app/services.py")
        if actor.kind != STAFF:
            raise errors.PermissionDenied(f"{action} above its threshold needs a staff maker, not {actor.label}")
        subject_type, subject_id = subject_parts(subject)
        existing = self._pending_for(action, subject_type, subject_id)
        if existing is not None:
            return Outcome(False, existing)
        approval = Approval(action=action, subject_type=subject_type, subject_id=subject_id, payload=payload or {},
                            amount_minor=amount.minor if amount else None, currency=amount.currency if amount else None,
                            reason=reason, maker_staff_id=actor.id, state=PENDING, created_at=self.clock.now())
        try:
            with self.session.begin_nested():
                self.session.add(approval)
                self.session.flush()
        except IntegrityError:  # another maker's identical request committed first
            return Outcome(False, self._pending_for(action, subject_type, subject_id))
        self.audit.record(actor, "approvals.request", ("approval", approval.id), reason=reason,
                          after={"action": action, "subject": approval.subject, "amount_minor": approval.amount_minor,
                                 "currency": approval.currency, "payload": approval.payload})
        return Outcome(False, approval)

    def _pending_for(self, action, subject_type, subject_id):
        return self.session.scalars(select(Approval).where(
            Approval.action == action, Approval.subject_type == subject_type, Approval.subject_id == subject_id,
            Approval.state == PENDING)).first()

    def _decidable(self, checker, approval_id, *, by_maker=False):
        """The approval locked FOR UPDATE and still pending; the checker's rights checked first."""
        if by_maker:
            if not self.staff.permissions(checker):
                raise errors.StaffDisabled(f"{checker} is disabled", actor=checker)
        else:
            self.staff.require(checker, "approvals.check", signed_in=True)
        approval = self.get(approval_id, lock=True)
        if approval is None:
            raise errors.UnknownApproval(f"no approval #{approval_id}")
        if approval.state != PENDING:
            raise errors.ApprovalNotPending(f"approval #{approval.id} is already {approval.state}")
        return approval

    def approve(self, checker, approval_id, note=None):
        """Approve and run the action's handler in this transaction; returns the approval (now approved)."""
        approval = self._decidable(checker, approval_id)
        if approval.maker_staff_id == checker.id:
            raise errors.SelfApproval(f"approval #{approval.id} is your own request: another staff member with "
                                      "approvals.check must approve it")
        handler = self.handlers.get(approval.action)
        if handler is None:
            raise errors.ApprovalError(f"no approval handler for {approval.action!r}")
        approval.state, approval.checker_staff_id = APPROVED, checker.id
        approval.decided_at, approval.decision_reason = self.clock.now(), (note or "").strip() or None
        self.session.flush()
        result = handler(approval, checker)
        approval.result = result if isinstance(result, dict) else None
        self.audit.record(checker, "approvals.approve", ("approval", approval.id), reason=approval.decision_reason,
                          before={"state": PENDING}, after={"state": APPROVED, "action": approval.action,
                                                            "subject": approval.subject})
        return approval

    def reject(self, actor, approval_id, reason):
        """Reject (a signed-in checker) or withdraw (the maker) a pending approval; nothing runs."""
        reason = require_reason("approvals.reject", reason)
        if not reason:
            raise errors.ApprovalError("rejecting an approval needs a reason")
        approval = self.get(approval_id)
        is_maker = approval is not None and actor.kind == STAFF and approval.maker_staff_id == actor.id
        approval = self._decidable(actor, approval_id, by_maker=is_maker)
        approval.state, approval.checker_staff_id = REJECTED, actor.id
        approval.decided_at, approval.decision_reason = self.clock.now(), reason
        self.audit.record(actor, "approvals.reject", ("approval", approval.id), reason=reason,
                          before={"state": PENDING}, after={"state": REJECTED, "action": approval.action,
                                                            "subject": approval.subject,
                                                            "withdrawn_by_maker": is_maker})
        return approval
