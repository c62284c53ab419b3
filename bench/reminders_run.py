"""Reminder-run benchmark: N members with an instalment due in 3 days, one `reminders run`.

Seeds a `bench_reminders_<pid>` schema on the local PostgreSQL (members, one product,
one disbursed loan and instalment each) with set-based INSERT ... SELECT
generate_series, ANALYZEs it (as autovacuum would have by the morning), then times the
same code `flask reminders run --date D` runs: set-based, in slices of member ids
(app/notifications/reminder_batch.py), recording the notifications and the outbox
messages and enqueueing one send job per 1,000 recipients of one text. With `--drain`
(default up to 100,000 members) the RQ send jobs then drain through the console sender
into /dev/null with one SimpleWorker: nothing leaves the machine. A second run shows the
re-run cost (nothing new is made). Prints time, members/s, send jobs, notifications,
SMS messages, provider requests and segments.

    .venv/bin/python bench/reminders_run.py [--members 1000000] [--drain/--no-drain] [--analyze/--no-analyze]

Measured 2026-11-25, row by row (before issue 17): 100,000 reminders computed, recorded
and handed to the outbox in 112 s (87 s on a quieter run); the same day again 24 s.
Set-based, 2026-12-06 (load average 12-20 from other runs on the 2 cores): 100,000 in
19.6 s (5,100 members/s, 118 send jobs), again in 2.7 s. 1,000,000 (2026-12-07, slices of loan ids
through an ANALYZEd temporary table, load average 4-12): 80.8 s ANALYZEd, 90.1 s with --no-analyze;
again 16.6 s / 42.3 s. See docs/scaling.md.
"""

import argparse
import os
import sys
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCHEMA = f"bench_reminders_{os.getpid()}"
"""Per process, so two runs never drop each other's tables."""
DAY = date(2026, 12, 1)
DUE = date(2026, 12, 4)
SESSION_OPTIONS = f"-csearch_path%3D{SCHEMA}%20-cstatement_timeout%3D0%20-clock_timeout%3D0"
"""The bench's schema, and no timeouts whatever the shared role says (seeding a million rows takes minutes)."""
AMOUNTS = 20
"""Distinct instalment amounts: members with the same amount get the same text (one bulk request)."""


def seed(engine, members):
    from sqlalchemy import text

    from app.members.identity import DEVELOPMENT_KEYS, DEVELOPMENT_LOOKUP_KEY, IdentityKeys

    keys = IdentityKeys.parse(DEVELOPMENT_KEYS, DEVELOPMENT_LOOKUP_KEY)  # one ID for all: reminders never read it
    with engine.begin() as conn:
        conn.execute(text("""
            INSERT INTO members (phone, name, national_id_encrypted, national_id_lookup, locale, currency,
                                 pin_failures, kyc_level, preferred_channel, sms_opted_out)
            SELECT '+2547' || lpad(n::text, 8, '0'), 'Member ' || n, :encrypted, :lookup,
                   CASE WHEN n % 3 = 0 THEN 'sw' ELSE 'en' END, 'KES', 0, 2, 'sms', n % 50 = 0
            FROM generate_series(1, :members) AS n"""),
            {"members": members, "encrypted": keys.encrypt("B0000000"), "lookup": keys.lookup_hash("B0000000")})
        conn.execute(text("""
            INSERT INTO loan_products (code, name, currency, min_amount, max_amount, terms, frequency,
                interest_method, annual_rate, fee_type, fee_value, fee_timing, penalty_type, penalty_value,
                grace_days, savings_multiplier, min_membership_days, guarantor_rule, approval, auto_approve_max,
                active)
            VALUES ('BENCH', 'Bench', 'KES', 100, 100000000, '{6}', 'monthly', 'declining', 12, 'percent', 0,
                    'deducted', 'percent', 0, 0, 3, 0, 'above_limit', 'auto', 0, true)"""))
        conn.execute(text("""
            INSERT INTO loans (idempotency_key, member_id, product_id, principal, currency, instalments, frequency,
                interest_method, annual_rate, fee, fee_timing, state, destination, own_limit, disbursed_on,
                applied_at, disbursed_at, channel)
            SELECT 'bench:' || m.id, m.id, p.id, 1000000, 'KES', 6, 'monthly', 'declining', 12, 0, 'deducted',
                   'disbursed', 'savings', 0, DATE '2026-11-04', now(), now(), 'system'
            FROM members m, loan_products p WHERE p.code = 'BENCH'"""))
        conn.execute(text("""
            INSERT INTO loan_instalments (loan_id, number, due_date, principal_due, interest_due, fee_due,
                penalty_due, principal_paid, interest_paid, fee_paid, penalty_paid, paid, days_overdue)
            SELECT l.id, 1, :due, 160000 + (l.id % :amounts) * 500, 10000, 0, 0, 0, 0, 0, 0, false, 0
            FROM loans l"""), {"due": DUE, "amounts": AMOUNTS})


