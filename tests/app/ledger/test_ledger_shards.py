"""Hot shared accounts: balances in shards, summed on read; no-overdraft still holds, in the service and the database.

A sharded account (owners system, provider, group) takes the postings that grow it in
one shard per transaction, without its row lock; a posting that shrinks a no-overdraft
one is checked on its row, after folding the shards in when the row alone is short.
"""

import uuid

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from app.clock import SystemClock
from app.extensions import db
from app.ledger import errors
from app.ledger.models import SHARDS, LedgerAccount, LedgerAccountShard
from app.ledger.services import LedgerService
from app.ledger.verify import verify_ledger
from app.money import Money
from tests.concurrency_helpers import run_in_threads

AUDIT = {"initiated_by": "system", "channel": "system"}
OWNER = 10**12 + 11
THREADS = 10  # within the pool (5 + 10 overflow)
"""A member id no committed test's member can have."""


def kes(minor):
    return Money(minor, "KES")


@pytest.fixture
def ledger(services):
    return services.ledger


def unique():
    return uuid.uuid4().int % 10**15


def pool(ledger, owner_id):
    """A group pool: sharded, credit-normal, no overdraft."""
    return ledger.account("group", owner_id, "group_pool", "KES")


def test_shared_counter_accounts_are_sharded_and_holders_are_not(ledger):
    assert ledger.clearing_account("sandbox", "KES").shards == SHARDS
    assert ledger.system_account("fee_income", "KES").shards == SHARDS
    assert pool(ledger, unique()).shards == SHARDS
    assert ledger.account("member", OWNER, "member_savings", "KES").shards == 0
    assert ledger.account("agent", OWNER, "agent_float", "KES").shards == 0


def test_a_post_is_one_statement_and_no_savepoint(ledger, session):
    savings = ledger.account("member", OWNER, "member_savings", "KES")
    clearing = ledger.clearing_account("sandbox", "KES")
    session.expire_all()  # as after the caller's previous commit: the post must not reload them
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", listener)
    try:
        entry = ledger.post("one:stmt", [(clearing, kes(100)), (savings, kes(-100))], kind="deposit", **AUDIT)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 1 and "ledger_post(" in statements[0]
    assert entry.id is not None and entry.idempotency_key == "one:stmt"
    assert sorted(p.amount for p in entry.postings) == [-100, 100]


def test_ledger_post_locks_holders_first_as_lock_order_clause_does(session):
    """The function's SQL (migration 0022) spells the lock order that models.lock_order_clause keeps."""
    from app.ledger.models import HOLDER_OWNERS

    source = session.execute(text("SELECT prosrc FROM pg_proc WHERE proname = 'ledger_post'")).scalar()
    holders = ", ".join(f"'{owner}'" for owner in HOLDER_OWNERS)
    assert f"ORDER BY a.owner_type NOT IN ({holders}), a.id" in source
    assert "FOR NO KEY UPDATE OF a" in source


def test_a_growing_posting_goes_to_a_shard_and_the_balance_sums_them(ledger, session):
    savings = ledger.account("member", OWNER, "member_savings", "KES")
    clearing = ledger.clearing_account(f"shard{unique()}", "KES")
    ledger.post("sh:1", [(clearing, kes(300)), (savings, kes(-300))], kind="deposit", **AUDIT)
    shards = session.scalars(select(LedgerAccountShard).where(LedgerAccountShard.account_id == clearing.id)).all()
    assert [shard.balance for shard in shards] == [300]
    assert ledger.balance(clearing) == kes(300) and clearing.balance == 0  # the row holds only the base
    assert ledger.balance(savings) == kes(300)
    assert verify_ledger(session) == []


def test_a_shrinking_posting_folds_the_shards_in_when_the_row_is_short(ledger, session):
    group_pool, savings = pool(ledger, unique()), ledger.account("member", OWNER, "member_savings", "KES")
    clearing = ledger.clearing_account("sandbox", "KES")
    for n in range(3):
        ledger.post(f"fold:in:{n}", [(clearing, kes(100)), (group_pool, kes(-100))], kind="contribution", **AUDIT)
    assert group_pool.balance == 0 and ledger.balance(group_pool) == kes(300)
    ledger.post("fold:out", [(group_pool, kes(250)), (savings, kes(-250))], kind="group_payout", **AUDIT)
    assert ledger.balance(group_pool) == kes(50) and ledger.balance(savings) == kes(250)
    assert session.scalar(text("SELECT SUM(balance) FROM ledger_account_shards WHERE account_id = :id"),
                          {"id": group_pool.id}) == 0
    assert verify_ledger(session) == []


