"""Statements over millions of postings and PAR over a million loans: seeded with generate_series.

Seeds a `bench_scale_<pid>` schema on the local PostgreSQL (migrated to head, then filled
set-based with triggers and foreign keys off: `session_replication_role = replica`):
`--postings` ledger postings (two per entry: a member's savings account and one shared
clearing account, the hot account with half of all postings; every tenth entry of the
older half goes to one agent's float instead, a busy account whose last movements are
old) over `--accounts` member accounts, and `--loans` disbursed loans of six monthly instalments (a third of them
overdue by 1 to 120 days). Then, in the same run:

- the mini-statement query (`LedgerService.statement`, last 5 movements) for a member,
  the clearing account and the agent, first WITHOUT `ix_ledger_postings_account_entry` (the index
  before migration 0023), then with it, built CONCURRENTLY as the migration does;
  median and p95 over `--repeat` calls, and EXPLAIN ANALYZE of each;
- `portfolio_at_risk` (what `flask loans par` prints), timed and EXPLAIN ANALYZEd.

    .venv/bin/python bench/statement_scale.py [--postings 10000000] [--loans 1000000] [--accounts 100000]

Targets (issue 17): a statement under 50 ms at 10 million postings, PAR under 10 s at a
million loans. The schema is dropped at the end (`--keep` leaves it).
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCHEMA = f"bench_scale_{os.getpid()}"
"""Per process, so two runs never drop each other's tables."""
SESSION_OPTIONS = f"-csearch_path%3D{SCHEMA}%20-cstatement_timeout%3D0%20-clock_timeout%3D0"
"""The bench's schema, and no timeouts whatever the shared role says (seeding takes minutes)."""
AS_OF = date(2026, 12, 1)
NEW_INDEX = "ix_ledger_postings_account_entry"


def seed_ledger(conn, postings, accounts):
    from sqlalchemy import text

    entries = postings // 2
    conn.execute(text("""
        INSERT INTO ledger_accounts (id, owner_type, owner_id, kind, currency, normal_sign, allow_negative, balance)
        SELECT n, CASE WHEN n = 0 THEN 'pamoja' WHEN n > :accounts THEN 'agent' ELSE 'member' END, NULLIF(n, 0),
               CASE WHEN n = 0 THEN 'mpesa_clearing' WHEN n > :accounts THEN 'agent_float' ELSE 'savings' END,
               'KES', 1, n = 0, 0
        FROM generate_series(0, :accounts + 1) AS n"""), {"accounts": accounts})
    conn.execute(text("""
        INSERT INTO ledger_entries (id, idempotency_key, kind, memo, created_at, initiated_by, channel)
        SELECT n, 'bench:' || n, 'deposit', '', TIMESTAMPTZ '2026-01-01' + n * INTERVAL '1 second', 'bench', 'bench'
        FROM generate_series(1, :entries) AS n"""), {"entries": entries})
    conn.execute(text("""
        INSERT INTO ledger_postings (id, entry_id, account_id, amount)
        SELECT 2 * n - side, n, CASE WHEN side = 0 THEN 0 WHEN n % 10 = 0 AND n <= :entries / 2 THEN :accounts + 1
                                     ELSE 1 + n % :accounts END,
               CASE WHEN side = 1 THEN -10000 ELSE 10000 END
        FROM generate_series(1, :entries) AS n, (VALUES (0), (1)) AS sides(side)"""),
        {"entries": entries, "accounts": accounts})


def seed_loans(conn, loans):
    from sqlalchemy import text

    conn.execute(text("""
        INSERT INTO loan_products (id, code, name, currency, min_amount, max_amount, terms, frequency,
            interest_method, annual_rate, fee_type, fee_value, fee_timing, penalty_type, penalty_value, grace_days,
            savings_multiplier, min_membership_days, guarantor_rule, approval, auto_approve_max, active)
        SELECT n, 'P' || n, 'Product ' || n, 'KES', 100, 100000000, '{6}', 'monthly', 'declining', 12, 'percent',
               0, 'deducted', 'percent', 0, 0, 3, 0, 'above_limit', 'auto', 0, true
        FROM generate_series(1, 5) AS n"""))
    conn.execute(text("""
        INSERT INTO loans (id, idempotency_key, member_id, product_id, principal, currency, instalments, frequency,
            interest_method, annual_rate, fee, fee_timing, state, destination, own_limit, disbursed_on, applied_at,
            disbursed_at, channel)
        SELECT n, 'bench:' || n, n, 1 + n % 5, 600000, 'KES', 6, 'monthly', 'declining', 12, 0, 'deducted',
               CASE WHEN n % 50 = 0 THEN 'closed' ELSE 'disbursed' END, 'savings', 0,
               DATE '2026-07-01' - (n % 120), now(), now(), 'system'
        FROM generate_series(1, :loans) AS n"""), {"loans": loans})
    conn.execute(text("""
        INSERT INTO loan_instalments (loan_id, number, due_date, principal_due, interest_due, fee_due, penalty_due,
            principal_paid, interest_paid, fee_paid, penalty_paid, paid, days_overdue)
        SELECT l.id, k, l.disbursed_on + k * 30, 100000, 6000, 0, 0, paid_principal, 0, 0, 0,
               paid_principal = 100000, 0
        FROM loans l, generate_series(1, 6) AS k,
             LATERAL (SELECT CASE WHEN l.id % 3 = 0 OR l.disbursed_on + k * 30 >= :as_of THEN 0 ELSE 100000 END
                      AS paid_principal) AS p"""), {"as_of": AS_OF})


