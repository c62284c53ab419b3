"""The trial balance (per kind and currency, as of a local day's end) and the accountants' CSV export."""

import csv
import io
from datetime import UTC, date, datetime

import pytest

from app.clock import FixedClock
from app.extensions import db
from app.ledger import reports
from app.money import Money
from app.services import build_services
from tests.app.staff.staff_helpers import new_staff

ZONE = FixedClock(datetime(2026, 3, 1, tzinfo=UTC)).zone


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 3, 1, 20, 30, tzinfo=UTC))  # 23:30 in Nairobi, 1 March


def post(services, key, amount, memo=""):
    ledger = services.ledger
    savings = ledger.account("member", 4242, "member_savings", amount.currency)
    ledger.post(key, [(ledger.clearing_account("sandbox", amount.currency), amount), (savings, -amount)],
                kind="deposit", memo=memo, initiated_by="test", channel="system")


def test_trial_balance_cuts_at_local_midnight_and_balances(app, clock):
    services = build_services(app, db.session, clock=clock)
    post(services, "tb-1", Money(150_000, "KES"))
    clock.advance(hours=1)  # 00:30 on 2 March in Nairobi, still 1 March in UTC
    post(services, "tb-2", Money(50_000, "KES"))
    post(services, "tb-3", Money(7_000, "UGX"))
    first = reports.trial_balance(db.session, date(2026, 3, 1), ZONE)
    lines = {(line.currency, line.kind): (line.debit.minor, line.credit.minor) for line in first.lines}
    assert lines[("KES", "member_savings")][1] >= 150_000 and ("UGX", "member_savings") not in lines
    second = reports.trial_balance(db.session, date(2026, 3, 2), ZONE)
    assert second.balanced and first.balanced
    totals = second.totals()
    assert totals["UGX"] == (Money(7000, "UGX"), Money(7000, "UGX")) or totals["UGX"][0] == totals["UGX"][1]


def test_export_rows_and_csv_cells(app, clock):
    services = build_services(app, db.session, clock=clock)
    post(services, "ex-1", Money(12_345, "KES"), memo="=HYPERLINK(evil)")
    rows = list(reports.postings_between(db.session, date(2026, 3, 1), date(2026, 3, 1), ZONE))
    mine = [row for row in rows if row["idempotency_key"] == "ex-1"]
    assert {(row["debit"], row["credit"]) for row in mine} == {("123.45", ""), ("", "123.45")}
    assert mine[0]["time"] == "2026-03-01T23:30:00+03:00" and mine[0]["holder"] in ("provider", "member:4242")
    stream = io.StringIO()
    assert reports.write_csv(mine, stream) == 2
    parsed = list(csv.DictReader(io.StringIO(stream.getvalue())))
    assert tuple(parsed[0]) == reports.EXPORT_COLUMNS and parsed[0]["memo"] == "'=HYPERLINK(evil)"
    assert not list(reports.postings_between(db.session, date(2026, 3, 2), date(2026, 3, 3), ZONE))


def test_commands_need_ledger_view(app, services, tmp_path):
    runner = app.test_cli_runner()
    finance = new_staff(services, "finance").username
    support = new_staff(services, "support").username
    db.session.commit()  # a refused command rolls back its unit of work (the test's savepoint)
    refused = runner.invoke(args=["ledger", "trial-balance", "--date", "2026-03-01", "--staff", support])
    assert refused.exit_code != 0 and "ledger.view" in refused.output
    shown = runner.invoke(args=["ledger", "trial-balance", "--date", "2026-03-01", "--staff", finance])
    assert shown.exit_code == 0 and "Trial balance" in shown.output, shown.output
    out = tmp_path / "ledger.csv"
    exported = runner.invoke(args=["ledger", "export", "--from", "2026-03-01", "--to", "2026-03-02", "--out",
                                   str(out), "--staff", finance])
    assert exported.exit_code == 0 and out.read_text().startswith("entry_id,time,kind"), exported.output
    bad = runner.invoke(args=["ledger", "export", "--from", "2026-03-02", "--to", "2026-03-01", "--staff", finance])
    assert bad.exit_code != 0
