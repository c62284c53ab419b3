"""Notification jobs (queue `default`): dispatch what waited for quiet hours, and sweep lost ones."""

from datetime import timedelta

from app.jobs import job

STALE_AFTER = timedelta(minutes=15)
"""A notification still queued this long after its time lost its job (a crash between commit and enqueue)."""

DISPATCH_CHUNK = 500


@job
def dispatch_notifications(services, notification_ids):
    """Hand the due notifications among `notification_ids` to the outbox (which sends them from its jobs)."""
    return services.notifications.dispatch(notification_ids)


@job
def sweep_notifications(services):
    """Dispatch notifications whose job never ran (scheduled every few minutes); returns how many."""
    ids = services.notifications.stale_queued(STALE_AFTER)
    for start in range(0, len(ids), DISPATCH_CHUNK):
        services.notifications.dispatch(ids[start:start + DISPATCH_CHUNK])
    return len(ids)


@job
def run_reminders(services, day_iso=None):
    """The morning reminder run for a local day (today by default); safe to run twice."""
    from datetime import date

    day = date.fromisoformat(day_iso) if day_iso else services.clock.today()
    return tuple(services.reminders.run(day, checkpoint=services.session.commit))
