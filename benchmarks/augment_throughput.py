"""Does distorting every training batch slow LeNet-5 training much? Throughput with and without.

    CHAINRULE_DATA=../shared/data .venv/bin/python benchmarks/augment_throughput.py
    .venv/bin/python benchmarks/augment_throughput.py --quick --elastic

For MNIST batches of 64 and 256 (real digits), three timings per batch size, in samples/s:

* ``augment``  — ``RandomDistortion`` alone on a uint8 batch (ToTensor, then the distortion);
* ``step``     — one LeNet-5 training step (forward, the model's loss, backward, SGD) on a batch;
* ``both``     — distortion + step, i.e. augmented training.

The claim to check is ``both / step`` > 0.5: augmentation does not halve training throughput.
The model is ``chainrule.models.lenet5(variant)``: classic by default, trained with its own MAP
loss; ``--variant modern``: ReLU, max-pooling, cross-entropy.

Method (BENCHMARKING.md): fixed thread count for NumPy's BLAS, warm-up, then several rounds of
one timed block per workload in rotating order with a 0.2 s sleep before each block; the rates
are the median blocks. ``both/step`` is the median over rounds of the ratio within a round
(steadier on a shared machine than the ratio of two medians); ``aug share`` is the augmentation's
part of an augmented step, from the median blocks.
"""

import argparse
import os
import platform
import statistics
import time

from threadpoolctl import threadpool_limits

import chainrule as cr
from chainrule import data, models, optim
from chainrule.data import transforms as T
from chainrule.data.augment import RandomDistortion


def workloads(digits, labels, batch_size, elastic, variant):
    """Step functions for one batch size; each takes a batch number and works on that batch."""
    model = models.lenet5(variant)
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    to_tensor = T.ToTensor()
    distortion = RandomDistortion(elastic_alpha=34.0 if elastic else 0.0)
    batches = len(digits) // batch_size

    def batch(i):
        rows = slice((i % batches) * batch_size, (i % batches + 1) * batch_size)
        return digits[rows], labels[rows]

    def augment(i):
        return distortion.apply_batch(to_tensor.apply_batch(batch(i)[0]))

    def train_step(images, targets):
        optimizer.zero_grad()
        loss = model.loss(model(cr.Tensor(images)), cr.Tensor(targets))
        loss.backward()
        optimizer.step()

    def step(i):
        images, targets = batch(i)
        train_step(to_tensor.apply_batch(images), targets)

    def both(i):
        train_step(augment(i), batch(i)[1])

    return {"augment": augment, "step": step, "both": both}


def measure(functions, steps, rounds):
    """Seconds per call of each function in each of ``rounds`` blocks of ``steps`` calls."""
    for fn in functions.values():
        for i in range(2):
            fn(i)
    times = {name: [] for name in functions}
    names = list(functions)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            time.sleep(0.2)
            start = time.perf_counter()
            for i in range(steps):
                functions[name](i)
            times[name].append((time.perf_counter() - start) / steps)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (about 20 s)")
    parser.add_argument(
        "--elastic",
        action="store_true",
        help="add Simard's elastic field (alpha 34, sigma 4) to the distortion",
    )
    parser.add_argument("--variant", default="classic", help="lenet5 variant (default classic)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    mnist = data.MNIST(args.data_dir, train=True)
    digits, labels = mnist.data[:4096], mnist.targets[:4096]
    cr.manual_seed(0)
    steps, rounds = (5, 3) if args.quick else (10, 7)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.2f}; BLAS threads {args.threads}"
    )
    print(
        f"model: chainrule.models.lenet5({args.variant!r}); distortion: "
        f"{RandomDistortion(elastic_alpha=34.0 if args.elastic else 0.0)!r}"
    )
    print(
        f"{'batch':>5}  {'augment':>12}  {'step':>12}  {'aug + step':>12}  "
        f"{'both/step':>15}  {'aug share':>9}"
    )
    with threadpool_limits(args.threads, user_api="blas"):
        for batch_size in (64, 256):
            times = measure(
                workloads(digits, labels, batch_size, args.elastic, args.variant), steps, rounds
            )
            seconds = {name: statistics.median(t) for name, t in times.items()}
            rate = {name: batch_size / s for name, s in seconds.items()}
            paired = statistics.median(s / b for s, b in zip(times["step"], times["both"]))
            print(
                f"{batch_size:>5}  {rate['augment']:>10,.0f}/s  {rate['step']:>10,.0f}/s  "
                f"{rate['both']:>10,.0f}/s  {paired:>15.2f}  "
                f"{seconds['augment'] / seconds['both']:>9.1%}"
            )


if __name__ == "__main__":
    main()
