"""LedgerService.post: balanced, idempotent, no overdraft; the database refuses what the service would."""

from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.ledger import errors
from app.ledger.models import LedgerEntry, LedgerPosting
from app.money import Money

AUDIT = {"initiated_by": "system", "channel": "system"}
OWNER = 10**12 + 1
"""A member id no committed test's member can have (their savings outlive their test)."""


@pytest.fixture
def ledger(services):
    return services.ledger


@pytest.fixture
def savings(ledger):
    return ledger.account("member", OWNER, "member_savings", "KES")


@pytest.fixture
def clearing(ledger):
    return ledger.clearing_account("sandbox", "KES")


def deposit(ledger, account, clearing, minor, key):
    return ledger.post(key, [(clearing, Money(minor, "KES")), (account, Money(-minor, "KES"))], kind="deposit", **AUDIT)


def test_deposit_credits_the_member_in_natural_sign(ledger, savings, clearing):
    clearing_before = ledger.balance(clearing)
    entry = deposit(ledger, savings, clearing, 150_00, "dep:1")
    assert ledger.balance(savings) == Money(150_00, "KES")
    assert ledger.balance(clearing) - clearing_before == Money(150_00, "KES")
    assert savings.balance == -150_00
    assert sorted(p.amount for p in entry.postings) == [-150_00, 150_00]


def test_same_key_twice_returns_the_first_entry_and_changes_nothing(ledger, savings, clearing):
    first = deposit(ledger, savings, clearing, 100_00, "dep:dup")
    again = deposit(ledger, savings, clearing, 100_00, "dep:dup")
    assert again.id == first.id
    assert ledger.balance(savings) == Money(100_00, "KES")


def test_a_replay_may_list_its_postings_in_another_order(ledger, savings, clearing):
    first = deposit(ledger, savings, clearing, 100_00, "dep:order")
    again = ledger.post("dep:order", [(savings, Money(-100_00, "KES")), (clearing, Money(100_00, "KES"))],
                        kind="deposit", **AUDIT)
    assert again.id == first.id


def test_same_key_with_another_amount_is_a_conflict_not_a_success(ledger, savings, clearing):
    first = deposit(ledger, savings, clearing, 100_00, "dep:amount")
    with pytest.raises(errors.IdempotencyConflict) as raised:
        deposit(ledger, savings, clearing, 999_00, "dep:amount")
    assert raised.value.entry.id == first.id
    assert ledger.balance(savings) == Money(100_00, "KES")


def test_same_key_with_another_account_is_a_conflict(ledger, savings, clearing):
    deposit(ledger, savings, clearing, 100_00, "dep:account")
    other = ledger.account("member", 10**12 + 2, "member_savings", "KES")  # no committed test's member
    with pytest.raises(errors.IdempotencyConflict):
        deposit(ledger, other, clearing, 100_00, "dep:account")
    assert ledger.balance(other) == Money(0, "KES")


def test_same_key_with_another_kind_is_a_conflict(ledger, savings, clearing):
    deposit(ledger, savings, clearing, 100_00, "dep:kind")
    with pytest.raises(errors.IdempotencyConflict):
        ledger.post("dep:kind", [(clearing, Money(100_00, "KES")), (savings, Money(-100_00, "KES"))],
                    kind="cash_deposit", **AUDIT)


def test_same_key_with_an_extra_posting_is_a_conflict(ledger, savings, clearing):
    fees = ledger.system_account("fee_income", "KES")
    deposit(ledger, savings, clearing, 100_00, "dep:extra")
    with pytest.raises(errors.IdempotencyConflict):
        ledger.post("dep:extra",
                    [(clearing, Money(100_00, "KES")), (savings, Money(-90_00, "KES")), (fees, Money(-10_00, "KES"))],
                    kind="deposit", **AUDIT)


