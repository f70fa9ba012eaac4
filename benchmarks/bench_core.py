"""Speed of chainrule's core against PyTorch (CPU) on the same float32 work, in one process.

    .venv/bin/python benchmarks/bench_core.py            # full run (a few minutes)
    .venv/bin/python benchmarks/bench_core.py --quick    # short run (well under a minute)
    .venv/bin/python benchmarks/bench_core.py --threads 1 --clock cpu   # on a busy machine

Workloads: conv2d forward+backward, max_pool2d forward+backward, a LeNet-5-sized training step
(batch 64 and 256) and an MLP training step (784-256-256-10, batch 128), each built from
``chainrule.functional`` and raw parameter tensors with a manual SGD update, and the same in
PyTorch with the same weights and data.

Method (docs/benchmarks.md, after the project's BENCHMARKING.md): the same number of threads for
both (``torch.set_num_threads`` and threadpoolctl for NumPy's BLAS), warm-up, then several
rounds; each round times one block of steps per framework, alternating which goes first, with a
0.2 s sleep before each block (PyTorch's worker threads spin for a moment after a block). The
figure is the median block. The ratio is throughput chainrule / PyTorch (above 1: chainrule is
faster).
"""

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as TF
from threadpoolctl import threadpool_info, threadpool_limits

import chainrule as cr
import chainrule.functional as F
from chainrule.kernels import memory

LEARNING_RATE = 0.01


class Workload:
    """One line of the table: ``make(framework)`` returns a step function for "chainrule" or
    "torch"; ``items`` is how many samples one step processes (for samples/s)."""

    def __init__(self, name, items, make_chainrule, make_torch):
        self.name, self.items = name, items
        self.make = {"chainrule": make_chainrule, "torch": make_torch}


def _params(rng, shapes):
    """float32 arrays with PyTorch's default (Kaiming-uniform-like) scale for each shape."""
    arrays = []
    for shape in shapes:
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
        bound = 1 / np.sqrt(fan_in)
        arrays.append(rng.uniform(-bound, bound, shape).astype(np.float32))
    return arrays


def _sgd_step_chainrule(loss, params):
    for p in params:
        p.grad = None
    loss.backward()
    for p in params:
        p.data -= LEARNING_RATE * p.grad.data


def _sgd_step_torch(loss, params):
    for p in params:
        p.grad = None
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= LEARNING_RATE * p.grad


# -- conv2d and max_pool2d, forward + backward -----------------------------------------------


def conv2d_workload(batch, c_in, c_out, size, kernel, padding):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, c_in, size, size)).astype(np.float32)
    w, b = _params(rng, [(c_out, c_in, kernel, kernel), (c_out,)])
    out = size + 2 * padding - kernel + 1
    g = rng.standard_normal((batch, c_out, out, out)).astype(np.float32)

    def make_chainrule():
        tensors = [cr.tensor(a, requires_grad=True) for a in (x, w, b)]

        def step():
            for t in tensors:
                t.grad = None
            F.conv2d(*tensors, padding=padding).backward(g)

        return step

    def make_torch():
        tensors = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
        grad = torch.tensor(g)

        def step():
            for t in tensors:
                t.grad = None
            TF.conv2d(*tensors, padding=padding).backward(grad)

        return step

    name = f"conv2d fwd+bwd {c_in}→{c_out} {kernel}×{kernel} pad {padding}, {batch}×{size}×{size}"
    return Workload(name, batch, make_chainrule, make_torch)


def max_pool_workload(batch, channels, size, kernel, stride):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, channels, size, size)).astype(np.float32)
    out = (size - kernel) // stride + 1
    g = rng.standard_normal((batch, channels, out, out)).astype(np.float32)

    def make_chainrule():
        t = cr.tensor(x, requires_grad=True)

        def step():
            t.grad = None
            F.max_pool2d(t, kernel, stride).backward(g)

        return step

    def make_torch():
        t, grad = torch.tensor(x, requires_grad=True), torch.tensor(g)

        def step():
            t.grad = None
            TF.max_pool2d(t, kernel, stride).backward(grad)

        return step

    name = f"max_pool2d fwd+bwd {kernel}×{kernel}/{stride}, {batch}×{channels}×{size}×{size}"
    return Workload(name, batch, make_chainrule, make_torch)


# -- training steps --------------------------------------------------------------------------

LENET_SHAPES = [
    (6, 1, 5, 5),
    (6,),
    (16, 6, 5, 5),
    (16,),
    (120, 400),
    (120,),
    (84, 120),
    (84,),
    (10, 84),
    (10,),
]


def lenet_forward(f, x, p):
    """LeNet-5 as in the decks, with ReLU and max pooling: conv 6@5×5 pad 2, pool 2, conv 16@5×5,
    pool 2, fc 400-120-84-10. ``f`` is chainrule.functional or torch.nn.functional."""
    h = f.max_pool2d(f.relu(f.conv2d(x, p[0], p[1], padding=2)), 2)
    h = f.max_pool2d(f.relu(f.conv2d(h, p[2], p[3])), 2)
    h = h.reshape(h.shape[0], 400)
    h = f.relu(f.linear(h, p[4], p[5]))
    h = f.relu(f.linear(h, p[6], p[7]))
    return f.linear(h, p[8], p[9])


