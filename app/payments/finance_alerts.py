"""Payment events finance must see, recorded as `security_alerts` rows (never only a log line).

The alert table is the one back-office list of things a person must look at; a payment alert
names the payment as its subject (`subject_type` "payment"). Each is raised once per rule and
payment (the table's unique key), so a repeated callback raises nothing twice. The caller commits.
"""

from sqlalchemy.dialects.postgresql import insert

from app.alerts.models import OPEN, SecurityAlert
from app.observability import log_event

LATE_SUCCESS = "late_success"
"""The operator reported success for a payment we had recorded as failed (money may have moved)."""


def raise_finance_alert(session, rule, payment, evidence, now):
    """Insert the alert `rule` about `payment` unless it was raised before; return True when new."""
    alert_id = session.scalar(
        insert(SecurityAlert)
        .values(rule=rule, subject_type="payment", subject_id=payment.id, window_key=f"payment:{payment.id}",
                evidence=evidence, status=OPEN, created_at=now)
        .on_conflict_do_nothing(constraint="uq_security_alerts_rule")
        .returning(SecurityAlert.id))
    if alert_id is not None:
        log_event("alert.raised", alert=alert_id, rule=rule, subject=f"payment:{payment.id}",
                  reference=payment.reference)
    return alert_id is not None
