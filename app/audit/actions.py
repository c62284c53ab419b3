"""Every audited action and what it affects: the one table that says when a reason is required.

`MONEY` and `ACCESS` actions refuse to be recorded without a reason (issue 14: a
reason for every money-affecting or access-affecting action); `RECORD` actions
(sign-ins, queue bookkeeping, requests whose decision is audited separately) may
have one. An action missing here is refused by `Audit.record`: add a line when a
workflow adds an action, so this table stays the list an auditor reads.
"""

MONEY, ACCESS, RECORD = "money", "access", "record"

ACTIONS = {
    # staff accounts (app/staff)
    "staff.create": ACCESS,
    "staff.disable": ACCESS,
    "staff.enable": ACCESS,
    "staff.roles": ACCESS,
    "staff.password_reset": ACCESS,
    "staff.totp_reset": ACCESS,
    "staff.totp_enrolled": RECORD,
    "staff.sign_in": RECORD,
    "staff.sign_in_failed": RECORD,
    "staff.locked": RECORD,
    # maker-checker (app/staff/approvals.py)
    "approvals.request": RECORD,
    "approvals.approve": RECORD,
    "approvals.reject": RECORD,
    # work queue (app/staff/work_queue.py)
    "work.open": RECORD,
    "work.assign": RECORD,
    "work.close": RECORD,
    # the workflows of issue 14 (their owners may add more)
    "payments.resolve": MONEY,
    "payments.reverse": MONEY,
    "payments.late_callback": RECORD,
    "payments.reconcile_statement": RECORD,
    "ledger.reverse": MONEY,
    "ledger.export": RECORD,
    "disputes.open": RECORD,
    "disputes.investigate": RECORD,
    "disputes.uphold": MONEY,
    "disputes.reject": MONEY,
    "disputes.escalate": RECORD,
    "pins.reset.request": RECORD,
    "pins.reset.approve": ACCESS,
    "pins.reset.complete": ACCESS,
    "pins.reset.close": RECORD,
    "kyc.verify": ACCESS,
    "kyc.tier3": ACCESS,
    "kyc.downgrade": ACCESS,
    "members.block": ACCESS,
    "members.unblock": ACCESS,
    "members.phone_change": ACCESS,
    "members.phone_change.request": RECORD,
    "members.momo_number.request": RECORD,
    "members.momo_number.set": MONEY,
    "members.momo_number.remove": MONEY,
    "agents.suspend": ACCESS,
    "agents.reinstate": ACCESS,
    "agents.limits": MONEY,
    "floats.approve": MONEY,
    "loans.approve": MONEY,
    "loans.decline": MONEY,
    "loans.write_off": MONEY,
    "loans.redisburse": MONEY,
    "loans.recover": MONEY,
    "alerts.close": RECORD,
    "settings.change": ACCESS,
}
"""action -> MONEY, ACCESS or RECORD."""

NEEDS_REASON = frozenset(action for action, effect in ACTIONS.items() if effect in (MONEY, ACCESS))
"""Actions recorded only with a reason."""
