"""LeNet-5 on MNIST as LeCun et al. (1998) trained it: the paper's 0.95% test error (0.8% with
distortions), deck D3's "LeNet-5 on MNIST" slide (decks: docs/references.md).

The same run as ``chainrule train lenet5 --variant classic --dataset mnist [--distort]``: the
recipe registered with the model (``chainrule.models.RECIPES["lenet5"]``: Adam, lr 2e-3 with a
cosine schedule to 0, batch 128, 20 epochs), trained on all 60,000 training images. The recipe
was chosen with ``--val-size 5000`` (the last 5,000 training images held out for validation);
the test set is only measured, after training. An existing run folder is continued (or just
re-measured, if finished), so a run started with the CLI can be summarised here.

Writes, for ``--name NAME`` (default ``lenet5_classic``, ``_distort`` added with ``--distort``):

    runs/NAME/model.safetensors            the trained weights (state_dict)
    reproductions/results/NAME.json        test error, epochs, wall time, recipe, command
    reproductions/results/NAME.png         loss and error per epoch (train, validation)

``--variant learned-connections`` also prints and saves the learned C3 connection table α.

    CHAINRULE_DATA=../shared/data .venv/bin/python reproductions/lenet5_mnist.py [--distort]
"""

import argparse
import dataclasses
import json
import platform
import sys
import time
from pathlib import Path

import threads

from chainrule import models, serialization
from chainrule.apps import classify
from chainrule.models.lenet5 import C3_TABLE, PAPER_CONNECTIONS, PAPER_PARAMETERS, VARIANTS
from chainrule.viz.figure import plt, save

RESULTS = Path(__file__).resolve().parent / "results"
PAPER_TEST_ERROR = {False: 0.0095, True: 0.0080}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variant", choices=VARIANTS, default="classic")
    parser.add_argument(
        "--distort",
        action="store_true",
        help="train on randomly distorted digits (data.augment.RandomDistortion)",
    )
    parser.add_argument("--epochs", type=int, default=None, help="default: the recipe's")
    parser.add_argument(
        "--val-size",
        type=int,
        default=None,
        help="hold out the last N training images (default: the recipe's, 0)",
    )
    parser.add_argument("--limit-train", type=int, default=None)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--name",
        default=None,
        help="names the run folder runs/NAME and the results NAME.json/.png "
        "(default lenet5_<variant>[_distort])",
    )
    parser.add_argument("--out", default=None, help="run folder (default runs/NAME)")
    threads.add_option(parser)
    args = parser.parse_args()
    with threads.limit(args.threads):
        reproduce(args)


def reproduce(args):
    name = args.name or "lenet5_" + args.variant + ("_distort" if args.distort else "")
    out = Path(args.out or f"runs/{name}")
    options = {
        "model": "lenet5",
        "variant": args.variant,
        "dataset": "mnist",
        "distort": args.distort,
        "device": args.device,
        "limit_train": args.limit_train,
        "data_dir": args.data_dir,
    }
    options.update(
        {k: v for k, v in (("epochs", args.epochs), ("val_size", args.val_size)) if v is not None}
    )
    config = classify.RunConfig(**{**models.RECIPES["lenet5"], **options})
    started = time.perf_counter()
    splits = classify.load_splits(config)
    model = models.build("lenet5", splits.input_shape, splits.num_classes, config.variant)
    metrics = classify.train_run(config, model, splits, str(out), resume=True, progress=False)
    serialization.save_file(model.state_dict(), out / "model.safetensors")
    history = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]

    summary = {
        "test_error": round(1 - metrics["test_accuracy"], 6),
        "test_errors": round((1 - metrics["test_accuracy"]) * 10000),
        "paper_test_error": PAPER_TEST_ERROR[args.distort],
        "test_loss": metrics["test_loss"],
        "epochs": metrics["epochs"],
        "train_images": len(splits.train),
        "best_val_error": min(1 - e["val_accuracy"] for e in history if "val_accuracy" in e)
        if config.val_size
        else None,
        "train_seconds": metrics["train_seconds_total"],
        "wall_seconds_this_invocation": round(time.perf_counter() - started, 1),
        "resumed_from_epoch": metrics["resumed_from_epoch"],
        "run_dir": str(out),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "recipe": {
            k: v
            for k, v in dataclasses.asdict(config).items()
            if k
            in (
                "epochs",
                "optimizer",
                "lr",
                "lr_schedule",
                "batch_size",
                "weight_decay",
                "val_size",
                "distort",
                "seed",
            )
        },
        "machine": f"{platform.machine()}, {args.device}, shared with other jobs",
    }
    if args.variant == "classic":
        summary["layers"] = {
            name: {
                "parameters": count,
                "paper_parameters": PAPER_PARAMETERS[name],
                "connections": model.connections().get(name),
                "paper_connections": PAPER_CONNECTIONS.get(name),
            }
            for name, count in model.parameter_counts().items()
        }
    if args.variant == "learned-connections":
        summary["connection_weights"] = _connection_table(model)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    _plot(history, RESULTS / f"{name}.png", args.variant, summary)
    print(json.dumps(summary, indent=2))


def _connection_table(model):
    """Print α (rows: S2 maps, columns: C3 maps) beside Table I's connections; return it."""
    alpha = model.connection_weights()
    print("learned α_ij (rows: S2 map i, columns: C3 map j); * = connected in the paper's Table I")
    for i, row in enumerate(alpha):
        print(
            f"S2 {i}: "
            + " ".join(f"{a:.2f}{'*' if i in C3_TABLE[j] else ' '}" for j, a in enumerate(row))
        )
    return [" ".join(f"{a:.3f}" for a in row) for row in alpha]


def _plot(history, path, variant, summary):
    epochs = [e["epoch"] for e in history]
    figure, (loss_ax, error_ax) = plt.subplots(1, 2, figsize=(10, 3.8))
    for prefix, label in (("", "train"), ("val_", "validation")):
        if any(prefix + "loss" in e for e in history):
            loss_ax.plot(epochs, [e.get(prefix + "loss") for e in history], marker="o", label=label)
            error_ax.plot(
                epochs,
                [100 * (1 - e[prefix + "accuracy"]) for e in history],
                marker="o",
                label=label,
            )
    error_ax.axhline(
        100 * summary["test_error"],
        color="k",
        linestyle="--",
        label=f"test, final ({100 * summary['test_error']:.2f}%)",
    )
    error_ax.axhline(
        100 * summary["paper_test_error"],
        color="r",
        linestyle=":",
        label=f"paper ({100 * summary['paper_test_error']:.2f}%)",
    )
    loss_ax.set(
        xlabel="epoch",
        ylabel="cross-entropy" if variant == "modern" else "MAP loss",
        yscale="log",
        title=f"LeNet-5 {path.stem.removeprefix('lenet5_')}",
    )
    error_ax.set(xlabel="epoch", ylabel="error (%)", yscale="log", title="classification error")
    for ax in (loss_ax, error_ax):
        ax.grid(alpha=0.3)
        ax.legend()
    figure.tight_layout()
    save(figure, path)


if __name__ == "__main__":
    main()
