"""Ledger benchmark: balanced entries through LedgerService.post against what PostgreSQL itself can do.

Migrates a schema of its own on the local PostgreSQL, then for 1, 4 and 16 concurrent
posters interleaves three sides in short blocks, the order reversed each round
(bench/interleave.py). Posters are threads, at most the Procfile's `--threads` (4) per
spawned process, as a gunicorn worker serves requests: 16 posters are 4 processes, as
16 concurrent deposits are 4 web workers (WEB_CONCURRENCY=4) or 2 workers and 8 RQ
workers, never 8 threads sharing one interpreter (`--processes` overrides):

- ledger:  a deposit as a service makes one: `LedgerService.post` of a two-posting entry
           (debit a clearing account, credit the poster's own member_savings account)
           through the app's own session, then commit; each poster has its own accounts;
- sql:     the same rows without the service: one statement inserting the entry and its
           postings and updating both balances (a data-modifying CTE), autocommit. The
           database's own checks (balance CHECK, deferred balanced-entry trigger,
           append-only triggers) run on both;
- pgbench: `pgbench` TPC-B (built-in script) at the same client count on its own tables
           in the same schema, when pgbench is installed (`apt-get install postgresql-contrib`
           or postgresql-client); skipped otherwise, and said so.

Then hot accounts: 16 posters whose deposits all debit ONE clearing account (as every
M-Pesa deposit does) against 16 with a clearing account each, interleaved, for the
ledger and for the bare SQL. Then a profile of one poster: statements per post, time
waiting on PostgreSQL against time in Python, and the top functions. Ends with the
`flask ledger verify` checks over everything posted (exit 1 if any fails).

    .venv/bin/python bench/ledger_posts.py [--posters 1,4,16] [--rounds 6] [--block-seconds 2]
"""

import argparse
import cProfile
import io
import itertools
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.closed_loop import ClosedLoop  # noqa: E402 - after the path is set
from bench.interleave import Block, interleave, percentile, print_ratio, print_sides  # noqa: E402
from bench.ussd_load import create_schema, drop_schema, schema_url, servers  # noqa: E402

BIN = Path(sys.executable).parent
THREADS_PER_PROCESS = int((re.search(r"--threads (\d+)", (ROOT / "Procfile").read_text()) or [0, 4])[1])
"""The Procfile's gunicorn `--threads`: what one deployed process runs at once."""
SCHEMA = f"bench_ledger_{os.getpid()}"
"""Per process, so two runs never drop each other's tables."""
CURRENCY = "KES"
MEMBER_BASE = 1_000_000
"""Owner ids of the posters' member accounts (no member rows: the ledger does not need them)."""
SHARED_PROVIDER = "bench"
"""The one clearing account every poster debits in the hot-account runs: `mobile_money_clearing:bench`."""

_apps = {}
_apps_lock = threading.Lock()


def app_config(url, redis_url, pool_size):
    return {"DATABASE_URL": url, "REDIS_URL": redis_url, "PIN_PEPPER": "bench", "LOG_LEVEL": "WARNING",
            "APP_ENV": "development",
            # The app's own engine options, with a pool as large as this process's posters
            # (gunicorn's 4 threads fit the default 5; 8 posters would churn overflow connections).
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 1}, "pool_size": pool_size,
                                          "pool_timeout": 5, "pool_recycle": 1800}}


def shared_app(url, redis_url, pool_size):
    """One app per process, as a gunicorn worker has."""
    with _apps_lock:
        if url not in _apps:
            from app import create_app

            _apps[url] = create_app(app_config(url, redis_url, pool_size))
        return _apps[url]


def poster_accounts(ledger, index, counter):
    """The poster's member_savings account and the clearing account it debits (its own or the shared one)."""
    member = ledger.account("member", MEMBER_BASE + index, "member_savings", CURRENCY)
    if counter == "shared":
        clearing = ledger.clearing_account(SHARED_PROVIDER, CURRENCY)
    else:
        clearing = ledger.account("provider", index, f"mobile_money_clearing:{SHARED_PROVIDER}", CURRENCY,
                                  allow_negative=True)
    return member, clearing


def ledger_poster(index, url, redis_url, pool_size, counter):
    """ClosedLoop factory: each step is one deposit through LedgerService.post and one commit."""
    from app.extensions import db
    from app.money import Money
    from app.services import request_services

    app = shared_app(url, redis_url, pool_size)
    app.app_context().push()  # this thread's own context, hence its own session
    ledger = request_services().ledger
    member, clearing = poster_accounts(ledger, index, counter)
    db.session.commit()
    amount, keys, prefix = Money(100, CURRENCY), itertools.count(), f"bench:{uuid.uuid4().hex[:12]}:{index}"

    def post():
        try:
            ledger.post(f"{prefix}:{next(keys)}", [(clearing, amount), (member, Money(-100, CURRENCY))],
                        kind="deposit", initiated_by="system", channel="system")
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise

    return post


