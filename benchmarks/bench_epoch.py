"""One LeNet-5 epoch on MNIST end to end, wall clock: ``chainrule train lenet5 --workers 2``
against the same epoch written in PyTorch with two threads.

Both sides do everything a user waits for, from a fresh process: start (chainrule: ``mpiexec``
and two ranks), import, read and normalise the 60,000 training and 10,000 test digits from the
data root's IDX files, train one epoch of the modern LeNet-5 (ReLU, max pooling, 28×28 digits
mapped to the paper's 32×32 input levels) with Adam 2e-3 at batch 128, and measure the test set.
chainrule's command also writes its run folder (config, log, checkpoint, confusion matrix,
curves). The contestants alternate, ``--rounds`` times each; the median wall time is quoted
and the ratio is PyTorch's time over chainrule's (above 1: chainrule is faster).

    CHAINRULE_DATA=../shared/data .venv/bin/python benchmarks/bench_epoch.py [--rounds 3]
"""

import argparse
import gzip
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

VENV_BIN = Path(sys.executable).parent
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def read_idx(path):
    with gzip.open(path) as f:
        raw = f.read()
    dims = raw[3]
    shape = np.frombuffer(raw, ">u4", dims, 4)
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)


def torch_epoch(root):
    """The PyTorch side, run in its own process: one epoch, then the test accuracy."""
    import torch
    from torch import nn

    torch.set_num_threads(2)
    torch.manual_seed(0)

    def digits(kind):
        images = read_idx(root / "mnist" / f"{kind}-images-idx3-ubyte.gz")
        labels = read_idx(root / "mnist" / f"{kind}-labels-idx1-ubyte.gz")
        x = (images.astype(np.float32) / 255 - 0.1307) / 0.3081
        return torch.from_numpy(x[:, None]), torch.from_numpy(labels.astype(np.int64))

    (x, y), (x_test, y_test) = digits("train"), digits("t10k")
    background, foreground = (0 - 0.1307) / 0.3081, (1 - 0.1307) / 0.3081
    scale = (1.175 + 0.1) / (foreground - background)

    class LeNet5(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(16, 120, 5), nn.ReLU(), nn.Flatten(),
                nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
            )  # fmt: skip

        def forward(self, x):
            x = (x - background) * scale - 0.1
            return self.features(nn.functional.pad(x, (2, 2, 2, 2), value=-0.1))

    model = LeNet5()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    model.train()
    for rows in torch.randperm(len(x)).split(128):
        loss = nn.functional.cross_entropy(model(x[rows]), y[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        predicted = torch.cat([model(part).argmax(1) for part in x_test.split(1000)])
    print(f"test accuracy {(predicted == y_test).float().mean().item():.4f}")


def timed(command, env):
    began = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if result.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{result.stderr}")
    return seconds, result.stdout.strip().splitlines()[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data-dir", default=os.environ.get("CHAINRULE_DATA"))
    parser.add_argument("--torch-side", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.data_dir:
        sys.exit("bench_epoch.py: set CHAINRULE_DATA or --data-dir to the data root")
    root = Path(args.data_dir).resolve()
    if args.torch_side:
        torch_epoch(root)
        return
    env = {**os.environ, "CHAINRULE_DATA": str(root)}
    times = {"chainrule --workers 2": [], "PyTorch 2 threads": []}
    with tempfile.TemporaryDirectory() as scratch:
        for round_ in range(args.rounds):
            out = Path(scratch) / f"run{round_}"
            ours = [str(VENV_BIN / "chainrule"), "train", "lenet5", "--variant", "modern"]
            ours += ["--epochs", "1", "--workers", "2", "--no-progress", "--out", str(out)]
            theirs = [sys.executable, __file__, "--torch-side", "--data-dir", str(root)]
            for name, command, extra in (
                ("chainrule --workers 2", ours, ONE_THREAD),
                ("PyTorch 2 threads", theirs, {}),
            ):
                seconds, last_line = timed(command, {**env, **extra})
                times[name].append(seconds)
                print(f"{name}: {seconds:.1f} s — {last_line}", flush=True)
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, median in medians.items():
        print(f"{name}: median {median:.1f} s")
    ratio = medians["PyTorch 2 threads"] / medians["chainrule --workers 2"]
    print(f"ratio (PyTorch time ÷ chainrule time): {ratio:.2f}")


if __name__ == "__main__":
    main()
