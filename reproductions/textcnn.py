"""Kim 2014's CNN-rand on the paper's sentence sets, in chainrule and in a PyTorch twin.

For each data set and split, both frameworks start from the same weights (chainrule's
initialisation, copied into the torch model), see the same batches in the same order
(``apps.textcnn.batch_order``) and train with the same recipe: Adadelta ρ 0.95 ε 1e-6, batch 50,
dropout 0.5 (each framework draws its own masks), max-norm 3 on the output weights after every
step. The figure per split is the test accuracy at the epoch of the best dev accuracy.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python reproductions/textcnn.py trec
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python reproductions/textcnn.py mr --folds 1

Results merge into ``results/textcnn.json`` (one entry per data set, the last run's); the
table ``results/textcnn.md`` and the chart ``results/textcnn.png`` are redrawn from it, the
paper's numbers beside.
"""

import argparse
import json
import os
import time

import numpy as np
import torch

from chainrule.apps.textcnn import (
    TextCNNConfig,
    accuracy,
    batch_order,
    build_model,
    make_optimizer,
    prepare,
    train_epoch,
)

RESULTS = os.path.join(os.path.dirname(__file__), "results")
PAPER = {"mr": 76.1, "sst1": 45.0, "sst2": 82.7, "subj": 89.6, "trec": 91.2}


class TorchTextCNN(torch.nn.Module):
    """The same network in PyTorch, with the same parameter names as chainrule's TextCNN."""

    def __init__(self, vocab_size, num_classes, embedding_dim, windows, maps, dropout):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.convs = torch.nn.ModuleList(torch.nn.Conv1d(embedding_dim, maps, h) for h in windows)
        self.dropout = torch.nn.Dropout(dropout)
        self.fc = torch.nn.Linear(maps * len(windows), num_classes)

    def forward(self, ids):
        x = self.embedding(ids).transpose(1, 2)
        pooled = [torch.relu(conv(x)).amax(dim=2) for conv in self.convs]
        return self.fc(self.dropout(torch.cat(pooled, dim=1)))


def torch_twin(model, config, num_classes):
    """A ``TorchTextCNN`` holding chainrule ``model``'s current weights."""
    twin = TorchTextCNN(
        model.embedding.weight.shape[0],
        num_classes,
        config.embedding_dim,
        config.windows,
        config.maps,
        config.dropout,
    )
    state = {k: torch.from_numpy(np.array(v.numpy())) for k, v in model.state_dict().items()}
    twin.load_state_dict(state)
    return twin


def torch_accuracy(model, ids, labels):
    model.eval()
    with torch.no_grad():
        predicted = torch.cat(
            [model(torch.from_numpy(ids[i : i + 500])).argmax(1) for i in range(0, len(ids), 500)]
        )
    model.train()
    return float((predicted.numpy() == labels).mean())


