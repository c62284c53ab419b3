"""Loan decisions by staff: approve and decline as a staff account, within the role's limit.

    officers.approve(actor, loan_id, reason) -> Decided(loan, approval)

Every decision is made by a staff actor (app/staff): `loans.decide` first, the reason
next (`require_reason`, before anything changes), then the loan service's own
approve/decline with the decision attributed to `staff:<username>`, and one audit row
in the same transaction. An approval above the officer's limit (LOAN_OFFICER_LIMITS,
per role and currency) is not refused: it becomes a pending maker-checker request
(`loans.approve`, forced whatever APPROVAL_THRESHOLDS says), put in the branch managers'
work queue (`tell_checkers`), that a branch manager approves with `flask approvals approve`;
the handler (`approve_above_limit`, registered in app/services.py) checks the CHECKER's own
limit, then approves as the checker.
Declining needs no limit: saying no moves no money.

`redisburse` and `recover` are attributed the same way (`loans.decide`). Write-offs are
in app/loans/write_off.py.
"""

from typing import NamedTuple

from app.audit.services import require_reason
from app.loans import errors
from app.loans.states import APPLIED
from app.staff.errors import StaffError

APPROVE, DECLINE, REDISBURSE, RECOVER = "loans.approve", "loans.decline", "loans.redisburse", "loans.recover"
PERMISSION = "loans.decide"


class LoanRefused(StaffError):
    """A staff loan action refused by the loan's own rules (unknown loan, wrong state, pledges missing)."""


class Decided(NamedTuple):
    """What a staff decision did: the loan, and the pending approval when a checker must still approve."""

    loan: object
    approval: object = None


def staff_label(staff):
    """How a staff member is named on loan decisions and ledger entries."""
    return f"staff:{staff.username}"


def tell_checkers(work_queue, approval, actor, summary):
    """A branch-manager work item for a pending approval (once per approval), so it reaches a person."""
    return work_queue.open("approval", ("approval", approval.id), "branch_manager",
                           summary=f"approval #{approval.id}: {summary} (flask approvals approve {approval.id})",
                           dedupe_key=f"approval:{approval.id}", actor=actor)


def refused(error):
    """A LoanError as a staff-facing LoanRefused (English: staff read it)."""
    message = getattr(error, "message", None)
    text = message.render("en") if message is not None else str(error)
    detail = str(error) if str(error) not in (error.code, text) else ""
    return LoanRefused(f"{text}{' (' + detail + ')' if detail else ''}")


class OfficerDecisions:
    def __init__(self, session, *, loans, staff, audit, approvals, work_queue):
        self.session = session
        self.loans = loans
        self.staff = staff
        self.audit = audit
        self.approvals = approvals
        self.work_queue = work_queue

    def _loan(self, loan_id):
        loan = self.loans.get(loan_id)
        if loan is None:
            raise LoanRefused(f"no loan {loan_id}")
        return loan

    def approve(self, actor, loan_id, reason):
        """Approve (and disburse) an applied loan, or ask a checker when it is above the actor's limit."""
        staff = self.staff.require(actor, PERMISSION)
        reason = require_reason(APPROVE, reason)
        loan = self._loan(loan_id)
        if loan.state != APPLIED:
            raise LoanRefused(f"loan {loan.id} is {loan.state}, not applied: nothing to approve")
        limit = self.staff.loan_limit(actor, loan.currency)
        if limit is None or loan.principal > limit:
            outcome = self.approvals.request(actor, APPROVE, ("loan", loan.id),
                                             {"loan_id": loan.id, "maker": staff.username},
                                             amount=loan.principal, reason=reason, always=True)
            tell_checkers(self.work_queue, outcome.approval, actor,
                          f"loan {loan.id} of {loan.currency} {loan.principal.major} is above "
                          f"{staff.username}'s limit: approve or reject it")
            return Decided(loan, outcome.approval)
        return Decided(self._approve(actor, staff, loan.id, reason))

    def _approve(self, actor, staff, loan_id, reason, **extra):
        try:
            loan = self.loans.approve(loan_id, actor=staff_label(staff), channel=actor.channel, reason=reason)
        except errors.LoanError as error:
            raise refused(error) from None
        self.audit.record(actor, APPROVE, ("loan", loan.id), before={"state": APPLIED},
                          after={"state": loan.state, "principal_minor": loan.principal_minor,
                                 "currency": loan.currency, **extra}, reason=reason)
        return loan

    def approve_above_limit(self, approval, checker):
        """The approval handler: the checker (approvals.check, signed in) approves within THEIR limit."""
        staff = self.staff.require_loan_limit(checker, self._loan(int(approval.subject_id)).principal)
        loan = self._approve(checker, staff, int(approval.subject_id), approval.reason,
                             maker=approval.payload.get("maker"), approval_id=approval.id)
        return {"loan_id": loan.id, "state": loan.state}

    def decline(self, actor, loan_id, reason):
        """Decline an applied loan (told to the member); pledges go back."""
        staff = self.staff.require(actor, PERMISSION)
        reason = require_reason(DECLINE, reason)
        try:
            loan = self.loans.decline(self._loan(loan_id).id, actor=staff_label(staff), channel=actor.channel,
                                      reason=reason)
        except errors.LoanError as error:
            raise refused(error) from None
        self.audit.record(actor, DECLINE, ("loan", loan.id), before={"state": APPLIED}, after={"state": loan.state},
                          reason=reason)
        return loan

    def redisburse(self, actor, loan_id, reason, destination=None):
        """Pay an approved loan out again (after a failed mobile-money payout)."""
        staff = self.staff.require(actor, PERMISSION)
        reason = require_reason(REDISBURSE, reason)
        before = self._loan(loan_id).state
        try:
            loan = self.loans.redisburse(loan_id, actor=staff_label(staff), channel=actor.channel,
                                         destination=destination)
        except errors.LoanError as error:
            raise refused(error) from None
        self.audit.record(actor, REDISBURSE, ("loan", loan.id), before={"state": before},
                          after={"state": loan.state, "destination": loan.destination}, reason=reason)
        return loan

    def recover(self, actor, loan_id, reason):
        """Declare the loan defaulted and recover it; returns [(source, owner id, Money)] taken."""
        staff = self.staff.require(actor, PERMISSION)
        reason = require_reason(RECOVER, reason)
        loan = self._loan(loan_id)
        before = loan.state
        try:
            taken = self.loans.recover(loan.id, actor=staff_label(staff), channel=actor.channel, reason=reason)
        except errors.LoanError as error:
            raise refused(error) from None
        self.audit.record(actor, RECOVER, ("loan", loan.id), before={"state": before},
                          after={"state": loan.state,
                                 "taken": [[source, owner, amount.minor] for source, owner, amount in taken]},
                          reason=reason)
        return taken
