"""USSD load benchmark: our hop against a bare hop, interleaved, on the Procfile's gunicorn settings.

Starts both servers at once under gunicorn (2 workers x 4 threads, gthread: the
Procfile's `web` settings, the same for both) against real PostgreSQL and Redis (the
local servers when they answer, else the embedded ones), seeds members in a schema of
its own, and drives CONCURRENCY concurrent USSD sessions through a realistic flow (dial,
PIN, My account, profile, back, main menu, exit) from a separate process, in short
blocks that alternate between bench/bare_app.py (token check, Redis GET, indexed SELECT,
Redis SET) and our /ussd, the order reversed each round (bench/interleave.py). Prints
the cost ratio (bare hops/s / our hops/s) of every round, its median and spread, and
the p50/p99 of each side over the same rounds. Beside the rates, the CPU each server's
gunicorn workers spent per hop in each block (read from /proc): neighbours slow a side
down, but hardly change the CPU a hop costs, so on a crowded machine that ratio is the
steadier one.

    .venv/bin/python bench/ussd_load.py [--concurrency 16] [--rounds 8] [--block-seconds 2]
"""

import argparse
import http.client
import math
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.closed_loop import ClosedLoop  # noqa: E402 - after the path is set
from bench.interleave import interleave, percentile, print_ratio, print_sides, spread_text  # noqa: E402
from bench.web import wait_booted  # noqa: E402

BIN = Path(sys.executable).parent
FLOW = ["", "2580", "5", "1", "0", "00", "6"]
MEMBERS = 200
SCHEMA = f"bench_ussd_{os.getpid()}"
"""Per process, so two runs (two worktrees) never drop each other's tables."""


def redis_parser():
    """"hiredis" when redis-py found it (requirements.txt), else "python": the servers import the same one."""
    from redis.utils import HIREDIS_AVAILABLE

    return "hiredis" if HIREDIS_AVAILABLE else "python"


def gunicorn_settings(workers, threads):
    """The Procfile's `web` settings, the same for both servers, so the ratio compares code, not configuration."""
    return ["--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
            "--log-level", "warning"]


