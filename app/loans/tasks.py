"""Loan jobs (queue `low`): the daily ageing run and PAR snapshot the scheduler enqueues (app/scheduler)."""

from datetime import date

from app.jobs import job
from app.loans.ageing import Ageing
from app.loans.par_snapshots import ParSnapshots


@job
def age_loans(services, day_iso):
    """Age every loan as of `day_iso` (idempotent per day); failed payouts go back to `approved` first."""
    services.loans.revert_failed_disbursements()
    result = Ageing(services.session, ledger=services.ledger, clock=services.clock).run(date.fromisoformat(day_iso))
    return {"loans": result.loans, "overdue": result.overdue_instalments, "penalties": len(result.penalties)}


@job
def snapshot_par(services, day_iso):
    """Keep the portfolio's PAR as of `day_iso` for the console's chart (replaces that day's rows)."""
    rows = ParSnapshots(services.session, clock=services.clock).take(date.fromisoformat(day_iso))
    return {"currencies": [row.currency for row in rows]}
