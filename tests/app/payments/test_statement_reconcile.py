"""Operator statements: both layouts read exactly; every receipt matched both ways; differences to finance once."""

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.audit.models import AuditEvent
from app.extensions import db
from app.money import Money
from app.payments.models import Payment
from app.payments.statements import IN, OUT, StatementError, read_statement
from app.staff.errors import PermissionDenied
from app.staff.models import WorkItem
from tests.app.staff.staff_helpers import new_staff, typed

NAIROBI = ZoneInfo("Africa/Nairobi")

MPESA = """Receipt No.,Completion Time,Initiation Time,Details,Transaction Status,Paid In,Withdrawn,Balance,\
Balance Confirmed,Reason Type,Other Party Info,Linked Transaction ID,A/C No.
RCA1111111,2026-03-01 10:00:00,2026-03-01 10:00:00,Pay Bill from 254712000001,Completed,"1,500.00",,9000.00,\
true,Pay Bill Online,254712000001 - AMINA,,PMJ1
RCA2222222,2026-03-01 11:00:00,2026-03-01 11:00:00,Business Payment to 254712000002,Completed,,-700.00,8300.00,\
true,Business Payment,254712000002 - JUMA,,
RCA2222222,2026-03-01 11:00:00,2026-03-01 11:00:00,Business Payment Charge,Completed,,-22.00,8278.00,\
true,Business Payment Charge,,,
RCA3333333,2026-03-01 12:00:00,2026-03-01 12:00:00,Pay Bill from 254712000003,Completed,200.00,,8478.00,\
true,Pay Bill Online,254712000003 - X,,
RCA4444444,2026-03-01 12:30:00,2026-03-01 12:30:00,Pay Bill from 254712000004,Completed,300.00,,8778.00,\
true,Pay Bill Online,254712000004 - Y,,
RCA5555555,2026-03-01 13:00:00,2026-03-01 13:00:00,Pay Bill from 254712000005,Cancelled,300.00,,8778.00,\
true,Pay Bill Online,254712000005 - Z,,
"""


def payment(session, receipt, amount, direction="collection", state="succeeded", provider="mpesa",
            settled=datetime(2026, 3, 1, 8, 0, tzinfo=UTC)):
    row = Payment(idempotency_key=f"stmt:{receipt}:{provider}", provider=provider, direction=direction,
                  purpose="deposit", amount_minor=amount.minor, currency=amount.currency, phone="+254712000001",
                  state=state, receipt=receipt, created_at=settled, updated_at=settled, settled_at=settled)
    session.add(row)
    session.flush()
    return row


def test_the_mpesa_org_statement_is_read_exactly():
    lines = read_statement(io.StringIO(MPESA), zone=NAIROBI)
    assert [(line.receipt, line.amount, line.direction) for line in lines] == [
        ("RCA1111111", Money(150000, "KES"), IN), ("RCA2222222", Money(70000, "KES"), OUT),
        ("RCA3333333", Money(20000, "KES"), IN), ("RCA4444444", Money(30000, "KES"), IN)]
    assert lines[0].time == datetime(2026, 3, 1, 10, 0, tzinfo=NAIROBI)


@pytest.mark.parametrize("text, error", [
    ("a,b\n1,2\n", "unknown statement layout"),
    ("receipt,time,amount,direction,counterparty\nX1,2026-03-01T10:00,1.5.0,in,256700\n", "line 2"),
    ("receipt,time,amount,direction,counterparty\nX1,2026-03-01T10:00,10,sideways,256700\n", "direction"),
    ("receipt,time,amount,direction,counterparty\nX1,2026-03-01T10:00,10,in,1\nX1,2026-03-01T10:00,10,in,1\n",
     "twice"),
])
def test_unreadable_statements_are_refused_whole(text, error):
    with pytest.raises(StatementError, match=error):
        read_statement(io.StringIO(text), zone=NAIROBI, currency="UGX")


def test_differences_go_to_finance_once(services, session):
    matched = payment(session, "RCA1111111", Money(150000, "KES"))
    wrong_amount = payment(session, "RCA2222222", Money(80000, "KES"), direction="disbursement")
    failed = payment(session, "RCA3333333", Money(20000, "KES"), state="failed")
    missing = payment(session, "RCB9999999", Money(5000, "KES"))
    payment(session, "RCB8888888", Money(5000, "KES"), settled=datetime(2026, 2, 20, tzinfo=UTC))  # out of period
    finance = typed(services, new_staff(services, "finance"))
    lines = read_statement(io.StringIO(MPESA), zone=NAIROBI)
    result = services.statement_reconciliation.run(finance, "mpesa", lines)
    found = {(d.kind, d.receipt, d.payment_id) for d in result.differences}
    assert found == {("differs", "RCA2222222", wrong_amount.id), ("differs", "RCA3333333", failed.id),
                     ("missing_ours", "RCA4444444", None), ("missing_statement", "RCB9999999", missing.id)}
    assert result.matched == 1 and matched.id not in {d.payment_id for d in result.differences}
    assert result.statement_net == {"KES": Money(150000 - 70000 + 20000 + 30000, "KES")}
    items = session.query(WorkItem).filter_by(kind="statement_difference").all()
    assert len(items) == 4 and {item.role for item in items} == {"finance"}
    again = services.statement_reconciliation.run(finance, "mpesa", lines)
    assert {d.work_item_id for d in again.differences} == {item.id for item in items}
    assert session.query(WorkItem).filter_by(kind="statement_difference").count() == 4
    assert session.query(AuditEvent).filter_by(action="payments.reconcile_statement").count() == 2


def test_only_reconciliation_run_may_import(services):
    with pytest.raises(PermissionDenied, match="reconciliation.run"):
        services.statement_reconciliation.run(typed(services, new_staff(services, "support")), "mpesa", [])


def test_the_command(app, services, session, tmp_path):
    payment(session, "MM1", Money(5000, "UGX"), provider="momo")
    finance = new_staff(services, "finance").username
    db.session.commit()
    statement = tmp_path / "momo.csv"
    statement.write_text("receipt,time,amount,direction,counterparty\nMM1,2026-03-01T09:00:00,5000,in,256700000001\n"
                         "MM2,2026-03-01T10:00:00,100,out,256700000002\n")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["payments", "reconcile-statement", str(statement), "--provider", "momo",
                                 "--currency", "UGX", "--staff", finance])
    assert result.exit_code == 0, result.output
    assert "1 matched, 1 difference(s)" in result.output and "missing_ours" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("what,is,this\n")
    refused = runner.invoke(args=["payments", "reconcile-statement", str(bad), "--staff", finance])
    assert refused.exit_code != 0 and "unknown statement layout" in refused.output
