"""Four web processes and four workers through one PgBouncer, against one process of each straight to PostgreSQL.

A stand-in for many machines on this one (issue 17, "Past one machine"): web processes
are stateless and workers share Redis, so adding machines means adding processes, and
PostgreSQL's connections are what runs out; PgBouncer in transaction pooling mode
multiplexes every process's pool onto `--server-pool` (8) server connections. Needs
`pgbouncer` (`apt-get install -y pgbouncer`; exits 2 naming it when missing). Not part of
`make test`.

1. Web: bench/ussd_load.py's USSD flow at `--concurrency` (16) sessions, interleaved in
   `--rounds` (6) rounds of `--block-seconds` (2) per side, against
   - `one`: gunicorn 1 worker x 4 threads straight to PostgreSQL, and
   - `fleet`: gunicorn 4 workers x 4 threads through PgBouncer (`DB_PREPARE_THRESHOLD=none`);
   hops/s, p50/p99 and the throughput ratio per round (fleet / one).
2. Workers: `--jobs` (1000) real `send_sms_job`s against a local fake Africa's Talking
   (bench/worker_throughput.py's measure), drained by one Procfile worker straight to
   PostgreSQL, then by four through PgBouncer: jobs/s, failures, phones sent twice.

On 2 cores four processes cannot be four times one; what this shows is that the path
holds (no errors through transaction pooling, nothing sent twice) and what a second core
adds. Exit 1 on any error.

    .venv/bin/python bench/fleet_check.py [--server-pool 8] [--rounds 6] [--jobs 1000]
"""

import argparse
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import ussd_load, worker_throughput  # noqa: E402 - after the path is set
from bench.closed_loop import ClosedLoop  # noqa: E402
from bench.interleave import interleave, print_ratio, print_sides  # noqa: E402
from bench.pgbouncer_check import free_port, require_pgbouncer, start_pgbouncer  # noqa: E402
from bench.reminders_run import release_redis_db, reserve_redis_db  # noqa: E402

THROUGH_PGBOUNCER = {"DB_PREPARE_THRESHOLD": "none", "DB_POOL_TIMEOUT": "30"}
"""psycopg must not prepare behind transaction pooling (docs/scaling.md)."""


def bouncer_url(port, database):
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"


def compare_web(env, bouncer_port, args):
    sides = {"one": (env, ussd_load.gunicorn_settings(1, 4)),
             "fleet": ({**env, **THROUGH_PGBOUNCER, "DATABASE_URL": bouncer_url(bouncer_port, "ussd")},
                       ussd_load.gunicorn_settings(4, 4))}
    path = f"/ussd?token={env['CALLBACK_TOKEN']}"
    ports = {name: free_port() for name in sides}
    procs = {name: ussd_load.serve("app:create_app()", side_env, ports[name], settings)
             for name, (side_env, settings) in sides.items()}
    loops = {}
    try:
        for name in sides:
            ussd_load.wait_up(ports[name], path)
        print(f"web: one = gunicorn {' '.join(sides['one'][1])} straight to PostgreSQL; fleet = gunicorn "
              f"{' '.join(sides['fleet'][1])} through PgBouncer; {args.concurrency} sessions, {args.rounds} rounds of "
              f"{args.block_seconds:g} s per side", flush=True)
        for name in sides:
            loops[name] = ClosedLoop(ussd_load.ussd_session, (ports[name], path), concurrency=args.concurrency)
        comparison = interleave(loops, rounds=args.rounds, block_seconds=args.block_seconds)
    finally:
        ussd_load.close_all(loops, procs)
    print_sides(comparison, unit="hops")
    print_ratio(comparison, "fleet", "one", "throughput ratio (fleet hops/s / one hops/s)")
    return sum(comparison.errors(name) for name in sides)


def compare_workers(db_url, redis_url, bouncer_port, args):
    app, env = worker_throughput.prepare(db_url, redis_url)
    runs = (("one worker, straight to PostgreSQL", env, 1),
            ("four workers, through PgBouncer", {**env, **THROUGH_PGBOUNCER,
                                                 "DATABASE_URL": bouncer_url(bouncer_port, "worker")}, 4))
    problems = 0
    for number, (label, run_env, count) in enumerate(runs):
        result = worker_throughput.measure(app, run_env, count, args.jobs, 120, f"9{number}", "send_sms_job")
        problems += result["failed"] + result["twice"] + (result["jobs"] < result["of"])
        print(f"workers: {label:<36} {result['jobs']}/{result['of']} jobs in {result['seconds']:.1f} s, "
              f"{result['jobs_s']:.0f} jobs/s, {result['failed']} failed, {result['twice']} phones sent twice",
              flush=True)
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server-pool", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--block-seconds", type=float, default=2.0)
    parser.add_argument("--jobs", type=int, default=1000)
    args = parser.parse_args()
    require_pgbouncer()
    db_url, redis_url = ussd_load.servers()
    if redis_url.startswith("redis://127.0.0.1:6379/"):
        redis_url = reserve_redis_db()
    port = free_port()
    bouncer, directory = start_pgbouncer(port, args.server_pool, {"ussd": ussd_load.SCHEMA,
                                                                  "worker": worker_throughput.SCHEMA})
    print(f"PgBouncer on {port}: transaction pooling, {args.server_pool} server connections per database "
          f"(load average {' '.join(f'{load:.1f}' for load in os.getloadavg())})", flush=True)
    errors = 0
    try:
        env = ussd_load.prepare(db_url, redis_url)
        errors += compare_web(env, port, args)
        errors += compare_workers(db_url, redis_url, port, args)
    finally:
        bouncer.terminate()
        bouncer.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)
        ussd_load.drop_schema(db_url, ussd_load.SCHEMA)
        ussd_load.drop_schema(db_url, worker_throughput.SCHEMA)
        release_redis_db(redis_url)
    print(f"load average at the end {' '.join(f'{load:.1f}' for load in os.getloadavg())}; "
          f"{'no errors' if not errors else f'{errors} errors or unfinished jobs'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