def torch_epoch(model, optimizer, ids, labels, order, config):
    model.train()
    for start in range(0, len(order), config.batch_size):
        rows = order[start : start + config.batch_size]
        loss = torch.nn.functional.cross_entropy(
            model(torch.from_numpy(ids[rows])), torch.from_numpy(labels[rows])
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            w = model.fc.weight
            w.mul_(config.max_norm / w.norm(dim=1, keepdim=True).clamp(min=config.max_norm))


def run_split(experiment, fold, config, log):
    """Train split ``fold`` in both frameworks from the same start; per framework, the best
    dev accuracy, its epoch, the test accuracy there, and seconds."""
    split = experiment.splits[fold]
    ids, labels = experiment.ids, experiment.labels
    model = build_model(config, len(experiment.vocab), len(experiment.classes), fold)
    twin = torch_twin(model, config, len(experiment.classes))
    torch.manual_seed(config.seed + fold)
    runs = {
        "chainrule": (
            lambda order: train_epoch(model, optimizer, ids, labels, order, config),
            lambda rows: accuracy(model, ids[rows], labels[rows]),
        ),
        "torch": (
            lambda order: torch_epoch(twin, torch_optimizer, ids, labels, order, config),
            lambda rows: torch_accuracy(twin, ids[rows], labels[rows]),
        ),
    }
    optimizer = make_optimizer(config, model)
    torch_optimizer = torch.optim.Adadelta(
        twin.parameters(), lr=1.0, rho=config.rho, eps=config.eps
    )
    results = {}
    for name, (epoch_of, accuracy_of) in runs.items():
        best = {"best_epoch": 0, "dev_accuracy": -1.0, "test_accuracy": None, "seconds": 0.0}
        for epoch in range(config.epochs):
            began = time.perf_counter()
            epoch_of(split.train[batch_order(len(split.train), config.seed, fold, epoch)])
            best["seconds"] += time.perf_counter() - began
            dev, test = accuracy_of(split.dev), accuracy_of(split.test)
            if dev >= best["dev_accuracy"]:
                best.update(best_epoch=epoch + 1, dev_accuracy=dev, test_accuracy=test)
            log(f"{name} split {fold + 1} epoch {epoch + 1}: dev {dev:.4f} test {test:.4f}")
        best["seconds"] = round(best["seconds"], 1)
        results[name] = best
    return results


def write_table(all_results):
    lines = [
        "# Kim 2014 CNN-rand: test accuracy (%)",
        "",
        "Test accuracy at the epoch of the best dev accuracy, mean over the splits run; "
        "chainrule and its PyTorch twin start from the same weights and see the same batches. "
        "Command and what was run: `reproductions/textcnn.py`, `docs/textcnn.md`.",
        "",
        "| set | paper | chainrule | PyTorch twin | splits run | epochs "
        "| train s/epoch (chainrule, torch) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, entry in sorted(all_results.items()):
        per_epoch = [
            np.mean([s[f]["seconds"] for s in entry["splits"]]) / entry["epochs"]
            for f in ("chainrule", "torch")
        ]
        lines.append(
            f"| {name} | {PAPER[name]:.1f} | {100 * entry['chainrule']:.1f} | "
            f"{100 * entry['torch']:.1f} | {entry['splits_run']} | {entry['epochs']} | "
            f"{per_epoch[0]:.1f}, {per_epoch[1]:.1f} |"
        )
    with open(os.path.join(RESULTS, "textcnn.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    draw_chart(all_results)


def draw_chart(all_results):
    """``results/textcnn.png``: per data set, the paper's accuracy beside chainrule's and the
    PyTorch twin's, each bar labelled with its value."""
    from chainrule.viz.figure import plt, save

    names = sorted(all_results)
    bars = {
        "paper": [PAPER[n] for n in names],
        "chainrule": [100 * all_results[n]["chainrule"] for n in names],
        "PyTorch twin": [100 * all_results[n]["torch"] for n in names],
    }
    figure, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    positions = np.arange(len(names))
    for k, (label, values) in enumerate(bars.items()):
        drawn = ax.bar(positions + (k - 1) * 0.27, values, 0.27, label=label)
        ax.bar_label(drawn, fmt="%.1f", fontsize=7)
    ax.set_xticks(positions, [n.upper() for n in names])
    ax.set_ylim(30, 108)
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("Kim 2014 CNN-rand (chainrule: one split each, see textcnn.md)")
    ax.legend(loc="upper center", ncols=3, fontsize=8)
    save(figure, os.path.join(RESULTS, "textcnn.png"))


def merge_results(name, entry):
    path = os.path.join(RESULTS, "textcnn.json")
    all_results = {}
    if os.path.isfile(path):
        with open(path) as f:
            all_results = json.load(f)
    all_results[name] = entry
    with open(path, "w") as f:
        json.dump(all_results, f, indent=2)
        f.write("\n")
    write_table(all_results)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=sorted(PAPER))
    parser.add_argument("--folds", type=int, default=None, help="cross-validation folds to run")
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    config = TextCNNConfig(
        dataset=args.dataset, folds=args.folds, epochs=args.epochs, seed=args.seed
    )
    experiment = prepare(config)
    splits = [run_split(experiment, k, config, print) for k in range(len(experiment.splits))]
    entry = {
        "paper": PAPER[args.dataset],
        "chainrule": float(np.mean([s["chainrule"]["test_accuracy"] for s in splits])),
        "torch": float(np.mean([s["torch"]["test_accuracy"] for s in splits])),
        "splits_run": len(splits),
        "epochs": config.epochs,
        "seed": config.seed,
        "vocabulary": len(experiment.vocab),
        "splits": splits,
    }
    merge_results(args.dataset, entry)
    print(json.dumps({k: v for k, v in entry.items() if k != "splits"}))


if __name__ == "__main__":
    main()
