"""Character-level LSTM language model on tiny-shakespeare: chainrule beside PyTorch and a 5-gram.

Deck D4's RNN language model ("RNN Language Model": the chain rule of probability, one character at
a time) against two references on the same contiguous split (first 90 % of the corpus trains, last
10 % validates), all measured in nats per character on the validation part:

- ``--framework chainrule``: ``chainrule.apps.char_lm.train_lm`` (what ``chainrule train char-lm``
  runs) with the recipe below; run folder ``runs/<name>_chainrule``.
- ``--framework torch``: the same network in PyTorch (``torch.nn.Embedding``/``LSTM``/
  ``Linear``), its initial weights *copied from the chainrule model* through ``state_dict``,
  trained on the same ``BPTTBatches`` chunks in the same order with the same optimiser, clipping
  and schedule, and evaluated the same way.
- ``--framework ngram``: an interpolated Kneser–Ney character 5-gram (``chainrule.models.ngram``)
  counted on the training part; its cross-entropy on the validation part.
- ``--framework report``: gathers the three into ``results/<name>.json`` and ``.md``.

``<name>`` is ``--name`` (default ``char_lm_<corpus>``), so runs of several recipes sit side by
side. Each framework writes ``results/<name>_<framework>.json`` (``ngram_<corpus>_5gram.json``
for the n-gram), so the two networks can train at the same time in two processes::

    export CHAINRULE_DATA=/work/shared/data
    .venv/bin/python reproductions/char_lm.py --framework chainrule &
    .venv/bin/python reproductions/char_lm.py --framework torch &
    .venv/bin/python reproductions/char_lm.py --framework ngram
    .venv/bin/python reproductions/char_lm.py --framework report

``--resume`` continues a stopped chainrule run from its last checkpoint (``--epochs`` may grow).
"""

import argparse
import dataclasses
import json
import math
import platform
import time
from pathlib import Path

import numpy as np
import threads

from chainrule.apps import char_lm as lm
from chainrule.models.char_rnn import sample
from chainrule.nn.utils.bptt import BPTTBatches

RESULTS = Path(__file__).resolve().parent / "results"
SAMPLE_PRIME = {"tinyshakespeare": "ROMEO:", "c-code": "static int\n"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--framework", choices=("chainrule", "torch", "ngram", "report"), required=True
    )
    parser.add_argument("--corpus", default="tinyshakespeare")
    parser.add_argument("--cell", choices=("rnn", "lstm", "gru"), default="lstm")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--seq-len", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--lr-schedule", default="cosine")
    parser.add_argument("--clip", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--order", type=int, default=5, help="n of the n-gram reference")
    parser.add_argument("--resume", action="store_true")
    threads.add_option(parser, default=1)
    parser.add_argument(
        "--name",
        default=None,
        help="names the run folder and result files (default char_lm_CORPUS), "
        "so runs with other recipes sit side by side",
    )
    args = parser.parse_args()
    config = lm.LMConfig(
        corpus=args.corpus,
        cell=args.cell,
        layers=args.layers,
        hidden=args.hidden,
        dropout=args.dropout,
        seq_len=args.seq_len,
        batch_size=args.batch_size,
        epochs=args.epochs,
        lr=args.lr,
        lr_schedule=args.lr_schedule,
        clip=args.clip,
        seed=args.seed,
    )
    RESULTS.mkdir(exist_ok=True)
    with threads.limit(args.threads):
        {
            "chainrule": train_chainrule,
            "torch": train_torch,
            "ngram": ngram_reference,
            "report": report,
        }[args.framework](config, args)


def _slug(corpus):
    return corpus if corpus in SAMPLE_PRIME else Path(corpus).stem


def _prefix(config, args):
    return args.name or f"char_lm_{_slug(config.corpus)}"


def _write(name, summary):
    (RESULTS / name).write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "history"}, indent=2))


