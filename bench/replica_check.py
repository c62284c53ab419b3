"""A real streaming replica under DATABASE_REPLICA_URL: what reads there, how far behind it is.

tests/app/test_replica.py proves the routing with the test database standing in for the
replica; this starts the real thing. With the machine's own PostgreSQL binaries
(`pg_config --bindir`, run as the `postgres` user when started as root) it makes a
private primary (initdb, `wal_level = replica`) and a hot standby of it
(`pg_basebackup -R -X stream`, streaming replication, `hot_standby_feedback = on`) on two
free ports in a temporary directory, migrates the primary, and runs the app with
DATABASE_URL on the primary and DATABASE_REPLICA_URL on the standby:

1. the standby is in recovery and streaming (`pg_stat_replication` on the primary);
2. a deposit committed on the primary reaches a member's statement read through the
   app's read session, which is on the standby (`pg_is_in_recovery()` there);
3. `flask loans par --json` runs its reads on the standby, none on the primary;
4. the money path (posting, the balance checked before a withdrawal) sends nothing to
   the standby;
5. replay lag: `--deposits` (200) single deposits, each committed, then the time until
   the standby's statement shows it, for a sample of them (p50, max) and for the last
   of a burst committed back to back.

Prints each check and exits 0 when all hold, 1 when one fails, 2 when PostgreSQL's
server binaries are missing (`apt-get install -y postgresql`). Not part of `make test`.

    .venv/bin/python bench/replica_check.py [--deposits 200]
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.reminders_run import release_redis_db, reserve_redis_db  # noqa: E402 - after the path is set

BIN = Path(sys.executable).parent
CURRENCY = "KES"


def server_binaries():
    """The directory of initdb, pg_ctl and pg_basebackup, or None."""
    try:
        bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        bindir = ""
    candidates = [Path(bindir)] if bindir else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for directory in candidates:
        if all((directory / name).exists() for name in ("initdb", "pg_ctl", "pg_basebackup")):
            return directory
    return None


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """The private primary and its standby, run as `postgres` when we are root (PostgreSQL refuses root)."""

    def __init__(self, bindir, directory):
        self.bindir = bindir
        self.directory = Path(directory)
        self.primary, self.standby = self.directory / "primary", self.directory / "standby"
        self.primary_port, self.standby_port = free_port(), free_port()
        self.started = []

    def run(self, name, *args):
        command = [str(self.bindir / name), *map(str, args)]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True)

    def configure(self, data, **settings):
        with open(data / "postgresql.conf", "a") as conf:  # later lines win over the copied primary's
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())

    def start(self, data):
        self.run("pg_ctl", "-D", data, "-l", data / "server.log", "-w", "start")
        self.started.append(data)

    def up(self):
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        self.run("initdb", "-D", self.primary, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        self.configure(self.primary, port=self.primary_port, listen_addresses="'127.0.0.1'",
                       unix_socket_directories=f"'{self.directory}'", wal_level="replica", max_wal_senders=4,
                       fsync="off")
        self.start(self.primary)
        self.run("pg_basebackup", "-h", "127.0.0.1", "-p", self.primary_port, "-U", "postgres", "-D", self.standby,
                 "-R", "-X", "stream", "-c", "fast")
        self.configure(self.standby, port=self.standby_port, hot_standby="on", hot_standby_feedback="on")
        self.start(self.standby)

    def down(self):
        for data in reversed(self.started):
            try:
                self.run("pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
            except subprocess.CalledProcessError as error:
                print(f"could not stop {data}: {error.stderr.strip()}")

    def url(self, port):
        return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"


class Checks:
    def __init__(self):
        self.failed = 0

    def check(self, name, ok, detail=""):
        self.failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")


def statements_on(engine, seen):
    from sqlalchemy import event

    event.listen(engine, "before_cursor_execute", lambda _c, _cur, statement, *_args: seen.append(statement))


def deposit(services, savings, clearing, key):
    from app.money import Money

    entry = services.ledger.post(key, [(clearing, Money(100_00, CURRENCY)), (savings, Money(-100_00, CURRENCY))],
                                 kind="deposit", memo=key, initiated_by="bench", channel="system")
    services.session.commit()
    return entry.id


def visible_after(services, account, entry_id, timeout=10.0):
    """Seconds until the replica's statement of `account` shows `entry_id` (None when it never did)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        lines = services.savings.statements.statement(account, 1)
        services.read_session.rollback()  # a fresh snapshot for the next look
        if lines and lines[0].entry_id >= entry_id:
            return time.perf_counter() - started
        time.sleep(0.002)
    return None