SQL_POST = """
WITH entry AS (
    INSERT INTO ledger_entries (idempotency_key, kind, memo, created_at, initiated_by, channel)
    VALUES (%(key)s, 'deposit', '', now(), 'system', 'system')
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id),
postings AS (
    INSERT INTO ledger_postings (entry_id, account_id, amount)
    SELECT entry.id, t.account_id, t.amount FROM entry, unnest(%(accounts)s::bigint[], %(amounts)s::bigint[])
        AS t(account_id, amount)),
balances AS (
    UPDATE ledger_accounts a SET balance = a.balance + t.amount
    FROM unnest(%(accounts)s::bigint[], %(amounts)s::bigint[]) AS t(account_id, amount)
    WHERE a.id = t.account_id AND EXISTS (SELECT 1 FROM entry))
SELECT id FROM entry
"""
"""The same rows a post writes, in one statement and one round trip (autocommit)."""


def sql_poster(index, url, redis_url, pool_size, counter):
    """ClosedLoop factory: each step is SQL_POST for the poster's accounts, committed on its own."""
    import psycopg

    app = shared_app(url, redis_url, pool_size)
    with app.app_context():
        from app.extensions import db
        from app.services import request_services

        member, clearing = poster_accounts(request_services().ledger, index, counter)
        accounts = [clearing.id, member.id]
        db.session.commit()
        db.session.remove()
    conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    keys, prefix = itertools.count(), f"bench-sql:{uuid.uuid4().hex[:12]}:{index}"

    def post():
        if conn.execute(SQL_POST, {"key": f"{prefix}:{next(keys)}", "accounts": accounts,
                                   "amounts": [100, -100]}).fetchone() is None:
            raise RuntimeError("entry not inserted")

    return post


class Pgbench:
    """A side running `pgbench` TPC-B for one block at a fixed client count, on tables in SCHEMA."""

    def __init__(self, db_url, clients, directory):
        from sqlalchemy.engine import make_url

        url = make_url(db_url)
        self.clients, self.directory = clients, directory
        self.connection = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres",
                           url.database or "postgres"]
        # The role carries statement/lock timeouts (migration 0011): initialising scale 16 can take longer.
        self.env = dict(os.environ, PGOPTIONS=f"-c search_path={SCHEMA} -c statement_timeout=0 -c lock_timeout=0")
        if url.password:
            self.env["PGPASSWORD"] = url.password

    def initialise(self, scale):
        subprocess.run(["pgbench", "-i", "-q", "-s", str(scale), *self.connection], env=self.env, check=True,
                       capture_output=True)

    def __call__(self, seconds):
        prefix = Path(self.directory) / f"pgbench-{uuid.uuid4().hex[:8]}"
        result = subprocess.run(
            ["pgbench", "-n", "-c", str(self.clients), "-j", str(min(self.clients, 2)), "-T",
             str(max(1, round(seconds))), "-l", f"--log-prefix={prefix}", *self.connection],
            env=self.env, capture_output=True, text=True)
        latencies = []
        for log in Path(self.directory).glob(prefix.name + "*"):
            latencies += [int(line.split()[2]) / 1e6 for line in log.read_text().splitlines() if line.strip()]
            log.unlink()
        tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", result.stdout)
        if result.returncode or not tps or not latencies:
            return Block(0, seconds, [], 1, (result.stderr or result.stdout)[-300:])
        return Block(len(latencies), len(latencies) / float(tps.group(1)), latencies)