def test_a_new_key_costs_no_extra_query(ledger, savings, clearing, session):
    """The replay comparison reads the first entry's postings only when the key already exists."""
    from sqlalchemy import event

    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", listener)
    try:
        deposit(ledger, savings, clearing, 100_00, "dep:queries")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert any("ledger_post(" in statement for statement in statements)
    assert not any("FROM ledger_postings" in statement for statement in statements)


def test_lock_returns_the_accounts_in_the_order_given_refreshed(ledger, savings, clearing, session):
    other = ledger.account("member", 10**12 + 2, "member_savings", "KES")
    deposit(ledger, savings, clearing, 100_00, "dep:lock")
    locked = ledger.lock([other, savings])
    assert [account.id for account in locked] == [other.id, savings.id]
    assert locked[1].balance * locked[1].normal_sign == 100_00


def test_lock_order_puts_members_and_agents_before_shared_accounts(ledger, session):
    from sqlalchemy import select

    from app.ledger.models import LedgerAccount, lock_order_clause

    fees = ledger.system_account("fee_income", "KES")  # may be older (smaller id) than the holders
    agent = ledger.account("agent", 7, "agent_float", "KES")
    member = ledger.account("member", 3, "member_savings", "KES")
    ids = [fees.id, agent.id, member.id]
    ordered = session.scalars(select(LedgerAccount.id).where(LedgerAccount.id.in_(ids))
                              .order_by(*lock_order_clause())).all()
    assert ordered == sorted([agent.id, member.id]) + [fees.id]


def test_account_is_get_or_create(ledger, savings):
    assert ledger.account("member", OWNER, "member_savings", "KES").id == savings.id
    assert ledger.system_account("fee_income", "KES").id == ledger.system_account("fee_income", "KES").id
    with pytest.raises(errors.UnknownAccountKind):
        ledger.account("member", OWNER, "pocket_money", "KES")


@pytest.mark.parametrize("amounts, error", [
    ([Money(100, "KES"), Money(-99, "KES")], errors.UnbalancedEntry),
    ([Money(0, "KES"), Money(0, "KES")], errors.ZeroAmount),
    ([100, -100], errors.NotMoney),
    ([100.0, -100.0], errors.NotMoney),
    ([Decimal(1), Decimal(-1)], errors.NotMoney),
])
def test_malformed_entries_are_refused(ledger, savings, clearing, amounts, error):
    with pytest.raises(error):
        ledger.post("bad", list(zip([clearing, savings], amounts, strict=True)), kind="x", **AUDIT)
    assert ledger.entry("bad") is None


def test_errors_are_value_and_type_errors():
    assert issubclass(errors.UnbalancedEntry, ValueError)
    assert issubclass(errors.NotMoney, TypeError)
    assert issubclass(errors.InsufficientFunds, ValueError)


def test_single_posting_and_mixed_currency_are_refused(ledger, savings, clearing):
    ugx = ledger.account("member", OWNER, "member_savings", "UGX")
    with pytest.raises(errors.TooFewPostings):
        ledger.post("one", [(savings, Money(5, "KES"))], kind="x", **AUDIT)
    with pytest.raises(errors.MixedCurrencies):
        ledger.post("mix", [(clearing, Money(5, "KES")), (ugx, Money(-5, "UGX"))], kind="x", **AUDIT)
    with pytest.raises(errors.MixedCurrencies):
        ledger.post("mix2", [(clearing, Money(5, "UGX")), (ugx, Money(-5, "UGX"))], kind="x", **AUDIT)


def test_overdraft_is_refused_and_leaves_the_transaction_usable(ledger, savings, clearing, session):
    deposit(ledger, savings, clearing, 50_00, "dep:a")
    with pytest.raises(errors.InsufficientFunds) as refused:
        ledger.post("wd:a", [(savings, Money(50_01, "KES")), (clearing, Money(-50_01, "KES"))], kind="withdrawal",
                    **AUDIT)
    assert refused.value.available == Money(50_00, "KES")
    assert refused.value.message.msgid == "Not enough money in your account."
    assert ledger.entry("wd:a") is None
    ledger.post("wd:b", [(savings, Money(50_00, "KES")), (clearing, Money(-50_00, "KES"))], kind="withdrawal", **AUDIT)
    assert ledger.balance(savings) == Money(0, "KES")


