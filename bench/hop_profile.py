"""Where a USSD hop's CPU goes: bench/ussd_load.py's flow run in-process, timed and profiled.

bench/ussd_load.py says how our hop compares under gunicorn; this says why. It drives
the same flow (dial, PIN, My account, profile, back, main menu, exit) through each
app's WSGI callable with Flask's test client, no HTTP and no other threads, against
real PostgreSQL and Redis (a schema of its own, dropped at the end), and prints

- the thread CPU per hop of our /ussd and of the bare hop (bench/bare_app.py), in
  alternating batches: the lowest and the lower-quartile batch of each, and their ratio
  (the test client's own cost is in both: the ratio understates ours a little);
- with `--profile N`, cProfile of N flows of ours (thread CPU as the clock), the --top
  costliest functions by cumulative and by own time (totals over the N flows).

    .venv/bin/python bench/hop_profile.py [--batches 30] [--profile 40]
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import ussd_load  # noqa: E402 - after the path is set


def run_flows(client, path, token, flows):
    """`flows` sessions through ussd_load.FLOW; returns the number of hops."""
    hops = 0
    for index in range(flows):
        session_id, phone, texts = uuid.uuid4().hex, ussd_load.phone_of(index % ussd_load.MEMBERS), []
        for value in ussd_load.FLOW:
            if value or texts:
                texts.append(value)
            body = urllib.parse.urlencode({"sessionId": session_id, "serviceCode": "*384*1#", "phoneNumber": phone,
                                           "networkCode": "63902", "text": "*".join(texts)})
            reply = client.post(f"{path}?token={token}", data=body, content_type="application/x-www-form-urlencoded")
            if not reply.data.startswith((b"CON ", b"END ")):
                raise RuntimeError(f"unexpected reply: {reply.data[:80]!r}")
            hops += 1
    return hops


def cpu_per_hop(client, path, token, flows):
    started = time.thread_time()
    hops = run_flows(client, path, token, flows)
    return (time.thread_time() - started) / hops


def compare(sides, token, batches, flows_per_batch):
    """Thread CPU per hop of each side over alternating batches: {name: sorted seconds per hop}."""
    results = {name: [] for name in sides}
    for _ in range(batches):
        for name, (client, path) in sides.items():
            results[name].append(cpu_per_hop(client, path, token, flows_per_batch))
    return {name: sorted(values) for name, values in results.items()}


def profile(client, token, flows, top):
    profiler = cProfile.Profile(time.thread_time)
    profiler.enable()
    hops = run_flows(client, "/ussd", token, flows)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    print(f"cProfile of {hops} hops of ours (thread CPU; the profiler itself slows calls down, most the small ones):")
    for order in ("cumulative", "tottime"):
        stats.sort_stats(order).print_stats(top)
    print(out.getvalue())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=30, help="alternating batches per side")
    parser.add_argument("--flows", type=int, default=8, help="flows (sessions of 7 hops) per batch")
    parser.add_argument("--profile", type=int, default=0, metavar="FLOWS", help="then profile this many flows")
    parser.add_argument("--top", type=int, default=40, help="functions listed per profile ordering")
    args = parser.parse_args()
    db_url, redis_url = ussd_load.servers()
    env = ussd_load.prepare(db_url, redis_url)
    os.environ.update(env)
    try:
        from app import create_app
        from bench.bare_app import create_bare_app

        sides = {"pamoja": (create_app().test_client(), "/ussd"), "bare": (create_bare_app().test_client(), "/bare")}
        token = env["CALLBACK_TOKEN"]
        for client, path in sides.values():
            run_flows(client, path, token, 20)  # warm: pools, caches, prepared statements
        print(f"redis-py parser: {ussd_load.redis_parser()}; load average {os.getloadavg()[0]:.2f}")
        results = compare(sides, token, args.batches, args.flows)
        for name, values in results.items():
            print(f"  {name:7} CPU {values[0] * 1000:.3f} ms/hop lowest batch, {values[len(values) // 4] * 1000:.3f} "
                  f"lower quartile, {values[len(values) // 2] * 1000:.3f} median")
        quartile = len(results["bare"]) // 4
        print(f"CPU ratio (ours / bare): {results['pamoja'][0] / results['bare'][0]:.2f}x lowest batches, "
              f"{results['pamoja'][quartile] / results['bare'][quartile]:.2f}x lower quartiles")
        if args.profile:
            profile(sides["pamoja"][0], token, args.profile, args.top)
    finally:
        ussd_load.drop_schema(db_url, ussd_load.SCHEMA)


if __name__ == "__main__":
    main()
