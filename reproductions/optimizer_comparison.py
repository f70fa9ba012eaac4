"""Deck D2's optimizer summary ("优化算法：总结") on real data: one MLP, eight optimizers, the
same steps.

The MLP 784-256-128-10 (ReLU, dropout 0.2) starts from the same initial weights and sees the
same batches in the same order (batch 128, 55,000 MNIST training images, the last 5,000 held
out) under each of SGD, momentum, Nesterov, Adagrad, Adadelta, RMSprop, Adam and AdamW, each at
its standard learning rate (``chainrule.apps.common.OPTIMIZERS``: SGD 0.1; momentum and Nesterov
0.01 with γ = 0.9; Adagrad 0.01; Adadelta 1.0 (ρ = 0.9); RMSprop 1e-3 (α = 0.99); Adam 1e-3;
AdamW 1e-3 with weight decay 0.01). Writes to ``reproductions/results/``:

    optimizer_comparison.png    training loss against step, one line per optimizer
    optimizer_comparison.md     table of final losses and accuracies
    optimizer_comparison.json   the same table, and the curves' points

    CHAINRULE_DATA=../shared/data .venv/bin/python reproductions/optimizer_comparison.py \
        [--epochs 3] [--threads 1]
"""

import argparse
import json
import time
from pathlib import Path

import threads

import chainrule as cr
from chainrule import data, models
from chainrule.apps import classify
from chainrule.apps.common import OPTIMIZERS, make_optimizer
from chainrule.train import Callback, evaluate, fit
from chainrule.viz import plot_loss_curves

RESULTS = Path(__file__).resolve().parent / "results"


class LossTrace(Callback):
    """The mean training loss of every window of ``every`` steps, read from the loop's running
    sums (one device read per window, none per batch)."""

    def __init__(self, every):
        self.every = every
        self.steps, self.losses = [], []

    def on_epoch_begin(self, state):
        self.loss_sum, self.count = 0.0, 0

    def on_batch_end(self, state, batch_size):
        if state.step % self.every == 0:
            total, seen = float(state.running.loss_sum), state.running.count
            self.steps.append(state.step)
            self.losses.append((total - self.loss_sum) / (seen - self.count))
            self.loss_sum, self.count = total, seen


def compare(epochs, every, limit_train=None):
    config = classify.RunConfig(epochs=epochs, limit_train=limit_train)
    splits = classify.load_splits(config)
    cr.manual_seed(0)
    initial = {
        k: v.numpy().copy()
        for k, v in models.build("mlp", splits.input_shape, 10).state_dict().items()
    }
    rows, curves = [], {}
    for name in OPTIMIZERS:
        cr.manual_seed(0)
        model = models.build("mlp", splits.input_shape, splits.num_classes)
        model.load_state_dict(initial)
        optimizer = make_optimizer(name, model.parameters())
        loader = data.DataLoader(splits.train, batch_size=128, shuffle=True, seed=0)
        trace = LossTrace(every)
        started = time.perf_counter()
        history = fit(
            model,
            optimizer,
            loader,
            epochs,
            val_loader=data.DataLoader(splits.val, batch_size=1000),
            callbacks=[trace],
        )
        seconds = time.perf_counter() - started
        test = evaluate(model, data.DataLoader(splits.test, batch_size=1000))
        curves[name] = (trace.steps, trace.losses)
        rows.append(
            {
                "optimizer": name,
                "lr": OPTIMIZERS[name][1],
                "steps": epochs * len(loader),
                "final_train_loss": trace.losses[-1],
                "val_accuracy": history[-1]["val_accuracy"],
                "test_loss": test["loss"],
                "test_accuracy": test["accuracy"],
                "seconds": round(seconds, 1),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows, curves


def write(rows, curves, epochs, every):
    RESULTS.mkdir(exist_ok=True)
    steps = rows[0]["steps"]
    plot_loss_curves(
        curves,
        RESULTS / "optimizer_comparison.png",
        title=f"MLP on MNIST, batch 128: mean loss of every {every} steps",
    )
    traced = {name: {"steps": s, "losses": losses} for name, (s, losses) in curves.items()}
    (RESULTS / "optimizer_comparison.json").write_text(
        json.dumps({"results": rows, "curves": traced}, indent=1) + "\n"
    )
    lines = [
        f"MLP 784-256-128-10 (ReLU, dropout 0.2) on MNIST: {epochs} epochs = {steps} steps "
        "of batch 128 from the same initial weights and batch order.",
        "",
        "| optimizer | lr | final train loss | val accuracy | test accuracy | test loss |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['optimizer']} | {r['lr']:g} | {r['final_train_loss']:.4f} | "
        f"{r['val_accuracy']:.4f} | {r['test_accuracy']:.4f} | {r['test_loss']:.4f} |"
        for r in rows
    ]
    (RESULTS / "optimizer_comparison.md").write_text("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--every", type=int, default=43, help="steps per point of the curves")
    threads.add_option(parser)
    parser.add_argument(
        "--limit-train",
        type=int,
        default=None,
        metavar="N",
        help="train on the first N images only (a quick check of the script)",
    )
    args = parser.parse_args()
    with threads.limit(args.threads):
        rows, curves = compare(args.epochs, args.every, args.limit_train)
    write(rows, curves, args.epochs, args.every)


if __name__ == "__main__":
    main()
