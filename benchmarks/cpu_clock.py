"""The CPU-time clock the single-thread micro-benchmarks share: on a machine busy with other
work the wall clock measures the scheduler too, while one thread's CPU time
(``time.process_time``) still measures the work (docs/benchmarks.md)."""

import time


def best_cpu_seconds(work, blocks, calls, warmup=3):
    """The best of ``blocks`` blocks of ``calls`` calls of ``work()``: CPU seconds per call,
    after ``warmup`` calls."""
    for _ in range(warmup):
        work()
    best = float("inf")
    for _ in range(blocks):
        began = time.process_time()
        for _ in range(calls):
            work()
        best = min(best, (time.process_time() - began) / calls)
    return best
