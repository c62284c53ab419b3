"""Daily PAR snapshots: one row per day and currency, replaced when the day is taken again; the job and its schedule."""

from datetime import UTC, date, datetime

from app.loans.par_snapshots import ParSnapshot, ParSnapshots
from app.loans.tasks import snapshot_par
from app.scheduler import JOBS, slot_of
from tests.app.loans.loan_helpers import new_saver, product
from tests.money_helpers import kes


def test_a_day_is_kept_once_and_history_reads_oldest_first(services, session):
    member = new_saver(services)
    services.loans.apply_for(member, product(services), kes(10000), 6, idempotency_key="snap", destination="savings")
    snapshots = ParSnapshots(session, clock=services.clock)
    assert [row.par30_minor for row in snapshots.take(date(2026, 4, 10))] == [1000000]  # 41 days late
    snapshots.take(date(2026, 3, 1))
    again = snapshots.take(date(2026, 4, 10))
    assert session.query(ParSnapshot).filter_by(day=date(2026, 4, 10)).count() == 1
    assert (again[0].outstanding_minor, again[0].par1_minor, again[0].par60_minor) == (1000000, 1000000, 0)
    history = snapshots.history("KES", date(2026, 1, 1))
    assert [row.day for row in history] == [date(2026, 3, 1), date(2026, 4, 10)]
    assert history[1].share(30) == 100.0 and history[0].share(30) == 0.0


def test_an_empty_portfolio_keeps_nothing(services, session):
    assert ParSnapshots(session, clock=services.clock).take(date(2026, 5, 1)) == []


def test_the_scheduler_runs_the_snapshot_daily_after_ageing(app, services):
    recurring = next(job for job in JOBS if job.name == "par_snapshot")
    assert recurring.target is snapshot_par and recurring.passes_day
    settings = app.extensions["settings"]
    assert settings.PAR_SNAPSHOT_AT > settings.LOANS_AGEING_AT
    moment = datetime(2026, 5, 1, 21, 50, tzinfo=UTC).astimezone(services.clock.zone)  # 00:50 in Nairobi
    assert slot_of(recurring, settings, moment) == "2026-05-02"
