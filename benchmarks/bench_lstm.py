"""Char-LSTM training speed: chainrule's ``nn.LSTM`` against ``torch.nn.LSTM`` on the same work.

One training step, identical in both frameworks: a (T=64, N=32) chunk of tiny-shakespeare
characters (vocabulary 65) from ``nn.utils.BPTTBatches``, one-hot encoded → 1-layer LSTM
(hidden 128 or 512; the state carried over from the previous chunk, detached) → Linear(H, 65) on
every step → cross-entropy over all T·N positions → backward → Adam step. Throughput is
characters per second (T·N per step).

Method (shared/guide/BENCHMARKING.md): one process, the same thread count for both (NumPy's BLAS
through threadpoolctl, ``torch.set_num_threads``), warm-up steps, then rounds of one timed block
per framework with the order alternating each round and a 0.2 s pause between blocks; the median
block is quoted, with the ratio chainrule / torch and the machine's load average.

    .venv/bin/python benchmarks/bench_lstm.py [--hidden 128 512] [--threads 2] [--rounds 7]
        [--steps 10] [--device cpu|cuda] [--clock wall|cpu]

``--clock cpu`` (with ``--threads 1``) times with ``time.process_time``: on a machine loaded far
beyond its cores the wall clock mostly measures the scheduler, while one thread's CPU time still
measures the work (docs/benchmarks.md).

``--device cuda`` runs chainrule on CuPy and torch on CUDA (cuDNN's fused LSTM); it stops with a
message where CuPy or CUDA is missing.
"""

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np
import threadpoolctl
import torch

import chainrule as cr
import chainrule.functional as F
from chainrule import nn, optim
from chainrule.kernels import memory
from chainrule.nn.utils import BPTTBatches, detach_hidden

VOCAB, STEPS, BATCH = 65, 64, 32
TEXT = Path("/work/shared/data/tinyshakespeare/input.txt")


def token_stream(count):
    """The first ``count`` characters of tiny shakespeare as ids 0…64 (random ids without it)."""
    if TEXT.exists():
        text = TEXT.read_text()
        alphabet = {ch: i for i, ch in enumerate(sorted(set(text)))}
        return np.array([alphabet[ch] for ch in text[:count]], dtype=np.int64)
    print(f"({TEXT} not found: timing random characters)")
    return np.random.default_rng(0).integers(0, VOCAB, count)


def chunks(blocks, steps):
    """Enough (inputs, targets) chunks for the warm-up and every timed block."""
    tokens = token_stream(BATCH * (STEPS * steps * (blocks + 1) + 1))
    return [(x.numpy(), y.numpy()) for x, y in BPTTBatches(tokens, BATCH, STEPS)]


def chainrule_trainer(hidden, device):
    cr.manual_seed(0)
    lstm = nn.LSTM(VOCAB, hidden).to(device)
    head = nn.Linear(hidden, VOCAB).to(device)
    optimizer = optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=2e-3)
    one_hot = cr.tensor(np.eye(VOCAB, dtype=np.float32), device=device)
    state = None

    def step(inputs, targets):
        nonlocal state
        x = cr.Tensor(one_hot.data[cr.tensor(inputs, device=device).data])
        output, state = lstm(x, detach_hidden(state))
        logits = head(output.reshape(STEPS * BATCH, hidden))
        loss = F.cross_entropy(logits, cr.tensor(targets.reshape(-1), device=device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    return step


def torch_trainer(hidden, device):
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(VOCAB, hidden).to(device)
    head = torch.nn.Linear(hidden, VOCAB).to(device)
    optimizer = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=2e-3)
    one_hot = torch.eye(VOCAB, device=device)
    state = None

    def step(inputs, targets):
        nonlocal state
        x = one_hot[torch.from_numpy(inputs).to(device)]
        state = None if state is None else tuple(s.detach() for s in state)
        output, state = lstm(x, state)
        logits = head(output.reshape(STEPS * BATCH, hidden))
        loss = torch.nn.functional.cross_entropy(
            logits, torch.from_numpy(targets.reshape(-1)).to(device)
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    return step


def synchronizer(device):
    """A function that waits for queued GPU work (nothing to wait for on the CPU)."""
    if device == "cpu":
        return lambda: None

    def wait():
        cr.backend.cupy.cuda.Device().synchronize()
        torch.cuda.synchronize()

    return wait


def time_block(step, batches, sync, clock):
    sync()
    start = clock()
    for inputs, targets in batches:
        step(inputs, targets)
    sync()
    return clock() - start


def compare(hidden, args):
    batches = chunks(args.rounds, args.steps)
    trainers = {
        "chainrule": chainrule_trainer(hidden, args.device),
        "torch": torch_trainer(hidden, args.device),
    }
    sync = synchronizer(args.device)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    warm_up = batches[: args.steps]
    for step in trainers.values():
        time_block(step, warm_up, sync, clock)
    times = {name: [] for name in trainers}
    for round_ in range(args.rounds):
        block = batches[(round_ + 1) * args.steps : (round_ + 2) * args.steps]
        order = list(trainers) if round_ % 2 == 0 else list(trainers)[::-1]
        for name in order:
            time.sleep(0.2)
            times[name].append(time_block(trainers[name], block, sync, clock))
    chars = args.steps * STEPS * BATCH
    speed = {name: chars / statistics.median(blocks) for name, blocks in times.items()}
    print(
        f"hidden {hidden:4d}: chainrule {speed['chainrule']:9,.0f} chars/s   "
        f"torch {speed['torch']:9,.0f} chars/s   ratio {speed['chainrule'] / speed['torch']:.2f}"
        f"   (load average {os.getloadavg()[0]:.1f})"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hidden", type=int, nargs="+", default=[128, 512])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=10, help="training steps per timed block")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="cpu: process time, for a busy machine (needs --threads 1)",
    )
    args = parser.parse_args()
    if args.clock == "cpu" and (args.threads != 1 or args.device != "cpu"):
        raise SystemExit("--clock cpu measures one CPU thread: use it with --threads 1 on cpu")
    if args.device == "cuda" and (cr.backend.cupy is None or not torch.cuda.is_available()):
        raise SystemExit("--device cuda needs CuPy and a CUDA build of torch with a GPU")
    memory.keep_freed_memory()  # as chainrule.train.fit does; the PyTorch side shares it
    torch.set_num_threads(args.threads)
    with threadpoolctl.threadpool_limits(args.threads, user_api="blas"):
        blas = [
            f"{lib['internal_api']} {lib.get('architecture')}"
            for lib in threadpoolctl.threadpool_info()
            if lib["user_api"] == "blas"
        ]
        print(
            f"char-LSTM training, T={STEPS}, batch {BATCH}, vocab {VOCAB}, one-hot input, "
            f"Adam; {args.threads} threads; {args.device}; {args.clock} clock; NumPy BLAS: "
            f"{', '.join(blas)}"
        )
        for hidden in args.hidden:
            compare(hidden, args)


if __name__ == "__main__":
    main()