def reserve_redis_db(base="redis://127.0.0.1:6379"):
    """A Redis database no test run is using, reserved the way tests/conftest.py does (from 15 down)."""
    from redis import Redis

    reservations = Redis.from_url(base + "/0")
    for index in range(15, 0, -1):
        if reservations.set(f"pamoja:test-db:{index}", f"bench-{os.getpid()}", nx=True, ex=3600):
            return f"{base}/{index}"
    raise SystemExit("no free Redis database")


def release_redis_db(redis_url):
    """Empty a database `reserve_redis_db` gave and give it back (no-op for any other Redis)."""
    from redis import Redis

    base, index = redis_url.rsplit("/", 1)
    if redis_url.startswith("redis://127.0.0.1:6379/"):
        Redis.from_url(redis_url).flushdb()
        Redis.from_url(base + "/0").delete(f"pamoja:test-db:{index}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--analyze", action=argparse.BooleanOptionalAction, default=True,
                        help="ANALYZE the seeded tables first, as autovacuum would by the morning (--no-analyze: "
                             "the run right after the bulk load, on never-analyzed tables)")
    parser.add_argument("--drain", action=argparse.BooleanOptionalAction, default=None,
                        help="run the send jobs through a SimpleWorker (default: up to 100,000 members)")
    args = parser.parse_args()
    if args.drain is None:
        args.drain = args.members <= 100_000
    base = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    redis_url = os.environ.get("BENCH_REDIS_URL") or reserve_redis_db()
    try:
        run(base, redis_url, args.members, drain=args.drain, analyze=args.analyze)
    finally:
        if not os.environ.get("BENCH_REDIS_URL"):
            release_redis_db(redis_url)


SEEDED = ("members", "loan_products", "loans", "loan_instalments", "notifications", "outbound_messages")
"""The tables the seed fills or the run writes: ANALYZEd by name (a bare ANALYZE reads every schema of the database)."""


def run(base, redis_url, members, *, drain, analyze=True):
    from sqlalchemy import create_engine, text

    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    os.environ.pop("AT_API_KEY", None)
    os.environ.pop("TWILIO_ACCOUNT_SID", None)
    from flask_migrate import upgrade
    from rq import SimpleWorker

    from app import create_app
    from app.clock import FixedClock
    from app.extensions import db
    from app.services import build_services
    from bench.ussd_load import KEEP_ROLE_TIMEOUTS
    from channels.senders import ConsoleSender

    app = create_app({"DATABASE_URL": f"{base}?options={SESSION_OPTIONS}", "REDIS_URL": redis_url,
                      "LOG_LEVEL": "WARNING", "APP_ENV": "development",  # the dev defaults: no secrets here
                      **KEEP_ROLE_TIMEOUTS})
    sink = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the run
    app.extensions["senders"] = {"sms": ConsoleSender("sms", sink), "whatsapp": ConsoleSender("whatsapp", sink)}
    app.extensions["redis"].flushdb()
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        seed(db.engine, members)
        if analyze:
            with db.engine.begin() as conn:  # as autovacuum would have by the morning
                conn.execute(text("ANALYZE " + ", ".join(SEEDED)))  # (committed: rolled back, statistics vanish)
        print(f"seeded {members:,} members, one instalment due {DUE} each"
              f"{', ANALYZEd' if analyze else ', never ANALYZEd'}: {time.perf_counter() - started:.1f} s")
        zone = FixedClock(datetime(2026, 1, 1)).zone
        for attempt in ("first run", "second run"):
            clock = FixedClock(datetime(DAY.year, DAY.month, DAY.day, 7, 0, tzinfo=zone))
            app.extensions["clock"] = clock
            services = build_services(app, db.session, clock=clock)
            queued = sum(queue.count for queue in app.extensions["queues"].values())
            started = time.perf_counter()
            result = services.reminders.run(DAY, checkpoint=db.session.commit)
            db.session.commit()
            recorded = time.perf_counter() - started
            jobs = sum(queue.count for queue in app.extensions["queues"].values()) - queued
            print(f"{attempt}: computed {result.computed:,}, new notifications {result.made:,}, handed to the "
                  f"outbox {result.dispatched:,} as {jobs:,} send jobs in {recorded:.1f} s "
                  f"({result.computed / recorded:,.0f} members/s)")
            if drain:
                started = time.perf_counter()
                SimpleWorker(list(app.extensions["queues"].values()), connection=app.extensions["redis"]).work(
                    burst=True, logging_level="WARNING")
                print(f"  send jobs drained by one SimpleWorker in {time.perf_counter() - started:.1f} s")
        row = db.session.execute(text(
            "SELECT count(*), count(*) FILTER (WHERE status = 'accepted'), "
            "count(*) FILTER (WHERE status = 'suppressed'), coalesce(sum(segments) FILTER (WHERE status = "
            "'accepted'), 0), count(DISTINCT text) FROM outbound_messages WHERE kind = 'repayment_due'")).one()
        print(f"SMS recorded {row[0]:,}: sent {row[1]:,}, suppressed (opted out) {row[2]:,}; segments {row[3]:,}; "
              f"distinct texts {row[4]} (one bulk request per text per chunk)")
        db.session.remove()
    with admin.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))


if __name__ == "__main__":
    main()