MLP_SHAPES = [(256, 784), (256,), (256, 256), (256,), (10, 256), (10,)]


def mlp_forward(f, x, p):
    h = f.relu(f.linear(x, p[0], p[1]))
    h = f.relu(f.linear(h, p[2], p[3]))
    return f.linear(h, p[4], p[5])


def training_workload(name, forward, shapes, input_shape, batch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch,) + input_shape).astype(np.float32)
    y = rng.integers(0, 10, batch)
    params = _params(rng, shapes)

    def make_chainrule():
        p = [cr.tensor(a, requires_grad=True) for a in params]
        inputs, targets = cr.tensor(x), cr.tensor(y)

        def step():
            loss = F.cross_entropy(forward(F, inputs, p), targets)
            _sgd_step_chainrule(loss, p)
            return loss.item()

        return step

    def make_torch():
        p = [torch.tensor(a, requires_grad=True) for a in params]
        inputs, targets = torch.tensor(x), torch.tensor(y)

        def step():
            loss = TF.cross_entropy(forward(TF, inputs, p), targets)
            _sgd_step_torch(loss, p)
            return loss.item()

        return step

    return Workload(f"{name} train step, batch {batch}", batch, make_chainrule, make_torch)


def workloads():
    return [
        conv2d_workload(64, 6, 16, 14, 5, 0),
        conv2d_workload(32, 64, 64, 16, 3, 1),
        max_pool_workload(64, 6, 28, 2, 2),
        max_pool_workload(32, 64, 33, 3, 2),
        training_workload("LeNet-5", lenet_forward, LENET_SHAPES, (1, 28, 28), 64),
        training_workload("LeNet-5", lenet_forward, LENET_SHAPES, (1, 28, 28), 256),
        training_workload("MLP 784-256-256-10", mlp_forward, MLP_SHAPES, (784,), 128),
    ]


# -- timing ----------------------------------------------------------------------------------


def check_same_loss(workload):
    """Both frameworks start from the same weights and data, so the first losses must agree."""
    if "train" not in workload.name:
        return
    ours, theirs = workload.make["chainrule"]()(), workload.make["torch"]()()
    if not np.isclose(ours, theirs, rtol=1e-4):
        sys.exit(f"{workload.name}: first loss {ours} (chainrule) vs {theirs} (torch)")


def time_block(step, steps, clock):
    start = clock()
    for _ in range(steps):
        step()
    return (clock() - start) / steps


def measure(workload, rounds, block_seconds, clock):
    """Median seconds per step for each framework, alternating the order every round."""
    steps = {name: make() for name, make in workload.make.items()}
    per_block = {}
    for name, step in steps.items():
        step()
        warm = time_block(step, 3, clock)
        per_block[name] = max(1, int(block_seconds / warm))
    times = {name: [] for name in steps}
    order = list(steps)
    for _ in range(rounds):
        for name in order:
            time.sleep(0.2)
            times[name].append(time_block(steps[name], per_block[name], clock))
        order.reverse()
    return {name: statistics.median(t) for name, t in times.items()}


def describe_machine(threads):
    blas = [
        f"{i['internal_api']} {i.get('version')} ({i.get('architecture')})"
        for i in threadpool_info()
        if i["user_api"] == "blas"
    ]
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.2f}; numpy {np.__version__} with {', '.join(blas)}; "
        f"torch {torch.__version__}; {threads} threads each"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter blocks")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default="", help="run only workloads whose name contains this")
    parser.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="cpu: time.process_time, for --threads 1 on a busy shared machine "
        "(it counts this process's CPU time, not time spent waiting)",
    )
    args = parser.parse_args(argv)
    if args.clock == "cpu" and args.threads != 1:
        parser.error("--clock cpu needs --threads 1 (idle-spinning worker threads count as CPU)")
    rounds, block_seconds = (3, 0.15) if args.quick else (7, 0.5)
    clock = time.perf_counter if args.clock == "wall" else time.process_time

    memory.keep_freed_memory()  # as chainrule.train.fit does; the PyTorch side shares it
    torch.set_num_threads(args.threads)
    with threadpool_limits(args.threads, user_api="blas"):
        print(describe_machine(args.threads))
        print(f"{rounds} rounds, blocks of ~{block_seconds} s, median block, {args.clock} clock\n")
        header = f"{'workload':<58} {'chainrule':>12} {'PyTorch':>12} {'ratio':>6}"
        print(header)
        print("-" * len(header))
        for workload in workloads():
            if args.only not in workload.name:
                continue
            check_same_loss(workload)
            seconds = measure(workload, rounds, block_seconds, clock)
            rate = {name: workload.items / s for name, s in seconds.items()}
            print(
                f"{workload.name:<58} {rate['chainrule']:>10.0f}/s {rate['torch']:>10.0f}/s "
                f"{rate['chainrule'] / rate['torch']:>6.2f}",
                flush=True,
            )
    print("\nratio = samples/s of chainrule ÷ samples/s of PyTorch")


if __name__ == "__main__":
    main()
