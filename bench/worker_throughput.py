"""The Procfile's worker as deployed: jobs/s and SMS/s of the real SMS-send job, 1, 2 and 4 workers.

Starts the Procfile's own `worker:` command (`python -m app.worker --url $REDIS_URL high
default low`, via tests/worker_helpers.py) N times against a local fake Africa's Talking
(FakeAfricasTalking: an http.server on 127.0.0.1 that answers every recipient "Success"),
in a schema of its own on the local PostgreSQL and a Redis db reserved the way the tests
reserve theirs. For each worker count it records `--jobs` SMS through the outbox (one
`OutboundMessage` each, as `Outbox.send_sms` writes it), waits until every worker is up
and idle, then enqueues their `send_sms_job`s (the app's job ids and retry) in one
pipeline and times from that moment until every message has left `queued`. It prints
jobs/s (settled messages), SMS/s (recipients the fake provider received), failed jobs
and any phone the provider received twice. Then the same for `send_sms_batch_job`, 25
recipients sharing a text per job (`Outbox.send_sms_many`, as the reminder run sends;
`--jobs` / 5 jobs), and for an empty job (app context and services, no SQL, no
provider): the worker's own ceiling, what RQ and the job wrapper cost before the job
does anything. The load average is printed with each line: on a shared machine the
figures move with it; `CPU ms/job` (the worker processes' own CPU time per job, from
/proc) moves much less, so compare code by it when the machine is busy.

    .venv/bin/python bench/worker_throughput.py [--workers 1,2,4] [--jobs 1000] [--max-seconds 120]
                                                [--kinds send_sms_job,send_sms_batch_job,empty_job]

Exit status 1 when a run did not finish, a job failed or a phone got the SMS twice.
`--max-seconds` stops a slow run early and reports the rate so far (the forking worker
that built the app per job managed 1.3-1.8 jobs/s). To measure other code, run this same
script from a copy of the tree holding that code: the workers run from the script's tree.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.jobs import PendingJob, job  # noqa: E402
from bench.reminders_run import release_redis_db, reserve_redis_db  # noqa: E402 - after the path is set
from bench.ussd_load import create_schema, drop_schema, schema_url  # noqa: E402

BIN = Path(sys.executable).parent
SCHEMA = f"bench_worker_{os.getpid()}"
"""Per process, so two runs never drop each other's tables."""
TEXT = "Pamoja: KES 500 received. Balance KES 1,500."
KINDS = {"send_sms_job": 1, "send_sms_batch_job": 25, "empty_job": 0}
"""The jobs measured and the SMS each sends: one per message; 25 sharing a text (the reminder run's
average: 40 texts over 1,000 phones); none (the worker's own cost per job)."""


@job
def empty_job(services):
    """A job that does nothing inside the app: what the worker costs per job on its own."""


def prepare(db_url, redis_url):
    """A fresh schema, migrated; the environment the workers and this process share."""
    import subprocess

    create_schema(db_url, SCHEMA)
    url = schema_url(db_url, SCHEMA)
    env = dict(os.environ, DATABASE_URL=url, REDIS_URL=redis_url, PIN_PEPPER="bench", APP_ENV="development")
    subprocess.run([str(BIN / "flask"), "--app", "app:create_app", "db", "upgrade"], env=env, check=True, cwd=ROOT,
                   capture_output=True)
    from app import create_app

    app = create_app({"DATABASE_URL": url, "REDIS_URL": redis_url, "PIN_PEPPER": "bench", "LOG_LEVEL": "WARNING",
                      "APP_ENV": "development"})
    return app, env


def record(app, count, run, batch=1):
    """`count` jobs' SMS recorded by the outbox and committed; their send jobs, not yet enqueued.

    batch 1: `send_sms` per message (one send_sms_job each); more: `send_sms_many` per
    `batch` phones sharing a text (one send_sms_batch_job each), as the reminder run does.
    """
    from app.extensions import db
    from app.services import request_services

    phones = [f"+2547{run}{number:07d}" for number in range(count * batch)]
    with app.app_context():
        outbox = request_services().outbox
        if batch == 1:
            messages = [outbox.send_sms(phone, TEXT, kind="deposit_received") for phone in phones]
        else:
            messages = [message for start in range(0, len(phones), batch)
                        for message in outbox.send_sms_many(phones[start:start + batch], TEXT, kind="repayment_due")]
        pending = db.session.info.pop("pending_jobs")  # enqueued below, all at once, once the workers wait
        db.session.commit()
        return [message.id for message in messages], pending


def empty_jobs(queue, count, run):
    # By its dotted path: run as a script, this module is __main__, which the workers cannot import.
    return [PendingJob(queue, "bench.worker_throughput.empty_job", (), {}, f"empty-{run}-{n}", retry=None)
            for n in range(count)]


def wait_idle(connection, count, seconds=60):
    from rq import Worker

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        workers = Worker.all(connection=connection)
        if len(workers) == count and all(worker.get_state() == "idle" for worker in workers):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{count} workers did not come up idle within {seconds} s")


