"""The app through PgBouncer in transaction pooling mode: what works, what breaks, what it costs.

Starts a private PgBouncer (`apt-get install -y pgbouncer`; the script says so and exits 2
when it is missing) on a free port in front of the local PostgreSQL, `pool_mode =
transaction` with `--server-pool` server connections (4), and a `bench_pgbouncer_<pid>`
schema migrated directly. Then `--threads` threads (16) of one app process each make
`--rounds` ledger movements (locked, balanced entries: the money path) and read a
statement after each, three ways, one after the other:

1. straight to PostgreSQL (the reference),
2. through PgBouncer with `DB_PREPARE_THRESHOLD=none` (what docs/scaling.md asks),
3. through PgBouncer with psycopg preparing every statement (`DB_PREPARE_THRESHOLD=0`):
   prepared statements live in one server session, and the next transaction may get
   another, so this one is expected to fail ("prepared statement ... does not exist").

Prints movements/s and errors for each, and the ledger invariants (`flask ledger verify`'s
check) over the schema at the end.

    .venv/bin/python bench/pgbouncer_check.py [--threads 16] [--rounds 100] [--server-pool 4]
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCHEMA = f"bench_pgbouncer_{os.getpid()}"
BASE = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_pgbouncer():
    """Exit 2 naming the package when PgBouncer is not installed (the scaling checks install what they need)."""
    if shutil.which("pgbouncer") is None:
        print("pgbouncer is not installed: apt-get install -y pgbouncer")
        raise SystemExit(2)


def start_pgbouncer(port, server_pool, schemas=None):
    """A PgBouncer of our own (as the `postgres` OS user: it refuses to run as root); returns (process, dir).

    `schemas` maps each PgBouncer database name to the schema its server connections use
    (default: `pamoja` -> this script's schema).
    """
    directory = Path(tempfile.mkdtemp(prefix="pamoja-pgbouncer-"))
    directory.chmod(0o777)
    (directory / "userlist.txt").write_text('"postgres" ""\n')
    databases = "".join(f"{name} = host=127.0.0.1 port=5432 dbname=test user=postgres "
                        f"connect_query='SET search_path TO {schema}'\n"
                        for name, schema in (schemas or {"pamoja": SCHEMA}).items())
    (directory / "pgbouncer.ini").write_text(f"""
[databases]
{databases}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/userlist.txt
pool_mode = transaction
default_pool_size = {server_pool}
max_client_conn = 500
ignore_startup_parameters = extra_float_digits,options
logfile = {directory}/pgbouncer.log
""")
    for path in directory.iterdir():
        path.chmod(0o666)
    command = ["pgbouncer", str(directory / "pgbouncer.ini")]
    if os.geteuid() == 0:
        command[1:1] = ["-u", "postgres"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, directory
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"PgBouncer did not start: {process.stderr.read().decode()[-500:]}")


def make_app(database_url, redis_url, prepare_threshold):
    from app import create_app
    from bench.ussd_load import KEEP_ROLE_TIMEOUTS

    return create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING",
                       "APP_ENV": "development", "DB_PREPARE_THRESHOLD": prepare_threshold,
                       "DB_POOL_TIMEOUT": "30", **KEEP_ROLE_TIMEOUTS})


def workload(app, label, threads, rounds):
    """`threads` x `rounds` deposits (one entry each, committed) and statements; returns (done, errors, s)."""
    from app.extensions import db
    from app.money import Money
    from app.services import build_services

    done, errors, lock = [0], {}, threading.Lock()

    def one_thread(index):
        with app.app_context():
            services = build_services(app, db.session)
            accounts = None
            for n in range(rounds):
                try:
                    if accounts is None:
                        accounts = (services.ledger.account("member", 100_000 + index, "member_savings", "KES"),
                                    services.ledger.clearing_account("mpesa", "KES"))
                        db.session.commit()
                    member, clearing = accounts
                    services.ledger.post(f"{label}:{index}:{n}", [(member, Money(-100, "KES")),
                                                                   (clearing, Money(100, "KES"))],
                                         kind="deposit", memo="bench", initiated_by="bench", channel="bench")
                    db.session.commit()
                    services.ledger.statement(member, 5)
                    db.session.commit()
                    with lock:
                        done[0] += 1
                except Exception as error:  # noqa: BLE001 - counted and shown: this is what the bench measures
                    db.session.rollback()
                    accounts = None  # made again, in case they were what failed
                    message = f"{type(error).__name__}: {str(error).splitlines()[0][:90]}"
                    with lock:
                        errors[message] = errors.get(message, 0) + 1
            db.session.remove()

    workers = [threading.Thread(target=one_thread, args=(index,)) for index in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return done[0], errors, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--server-pool", type=int, default=4)
    args = parser.parse_args()
    require_pgbouncer()
    from sqlalchemy import create_engine, text

    from bench.reminders_run import release_redis_db, reserve_redis_db

    admin = create_engine(BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    redis_url = reserve_redis_db()
    port = free_port()
    bouncer, directory = start_pgbouncer(port, args.server_pool)
    try:
        direct = f"{BASE}?options=-csearch_path%3D{SCHEMA}"
        through = f"postgresql+psycopg://postgres@127.0.0.1:{port}/pamoja"
        from flask_migrate import upgrade

        reference = make_app(direct, redis_url, "")
        with reference.app_context():
            upgrade()
        print(f"{args.threads} threads x {args.rounds} deposits + statements; PgBouncer {port}: transaction "
              f"pooling, {args.server_pool} server connections")
        runs = (("direct to PostgreSQL", reference),
                ("PgBouncer, DB_PREPARE_THRESHOLD=none", make_app(through, redis_url, "none")),
                ("PgBouncer, DB_PREPARE_THRESHOLD=0 (prepares)", make_app(through, redis_url, "0")))
        for number, (label, app) in enumerate(runs):
            done, errors, took = workload(app, f"run{number}", args.threads, args.rounds)
            print(f"  {label:<46} {done:>6} ok, {sum(errors.values()):>5} failed, {done / took:8.1f} movements/s")
            for message, count in sorted(errors.items(), key=lambda item: -item[1])[:3]:
                print(f"      {count} x {message}")
        with reference.app_context():
            from app.extensions import db
            from app.ledger.verify import verify_ledger

            problems = verify_ledger(db.session)
            print("ledger verify: " + ("clean" if not problems else "; ".join(problems)))
            db.session.remove()
    finally:
        bouncer.terminate()
        bouncer.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)
        release_redis_db(redis_url)
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))


if __name__ == "__main__":
    main()