def timed(call, repeat):
    """(median ms, p95 ms) of `call()` over `repeat` runs."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def explain(session, statement):
    from sqlalchemy import text

    from app.extensions import db

    compiled = statement.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    return [row[0] for row in session.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF) {compiled}"))]


def measure_statements(session, ledger, repeat, label, accounts):
    from app.ledger.models import LedgerAccount
    from app.ledger.services import statement_query

    for name, account_id in (("member", 1), ("clearing (hot)", 0), ("agent (busy)", accounts + 1)):
        account = session.get(LedgerAccount, account_id)
        lines = ledger.statement(account, 5)
        median, p95 = timed(lambda account=account: ledger.statement(account, 5), repeat)
        print(f"  statement {name:<15} {label}: median {median:8.2f} ms, p95 {p95:8.2f} ms ({len(lines)} lines)")
        plan = explain(session, statement_query(account_id, 5))
        print("    " + "\n    ".join(line for line in plan if "Scan" in line or "Sort" in line or "Execution" in line))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--postings", type=int, default=10_000_000)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="leave the schema for a look afterwards")
    args = parser.parse_args()
    base = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    from sqlalchemy import create_engine, text

    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    try:
        run(base, args)
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))


def run(base, args):
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app import create_app
    from app.extensions import db
    from app.ledger.services import LedgerService
    from app.loans.ageing import portfolio_at_risk
    from bench.ussd_load import KEEP_ROLE_TIMEOUTS

    app = create_app({"DATABASE_URL": f"{base}?options={SESSION_OPTIONS}", "REDIS_URL": "redis://127.0.0.1:6379/0",
                      "LOG_LEVEL": "WARNING", "APP_ENV": "development", **KEEP_ROLE_TIMEOUTS})
    with app.app_context():
        upgrade()
        engine = db.engine
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(text("SET session_replication_role = replica"))  # no triggers, no FK checks: seeding only
            conn.execute(text("SET maintenance_work_mem = '256MB'"))
            indexes = [name for (name,) in conn.execute(text(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename = 'ledger_postings' AND indexname <> 'pk_ledger_postings'"))]
            for name in indexes:
                conn.execute(text(f"DROP INDEX {name}"))
            started = time.perf_counter()
            seed_ledger(conn, args.postings, args.accounts)
            print(f"seeded {args.postings:,} postings ({args.postings // 2:,} entries) over {args.accounts:,} member "
                  f"accounts + 1 clearing account: {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            conn.execute(text("CREATE INDEX ix_ledger_postings_entry_id ON ledger_postings (entry_id)"))
            conn.execute(text("CREATE INDEX ix_ledger_postings_account_id ON ledger_postings (account_id)"))
            print(f"indexes before 0023 (entry_id, account_id) built: {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            seed_loans(conn, args.loans)
            print(f"seeded {args.loans:,} loans x 6 instalments: {time.perf_counter() - started:.1f} s")
            conn.execute(text("VACUUM ANALYZE"))
        session = db.session
        ledger = LedgerService(session, clock=None)
        print(f"statements over {args.postings:,} postings (last 5 movements; member account: "
              f"{args.postings // 2 // args.accounts:,} postings, clearing: {args.postings // 2:,}, an agent's float: "
              f"{args.postings // 40:,}, all in the older half)")
        measure_statements(session, ledger, args.repeat, "without 0023", args.accounts)
        session.rollback()
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            started = time.perf_counter()
            conn.execute(text(f"CREATE INDEX CONCURRENTLY {NEW_INDEX} ON ledger_postings (account_id, entry_id, id)"))
            print(f"  {NEW_INDEX} built CONCURRENTLY: {time.perf_counter() - started:.1f} s")
        measure_statements(session, ledger, args.repeat, "with 0023   ", args.accounts)
        session.rollback()
        started = time.perf_counter()
        lines = portfolio_at_risk(session, AS_OF)
        took = time.perf_counter() - started
        portfolio = lines[0]
        print(f"PAR over {args.loans:,} loans ({portfolio.loans:,} on the books): {took:.2f} s, {len(lines)} lines; "
              f"PAR30 {portfolio.share(30)}%, PAR90 {portfolio.share(90)}%")
        for _ in range(2):
            started = time.perf_counter()
            portfolio_at_risk(session, AS_OF)
            print(f"  again: {time.perf_counter() - started:.2f} s")
        session.rollback()
        db.session.remove()


if __name__ == "__main__":
    main()