def test_an_overdraft_of_a_sharded_account_is_refused_and_writes_nothing(ledger, session):
    group_pool, savings = pool(ledger, unique()), ledger.account("member", OWNER, "member_savings", "KES")
    clearing = ledger.clearing_account("sandbox", "KES")
    ledger.post("od:in", [(clearing, kes(100)), (group_pool, kes(-100))], kind="contribution", **AUDIT)
    with pytest.raises(errors.InsufficientFunds) as refused:
        ledger.post("od:out", [(group_pool, kes(101)), (savings, kes(-101))], kind="group_payout", **AUDIT)
    assert refused.value.account is group_pool and refused.value.available == kes(100)
    assert ledger.entry("od:out") is None and ledger.balance(group_pool) == kes(100)
    ledger.post("od:out2", [(group_pool, kes(100)), (savings, kes(-100))], kind="group_payout", **AUDIT)
    assert ledger.balance(group_pool) == kes(0)


def test_a_replay_is_returned_even_when_the_balance_no_longer_covers_it(ledger, session):
    savings = ledger.account("member", OWNER, "member_savings", "KES")
    clearing = ledger.clearing_account("sandbox", "KES")
    ledger.post("rp:in", [(clearing, kes(100)), (savings, kes(-100))], kind="deposit", **AUDIT)
    withdrawal = [(savings, kes(100)), (clearing, kes(-100))]
    first = ledger.post("rp:out", withdrawal, kind="withdrawal", **AUDIT)
    assert ledger.post("rp:out", withdrawal, kind="withdrawal", **AUDIT).id == first.id
    assert ledger.balance(savings) == kes(0)


def test_an_account_of_another_currency_is_refused_and_writes_nothing(ledger):
    savings = ledger.account("member", OWNER, "member_savings", "KES")
    ugx = ledger.clearing_account("sandbox", "UGX")
    with pytest.raises(errors.MixedCurrencies):
        ledger.post("cur", [(ugx, kes(5)), (savings, kes(-5))], kind="deposit", **AUDIT)
    assert ledger.entry("cur") is None


def test_the_database_refuses_a_negative_shard_of_a_no_overdraft_account(ledger, session):
    group_pool = pool(ledger, unique())
    with pytest.raises(IntegrityError, match="no_overdraft"):
        session.execute(text("INSERT INTO ledger_account_shards (account_id, shard, normal_sign, allow_negative, "
                             "balance) VALUES (:id, 0, -1, false, 1)"), {"id": group_pool.id})


@pytest.mark.committed
def test_concurrent_contributions_and_payouts_on_one_sharded_pool_never_overdraw(app):
    """Half the posters credit one pool (into shards), half take from it (folding): no deadlock, no overdraft."""
    make_session = sessionmaker(bind=db.engine)
    owner = unique()
    with make_session() as session:
        ledger = LedgerService(session, clock=SystemClock())
        pool_id = pool(ledger, owner).id
        clearing_id = ledger.clearing_account(f"conc{owner}", "KES").id
        savings_ids = [ledger.account("member", owner + n, "member_savings", "KES").id for n in range(THREADS // 2)]
        session.commit()

    def move(index):
        with make_session() as session:
            ledger = LedgerService(session, clock=SystemClock())
            group_pool, clearing = session.get(LedgerAccount, pool_id), session.get(LedgerAccount, clearing_id)
            outcomes = []
            for n in range(10):
                try:
                    if index % 2 == 0:
                        ledger.post(f"conc:{owner}:in:{index}:{n}", [(clearing, kes(100)), (group_pool, kes(-100))],
                                    kind="contribution", **AUDIT)
                    else:
                        savings = session.get(LedgerAccount, savings_ids[index // 2])
                        ledger.post(f"conc:{owner}:out:{index}:{n}", [(group_pool, kes(150)), (savings, kes(-150))],
                                    kind="group_payout", **AUDIT)
                    session.commit()
                    outcomes.append("ok")
                except errors.InsufficientFunds:
                    session.rollback()
                    outcomes.append("refused")
                except Exception as error:  # noqa: BLE001 - the test counts every other failure
                    session.rollback()
                    outcomes.append(f"{type(error).__name__}: {str(error).splitlines()[0][:160]}")
            return outcomes

    results = [outcome for outcomes in run_in_threads(move, THREADS) for outcome in outcomes]
    assert set(results) <= {"ok", "refused"}, sorted(set(results))
    with make_session() as session:
        ledger = LedgerService(session, clock=SystemClock())
        paid_in = THREADS // 2 * 10 * 100
        paid_out = 150 * sum(1 for index in range(1, THREADS, 2) for n in range(10)
                             if ledger.entry(f"conc:{owner}:out:{index}:{n}") is not None)
        assert ledger.balance(session.get(LedgerAccount, pool_id)) == kes(paid_in - paid_out) >= kes(0)
        assert verify_ledger(session) == []
