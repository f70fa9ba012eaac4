"""What the tracing hook costs an op when no tracer is set (chainrule.onnx's ``set_tracer``).

    .venv/bin/python benchmarks/tracer_overhead.py

An A/B in one process: ``Function.apply`` as it is, against the same source compiled without
its two lines ``if _tracer is not None: _tracer(...)``, both on ``a + b`` of 4-element float32
tensors (the smallest op, where the check weighs most). Rounds alternate the order with a short
sleep; the figure is the median per-call time over rounds, in this thread's CPU time.
"""

import inspect
import statistics
import textwrap
import time

import numpy as np

import chainrule as cr
from chainrule import autograd
from chainrule.functional.math import Add

HOOK = "    if _tracer is not None:\n        _tracer(cls, tensors, options, outputs)\n"


def apply_without_hook():
    source = textwrap.dedent(inspect.getsource(autograd.Function.apply.__func__))
    if HOOK not in source:
        raise SystemExit("Function.apply has no tracer check to leave out")
    namespace = {}
    exec(source.replace(HOOK, "").replace("@classmethod\n", ""), autograd.__dict__, namespace)
    return namespace["apply"]


def main(rounds=30, repeat=20000):
    a, b = (cr.tensor(np.ones(4, np.float32)) for _ in range(2))
    plain = apply_without_hook()
    workloads = {"with the check": lambda: Add.apply(a, b), "without": lambda: plain(Add, a, b)}
    times = {name: [] for name in workloads}
    for r in range(rounds):
        for name, fn in list(workloads.items())[:: (-1) ** r]:
            time.sleep(0.02)
            start = time.thread_time()
            for _ in range(repeat):
                fn()
            times[name].append((time.thread_time() - start) / repeat * 1e6)
    for name, values in times.items():
        print(f"a + b, {name:15s} {statistics.median(values):.3f} µs")


if __name__ == "__main__":
    main()
