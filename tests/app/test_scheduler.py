"""app/scheduler: each recurring job is the domain's own job, imported (no fallback copies)."""

from app.keys import scheduler_job_id
from app.loans.tasks import age_loans
from app.scheduler import JOBS


def test_loans_ageing_runs_the_loans_job_that_reverts_failed_disbursements():
    assert {job.name: job.target for job in JOBS}["loans_ageing"] is age_loans


def test_every_job_is_an_rq_job_of_a_domain_package():
    assert all(job.target.__module__.startswith("app.") and job.target.__module__.endswith(".tasks") for job in JOBS)


def test_scheduled_job_ids_hold_no_colon():
    assert scheduler_job_id("reminders", "2026-12-01T10:05") == "cron-reminders-2026-12-01T1005"