def settled(app, ids):
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        return db.session.scalar(text("SELECT count(*) FROM outbound_messages WHERE id = ANY(:ids) "
                                      "AND status <> 'queued'"), {"ids": ids})


def cpu_seconds(processes):
    """User + system CPU of the worker processes and their children (the scheduler), from /proc."""
    from tests.worker_helpers import descendants

    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in [pid for process in processes for pid in (process.pid, *descendants(process.pid))]:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def measure(app, env, workers_count, jobs, max_seconds, run, kind):
    from redis import Redis

    from tests.worker_helpers import FakeAfricasTalking, Workers

    connection = Redis.from_url(env["REDIS_URL"])
    queue = app.extensions["queues"]["default"]
    per_job = KINDS[kind]
    if kind == "empty_job":
        pending = empty_jobs(queue, jobs, run)
        before = queue.finished_job_registry.count + queue.failed_job_registry.count

        def count_done():
            return queue.finished_job_registry.count + queue.failed_job_registry.count - before
    else:
        ids, pending = record(app, jobs, run, per_job)

        def count_done():
            return settled(app, ids) // per_job
    fake = FakeAfricasTalking()
    log_dir = tempfile.mkdtemp(prefix="bench-worker-")
    workers = Workers(env, log_dir, fake)
    try:
        for _ in range(workers_count):
            workers.start()
        wait_idle(connection, workers_count)
        failed_before = queue.failed_job_registry.count
        cpu_before = cpu_seconds(workers.processes)
        started = time.monotonic()
        with connection.pipeline() as pipeline:
            queue.enqueue_many([queue.prepare_data(job.func, job.args, job_id=job.job_id, retry=job.retry)
                                for job in pending], pipeline=pipeline)
            pipeline.execute()
        done = 0
        while done < len(pending) and time.monotonic() - started < max_seconds:
            time.sleep(0.05)
            done = count_done()
        elapsed = time.monotonic() - started
        cpu = cpu_seconds(workers.processes) - cpu_before
        failed = queue.failed_job_registry.count
    finally:
        workers.stop_all()
        fake.close()
        queue.empty()
    sent = sum(fake.received.values())
    twice = sum(1 for count in fake.received.values() if count > 1)
    return {"workers": workers_count, "jobs": done, "of": len(pending), "seconds": elapsed, "jobs_s": done / elapsed,
            "sms_s": sent / elapsed,
            "cpu_ms": 1000 * cpu / max(done, 1), "failed": failed - failed_before, "twice": twice, "logs": log_dir}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4", help="worker counts to measure, comma-separated")
    parser.add_argument("--jobs", type=int, default=1000, help="send_sms_job jobs per worker count")
    parser.add_argument("--kinds", default=",".join(KINDS), help="jobs to measure, comma-separated")
    parser.add_argument("--max-seconds", type=float, default=120, help="stop a run after this long")
    args = parser.parse_args()
    db_url = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    redis_url = os.environ.get("BENCH_REDIS_URL") or reserve_redis_db()
    if not os.environ.get("BENCH_REDIS_URL"):
        from redis import Redis

        Redis.from_url(redis_url).flushdb()  # reserved for this run: nothing of another's is in it
    print(f"code: {ROOT}\nworker: {' '.join(procfile_command(redis_url))}")
    problems = 0
    try:
        app, env = prepare(db_url, redis_url)
        counts = [int(n) for n in args.workers.split(",")]
        print(f"{'job':<21} {'workers':>7} {'jobs':>11} {'seconds':>8} {'jobs/s':>8} {'SMS/s':>8} {'CPU ms/job':>10} "
              f"{'failed':>6} {'twice':>5}  load average")
        runs = [(kind, count) for kind in args.kinds.split(",") for count in counts]
        for run, (kind, count) in enumerate(runs):
            jobs = args.jobs // KINDS[kind] * 5 if KINDS[kind] > 1 else args.jobs  # a batch job sends 25 SMS
            result = measure(app, env, count, jobs, args.max_seconds, run, kind)
            label = f"{kind}/{KINDS[kind]}" if KINDS[kind] > 1 else kind
            print(f"{label:<21} {result['workers']:>7} {result['jobs']:>5}/{result['of']:<5} "
                  f"{result['seconds']:>8.1f} {result['jobs_s']:>8.1f} {result['sms_s']:>8.1f} "
                  f"{result['cpu_ms']:>10.2f} {result['failed']:>6} {result['twice']:>5}  "
                  f"{' '.join(f'{load:.1f}' for load in os.getloadavg())}", flush=True)
            problems += result["failed"] + result["twice"] + (result["jobs"] < result["of"])
    finally:
        drop_schema(db_url, SCHEMA)
        if not os.environ.get("BENCH_REDIS_URL"):
            release_redis_db(redis_url)
    return 1 if problems else 0


def procfile_command(redis_url):
    from tests.worker_helpers import procfile_worker

    return [Path(word).name if index == 0 else word for index, word in enumerate(procfile_worker(redis_url))]


if __name__ == "__main__":
    sys.exit(main())
