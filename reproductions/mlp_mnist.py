"""An MLP 784-256-128-10 (ReLU, dropout 0.2) on the full MNIST training set: ≥ 98% test accuracy.

The same run as ``chainrule train mlp --dataset mnist --optimizer adam --lr 1e-3 --epochs 20``:
55,000 training images, the last 5,000 held out for validation, Adam at lr 1e-3, batch 128.
The run folder goes to ``runs/mlp_mnist``; the summary (test accuracy, wall time) and the curves
to ``reproductions/results/``.

    CHAINRULE_DATA=../shared/data .venv/bin/python reproductions/mlp_mnist.py [--epochs 20]
"""

import argparse
import json
import platform
import shutil
import time
from pathlib import Path

import threads

from chainrule import models
from chainrule.apps import classify

RESULTS = Path(__file__).resolve().parent / "results"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default="runs/mlp_mnist")
    threads.add_option(parser)
    args = parser.parse_args()
    with threads.limit(args.threads):
        train(args)


def train(args):
    started = time.perf_counter()
    config = classify.RunConfig(
        model="mlp",
        dataset="mnist",
        optimizer="adam",
        lr=1e-3,
        epochs=args.epochs,
        batch_size=128,
        device=args.device,
    )
    splits = classify.load_splits(config)
    model = models.build("mlp", splits.input_shape, splits.num_classes)
    metrics = classify.train_run(config, model, splits, args.out, progress=False)
    wall = time.perf_counter() - started

    summary = {
        "test_accuracy": metrics["test_accuracy"],
        "test_loss": metrics["test_loss"],
        "epochs": metrics["epochs"],
        "wall_seconds": round(wall, 1),
        "train_seconds": metrics["train_seconds_total"],
        "best_val_accuracy": max(e["val_accuracy"] for e in _history(args.out)),
        "machine": f"{platform.machine()}, {args.device}",
        "config": metrics["config"],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "mlp_mnist.json").write_text(json.dumps(summary, indent=2) + "\n")
    shutil.copy(Path(args.out) / "curves.png", RESULTS / "mlp_mnist_curves.png")
    print(json.dumps(summary, indent=2))


def _history(out):
    return [json.loads(line) for line in (Path(out) / "log.jsonl").read_text().splitlines()]


if __name__ == "__main__":
    main()