def test_statement_newest_first_in_natural_sign(ledger, savings, clearing):
    deposit(ledger, savings, clearing, 10_00, "s1")
    deposit(ledger, savings, clearing, 20_00, "s2")
    ledger.post("s3", [(savings, Money(5_00, "KES")), (clearing, Money(-5_00, "KES"))], kind="withdrawal", memo="cash",
                **AUDIT)
    lines = ledger.statement(savings, limit=2)
    assert [line.amount for line in lines] == [Money(-5_00, "KES"), Money(20_00, "KES")]
    assert lines[0].kind == "withdrawal" and lines[0].memo == "cash"


def test_entry_records_the_audit_trail(ledger, savings, clearing):
    entry = ledger.post("audit", [(clearing, Money(1, "KES")), (savings, Money(-1, "KES"))], kind="deposit",
                        initiated_by="member:1", channel="ussd", session_ref="ATUid_1")
    assert (entry.initiated_by, entry.channel, entry.session_ref) == ("member:1", "ussd", "ATUid_1")
    assert entry.created_at is not None


def test_database_rejects_an_unbalanced_entry_at_commit(ledger, savings, clearing, session):
    entry = deposit(ledger, savings, clearing, 1_00, "db:1")
    session.add(LedgerPosting(entry_id=entry.id, account_id=savings.id, amount=7))
    session.flush()
    with pytest.raises(IntegrityError, match="does not balance"):
        session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))


def test_database_rejects_an_entry_without_postings(session, services):
    session.add(LedgerEntry(idempotency_key="empty", kind="x", memo="", created_at=services.clock.now(),
                            initiated_by="system", channel="system"))
    session.flush()
    with pytest.raises(IntegrityError, match="0 posting"):
        session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))


def test_database_refuses_a_negative_no_overdraft_balance(savings, session):
    with pytest.raises(IntegrityError, match="no_overdraft"):
        session.execute(text("UPDATE ledger_accounts SET balance = 1 WHERE id = :id"), {"id": savings.id})


def test_postings_are_append_only(ledger, savings, clearing, session):
    deposit(ledger, savings, clearing, 1_00, "ao:1")
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("UPDATE ledger_postings SET amount = 2 WHERE account_id = :id"), {"id": savings.id})


def test_the_balanced_entry_check_reads_accounts_by_key_never_by_scanning(ledger, savings, clearing, session):
    """The deferred check runs at every commit: a plan that scans ledger_accounts (chosen on a table never
    analysed, as a new or bloated one is) made every post pay for the whole table, three times."""
    for number in range(40):  # enough account rows that a scan is a real choice for the planner
        ledger.account("member", OWNER + 100 + number, "member_savings", "KES")
    deposit(ledger, savings, clearing, 1_00, "scan:1")
    scans = text("SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relid = CAST('ledger_accounts' AS regclass)")
    before = session.execute(scans).scalar()
    session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))  # the deferred checks run now, as at commit
    assert session.execute(scans).scalar() == before


def test_an_account_is_looked_up_once_per_transaction_and_forgotten_after_a_rollback(ledger, session):
    from sqlalchemy import event, select

    from app.ledger.models import LedgerAccount

    owner = 10**12 + 7
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", listener)
    try:
        made = ledger.account("member", owner, "member_savings", "KES")
        made_statements = len(statements)
        assert ledger.account("member", owner, "member_savings", "KES") is made
        assert len(statements) == made_statements  # the second look is answered from memory
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    session.rollback()  # the account made in that transaction is gone, and so is the memory of it
    assert session.scalar(select(LedgerAccount.id).where(LedgerAccount.owner_id == owner)) is None
    again = ledger.account("member", owner, "member_savings", "KES")
    assert session.scalar(select(LedgerAccount.id).where(LedgerAccount.owner_id == owner)) == again.id
