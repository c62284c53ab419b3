"""Reminders from the database for a day: the promised ones, on time, once, whoever runs them."""

from datetime import UTC, date, datetime, time, timedelta

from app.loans.models import LoanInstalment
from app.notifications.models import Notification
from app.scheduler import tick
from tests.app.loans.loan_helpers import deposit as deposit_for
from tests.app.loans.loan_helpers import new_member, product, regular_saver
from tests.app.notifications.notify_helpers import MORNING
from tests.messaging_helpers import run_jobs, sent_sms
from tests.money_helpers import kes


def a_loan(services):
    member = new_member(services)
    regular_saver(services, member, 1000000)
    loan = services.loans.apply_for(member, product(services), kes(10000), 6, idempotency_key="k1",
                                    destination="savings", channel="ussd")
    return member, loan


def test_repayment_reminders_before_on_and_after_the_due_day(app, timed, clock, session):
    clock.at = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    member, loan = a_loan(timed)
    first_due = session.query(LoanInstalment).filter_by(loan_id=loan.id, number=1).one().due_date
    assert first_due == date(2026, 2, 28)
    plan = {date(2026, 2, 25): "repayment_due", date(2026, 2, 27): "repayment_due",
            date(2026, 2, 28): "repayment_due_today", date(2026, 3, 1): "repayment_overdue",
            date(2026, 3, 7): "repayment_overdue", date(2026, 2, 26): None}
    for day, kind in plan.items():
        found = [(r.member_id, r.kind) for r in timed.reminders.compute(day)]
        assert found == ([(member.id, kind)] if kind else []), day


def test_running_a_day_twice_or_from_two_schedulers_sends_once(app, timed, clock, session, providers):
    clock.at = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    member, _loan = a_loan(timed)
    session.commit()
    run_jobs(app)
    providers.calls.reset()
    clock.at = datetime(2026, 2, 25, 4, 0, tzinfo=UTC)  # 07:00 Nairobi, three days before
    first = timed.reminders.run(date(2026, 2, 25), checkpoint=session.commit)
    second = timed.reminders.run(date(2026, 2, 25), checkpoint=session.commit)
    assert (first.made, second.made) == (1, 0)
    redis, queues, settings = app.extensions["redis"], app.extensions["queues"], app.extensions["settings"]
    assert tick(settings, redis, queues, clock.now(), clock.zone).count("reminders") == 1
    assert "reminders" not in tick(settings, redis, queues, clock.now(), clock.zone)  # a second scheduler
    run_jobs(app)
    texts = [text for _, text in sent_sms(providers)]
    assert len(texts) == 1 and "KES 1,725 " in texts[0] and "28 Feb 2026" in texts[0]
    assert session.query(Notification).filter_by(member_id=member.id, kind="repayment_due").count() == 1


def test_identical_texts_go_as_one_bulk_sms(app, timed, clock, session, providers):
    clock.at = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    biz = product(timed)
    for n in range(3):
        member = new_member(timed, name="Amina Wanjiru")
        regular_saver(timed, member, 1000000)
        timed.loans.apply_for(member, biz, kes(10000), 6, idempotency_key=f"b{n}", destination="savings",
                              channel="ussd")
    session.commit()
    run_jobs(app)
    providers.calls.reset()
    clock.at = datetime(2026, 2, 28, 4, 0, tzinfo=UTC)
    assert timed.reminders.run(date(2026, 2, 28), checkpoint=session.commit).made == 3
    run_jobs(app)
    requests = sent_sms(providers)
    assert len(requests) == 1 and len(requests[0][0].split(",")) == 3


def test_scheduler_runs_daily_jobs_at_their_time_only(app, clock):
    redis, queues = app.extensions["redis"], app.extensions["queues"]
    at = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 06:00 Nairobi
    assert "reminders" not in tick(app.extensions["settings"], redis, queues, at, clock.zone)
    names = tick(app.extensions["settings"], redis, queues, datetime(2026, 12, 1, 4, 1, tzinfo=UTC), clock.zone)
    assert "reminders" in names and "payments_reconcile" in names
    later = tick(app.extensions["settings"], redis, queues, datetime(2026, 12, 1, 4, 2, tzinfo=UTC), clock.zone)
    assert "reminders" not in later and "payments_reconcile" not in later


def test_reminders_run_command_acts_as_that_morning(app, timed, clock, session, providers):
    clock.at = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    a_loan(timed)
    session.commit()
    run_jobs(app)
    providers.calls.reset()
    clock.at = datetime(2026, 2, 27, 15, 0, tzinfo=UTC)  # later that day: a missed morning run, re-run
    runner = app.test_cli_runner()
    first = runner.invoke(args=["reminders", "run", "--date", "2026-02-27"])
    second = runner.invoke(args=["reminders", "run", "--date", "2026-02-27"])
    assert first.exit_code == 0, first.output
    assert "computed 1, new 1, handed to the outbox 1" in first.output
    assert "computed 1, new 0, handed to the outbox 0" in second.output
    made = session.query(Notification).filter_by(kind="repayment_due").one()
    assert made.created_at == datetime(2026, 2, 27, 4, 0, tzinfo=UTC)  # 07:00 in Nairobi that day
    run_jobs(app)
    assert [text for _, text in sent_sms(providers)] == [made.text]


def test_reminders_run_for_a_future_day_schedules_them_for_that_morning(app, timed, clock, session, providers):
    # Issue 16 (14): run on 1 Dec for 2 Dec, it used to send "due on ..." reminders at once.
    clock.at = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
    _member, loan = a_loan(timed)
    first_due = session.query(LoanInstalment).filter_by(loan_id=loan.id, number=1).one().due_date
    day = first_due - timedelta(days=1)
    session.commit()
    run_jobs(app)
    providers.calls.reset()
    clock.at = MORNING  # 1 Dec 2026, before `day`'s morning
    assert day > MORNING.date()
    result = app.test_cli_runner().invoke(args=["reminders", "run", "--date", day.isoformat()])
    assert result.exit_code == 0, result.output
    morning = datetime.combine(day, time(7, 0), tzinfo=clock.zone)
    assert f"nothing is sent now; they are scheduled for {morning.isoformat(timespec='minutes')}" in result.output
    made = session.query(Notification).filter_by(kind="repayment_due").one()
    assert made.status == "queued" and made.send_after == morning
    assert "computed 1, new 1, scheduled 1" in result.output
    run_jobs(app)
    assert sent_sms(providers) == []
    assert timed.notifications.dispatch([made.id]) == 0  # even handed over early, it waits for its morning


def test_a_reminder_for_an_instalment_paid_before_its_time_is_not_sent(app, timed, clock, session, providers):
    clock.at = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    member, loan = a_loan(timed)
    session.commit()
    run_jobs(app)
    providers.calls.reset()
    clock.at = datetime(2026, 2, 27, 1, 0, tzinfo=UTC)  # 04:00 in Nairobi: quiet hours, the reminder waits
    timed.reminders.run(date(2026, 2, 27))
    made = session.query(Notification).filter_by(kind="repayment_due").one()
    assert made.status == "queued"
    owed = timed.loans.repayments.payoff(loan)
    deposit_for(timed, member, owed.minor)
    timed.loans.repay_from_savings(loan.id, owed, idempotency_key="early", actor="m", channel="ussd")
    clock.at = datetime(2026, 2, 27, 4, 0, tzinfo=UTC)
    assert timed.notifications.dispatch([made.id]) == 0
    assert made.status == "stale"
