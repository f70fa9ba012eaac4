"""How much does ``chainrule.train.fit`` cost beyond the model's own work, and how does a
training epoch through it compare with PyTorch?

Three contestants train the same MLP (784-256-128-10, ReLU, dropout 0.2) with SGD + momentum on
the same MNIST images (batch 128, float32):

* ``fit``      — ``chainrule.train.fit`` over a shuffling ``DataLoader`` (one epoch per block);
* ``loop``     — a hand-written chainrule loop over the same shuffled tensor slices;
* ``torch``    — the same hand-written loop in PyTorch (``randperm`` + tensor slicing, no
                 DataLoader), the fair baseline.

Method (docs: shared/guide/BENCHMARKING.md): the same number of threads for both (NumPy's BLAS
through threadpoolctl, ``torch.set_num_threads``), warm-up, several blocks per contestant with
the order rotated every round and a 0.2 s pause between blocks; the median block is quoted.

    .venv/bin/python benchmarks/fit_overhead.py [--threads 2] [--rounds 11] [--batches 100]
"""

import argparse
import statistics
import time

import numpy as np
import threadpoolctl
import torch

import chainrule as cr
import chainrule.functional as F
from chainrule import data, models, optim
from chainrule.train import fit

HIDDEN = (256, 128)


def mnist_arrays(samples):
    """The first ``samples`` MNIST training images, normalised, as (N, 784) float32 + labels."""
    try:
        train = data.MNIST(train=True)
        images = (train.data[:samples].reshape(samples, -1) / 255.0 - 0.1307) / 0.3081
        labels = train.targets[:samples]
    except data.DatasetNotFoundError:
        print("(MNIST not found: timing random images of the same shape)")
        rng = np.random.default_rng(0)
        images, labels = rng.standard_normal((samples, 784)), rng.integers(0, 10, samples)
    return images.astype(np.float32), labels.astype(np.int64)


def chainrule_setup(images, labels, batch_size):
    cr.manual_seed(0)
    model = models.mlp(hidden=HIDDEN)
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    dataset = data.TensorDataset(images, labels)
    loader = data.DataLoader(dataset, batch_size=batch_size, shuffle=True, seed=0)

    def through_fit():
        fit(model, optimizer, loader, epochs=1)

    x_all, y_all = cr.as_tensor(images), cr.as_tensor(labels)
    generator = np.random.default_rng(0)

    def hand_loop():
        model.train()
        order = generator.permutation(len(images))
        for start in range(0, len(images), batch_size):
            index = order[start : start + batch_size]
            x, y = cr.Tensor(x_all.data[index]), cr.Tensor(y_all.data[index])
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return through_fit, hand_loop


def torch_setup(images, labels, batch_size):
    torch.manual_seed(0)
    layers, width = [torch.nn.Flatten()], 784
    for size in HIDDEN:
        layers += [torch.nn.Linear(width, size), torch.nn.ReLU(), torch.nn.Dropout(0.2)]
        width = size
    model = torch.nn.Sequential(*layers, torch.nn.Linear(width, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x_all, y_all = torch.from_numpy(images), torch.from_numpy(labels)

    def torch_loop():
        model.train()
        order = torch.randperm(len(x_all))
        for start in range(0, len(x_all), batch_size):
            index = order[start : start + batch_size]
            loss = torch.nn.functional.cross_entropy(model(x_all[index]), y_all[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return torch_loop


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--batches", type=int, default=100, help="batches per timed block")
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()

    samples = args.batches * args.batch_size
    images, labels = mnist_arrays(samples)
    through_fit, hand_loop = chainrule_setup(images, labels, args.batch_size)
    contestants = {
        "fit": through_fit,
        "loop": hand_loop,
        "torch": torch_setup(images, labels, args.batch_size),
    }

    torch.set_num_threads(args.threads)
    with threadpoolctl.threadpool_limits(args.threads, user_api="blas"):
        blas = [
            f"{p['internal_api']} {p['version']} {p.get('architecture')}"
            for p in threadpoolctl.threadpool_info()
            if p["user_api"] == "blas"
        ]
        print(f"{args.threads} threads; NumPy BLAS: {', '.join(blas)}; torch {torch.__version__}")
        for run in contestants.values():  # warm-up
            run()
        rates = {name: [] for name in contestants}
        names = list(contestants)
        for round_number in range(args.rounds):
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                time.sleep(0.2)
                started = time.perf_counter()
                contestants[name]()
                rates[name].append(samples / (time.perf_counter() - started))

    median = {name: statistics.median(values) for name, values in rates.items()}
    print(
        f"MLP 784-{'-'.join(map(str, HIDDEN))}-10, batch {args.batch_size}, "
        f"{samples} samples per block, median of {args.rounds} blocks:"
    )
    for name, rate in median.items():
        spread = f"{min(rates[name]):,.0f}..{max(rates[name]):,.0f}"
        print(f"  {name:<6} {rate:>10,.0f} samples/s   (blocks {spread})")
    print(f"fit / torch  = {median['fit'] / median['torch']:.2f}")
    print(f"fit / loop   = {median['fit'] / median['loop']:.3f}  (1.0 = fit costs nothing extra)")


if __name__ == "__main__":
    main()
