"""The back office's people: staff accounts, roles, actors, maker-checker and the work queue.

Get everything from the composition root (`services = request_services()` or
`build_services(app, session)`); nothing here commits: the caller's unit of work does.

Who acts (app/staff/actor.py)
    `Actor(kind, id, channel, os_user=, request_id=, signed_in=, username=)`;
    `Actor.member(id, channel)`, `Actor.agent(id, channel)`, `Actor.system(name)`.
    Staff actors: `services.staff.cli_actor(username, os_user)` (--staff, not signed in),
    `services.staff.sign_in(username, password, code, channel=)` (signed in; on failure
    commit, then report), `services.staff.console_actor(staff_id, request_id)`.
    CLI helpers: app/staff/cli_auth.py (`staff_option`, `acting`, `signed_in`, `refusals`).

May they? (app/staff/permissions.py is THE table of roles -> permissions)
    `services.staff.require(actor, "payments.reverse", signed_in=False) -> Staff`
    raises `PermissionDenied` (app/staff/errors.py) naming the permission and roles;
    `services.staff.can(actor, permission) -> bool`;
    `services.staff.loan_limit(actor, currency) -> Money | None`,
    `services.staff.require_loan_limit(actor, amount)` (LOAN_OFFICER_LIMITS).

Maker-checker (app/staff/approvals.py; thresholds APPROVAL_THRESHOLDS)
    `services.approvals.request(actor, action, subject, payload, amount=None, reason=...)
    -> Outcome(run_now, approval)`; `approve(checker, approval_id, note=None)` runs the
    handler registered in app/services.py `approval_handlers()` as
    `handler(services, approval, checker)`; `reject(actor, approval_id, reason)`.

Work queue (app/staff/work_queue.py)
    `services.work_queue.open(kind, subject, role, summary=, due_at=None, dedupe_key=None,
    details=None, actor=None) -> WorkItem` (SMS to the role's staff with a phone);
    `list(role=None, status="open")`, `overdue()`, `assign(actor, id)`, `close(actor, id, resolution)`.

Audit every change with `services.audit.record(actor, action, subject, before=, after=,
reason=)` (app/audit); staff management here records its own.
"""