def train_chainrule(config, args):
    prefix = _prefix(config, args)
    run_dir = f"runs/{prefix}_chainrule"
    started = time.perf_counter()
    metrics = lm.train_lm(config, run_dir, resume=args.resume, progress=False)
    wall = time.perf_counter() - started
    model, vocab, _ = lm.load_trained(run_dir)
    text = sample(
        model, vocab, SAMPLE_PRIME.get(config.corpus, "\n"), 2000, temperature=0.8, seed=config.seed
    )
    (RESULTS / f"{prefix}_sample.txt").write_text(text)
    history = [json.loads(line) for line in open(f"{run_dir}/log.jsonl")]
    _write(
        f"{prefix}_chainrule.json",
        {
            "framework": "chainrule",
            "val_loss": metrics["val_loss"],
            "best_val_loss": metrics["best_val_loss"],
            "train_loss": metrics["train_loss"],
            "epochs": metrics["epochs"],
            "steps": metrics["steps"],
            "wall_seconds_this_session": round(wall, 1),
            "train_seconds_total": metrics["train_seconds_total"],
            "machine": _machine(args),
            "config": dataclasses.asdict(config),
            "sample": f"results/{prefix}_sample.txt (temperature 0.8, seed {config.seed})",
            "history": history,
        },
    )


def train_torch(config, args):
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(config.seed)
    data = lm.prepare_data(config)
    net = TorchCharRNN(len(data.vocab), config)
    initial = lm.build_model(config, len(data.vocab)).state_dict()
    net.load_state_dict({k: torch.from_numpy(np.asarray(v.data)) for k, v in initial.items()})
    optimizer = torch.optim.Adam(net.parameters(), lr=config.lr)
    scheduler = (
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
        if config.lr_schedule == "cosine"
        else None
    )
    history, step, started = [], 0, time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        epoch_started = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        loss_sum, count = _torch_pass(net, data.train, config, optimizer)
        step += len(BPTTBatches(data.train, config.batch_size, config.seq_len))
        seconds = time.perf_counter() - epoch_started
        with torch.no_grad():
            val_sum, val_count = _torch_pass(net, data.val, config, None)
        if scheduler is not None:
            scheduler.step()
        history.append(
            {
                "epoch": epoch,
                "step": step,
                "loss": loss_sum / count,
                "lr": lr,
                "seconds": seconds,
                "chars_per_second": count / seconds,
                "val_loss": val_sum / val_count,
            }
        )
        print(json.dumps(history[-1]), flush=True)
    _write(
        f"{_prefix(config, args)}_torch.json",
        {
            "framework": f"torch {torch.__version__}",
            "val_loss": history[-1]["val_loss"],
            "best_val_loss": min(h["val_loss"] for h in history),
            "train_loss": history[-1]["loss"],
            "epochs": config.epochs,
            "steps": step,
            "wall_seconds_this_session": round(time.perf_counter() - started, 1),
            "train_seconds_total": round(sum(h["seconds"] for h in history), 3),
            "machine": _machine(args),
            "config": dataclasses.asdict(config),
            "initial_weights": "copied from chainrule's model (same seed) via state_dict",
            "history": history,
        },
    )


def _torch_pass(net, ids, config, optimizer):
    """One truncated-BPTT pass over ``ids`` (training when ``optimizer`` is given); returns the
    summed loss over characters and the character count."""
    import torch

    net.train(optimizer is not None)
    hidden, loss_sum, count = None, 0.0, 0
    for inputs, targets in BPTTBatches(ids, config.batch_size, config.seq_len):
        inputs, targets = torch.from_numpy(inputs.data), torch.from_numpy(targets.data)
        if hidden is not None:
            hidden = tuple(h.detach() for h in hidden)
        logits, hidden = net(inputs, hidden)
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)
        )
        if optimizer is not None:
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), config.clip)
            optimizer.step()
        loss_sum += float(loss.detach()) * targets.numel()
        count += targets.numel()
    return loss_sum, count


def TorchCharRNN(vocab_size, config):
    """PyTorch's twin of ``chainrule.models.CharRNN`` (same parameter names and shapes)."""
    import torch

    class Twin(torch.nn.Module):
        def __init__(self):
            super().__init__()
            cell = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
            self.embed = torch.nn.Embedding(vocab_size, config.hidden)
            self.rnn = cell[config.cell](
                config.hidden,
                config.hidden,
                config.layers,
                dropout=config.dropout if config.layers > 1 else 0,
            )
            self.drop = torch.nn.Dropout(config.dropout)
            self.head = torch.nn.Linear(config.hidden, vocab_size)

        def forward(self, inputs, hidden=None):
            output, hidden = self.rnn(self.embed(inputs), hidden)
            return self.head(self.drop(output)), hidden

    return Twin()


