"""Data-parallel training speed on this machine's cores: chainrule on 1 and 2 MPI ranks against
PyTorch with 2 threads in one process and PyTorch's DistributedDataParallel on 2 processes
(gloo), same model, data, global batch and optimiser (SGD, float32).

    .venv/bin/python benchmarks/bench_parallel.py            # the table (a few minutes)
    .venv/bin/python benchmarks/bench_parallel.py --quick    # fewer and shorter blocks

Each configuration runs as its own job: ``mpiexec -n R python bench_parallel.py worker …``
(a rank per core, one BLAS/OpenMP thread each; PyTorch's ranks join a gloo group on the
loopback address, chainrule's the MPI world) or one process with 2 threads. A job warms up, then
times blocks of steps between barriers and reports the median block; each rank holds
batch / R samples, so the global batch is the same everywhere. Throughput is global samples per
second (characters for the LSTM). The ratio is chainrule on 2 ranks over the faster of PyTorch's
two ways; scaling is chainrule 2 ranks over chainrule 1 rank.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

VOCAB, SEQUENCE = 65, 64

WORKS = {
    # name: (model, global batch)
    "LeNet-5, batch 64": ("lenet5", 64),
    "LeNet-5, batch 256": ("lenet5", 256),
    "MLP 784-256-256-10, batch 128": ("mlp", 128),
    "char-LSTM 1×128, T 64, batch 32": ("lstm-1x128", 32),
    "char-LSTM 2×512, T 64, batch 32": ("lstm-2x512", 32),
}
CONFIGS = {
    # name: (framework, ranks, threads per rank)
    "chainrule 1 rank": ("chainrule", 1, 1),
    "chainrule 2 ranks": ("chainrule", 2, 1),
    "PyTorch 2 threads": ("torch", 1, 2),
    "PyTorch DDP 2 proc": ("torch", 2, 1),
}


def build(nn, model):
    """The same network in chainrule's ``nn`` or torch's: (module, input shape, items/sample)."""
    if model == "lenet5":
        net = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
        )  # fmt: skip
        return net, (1, 28, 28), 1
    if model == "mlp":
        net = nn.Sequential(
            nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
        )
        return net, (784,), 1
    layers, hidden = (1, 128) if model == "lstm-1x128" else (2, 512)
    return CharLSTM(nn, layers, hidden), (SEQUENCE,), SEQUENCE


def CharLSTM(nn, layers, hidden):  # noqa: N802 (a class built for either framework)
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, hidden)
            self.lstm = nn.LSTM(hidden, hidden, num_layers=layers, batch_first=True)
            self.head = nn.Linear(hidden, VOCAB)

        def forward(self, x):
            output, _ = self.lstm(self.embed(x))
            return self.head(output.reshape(-1, output.shape[-1]))

    return Model()


def batch_of(model, shape, size, rng):
    if model.startswith("lstm"):
        x = rng.integers(0, VOCAB, (size, *shape))
        return x, rng.integers(0, VOCAB, size * SEQUENCE)
    return rng.standard_normal((size, *shape)).astype(np.float32), rng.integers(0, 10, size)


def chainrule_step(model, batch, rng):
    import chainrule as cr
    from chainrule import distributed, nn, optim
    from chainrule import functional as F
    from chainrule.kernels import memory

    memory.keep_freed_memory()
    distributed.init_process_group()
    net, shape, _ = build(nn, model)
    ddp = distributed.DistributedDataParallel(net)
    optimizer = optim.SGD(net.parameters(), lr=0.01)
    x, y = (cr.tensor(a) for a in batch_of(model, shape, batch, rng))

    def step():
        loss = F.cross_entropy(ddp(x), y)
        optimizer.zero_grad()
        loss.backward()
        ddp.reduce_gradients()
        optimizer.step()

    return step, distributed.barrier


def torch_step(model, batch, rng, ranks):
    import torch
    import torch.distributed as dist

    torch.manual_seed(0)
    net, shape, _ = build(torch.nn, model)
    barrier = lambda: None  # noqa: E731
    if ranks > 1:
        dist.init_process_group(
            "gloo",
            init_method=f"tcp://127.0.0.1:{os.environ['BENCH_PORT']}",
            rank=int(os.environ["PMI_RANK"]),
            world_size=ranks,
        )
        net = torch.nn.parallel.DistributedDataParallel(net)
        barrier = dist.barrier
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
    x, y = (torch.from_numpy(a) for a in batch_of(model, shape, batch, rng))

    def step():
        loss = torch.nn.functional.cross_entropy(net(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step, barrier


def worker(framework, model, global_batch, ranks, threads, blocks, block_steps):
    """Time ``blocks`` blocks of ``block_steps`` steps on this rank; rank 0 prints the median
    block's global throughput as JSON."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)
    rng = np.random.default_rng(int(os.environ.get("PMI_RANK", 0)))
    batch = global_batch // ranks
    if framework == "chainrule":
        step, barrier = chainrule_step(model, batch, rng)
    else:
        import torch

        torch.set_num_threads(threads)
        step, barrier = torch_step(model, batch, rng, ranks)
    for _ in range(2):
        step()
    times = []
    for _ in range(blocks):
        barrier()
        started = time.perf_counter()
        for _ in range(block_steps):
            step()
        barrier()
        times.append(time.perf_counter() - started)
    items = global_batch * (SEQUENCE if model.startswith("lstm") else 1) * block_steps
    if int(os.environ.get("PMI_RANK", 0)) == 0:
        print(json.dumps({"per_second": items / statistics.median(times)}))


def run_config(config, work, blocks, block_steps):
    framework, ranks, threads = CONFIGS[config]
    model, global_batch = WORKS[work]
    threads_env = {k: str(threads) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    env = {**os.environ, **threads_env, "BENCH_PORT": str(free_port())}
    command = [sys.executable, __file__, "worker", framework, model, str(global_batch)]
    command += [str(ranks), str(threads), str(blocks), str(block_steps)]
    mpiexec = str(Path(sys.executable).with_name("mpiexec"))
    result = subprocess.run(
        [mpiexec, "-n", str(ranks), *command], env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"{config}, {work} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])["per_second"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def steps_for(work, quick):
    model, _ = WORKS[work]
    steps = {"lenet5": 20, "mlp": 40, "lstm-1x128": 5, "lstm-2x512": 2}[model]
    return (3, max(steps // 2, 1)) if quick else (5, steps)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    header = ["work", *CONFIGS, "ratio vs best PyTorch", "scaling 1→2"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for work in WORKS:
        blocks, block_steps = steps_for(work, args.quick)
        rates = {c: run_config(c, work, blocks, block_steps) for c in CONFIGS}
        best_torch = max(rates["PyTorch 2 threads"], rates["PyTorch DDP 2 proc"])
        ratio = rates["chainrule 2 ranks"] / best_torch
        scaling = rates["chainrule 2 ranks"] / rates["chainrule 1 rank"]
        cells = [f"{rates[c]:,.0f}" for c in CONFIGS] + [f"{ratio:.2f}", f"{scaling:.2f}"]
        print(f"| {work} | " + " | ".join(cells) + " |", flush=True)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        framework, model = sys.argv[2], sys.argv[3]
        numbers = [int(v) for v in sys.argv[4:9]]
        worker(framework, model, *numbers)
    else:
        main()
