"""What an op costs beyond its array work: Function.apply overhead, and a small MLP step.

    .venv/bin/python benchmarks/op_overhead.py

Part 1 times ``a + b`` on 4-element float32 tensors (NumPy, chainrule without and with grad,
PyTorch) and a 4-op forward+backward ((a @ W + b) * a).sum(); part 2 times an MLP
784-256-256-10 forward+backward (mean squared error, batch 128, float32) in chainrule and
PyTorch on the same weights.

Method (BENCHMARKING.md): one thread for both, warm-up, rounds of one block per workload in
alternating order with a 0.1 s sleep; the figure is the median block, timed in this thread's
CPU time (``time.thread_time``) so that other processes on a shared machine disturb it less.
"""

import statistics
import time

import numpy as np
import torch
from threadpoolctl import threadpool_limits

import chainrule as cr
import chainrule.functional as F


def median_block_us(workloads, rounds, repeat):
    """Median over ``rounds`` of the per-call time (µs) of each workload, alternating order."""
    times = {name: [] for name in workloads}
    for r in range(rounds):
        for name, fn in list(workloads.items())[:: (-1) ** r]:
            time.sleep(0.1)
            start = time.thread_time()
            for _ in range(repeat):
                fn()
            times[name].append((time.thread_time() - start) / repeat * 1e6)
    return {name: statistics.median(values) for name, values in times.items()}


def tiny_ops():
    a, b = (cr.tensor(np.ones(4, np.float32)) for _ in range(2))
    ag, bg = (cr.tensor(np.ones(4, np.float32), requires_grad=True) for _ in range(2))
    w = cr.tensor(np.ones((4, 4), np.float32), requires_grad=True)
    ta, tb = torch.ones(4), torch.ones(4)
    tag, tbg, tw = (
        torch.ones(4, requires_grad=True),
        torch.ones(4, requires_grad=True),
        torch.ones(4, 4, requires_grad=True),
    )
    adds = {
        "numpy a + b": lambda: a.data + b.data,
        "chainrule a + b": lambda: a + b,
        "chainrule a + b (grad)": lambda: ag + bg,
        "torch a + b": lambda: ta + tb,
        "torch a + b (grad)": lambda: tag + tbg,
    }
    steps = {
        "chainrule 4-op fwd+bwd": lambda: ((ag @ w + bg) * ag).sum().backward(),
        "torch 4-op fwd+bwd": lambda: ((tag @ tw + tbg) * tag).sum().backward(),
    }
    return {**median_block_us(adds, 9, 20000), **median_block_us(steps, 9, 2000)}


def mlp_step():
    rng = np.random.default_rng(0)
    sizes = [784, 256, 256, 10]
    weights = [
        rng.standard_normal((i, o)).astype(np.float32) * 0.05 for i, o in zip(sizes, sizes[1:])
    ]
    x = rng.standard_normal((128, 784)).astype(np.float32)
    y = rng.standard_normal((128, 10)).astype(np.float32)

    def build(framework, tensor):
        params = [
            (
                tensor(w, requires_grad=True),
                tensor(np.zeros(w.shape[1], np.float32), requires_grad=True),
            )
            for w in weights
        ]
        inputs, targets = tensor(x), tensor(y)
        relu = F.relu if framework == "chainrule" else torch.relu

        def step():
            h = inputs
            for i, (w, b) in enumerate(params):
                h = h @ w + b
                if i < len(params) - 1:
                    h = relu(h)
            ((h - targets) ** 2).mean().backward()
            for w, b in params:
                w.grad = b.grad = None

        return step

    workloads = {"chainrule": build("chainrule", cr.tensor), "torch": build("torch", torch.tensor)}
    for step in workloads.values():
        step()
    return {name: us / 1e3 for name, us in median_block_us(workloads, 9, 20).items()}


def main():
    torch.set_num_threads(1)
    with threadpool_limits(1, user_api="blas"):
        for name, us in tiny_ops().items():
            print(f"{name:26s} {us:8.2f} µs")
        ms = mlp_step()
    for name, value in ms.items():
        print(f"MLP step {name:17s} {value:8.3f} ms  ({128 / value * 1e3:,.0f} samples/s)")
    print(f"MLP chainrule speed / torch speed: {ms['torch'] / ms['chainrule']:.2f}")


if __name__ == "__main__":
    main()
