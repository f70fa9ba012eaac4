"""One rank's training step, one thread each: chainrule against PyTorch on the works of
``bench_parallel.py`` at the batch a rank holds (half the global batch) and at the whole batch,
so the per-core speed and what halving the batch costs can be read apart from the allreduce.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_rank_step.py
        [--clock wall|cpu]

Each step is timed in blocks after a warm-up, the two frameworks alternating; the median block
is quoted (ms per step). ``--clock cpu`` times with ``time.process_time``, for a machine busy
with other work (docs/benchmarks.md).
"""

import argparse
import statistics
import time

import numpy as np
import torch
from bench_parallel import batch_of, build

import chainrule as cr
from chainrule import functional as F
from chainrule import nn, optim
from chainrule.kernels import memory

WORKS = (("mlp", 64), ("mlp", 128), ("lstm-1x128", 16), ("lstm-1x128", 32))


def chainrule_step(model, batch):
    net, shape, _ = build(nn, model)
    optimizer = optim.SGD(net.parameters(), lr=0.01)
    x, y = (cr.tensor(a) for a in batch_of(model, shape, batch, np.random.default_rng(0)))

    def step():
        loss = F.cross_entropy(net(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


def torch_step(model, batch):
    net, shape, _ = build(torch.nn, model)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
    x, y = (torch.from_numpy(a) for a in batch_of(model, shape, batch, np.random.default_rng(0)))

    def step():
        loss = torch.nn.functional.cross_entropy(net(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


def milliseconds(steps, clock, blocks=7, per_block=20):
    """Median ms per step of each of ``steps`` by ``clock``, their blocks interleaved."""
    for step in steps:
        for _ in range(5):
            step()
    times = [[] for _ in steps]
    for _ in range(blocks):
        for step, kept in zip(steps, times):
            began = clock()
            for _ in range(per_block):
                step()
            kept.append((clock() - began) / per_block * 1e3)
    return [statistics.median(kept) for kept in times]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    clock = {"wall": time.perf_counter, "cpu": time.process_time}[parser.parse_args().clock]
    memory.keep_freed_memory()
    torch.set_num_threads(1)
    print("| work | batch | chainrule ms | PyTorch ms | PyTorch ÷ chainrule |")
    print("|---|---:|---:|---:|---:|")
    for model, batch in WORKS:
        ours, theirs = milliseconds([chainrule_step(model, batch), torch_step(model, batch)], clock)
        print(f"| {model} | {batch} | {ours:.2f} | {theirs:.2f} | {theirs / ours:.2f} |")


if __name__ == "__main__":
    main()
