"""verify_ledger and `flask ledger verify` find every kind of broken invariant."""

from sqlalchemy import text

from app.ledger.cli import ledger_command
from app.ledger.verify import verify_ledger
from app.money import Money

AUDIT = {"initiated_by": "system", "channel": "system"}


def seed(services, key="v:1"):
    ledger = services.ledger
    savings = ledger.account("member", 7, "member_savings", "KES")
    clearing = ledger.clearing_account("sandbox", "KES")
    ledger.post(key, [(clearing, Money(300, "KES")), (savings, Money(-300, "KES"))], kind="deposit", **AUDIT)
    return savings, clearing


def test_a_sound_ledger_has_no_problems(services, session):
    seed(services)
    assert verify_ledger(session) == []


def test_cached_balance_drift_is_reported(services, session):
    savings, _ = seed(services)
    session.execute(text("UPDATE ledger_accounts SET balance = -1 WHERE id = :id"), {"id": savings.id})
    problems = verify_ledger(session)
    assert any(p.startswith("cached balance differs") and f"{savings.id}, member_savings" in p for p in problems)


def test_unbalanced_and_mixed_entries_are_reported(services, session):
    savings, clearing = seed(services)
    entry_id = services.ledger.entry("v:1").id
    ugx = services.ledger.account("member", 7, "member_savings", "UGX")
    session.execute(text("INSERT INTO ledger_postings (entry_id, account_id, amount) VALUES (:e, :a, 5)"),
                    {"e": entry_id, "a": ugx.id})
    problems = verify_ledger(session)
    assert any(p.startswith("entry does not sum to zero") for p in problems)
    assert any(p.startswith("entry mixes currencies") for p in problems)


def test_cli_exits_non_zero_with_a_report(app, services, session):
    savings, _ = seed(services)
    runner = app.test_cli_runner()
    assert runner.invoke(ledger_command, ["verify"]).exit_code == 0
    session.execute(text("UPDATE ledger_accounts SET balance = balance - 1 WHERE id = :id"), {"id": savings.id})
    result = runner.invoke(ledger_command, ["verify"])
    assert result.exit_code == 1
    assert "FAIL  cached balance differs from the sum of postings (1)" in result.output
