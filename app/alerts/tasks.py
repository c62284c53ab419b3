"""The scheduled velocity scan (app/scheduler runs it every ALERT_SCAN_EVERY_MINUTES)."""

from app.jobs import job


@job
def scan_alerts(services):
    """Apply the velocity rules to the last ALERT_SCAN_LOOKBACK_MINUTES; return how many alerts were new."""
    return len(services.alerts.scan().raised)