def processes_for(args, posters):
    """`--processes`, or as many processes as the Procfile's threads per process make for `posters`."""
    return args.processes or -(-posters // THREADS_PER_PROCESS)


def compare_posters(url, redis_url, args, posters, pgbench):
    processes = processes_for(args, posters)
    pool = -(-posters // processes)
    common = dict(concurrency=posters, processes=processes)
    with ClosedLoop(ledger_poster, (url, redis_url, pool, "distinct"), **common) as ledger, \
            ClosedLoop(sql_poster, (url, redis_url, pool, "distinct"), **common) as sql:
        sides = {"ledger": ledger, "sql": sql}
        if pgbench:
            sides["pgbench"] = Pgbench(pgbench[0], posters, pgbench[1])
        print(f"\n{posters} poster(s), each on its own accounts, {min(posters, processes)} process(es):",
              flush=True)
        comparison = interleave(sides, rounds=args.rounds, block_seconds=args.block_seconds)
    print_sides(comparison, unit="posts")
    print_ratio(comparison, "ledger", "sql", "ledger / same rows in one statement")
    if pgbench:
        print_ratio(comparison, "ledger", "pgbench", "ledger / pgbench TPC-B")
    return comparison


def compare_hot(url, redis_url, args, posters, factory, label):
    processes = processes_for(args, posters)
    pool = -(-posters // processes)
    common = dict(concurrency=posters, processes=processes)
    with ClosedLoop(factory, (url, redis_url, pool, "distinct"), **common) as distinct, \
            ClosedLoop(factory, (url, redis_url, pool, "shared"), **common) as shared:
        print(f"\n{label}: {posters} posters on distinct clearing accounts vs one shared clearing account:",
              flush=True)
        comparison = interleave({"distinct": distinct, "shared": shared}, rounds=args.rounds,
                                block_seconds=args.block_seconds)
    print_sides(comparison, unit="posts")
    print_ratio(comparison, "shared", "distinct", f"{label} shared / distinct")
    return comparison


def profile(url, redis_url, posts):
    """Where one poster's post goes: statements, time waiting on PostgreSQL, time in Python, top functions."""
    from sqlalchemy import event

    from app.extensions import db

    post = ledger_poster(10_000, url, redis_url, 2, "distinct")  # pushes its context in this thread
    seen = {"statements": [], "db": 0.0, "commits": 0}
    started = {}

    @event.listens_for(db.engine, "before_cursor_execute")
    def before(conn, cursor, statement, parameters, context, executemany):
        started[id(cursor)] = time.perf_counter()

    @event.listens_for(db.engine, "after_cursor_execute")
    def after(conn, cursor, statement, parameters, context, executemany):
        seen["db"] += time.perf_counter() - started.pop(id(cursor), time.perf_counter())
        seen["statements"].append(" ".join(statement.split())[:110])

    @event.listens_for(db.engine, "commit")
    def on_commit(conn):
        seen["commits"] += 1

    for _ in range(50):
        post()
    seen.update(statements=[], db=0.0, commits=0)
    post()
    one_post = list(seen["statements"])
    seen.update(statements=[], db=0.0, commits=0)
    walls, commit_time = [], 0.0

    def timed_commit():
        nonlocal commit_time
        before_commit = time.perf_counter()
        db.session.registry().commit()
        commit_time += time.perf_counter() - before_commit

    db.session.commit = timed_commit
    for _ in range(posts):
        begun = time.perf_counter()
        post()
        walls.append(time.perf_counter() - begun)
    del db.session.commit  # back to the scoped session's own
    wall = sum(walls)
    print(f"\nprofile, 1 poster, {posts} posts: {wall / posts * 1000:.2f} ms per post "
          f"(p50 {percentile(walls, 0.5) * 1000:.2f} ms, p99 {percentile(walls, 0.99) * 1000:.2f} ms)")
    print(f"  {len(seen['statements']) / posts:.0f} statements + {seen['commits'] / posts:.0f} COMMIT per post; "
          f"waiting on PostgreSQL in statements {seen['db'] / posts * 1000:.2f} ms, "
          f"in session.commit() {commit_time / posts * 1000:.2f} ms, "
          f"the rest (Python: validation, ORM, SQL compilation) "
          f"{(wall - seen['db'] - commit_time) / posts * 1000:.2f} ms")
    print("  the statements of one post:")
    for number, statement in enumerate(one_post, 1):
        print(f"    {number:2d}. {statement}")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(posts):
        post()
    profiler.disable()
    stats = pstats.Stats(profiler)
    groups = {}
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        if "sqlalchemy" in filename:
            group = "SQLAlchemy (ORM, compilation, events)"
        elif "psycopg" in filename:
            group = "psycopg (incl. waiting on the socket)"
        elif f"{os.sep}app{os.sep}" in filename:
            group = "app (LedgerService, Money)"
        elif filename == "~":
            group = "builtins (C calls, incl. socket waits)"
        else:
            group = "other Python (flask, stdlib)"
        groups[group] = groups.get(group, 0.0) + tottime
    total = sum(groups.values())
    print(f"  cProfile, {posts} posts, own time by package:")
    for group, seconds in sorted(groups.items(), key=lambda item: -item[1]):
        print(f"    {seconds / total:5.0%}  {group}")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
    print("  top functions by own time:")
    for line in out.getvalue().splitlines():
        if re.match(r"\s+[\d/]+\s+\d+\.\d+", line):
            print("   " + re.sub(r"\S*site-packages/|" + re.escape(str(ROOT)) + "/", "", line)[:140])
    return {"wall_ms": wall / posts * 1000, "statements": len(seen["statements"]) / posts,
            "db_ms": seen["db"] / posts * 1000, "commit_ms": commit_time / posts * 1000}


def verify(url, redis_url):
    from app.extensions import db
    from app.ledger.verify import CHECKS, verify_ledger

    with shared_app(url, redis_url, 2).app_context():
        # Whole-table checks over what the run posted: the role's 5 s statement timeout (migration 0011)
        # is for requests, and a loaded machine overran it.
        db.session.execute(db.text("SET LOCAL statement_timeout = 0"))
        problems = verify_ledger(db.session)
        entries = db.session.execute(db.text("SELECT COUNT(*) FROM ledger_entries")).scalar()
        db.session.rollback()
    print(f"\nledger verify ({len(CHECKS)} checks over {entries:,} entries): "
          + ("clean" if not problems else f"{len(problems)} problem(s)"))
    for problem in problems[:20]:
        print(f"  - {problem}")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posters", default="1,4,16", help="comma-separated concurrent posters")
    parser.add_argument("--rounds", type=int, default=6, help="alternating rounds (at least 5 makes a median)")
    parser.add_argument("--block-seconds", type=float, default=2.0)
    parser.add_argument("--processes", type=int, default=0,
                        help=f"processes the posters are spread over (default: {THREADS_PER_PROCESS} posters each, "
                             "the Procfile's threads per worker)")
    parser.add_argument("--pgbench-scale", type=int, default=16, help="TPC-B scale (branches)")
    parser.add_argument("--profile-posts", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    args = parser.parse_args()
    posters = [int(value) for value in args.posters.split(",")]
    db_url, redis_url = servers()
    create_schema(db_url, SCHEMA)
    url = schema_url(db_url, SCHEMA)
    env = dict(os.environ, DATABASE_URL=url, REDIS_URL=redis_url, LOG_LEVEL="WARNING", PIN_PEPPER="bench",
               APP_ENV="development")
    subprocess.run([str(BIN / "flask"), "--app", "app:create_app", "db", "upgrade"], env=env, check=True,
                   cwd=ROOT, capture_output=True)
    directory = tempfile.mkdtemp(prefix="pamoja-ledger-bench-")
    pgbench = None
    if shutil.which("pgbench"):
        try:
            Pgbench(db_url, 1, directory).initialise(args.pgbench_scale)
            pgbench = (db_url, directory)
            print(f"pgbench TPC-B at scale {args.pgbench_scale} initialised in {SCHEMA}")
        except subprocess.CalledProcessError as error:  # a full server, say: the other sides still compare
            print(f"pgbench -i failed, comparing with the bare SQL only: {error.stderr.decode()[-300:]}")
    else:
        print("pgbench not installed (apt-get install -y postgresql-contrib): comparing with the bare SQL only")
    print(f"{args.rounds} rounds of {args.block_seconds:g} s per side, order reversed each round; "
          f"posters spread over " + (f"up to {args.processes} processes" if args.processes
                                     else f"processes of at most {THREADS_PER_PROCESS} (the Procfile's --threads)"))
    failed = 0
    try:
        results = {n: compare_posters(url, redis_url, args, n, pgbench) for n in posters}
        hot_ledger = compare_hot(url, redis_url, args, max(posters), ledger_poster, "ledger")
        hot_sql = compare_hot(url, redis_url, args, max(posters), sql_poster, "sql")
        failed += sum(comparison.errors(name) for comparison in (*results.values(), hot_ledger, hot_sql)
                      for name in comparison.names if name != "pgbench")
        profile(url, redis_url, args.profile_posts)
        failed += len(verify(url, redis_url))
        print("\nsummary (medians over the rounds):")
        for n, comparison in results.items():
            line = (f"  {n:2d} poster(s): ledger {statistics.median(comparison.rates('ledger')):,.0f} posts/s "
                    f"(p99 {percentile(comparison.latencies('ledger'), 0.99) * 1000:.1f} ms), "
                    f"same rows in SQL {statistics.median(comparison.rates('sql')):,.0f}/s")
            if pgbench:
                line += f", pgbench {statistics.median(comparison.rates('pgbench')):,.0f} tps"
            print(line)
        for label, comparison in (("ledger", hot_ledger), ("sql", hot_sql)):
            print(f"  {label} shared/distinct at {max(posters)}: "
                  f"{statistics.median(comparison.ratios('shared', 'distinct')):.0%}")
        print("targets: >= 1,000 posts/s at 16 (stretch 2,000); shared >= 70% of distinct")
    finally:
        for app in _apps.values():
            from app.extensions import db

            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        if not args.keep:
            drop_schema(db_url, SCHEMA)
        shutil.rmtree(directory, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
