"""Where a post's time goes above the database: the same `ledger_post` call through each layer, interleaved.

bench/ledger_posts.py compares the service with the same rows written in bare SQL; this
asks which of our layers makes the difference. Every side makes the same deposit (one
`ledger_post(...)` call, migration 0026, then COMMIT) on accounts of its own, at the same
concurrency (threads, at most the Procfile's --threads per spawned process), in
alternating blocks (bench/interleave.py):

- raw:      psycopg on a connection of its own: BEGIN, the call, COMMIT;
- session:  `session.execute(POST, params)` then `session.commit()` (SQLAlchemy's ORM
            session and engine: pool checkout and return, events, result handling);
- service:  `LedgerService.post` then `session.commit()` (validation, Money, the entry object).

Two sides at a time by default (`--sides`), to stay inside max_connections on a shared server.

    .venv/bin/python bench/ledger_layers.py [--posters 16] [--sides raw,service] [--rounds 5]
"""

import argparse
import itertools
import os
import re
import subprocess
import sys
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.closed_loop import ClosedLoop  # noqa: E402 - after the path is set
from bench.interleave import interleave, print_ratio, print_sides  # noqa: E402
from bench.ledger_posts import BIN, CURRENCY, THREADS_PER_PROCESS, shared_app  # noqa: E402
from bench.ussd_load import create_schema, schema_url, servers  # noqa: E402

SCHEMA = f"bench_layers_{os.getpid()}"
SIDES = ("raw", "session", "service")
OWNER_BASE = 2_000_000
"""Owner ids of each side's accounts (no member rows: the ledger does not need them)."""


def layer_poster(index, url, redis_url, pool_size, side):
    """ClosedLoop factory: one deposit through `side`, then COMMIT."""
    import psycopg

    from app.extensions import db
    from app.ledger.services import POST
    from app.money import Money
    from app.services import request_services

    app = shared_app(url, redis_url, pool_size)
    app.app_context().push()
    ledger = request_services().ledger
    owner = OWNER_BASE + SIDES.index(side) * 10_000 + index
    member = ledger.account("member", owner, "member_savings", CURRENCY)
    clearing = ledger.account("provider", owner, "mobile_money_clearing:layers", CURRENCY, allow_negative=True)
    db.session.commit()
    accounts, keys, prefix = [clearing.id, member.id], itertools.count(), f"layers:{uuid.uuid4().hex[:12]}"

    def params():
        return {"key": f"{prefix}:{next(keys)}", "kind": "deposit", "memo": "", "created_at": datetime.now(UTC),
                "initiated_by": "system", "channel": "system", "session_ref": None, "currency": CURRENCY,
                "posting_accounts": accounts, "posting_amounts": [100, -100], "net_accounts": accounts,
                "net_amounts": [100, -100]}

    if side == "raw":
        sql = re.sub(r"(?<!:):(\w+)", r"%(\1)s", POST.text)
        db.session.remove()  # this side's pool connection back, and closed below: one connection per poster
        db.engine.dispose()
        conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))

        def post():
            conn.execute(sql, params()).fetchall()
            conn.commit()
    elif side == "session":
        def post():
            db.session.execute(POST, params()).all()
            db.session.commit()
    else:
        amount = Money(100, CURRENCY)

        def post():
            ledger.post(f"{prefix}:{next(keys)}", [(clearing, amount), (member, -amount)], kind="deposit",
                        initiated_by="system", channel="system")
            db.session.commit()
    return post


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posters", type=int, default=16)
    parser.add_argument("--sides", default="raw,service", help=f"comma-separated, of {', '.join(SIDES)}")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--block-seconds", type=float, default=2.0)
    args = parser.parse_args()
    sides = args.sides.split(",")
    db_url, redis_url = servers()
    create_schema(db_url, SCHEMA)
    try:
        url = schema_url(db_url, SCHEMA)
        env = dict(os.environ, DATABASE_URL=url, REDIS_URL=redis_url, LOG_LEVEL="WARNING", PIN_PEPPER="bench",
                   APP_ENV="development")
        subprocess.run([str(BIN / "flask"), "--app", "app:create_app", "db", "upgrade"], env=env, check=True,
                       cwd=ROOT, capture_output=True)
        processes = -(-args.posters // THREADS_PER_PROCESS)
        pool = -(-args.posters // processes)
        print(f"{args.posters} posters over {processes} process(es), {args.rounds} rounds of "
              f"{args.block_seconds:g} s per side")
        with ExitStack() as stack:
            loops = {side: stack.enter_context(ClosedLoop(layer_poster, (url, redis_url, pool, side),
                                                          concurrency=args.posters, processes=processes))
                     for side in sides}
            comparison = interleave(loops, rounds=args.rounds, block_seconds=args.block_seconds)
        print_sides(comparison, unit="posts")
        for side in sides[1:]:
            print_ratio(comparison, side, sides[0], f"{side} / {sides[0]}")
        return 1 if any(comparison.errors(side) for side in sides) else 0
    finally:
        drop_schema(db_url)


def drop_schema(db_url):
    """Drop this run's schema, waiting for the posters' last locks (the role's lock_timeout is 2 s)."""
    from sqlalchemy import create_engine, text

    admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SET lock_timeout = 0"))
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
