"""Writing a defaulted loan off: the receivable leaves the books by a compensating entry.

    write_offs.request(actor, loan_id, reason) -> WrittenOff(loan, amount, approval)

Only a `defaulted` loan is written off (recover it first: `flask loans recover`), and
only once no guarantor's pledge is still held for it (recovery takes or releases them).
What is written off is what the ledger still shows the loan owes: the balance of its
principal receivable and of its penalty receivable (interest is recognised only when
paid, so none is on the books). One entry, key `loan:<id>:write_off`, credits both
receivables and debits the system `loan_write_off_expense` account; the loan moves to
`written_off` (app/loans/states.py) and a `written_off` LoanDecision and a
`loans.write_off` audit row are written with it, all in the caller's transaction.

Maker-checker: `loans.write_off` in APPROVAL_THRESHOLDS (default KES:0, i.e. every
write-off) makes the request a pending approval (and a branch-manager work item); `flask approvals approve` by a
different, signed-in branch manager runs `approve_handler` (registered in
app/services.py), which re-checks the loan under its row lock and writes it off.
Writing off twice is refused (the state), and the ledger key makes the entry once.
"""

from typing import NamedTuple

from app.audit.services import require_reason
from app.loans.officers import LoanRefused, staff_label, tell_checkers
from app.loans.states import DEFAULTED, WRITTEN_OFF, move
from app.money import Money

ACTION = "loans.write_off"
EXPENSE = "loan_write_off_expense"


class WrittenOff(NamedTuple):
    loan: object
    amount: Money
    approval: object = None
    """The pending approval when a checker must still approve (nothing written off yet)."""


class WriteOffs:
    def __init__(self, session, *, clock, ledger, loans, decisions, guarantees, staff, audit, approvals, work_queue):
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.loans = loans
        self.accounts = loans.accounts
        self.decisions = decisions
        self.guarantees = guarantees
        self.staff = staff
        self.audit = audit
        self.approvals = approvals
        self.work_queue = work_queue

    def outstanding(self, loan):
        """(principal, penalty) the ledger still shows the loan owes, as Money."""
        return (self.ledger.balance(self.accounts.principal(loan)), self.ledger.balance(self.accounts.penalty(loan)))

    def _check(self, loan_id, *, lock):
        loan = self.loans.repayments.lock(loan_id) if lock else self.loans.get(loan_id)
        if loan is None:
            raise LoanRefused(f"no loan {loan_id}")
        if loan.state != DEFAULTED:
            raise LoanRefused(f"loan {loan.id} is {loan.state}: only a defaulted loan is written off "
                              "(flask loans recover declares it defaulted and recovers what it can)")
        if self.guarantees.pledged_total(loan):
            raise LoanRefused(f"loan {loan.id} still holds guarantors' pledges: recover it first (flask loans recover)")
        return loan

    def request(self, actor, loan_id, reason):
        """Write the loan off now, or (above the threshold) leave it waiting for a checker."""
        self.staff.require(actor, "loans.write_off")
        reason = require_reason(ACTION, reason)
        loan = self._check(loan_id, lock=True)
        principal, penalty = self.outstanding(loan)
        amount = principal + penalty
        outcome = self.approvals.request(actor, ACTION, ("loan", loan.id),
                                         {"loan_id": loan.id, "principal_minor": principal.minor,
                                          "penalty_minor": penalty.minor}, amount=amount, reason=reason)
        if not outcome.run_now:
            tell_checkers(self.work_queue, outcome.approval, actor,
                          f"write off loan {loan.id}: {amount.currency} {amount.major}")
            return WrittenOff(loan, amount, outcome.approval)
        return self._write_off(actor, loan, reason)

    def approve_handler(self, approval, checker):
        """The maker-checker handler: the checker's approval writes the loan off (re-checked under lock)."""
        loan = self._check(int(approval.subject_id), lock=True)
        done = self._write_off(checker, loan, approval.reason, approval_id=approval.id,
                               maker_staff_id=approval.maker_staff_id)
        return {"loan_id": loan.id, "amount_minor": done.amount.minor, "currency": loan.currency}

    def _write_off(self, actor, loan, reason, **extra):
        staff = self.staff.get(actor.id)
        principal, penalty = self.outstanding(loan)
        amount = principal + penalty
        postings = [(account, -owed) for account, owed in ((self.accounts.principal(loan), principal),
                                                           (self.accounts.penalty(loan), penalty)) if owed]
        if postings:
            expense = self.ledger.system_account(EXPENSE, loan.currency)
            self.ledger.post(f"loan:{loan.id}:write_off", [(expense, amount), *postings], kind="loan_write_off",
                             memo=f"write-off: loan {loan.id}", initiated_by=staff_label(staff),
                             channel=actor.channel)
        move(loan, WRITTEN_OFF)
        loan.closed_at = self.clock.now()
        self.decisions.record(loan, "written_off", staff_label(staff), actor.channel, reason)
        self.audit.record(actor, ACTION, ("loan", loan.id), before={"state": DEFAULTED},
                          after={"state": WRITTEN_OFF, "principal_minor": principal.minor,
                                 "penalty_minor": penalty.minor, "currency": loan.currency, **extra}, reason=reason)
        return WrittenOff(loan, amount)