def ngram_reference(config, args):
    from chainrule.models.ngram import NGramLM

    data = lm.prepare_data(config)
    started = time.perf_counter()
    model = NGramLM(args.order, smoothing="kneser-ney").fit(data.vocab.decode(data.train))
    fitted = time.perf_counter() - started
    val_text = data.vocab.decode(data.val)
    nats = model.cross_entropy(val_text, context=data.vocab.decode(data.train[-args.order :]))
    slug = _slug(config.corpus)
    prime = SAMPLE_PRIME.get(config.corpus, "\n")
    generated = model.sample(500, context=prime, seed=config.seed)
    (RESULTS / f"ngram_{slug}_{args.order}gram_sample.txt").write_text(prime + generated)
    _write(
        f"ngram_{slug}_{args.order}gram.json",
        {
            "model": f"character {args.order}-gram, interpolated Kneser-Ney (discount 0.75)",
            "val_loss": nats,
            "val_bits_per_char": nats / math.log(2),
            "val_perplexity": math.exp(nats),
            "train_chars": int(len(data.train)),
            "val_chars": int(len(data.val)),
            "vocab_size": len(data.vocab),
            "sample": f"results/ngram_{slug}_{args.order}gram_sample.txt (500 characters after "
            f"the prime, seed {config.seed})",
            "fit_seconds": round(fitted, 1),
            "eval_seconds": round(time.perf_counter() - started - fitted, 1),
        },
    )


def report(config, args):
    """Side by side at the epochs both networks trained (the torch twin's count), per epoch;
    then any further chainrule epochs (a resumed run) and the n-gram."""
    slug, prefix = _slug(config.corpus), _prefix(config, args)
    found = {
        name: json.loads((RESULTS / path).read_text())
        for name, path in (
            ("chainrule", f"{prefix}_chainrule.json"),
            ("torch", f"{prefix}_torch.json"),
            ("ngram", f"ngram_{slug}_{args.order}gram.json"),
        )
        if (RESULTS / path).is_file()
    }
    ours, theirs = found.get("chainrule"), found.get("torch")
    epochs = (
        []
        if not (ours and theirs)
        else [
            {
                "epoch": a["epoch"],
                "chainrule_val_loss": a["val_loss"],
                "torch_val_loss": b["val_loss"],
                "chainrule_train_loss": a["loss"],
                "torch_train_loss": b["loss"],
                "chainrule_seconds": round(a["seconds"], 1),
                "torch_seconds": round(b["seconds"], 1),
            }
            for a, b in zip(ours["history"], theirs["history"])
        ]
    )
    summary = {
        "corpus": config.corpus,
        "split": "first 90% train, last 10% validation (contiguous)",
        "unit": "nats/char",
        "recipe": theirs["config"] if theirs else None,
        "side_by_side": epochs,
        "chainrule_final": None
        if not ours
        else {
            k: ours[k]
            for k in ("val_loss", "best_val_loss", "epochs", "steps", "train_seconds_total")
        },
        f"{args.order}gram_kneser_ney_val_loss": found["ngram"]["val_loss"]
        if "ngram" in found
        else None,
    }
    _write(f"{prefix}.json", summary)
    lines = [
        "| epoch | chainrule val | torch val | chainrule train | torch train | "
        "chainrule s | torch s |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {e['epoch']} | {e['chainrule_val_loss']:.4f} | {e['torch_val_loss']:.4f} | "
        f"{e['chainrule_train_loss']:.4f} | {e['torch_train_loss']:.4f} | "
        f"{e['chainrule_seconds']:.0f} | {e['torch_seconds']:.0f} |"
        for e in epochs
    ]
    for later in (ours or {}).get("history", [])[len(epochs) :]:
        lines.append(
            f"| {later['epoch']} (resumed) | {later['val_loss']:.4f} | - | "
            f"{later['loss']:.4f} | - | {later['seconds']:.0f} | - |"
        )
    if "ngram" in found:
        lines.append(
            f"\ncharacter {args.order}-gram, interpolated Kneser-Ney, same split: "
            f"{found['ngram']['val_loss']:.4f} nats/char"
        )
    (RESULTS / f"{prefix}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def _fmt(value, digits=4):
    return "-" if value is None else f"{value:.{digits}f}"


def _machine(args):
    return f"{platform.machine()} CPU, {args.threads} BLAS thread(s), shared machine"


if __name__ == "__main__":
    main()
