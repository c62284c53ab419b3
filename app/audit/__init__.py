"""The audit log: who did what to which subject, when, through which channel, and why.

    services.audit.record(actor, "members.block", ("member", 42),
                          before={"blocked": False}, after={"blocked": True}, reason="lost phone")

- One append-only `audit_events` row per action, in the caller's transaction (the
  database refuses UPDATE, DELETE and TRUNCATE on the table).
- `subject` is `("member", 42)`, `"member:42"`, or an object with subject_type/subject_id.
- `before` / `after`: dicts of the fields; only those that changed are kept, scrubbed
  of PINs, passwords, codes, secrets and full ID numbers (app/audit/scrub.py).
- `action` must be listed in app/audit/actions.py, which marks MONEY and ACCESS actions:
  those raise `ReasonRequired` without a reason. Call `require_reason(action, reason)`
  before changing anything, so a missing reason never leaves a partial write.
- Reading: `services.audit.for_subject(subject)`, `services.audit.search(actor=, action=,
  since=, subject_type=, limit=)`; CLI `flask audit show --subject member:42`,
  `flask audit list [--actor staff:3] [--action payments.*] [--since 3d]`.
"""
