"""A closed-loop load that stays up between blocks: the Python side of bench/interleave.py.

`ClosedLoop(factory, args, concurrency, processes)` spawns `processes` processes and
spreads `concurrency` threads over them. Each thread calls `factory(index, *args)` once
(in its own thread: connections, app contexts and sessions stay its own) and gets back a
`step()` callable; during each block every thread calls `step()` back to back (no think
time) and times it. Between blocks the threads wait with their connections open, so a
block measures steady work, not start-up. A step that raises counts as an error.

`factory` must be importable by name (a module-level function): the processes are
spawned, not forked, so no connection pool is ever shared across a fork.
"""

import multiprocessing
import threading
import time
import traceback

from bench.interleave import Block

START_DELAY = 0.05
"""Seconds between the order and the block's start, so every process starts together."""


def _run_process(pipe, factory, args, indexes):
    results = {index: [] for index in indexes}
    errors = {index: [] for index in indexes}
    block = {"start_at": 0.0, "stop_at": 0.0}
    ready, begin, done = (threading.Barrier(len(indexes) + 1) for _ in range(3))
    steps = {}

    def thread_main(index):
        try:
            steps[index] = factory(index, *args)
        except Exception:  # noqa: BLE001 - reported to the parent, which stops
            errors[index].append(traceback.format_exc())
        ready.wait()
        while True:
            begin.wait()
            if block["stop_at"] < 0:
                return
            step, latencies, failures = steps.get(index), results[index], errors[index]
            time.sleep(max(0.0, block["start_at"] - time.monotonic()))
            while step and time.monotonic() < block["stop_at"]:
                started = time.perf_counter()
                try:
                    step()
                except Exception as exc:  # noqa: BLE001 - counted, the load goes on
                    failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                latencies.append(time.perf_counter() - started)
            done.wait()

    threads = [threading.Thread(target=thread_main, args=(index,), daemon=True) for index in indexes]
    for thread in threads:
        thread.start()
    ready.wait()
    setup_errors = [error for index in indexes for error in errors[index]]
    pipe.send(setup_errors)
    while True:
        start_at, stop_at = pipe.recv()
        block.update(start_at=start_at, stop_at=stop_at)
        for index in indexes:
            results[index], errors[index] = [], []
        begin.wait()
        if stop_at < 0:
            break
        done.wait()
        latencies = [latency for index in indexes for latency in results[index]]
        failures = [failure for index in indexes for failure in errors[index]]
        pipe.send((latencies, len(failures), failures[0] if failures else "", time.monotonic()))
    for thread in threads:
        thread.join(timeout=5)


class ClosedLoop:
    """`concurrency` threads over `processes` spawned processes, each calling its step in a loop per block."""

    def __init__(self, factory, args=(), *, concurrency, processes=1):
        context = multiprocessing.get_context("spawn")
        processes = max(1, min(processes, concurrency))
        self.pipes, self.processes = [], []
        for number in range(processes):
            indexes = list(range(number, concurrency, processes))
            parent, child = context.Pipe()
            process = context.Process(target=_run_process, args=(child, factory, tuple(args), indexes), daemon=True)
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)
        setup_errors = [error for pipe in self.pipes for error in pipe.recv()]
        if setup_errors:
            self.close()
            raise RuntimeError(f"{len(setup_errors)} thread(s) failed to set up:\n{setup_errors[0]}")

    def __call__(self, seconds):
        """Run one block of `seconds`; the Block's time runs from the start to the last step's end."""
        start_at = time.monotonic() + START_DELAY
        for pipe in self.pipes:
            pipe.send((start_at, start_at + seconds))
        latencies, errors, first_error, finished = [], 0, "", start_at
        for pipe in self.pipes:
            part, part_errors, part_first, part_finished = pipe.recv()
            latencies += part
            errors += part_errors
            first_error = first_error or part_first
            finished = max(finished, part_finished)
        return Block(len(latencies), finished - start_at, latencies, errors, first_error)

    def close(self):
        for pipe in self.pipes:
            try:
                pipe.send((0.0, -1.0))
            except OSError:
                pass
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
