"""The alert service and its commands: what a scan reads, records once, and lists."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.alerts.cli import parse_since
from app.alerts.models import CLOSED, SecurityAlert
from app.clock import FixedClock
from app.money import Money
from tests.clock_helpers import app_clock
from tests.messaging_helpers import run_jobs
from tests.money_helpers import fund_savings

WHEN = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
clock = app_clock(WHEN)


@pytest.fixture
def amina(timed):
    member = timed.members.register(phone="+254711000201", name="Amina Wanjiru", national_id="12345678",
                                    locale="en", pin="4821")
    fund_savings(timed, member, 1_000_000)
    return member


def withdraw(services, member, major, key):
    return services.savings.withdraw(member, Money.from_major(major, "KES"), key, channel="ussd")


def test_a_phone_change_then_money_out_is_an_alert(timed, clock, amina):
    amina.phone_changed_at = clock.now()  # what the operations issue's phone change will set
    clock.advance(hours=1)
    withdraw(timed, amina, 500, "alerts:phone:1")
    [alert] = timed.alerts.scan().raised
    assert alert.rule == "change_then_money_out" and alert.evidence["change"] == "phone"


def test_the_default_scan_looks_back_the_configured_minutes_and_history_further(timed, clock, amina):
    timed.members.set_pin(amina, "5930")
    clock.advance(hours=30)
    withdraw(timed, amina, 500, "alerts:window:1")
    clock.advance(minutes=121)  # ALERT_SCAN_LOOKBACK_MINUTES is 120
    assert timed.alerts.scan().raised == []
    result = timed.alerts.scan(since=clock.now() - timedelta(hours=3))
    assert [alert.rule for alert in result.raised] == ["change_then_money_out"]
    assert result.since == clock.now() - timedelta(hours=3) and result.until == clock.now()


def test_a_scan_reads_and_locks_no_money_table(timed, clock, amina, session):
    withdraw(timed, amina, 500, "alerts:ro:1")
    session.flush()
    statements = []
    from sqlalchemy import event

    engine = session.get_bind()

    def record(conn, cursor, statement, *args):
        statements.append(statement.upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        timed.alerts.scan()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert statements and not any("FOR UPDATE" in s or s.startswith(("UPDATE", "DELETE")) for s in statements)
    assert all("SECURITY_ALERTS" in s for s in statements if s.startswith("INSERT"))


def test_list_shows_newest_first_by_status(timed, clock, session):
    for index, status in enumerate(("open", CLOSED, "open")):
        session.add(SecurityAlert(rule="structuring", subject_type="member", subject_id=index, window_key="w",
                                  evidence={}, status=status, created_at=clock.now()))
    session.flush()
    assert [a.subject_id for a in timed.alerts.list()] == [2, 0]
    assert [a.subject_id for a in timed.alerts.list(None)] == [2, 1, 0]
    assert [a.subject_id for a in timed.alerts.list(CLOSED)] == [1]


def test_the_scheduled_job_scans(app, timed, clock, amina, session):
    from app.alerts.tasks import scan_alerts

    timed.members.set_pin(amina, "5930")
    withdraw(timed, amina, 500, "alerts:job:1")
    session.commit()
    app.extensions["queues"]["low"].enqueue(scan_alerts)
    run_jobs(app)
    assert [a.rule for a in session.scalars(select(SecurityAlert))] == ["change_then_money_out"]


def test_flask_alerts_scan_and_list(app, timed, clock, amina, session):
    timed.members.set_pin(amina, "5930")
    clock.advance(hours=5)
    withdraw(timed, amina, 500, "alerts:cli:1")
    clock.advance(hours=1)
    session.commit()
    runner = app.test_cli_runner()
    quiet = runner.invoke(args=["alerts", "scan", "--since", "10m"])
    assert quiet.exit_code == 0, quiet.output
    scanned = runner.invoke(args=["alerts", "scan", "--since", "1d"])
    assert scanned.exit_code == 0, scanned.output
    assert "1 new alert(s)" in scanned.output and f"change_then_money_out member:{amina.id}" in scanned.output
    again = runner.invoke(args=["alerts", "scan", "--since", "2026-11-23T00:00"])
    assert "0 new alert(s)" in again.output
    listed = runner.invoke(args=["alerts", "list", "--evidence"])
    assert listed.exit_code == 0 and "open change_then_money_out" in listed.output
    assert '"change": "pin"' in listed.output
    assert "no alerts" in runner.invoke(args=["alerts", "list", "--status", "closed"]).output
    assert runner.invoke(args=["alerts", "scan", "--since", "yesterday"]).exit_code != 0


def test_parse_since():
    now = FixedClock(WHEN).local_now()
    assert parse_since("90m", now) == now - timedelta(minutes=90)
    assert parse_since("2d", now) == now - timedelta(days=2)
    assert parse_since("2026-11-24T08:00", now) == datetime(2026, 11, 24, 8, 0, tzinfo=now.tzinfo)
    assert parse_since("2026-11-24T08:00+00:00", now) == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def test_a_new_alert_is_a_compliance_work_item_and_closing_it_closes_both(timed, clock, amina):
    from app.alerts.services import AlertClosed
    from app.staff.errors import PermissionDenied
    from app.staff.models import WorkItem
    from tests.app.staff.staff_helpers import new_staff, typed

    amina.phone_changed_at = clock.now()
    clock.advance(hours=1)
    withdraw(timed, amina, 500, "alerts:queue:1")
    [alert] = timed.alerts.scan().raised
    assert timed.alerts.scan(since=clock.now() - timedelta(hours=2)).raised == []  # raised, and queued, once
    [item] = timed.session.scalars(select(WorkItem).where(WorkItem.dedupe_key == f"security_alert:{alert.id}")).all()
    assert item.role == "compliance" and item.status == "open"

    with pytest.raises(PermissionDenied):
        timed.alerts.close(typed(timed, new_staff(timed, "support")), alert.id, "looked")
    officer = typed(timed, new_staff(timed, "compliance"))
    timed.alerts.close(officer, alert.id, "called the member: she changed SIM herself")
    assert alert.status == CLOSED and item.status == "done"
    with pytest.raises(AlertClosed):
        timed.alerts.close(officer, alert.id, "again")