def reachable(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


KEEP_ROLE_TIMEOUTS = {"DB_STATEMENT_TIMEOUT_MS": "", "DB_LOCK_TIMEOUT_MS": ""}
"""Benches migrate into the machine's shared database: leave its role's timeouts alone (migration 0011)."""


def servers():
    tmp = tempfile.mkdtemp(prefix="pamoja-bench-")
    from app.embedded import start_postgres, start_redis

    if reachable(5432):
        db_url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    else:
        _pg, db_url = start_postgres(Path(tmp) / "pg")
    if reachable(6379):
        redis_url = "redis://127.0.0.1:6379/12"
    else:
        _redis, redis_url = start_redis(Path(tmp) / "redis")
    return db_url, redis_url


def schema_url(db_url, schema):
    separator = "&" if "?" in db_url else "?"
    return f"{db_url}{separator}options=-csearch_path%3D{schema}"


def create_schema(db_url, schema):
    from sqlalchemy import create_engine, text

    admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()


def drop_schema(db_url, schema):
    from sqlalchemy import create_engine, text

    admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


def prepare(db_url, redis_url):
    """A fresh schema, migrated, with MEMBERS members whose PIN is 2580; returns the servers' environment."""
    create_schema(db_url, SCHEMA)
    try:
        return _fill(db_url, redis_url, schema_url(db_url, SCHEMA))
    except BaseException:
        drop_schema(db_url, SCHEMA)  # the callers drop it only once prepared: a failed set-up leaves nothing
        raise


def _fill(db_url, redis_url, url):
    """`prepare`'s migration and members, in the schema at `url`."""
    # Development: the bench measures code, not secrets. The per-phone limit is counted on every hop
    # (its Redis round trip is part of the cost) but set out of reach of MEMBERS phones at full speed.
    env = dict(os.environ, DATABASE_URL=url, REDIS_URL=redis_url, LOG_LEVEL="WARNING", PIN_PEPPER="bench",
               APP_ENV="development", CALLBACK_TOKEN=secrets.token_urlsafe(32), RATE_LIMIT_PER_PHONE="1000000/60",
               **KEEP_ROLE_TIMEOUTS)
    subprocess.run([str(BIN / "flask"), "--app", "app:create_app", "db", "upgrade"], env=env, check=True,
                   cwd=ROOT, capture_output=True)
    from app import create_app
    from app.extensions import db

    app = create_app({"DATABASE_URL": url, "REDIS_URL": redis_url, "PIN_PEPPER": "bench", "LOG_LEVEL": "WARNING",
                      "APP_ENV": "development", **KEEP_ROLE_TIMEOUTS})
    with app.app_context():
        from app.services import request_services

        members = request_services().members
        for index in range(MEMBERS):
            members.register(phone=phone_of(index), name="Bench Member", national_id=f"B{index:07d}",
                             locale="en", pin="2580")
        db.session.commit()
        db.engine.dispose()
    return env


def phone_of(index):
    return f"+2547100{index:05d}"


def serve(target, env, port, settings):
    return subprocess.Popen([str(BIN / "gunicorn"), *settings, "--bind", f"127.0.0.1:{port}", target],
                            env=env, cwd=ROOT)


def stop(proc, grace=10):
    """Wait for a terminated server; kill it after `grace` s (a loaded machine can take longer to
    shut gunicorn down gracefully, and the run's figures and schema must not be lost to that)."""
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def close_all(loops, procs):
    """Stop the load generators, then the servers (terminated together, each waited for)."""
    for loop in loops.values():
        loop.close()
    for proc in procs.values():
        proc.terminate()
    for proc in procs.values():
        stop(proc)


def wait_up(port, path):
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("POST", path, body="sessionId=warm&phoneNumber=%2B254710000000&text=",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on {port} did not start")


def ussd_session(worker, port, path):
    """One simulated phone (a ClosedLoop factory): each step is the next hop of FLOW, a new session after the last.

    Its place in the flow survives between blocks, so no block cuts sessions short.
    """
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    state = {"count": 0, "session": None, "texts": [], "position": len(FLOW)}

    def post(body):
        # gunicorn closes a connection idle for 2 s (its keep-alive), which the other side's block is:
        # reconnect once, as any HTTP client does with a stale keep-alive connection.
        for attempt in (1, 2):
            try:
                conn.request("POST", path, body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
                return conn.getresponse().read().decode()
            except (ConnectionError, http.client.HTTPException):
                conn.close()
                if attempt == 2:
                    raise

    def hop():
        if state["position"] == len(FLOW):
            state.update(session=uuid.uuid4().hex, texts=[], position=0,
                         phone=phone_of((worker * 7919 + state["count"]) % MEMBERS))
            state["count"] += 1
        value = FLOW[state["position"]]
        state["position"] += 1
        if value or state["texts"]:
            state["texts"].append(value)
        body = urllib.parse.urlencode({"sessionId": state["session"], "serviceCode": "*384*1#",
                                       "phoneNumber": state["phone"], "networkCode": "63902",
                                       "text": "*".join(state["texts"])})
        reply = post(body)
        if not reply.startswith(("CON ", "END ")):
            raise RuntimeError(f"unexpected reply: {reply[:80]!r}")

    return hop


def server_cpu_seconds(master_pid):
    """CPU seconds (user + system) used so far by the worker processes of a gunicorn master (Linux /proc)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a process that ended meanwhile
        if int(fields[1]) == master_pid:  # ppid; utime and stime follow at 11 and 12
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


class CpuMeasured:
    """A side's `run_block` that also records the CPU its server spent in each block, per operation."""

    def __init__(self, run_block, master_pid):
        self.run_block, self.master_pid, self.per_operation = run_block, master_pid, []

    def __call__(self, seconds):
        before = server_cpu_seconds(self.master_pid)
        block = self.run_block(seconds)
        used = server_cpu_seconds(self.master_pid) - before
        self.per_operation.append(used / block.operations if block.operations else math.inf)
        return block


def print_cpu(measured, numerator, denominator):
    """Server CPU per hop of each side (median over the rounds) and the per-round ratio, like the rates'.

    The first block of each side is interleave's warm-up: left out, as its rate is.
    """
    rounds = {name: side.per_operation[1:] for name, side in measured.items()}
    for name, values in rounds.items():
        print(f"  {name:7} server CPU {statistics.median(values) * 1000:6.2f} ms/hop "
              f"(rounds {min(values) * 1000:.2f}-{max(values) * 1000:.2f})")
    ratios = [ours / theirs for theirs, ours in zip(rounds[numerator], rounds[denominator], strict=True)]
    label = "server CPU ratio (our CPU/hop / bare CPU/hop)"
    print(f"{label} per round: " + "  ".join(f"{ratio:.2f}" for ratio in ratios))
    print(f"{label}: {spread_text(ratios)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=8, help="alternating rounds (at least 5 makes a median)")
    parser.add_argument("--block-seconds", type=float, default=2.0, help="length of each side's block")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    settings = gunicorn_settings(args.workers, args.threads)
    db_url, redis_url = servers()
    env = prepare(db_url, redis_url)
    token = f"?token={env['CALLBACK_TOKEN']}"  # both check the URL's token, as Africa's Talking calls it
    targets = {"bare": ("bench.bare_app:create_bare_app()", "/bare" + token),
               "pamoja": ("app:create_app()", "/ussd" + token)}
    ports = {name: free_port() for name in targets}
    procs = {name: serve(target, env, ports[name], settings) for name, (target, _path) in targets.items()}
    loops = {}
    try:
        for name, (_target, path) in targets.items():
            wait_up(ports[name], path)
            wait_booted(procs[name], args.workers)  # every worker up, or the first takes every connection
        print(f"gunicorn {' '.join(settings)}, both servers up; {args.concurrency} concurrent sessions; "
              f"{args.rounds} rounds of {args.block_seconds:g} s per side, order reversed each round; "
              f"flow: {' -> '.join(repr(step) for step in FLOW)}; redis-py parser: {redis_parser()}", flush=True)
        for name, (_target, path) in targets.items():
            loops[name] = ClosedLoop(ussd_session, (ports[name], path), concurrency=args.concurrency)
        measured = {name: CpuMeasured(loop, procs[name].pid) for name, loop in loops.items()}
        comparison = interleave(measured, rounds=args.rounds, block_seconds=args.block_seconds)
    finally:
        close_all(loops, procs)
        drop_schema(db_url, SCHEMA)
    print_sides(comparison, unit="hops")
    print_ratio(comparison, "bare", "pamoja", "cost ratio (bare hops/s / our hops/s)")
    print_cpu(measured, "bare", "pamoja")
    print(f"targets: ratio <= 1.2x (stretch 1.1x); our p99 "
          f"{percentile(comparison.latencies('pamoja'), 0.99) * 1000:.1f} ms at {args.concurrency} sessions "
          f"(target < 50 ms, stretch < 30 ms)")
    return 1 if comparison.errors("pamoja") or comparison.errors("bare") else 0


if __name__ == "__main__":
    sys.exit(main())