def run_checks(cluster, redis_url, deposits):
    from sqlalchemy import text

    checks = Checks()
    primary_url, standby_url = cluster.url(cluster.primary_port), cluster.url(cluster.standby_port)
    env = dict(os.environ, DATABASE_URL=primary_url, REDIS_URL=redis_url, APP_ENV="development")
    subprocess.run([str(BIN / "flask"), "--app", "app:create_app", "db", "upgrade"], env=env, check=True, cwd=ROOT,
                   capture_output=True)
    from app import create_app
    from app.extensions import db
    from app.replica import REPLICA_BIND
    from app.services import build_services

    app = create_app({"DATABASE_URL": primary_url, "DATABASE_REPLICA_URL": standby_url, "REDIS_URL": redis_url,
                      "PIN_PEPPER": "bench", "APP_ENV": "development", "LOG_LEVEL": "WARNING"})
    with app.app_context():
        services = build_services(app, db.session)
        streaming = services.session.scalar(text("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"))
        checks.check("the standby streams from the primary", streaming == 1, f"{streaming} streaming standby")
        on_replica, on_primary = [], []
        statements_on(db.engines[REPLICA_BIND], on_replica)
        statements_on(db.engine, on_primary)
        in_recovery = services.read_session.scalar(text("SELECT pg_is_in_recovery()"))
        services.read_session.rollback()
        checks.check("the app's read session is on the standby", in_recovery is True)

        savings = services.ledger.account("member", 1, "member_savings", CURRENCY)
        clearing = services.ledger.clearing_account("mpesa", CURRENCY)
        on_replica.clear()
        first = deposit(services, savings, clearing, "replica:first")
        balance = services.ledger.balance(savings)
        services.session.commit()
        checks.check("posting and the balance read before a withdrawal send nothing to the standby",
                     not on_replica, f"{len(on_replica)} statements there")
        lag = visible_after(services, savings, first)
        checks.check("a deposit on the primary reaches the statement read on the standby", lag is not None,
                     f"after {1000 * lag:.1f} ms, balance {balance}" if lag is not None else "never")

        on_replica.clear()
        on_primary.clear()
        result = app.test_cli_runner().invoke(args=["loans", "par", "--json"])
        par_ok = result.exit_code == 0 and "lines" in json.loads(result.output or "{}")
        checks.check("`flask loans par --json` answers from the standby",
                     par_ok and any("loan" in sql for sql in on_replica)
                     and not any("loan_instalments" in sql for sql in on_primary),
                     f"{len(on_replica)} statement(s) on the standby, "
                     f"{sum('loan_instalments' in sql for sql in on_primary)} on the primary")

        lags, sample_every = [], max(1, deposits // 20)
        for index in range(deposits):
            entry_id = deposit(services, savings, clearing, f"replica:{index}")
            if index % sample_every == 0:
                lags.append(visible_after(services, savings, entry_id))
        seen = sorted(lag for lag in lags if lag is not None)
        checks.check(f"replay lag of single deposits ({len(lags)} sampled of {deposits})",
                     len(seen) == len(lags),
                     f"p50 {1000 * seen[len(seen) // 2]:.1f} ms, max {1000 * seen[-1]:.1f} ms" if seen else "never")
        started = time.perf_counter()
        for index in range(deposits):
            last = deposit(services, savings, clearing, f"replica:burst:{index}")
        burst = time.perf_counter() - started
        caught_up = visible_after(services, savings, last)
        checks.check(f"a burst of {deposits} deposits ({deposits / burst:.0f}/s on the primary)",
                     caught_up is not None,
                     f"the standby showed the last {1000 * caught_up:.1f} ms after its commit"
                     if caught_up is not None else "never caught up")
        services.read_session.close()
        for engine in db.engines.values():
            engine.dispose()
    return checks.failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deposits", type=int, default=200)
    args = parser.parse_args()
    bindir = server_binaries()
    if bindir is None:
        print("PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup) are missing: "
              "apt-get install -y postgresql")
        return 2
    redis_url = os.environ.get("BENCH_REDIS_URL") or reserve_redis_db()
    directory = tempfile.mkdtemp(prefix="pamoja-replica-")
    cluster = Cluster(bindir, directory)
    try:
        cluster.up()
        print(f"primary 127.0.0.1:{cluster.primary_port}, standby 127.0.0.1:{cluster.standby_port} "
              f"(PostgreSQL binaries in {bindir})")
        failed = run_checks(cluster, redis_url, args.deposits)
    except subprocess.CalledProcessError as error:
        print(f"FAIL {' '.join(error.cmd)}: {(error.stderr or '').strip()[-500:]}")
        failed = 1
    finally:
        cluster.down()
        shutil.rmtree(directory, ignore_errors=True)
        release_redis_db(redis_url)
    print("all checks hold" if not failed else f"{failed} check(s) failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
