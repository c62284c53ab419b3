"""Where a USSD hop's CPU goes: bench/ussd_load.py's flow run in-process, timed and profiled.

bench/ussd_load.py says how our hop compares under gunicorn; this says why. It drives
the same flow (dial, PIN, My account, profile, back, main menu, exit) through each
app's WSGI callable with Flask's test client, no HTTP and no other threads, against
real PostgreSQL and Redis (a schema of its own, dropped at the end), and prints

- the thread CPU per hop of our /ussd and of the bare hop (bench/bare_app.py), in
  alternating batches: the lowest and the lower-quartile batch of each, and their ratio
  (the test client's own cost is in both: the ratio understates ours a little);
- with `--profile N`, cProfile of N flows of ours (thread CPU as the clock), the --top
  costliest functions by cumulative and by own time (totals over the N flows);
- with `--instructions N` instead, the CPU instructions per hop of N flows of each side and
  of the PIN hash (PBKDF2) in ours, counted by valgrind (`apt-get install valgrind`; about
  3 minutes for 5 flows, mostly the set-up): a count that other processes on the machine
  do not change, for comparing two versions of the code when CPU times are too noisy to.
  It counts user-space instructions only: the kernel's share of a hop (socket calls), a
  larger part of the bare hop's cost, is not in it, so its ratio is not the CPU ratio.

    .venv/bin/python bench/hop_profile.py [--batches 30] [--profile 40]
    .venv/bin/python bench/hop_profile.py --instructions 5
"""

import argparse
import cProfile
import gc
import io
import itertools
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
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


UNDER_VALGRIND = "PAMOJA_HOP_INSTRUCTIONS"
"""Set in the environment of the copy of this script that valgrind runs."""
COLLECTED = {"pamoja": "starmap_next", "bare": "takewhile_next", "PBKDF2 (ours)": "_hashopenssl.c:pbkdf2_hmac"}
"""What each count is read from: the measured flows run inside a C function of CPython that neither side's
hop calls (itertools.starmap for ours, itertools.takewhile for the bare hop's), and callgrind collects only
inside those (--toggle-collect); the PIN hash is OpenSSL's PBKDF2 as called by hashlib."""


def count_instructions(flows):
    """Run this script under callgrind and print the instructions per hop of each side."""
    if shutil.which("valgrind") is None or shutil.which("callgrind_annotate") is None:
        sys.exit("--instructions needs valgrind: apt-get install valgrind")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        subprocess.run(["valgrind", "--tool=callgrind", "--collect-atstart=no", "--toggle-collect=starmap_next",
                        "--toggle-collect=takewhile_next", f"--callgrind-out-file={out}", sys.executable,
                        os.path.abspath(__file__), "--instructions", str(flows)],
                       env=dict(os.environ, **{UNDER_VALGRIND: "1"}), check=True, capture_output=True)
        report = subprocess.run(["callgrind_annotate", "--inclusive=yes", out], check=True, capture_output=True,
                                text=True).stdout
    hops = flows * len(ussd_load.FLOW)
    counts = {}
    for line in report.splitlines():
        for name, symbol in COLLECTED.items():
            if name not in counts and re.search(rf"[:/ ]{re.escape(symbol)} ", line + " "):
                counts[name] = int(line.split()[0].replace(",", "")) / hops
    print(f"redis-py parser: {ussd_load.redis_parser()}; {hops} hops a side; instructions per hop (millions):")
    for name, count in counts.items():
        print(f"  {name:14} {count / 1e6:7.3f}")
    if len(counts) == len(COLLECTED):
        rest = counts["pamoja"] - counts["PBKDF2 (ours)"]
        print(f"ratio ours / bare {counts['pamoja'] / counts['bare']:.2f}x; without the PIN hash "
              f"{rest / 1e6:.3f} M, {rest / counts['bare']:.2f}x")


def measured_under_valgrind(sides, token, flows):
    """The flows callgrind counts (see COLLECTED): ours inside itertools.starmap, bare's inside takewhile."""
    (ours, our_path), (bare, bare_path) = sides["pamoja"], sides["bare"]
    # A full collection of the long-lived heap lands in one side's count or the other's by chance: collect
    # and freeze it first, so each side pays only for collecting what its own hops allocate
    gc.collect()
    gc.freeze()
    list(itertools.starmap(lambda: run_flows(ours, our_path, token, 1), [()] * flows))
    gc.collect()
    gc.freeze()
    list(itertools.takewhile(lambda _: run_flows(bare, bare_path, token, 1), range(flows)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=30, help="alternating batches per side")
    parser.add_argument("--flows", type=int, default=8, help="flows (sessions of 7 hops) per batch")
    parser.add_argument("--profile", type=int, default=0, metavar="FLOWS", help="then profile this many flows")
    parser.add_argument("--top", type=int, default=40, help="functions listed per profile ordering")
    parser.add_argument("--instructions", type=int, default=0, metavar="FLOWS",
                        help="instead: count CPU instructions per hop of this many flows a side under valgrind")
    args = parser.parse_args()
    if args.instructions and not os.environ.get(UNDER_VALGRIND):
        count_instructions(args.instructions)
        return
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
        if args.instructions:
            measured_under_valgrind(sides, token, args.instructions)
            return
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
