"""Run one function from many threads at once, for the committed concurrency tests."""

import threading


def run_in_threads(target, count, timeout=60):
    """Call `target(index)` in `count` threads released together by a barrier; return the results in order."""
    start = threading.Barrier(count)
    results = [None] * count

    def worker(index):
        start.wait()
        results[index] = target(index)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
