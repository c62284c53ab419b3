"""Ageing (idempotent per date, one penalty per instalment after grace) and PAR on a small known portfolio."""

from datetime import UTC, date, datetime
from decimal import Decimal

from click.testing import CliRunner

from app.loans.ageing import Ageing, portfolio_at_risk
from app.loans.models import LoanInstalment
from tests.app.loans.loan_helpers import new_saver, product
from tests.money_helpers import kes


def borrow(services, biz, major, term, key):
    member = new_saver(services)
    return services.loans.apply_for(member, biz, kes(major), term, idempotency_key=key, destination="savings")


def test_ageing_twice_for_a_date_charges_one_penalty(services, session):
    loan = borrow(services, product(services), 10000, 6, "a")
    ageing = Ageing(session, ledger=services.ledger, clock=services.clock)
    first = ageing.run(date(2026, 3, 2))  # 2 days late: within the 3 grace days
    assert first.overdue_instalments == 1 and first.penalties == []
    second = ageing.run(date(2026, 3, 5))  # 5 days late
    assert second.penalties == [(loan.id, 1, kes(86))]
    again = ageing.run(date(2026, 3, 5))
    assert again.penalties == [] and again.overdue_instalments == 1
    later = ageing.run(date(2026, 4, 10))  # instalment 1 is 41 days late, instalment 2 ten days
    assert later.penalties == [(loan.id, 2, kes(86))]
    rows = services.loans.schedule(loan)
    assert [(row.days_overdue, row.penalty_due_minor, row.penalty_on) for row in rows[:3]] == [
        (41, 8600, date(2026, 3, 5)), (10, 8600, date(2026, 4, 10)), (0, 0, None)]
    penalty_account = services.ledger.balance(services.loans.accounts.penalty(loan))
    assert penalty_account == kes(172)
    summary = services.loans.summary(loan, date(2026, 4, 10))
    # whole shillings: 2 x 1,725 + 2 x 86
    assert summary.arrears == kes(3622) and summary.next_due_date == date(2026, 2, 28)


def test_par_on_a_known_portfolio(services, session):
    biz, quick = product(services), product(services, code="QUICK", terms=[3])
    late = borrow(services, biz, 10000, 6, "late")  # nothing paid: 76 days late on 15 May
    good = borrow(services, biz, 6000, 6, "good")
    services.loans.repay_from_savings(good.id, kes(3105), idempotency_key="g3", actor="m", channel="ussd")
    assert [row.paid for row in services.loans.schedule(good)] == [True] * 3 + [False] * 3
    services.clock.at = datetime(2026, 4, 10, 9, 0, tzinfo=UTC)
    borrow(services, quick, 2000, 3, "new")  # first due 10 May: 5 days late on 15 May
    lines = {(line.scope, line.name): line for line in portfolio_at_risk(session, date(2026, 5, 15))}
    everything = lines[("portfolio", "all")]
    assert everything.outstanding == 1000000 + 304500 + 200000
    assert everything.at_risk == {1: 1200000, 30: 1000000, 60: 1000000, 90: 0}
    assert [everything.share(days) for days in (1, 30, 60, 90)] == [Decimal("79.76"), Decimal("66.47"),
                                                                    Decimal("66.47"), Decimal("0.00")]
    assert (lines[("product", "BIZ")].outstanding, lines[("product", "BIZ")].at_risk[1]) == (1304500, 1000000)
    assert lines[("product", "QUICK")].at_risk == {1: 200000, 30: 0, 60: 0, 90: 0}
    assert lines[("group", "-")].outstanding == everything.outstanding
    assert session.query(LoanInstalment).filter(LoanInstalment.loan_id == late.id).count() == 6


def test_par_and_age_commands(app, services, session):
    borrow(services, product(services), 10000, 6, "cli")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["loans", "par", "--date", "2026-05-15", "--json"])
    assert result.exit_code == 0, result.output
    assert '"par60": 1000000' in result.output
    result = runner.invoke(args=["loans", "age", "--date", "2026-03-05"])
    assert result.exit_code == 0 and "1 new penalty" in result.output, result.output
    result = runner.invoke(args=["loans", "age", "--date", "2026-03-05"])
    assert "0 new penalties" in result.output
    assert isinstance(runner, CliRunner)
