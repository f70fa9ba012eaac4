"""German→English translation on Multi30k with the encoder–decoder of deck D4 ("Sequence to Sequence
Model"; Sutskever et al. 2014, Cho et al. 2014), with and without attention, trained in chainrule
and — same recipe, vocabulary, batches and initial weights — in PyTorch, compared by test2016 BLEU
(sacrebleu).

The data, model, training step and BLEU are the library's (``chainrule.apps.seq2seq``, what
``chainrule train seq2seq`` runs); this script adds the PyTorch twin and the comparison.

One run trains one (framework, attention) pair:

    CHAINRULE_DATA=../shared/data .venv/bin/python reproductions/seq2seq_multi30k.py \\
        --framework chainrule --attention dot --epochs 6 --threads 1

- data: the 29,000 training pairs with at most ``--max-tokens`` words on each side (after the
  ``data.vocab`` tokenizer: lowercase, punctuation split), vocabularies of the training words
  seen at least ``--min-freq`` times; the 1,014 validation pairs give the loss per epoch; the
  1,000 test2016 pairs are only translated at the end;
- batches: ``data.parallel.TranslationBatches`` with ``--seed``: both frameworks read the very
  same padded arrays in the same order;
- model: ``chainrule.models.seq2seq.Seq2Seq`` built with ``--seed``; the PyTorch model
  (``TorchSeq2Seq`` below, written independently with ``torch.nn`` and packed sequences) is
  given the same initial weights through its state dict;
- training: Adam (``--lr``), gradient norm clipped to 1, teacher forcing, ``--epochs`` epochs;
- test: after every epoch, greedy decoding in the run's own framework (BLEU logged, never
  used to choose anything); at the end, and beam search (width ``--beam``, length
  penalty 1) with chainrule's decoder on the trained weights; BLEU is sacrebleu's corpus BLEU
  of the lowercased, tokenized hypotheses against the references tokenized the same way.

Writes ``reproductions/results/seq2seq_<framework>_<attention>.json`` (figures, recipe, wall
times, device, 10 sample translations) and, after every epoch, the trained model with its
vocabularies to ``runs/seq2seq_<framework>_<attention>/`` (``models.seq2seq.save_translator``;
a ``--seed`` other than 0 adds ``_seed<N>`` to both names;
``chainrule translate runs/seq2seq_chainrule_dot "Ein Hund läuft."`` reads it).
``--train-minutes`` stops before an epoch that would end past that training time (a shared
machine); the JSON then says how many of ``--epochs`` ran. ``--summarize`` gathers every such
JSON into ``reproductions/results/seq2seq_multi30k.{json,md}``.
"""

import argparse
import dataclasses
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import threads

from chainrule import optim
from chainrule.apps import seq2seq as app
from chainrule.data.parallel import TranslationBatches
from chainrule.data.vocab import detokenize
from chainrule.models.seq2seq import save_translator
from chainrule.train.metrics import bleu

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent
SAMPLES = 10


# -- the PyTorch twin -----------------------------------------------------------------------


def torch_seq2seq(
    source_vocab_size,
    target_vocab_size,
    embedding_dim=256,
    hidden_size=256,
    cell="gru",
    num_layers=1,
    bidirectional=False,
    attention=None,
    dropout=0.0,
    pad_index=0,
    bos_index=2,
    eos_index=3,
):
    """The PyTorch model equivalent to ``Seq2Seq`` with the same arguments (same parameter
    names and shapes), written with ``torch.nn`` and packed sequences."""
    import torch
    from torch import nn
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    rnn_class = {"gru": nn.GRU, "lstm": nn.LSTM}[cell]
    directions = 2 if bidirectional else 1
    decoder_size = hidden_size * directions

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            if attention == "additive":
                self.query = nn.Linear(decoder_size, decoder_size, bias=False)
                self.key = nn.Linear(decoder_size, decoder_size)
                self.v = nn.Linear(decoder_size, 1, bias=False)

        def forward(self, queries, values, mask):
            if attention == "dot":
                scores = torch.bmm(queries, values.transpose(1, 2))
            else:
                energy = torch.tanh(self.query(queries)[:, :, None] + self.key(values)[:, None])
                scores = self.v(energy)[..., 0]
            weights = torch.softmax(scores.masked_fill(~mask, -1e9), dim=2)
            return torch.bmm(weights, values)

    class TorchSeq2Seq(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Module()
            self.encoder.embedding = nn.Embedding(source_vocab_size, embedding_dim, pad_index)
            self.encoder.rnn = rnn_class(
                embedding_dim, hidden_size, num_layers, bidirectional=bidirectional
            )
            self.decoder = nn.Module()
            self.decoder.embedding = nn.Embedding(target_vocab_size, embedding_dim, pad_index)
            self.decoder.rnn = rnn_class(embedding_dim, decoder_size, num_layers)
            if attention is not None:
                self.decoder.attention = Attention()
                self.decoder.combine = nn.Linear(2 * decoder_size, decoder_size)
            self.decoder.out = nn.Linear(decoder_size, target_vocab_size)
            self.drop = nn.Dropout(dropout)

        def encode(self, source):
            lengths = (source != pad_index).sum(0).cpu()
            packed = pack_padded_sequence(
                self.drop(self.encoder.embedding(source)), lengths, enforce_sorted=False
            )
            outputs, final = self.encoder.rnn(packed)
            outputs, _ = pad_packed_sequence(outputs, total_length=source.shape[0])

            def join(h):  # (L·D, N, H) → (L, N, D·H), directions side by side
                return (
                    h.view(num_layers, directions, *h.shape[1:])
                    .permute(0, 2, 1, 3)
                    .reshape(num_layers, h.shape[1], decoder_size)
                )

            state = tuple(map(join, final)) if cell == "lstm" else join(final)
            mask = (source != pad_index).T[:, None, :]
            return outputs.transpose(0, 1), mask, state

        def decode(self, inputs, state, values, mask):
            output, state = self.decoder.rnn(self.drop(self.decoder.embedding(inputs)), state)
            if attention is not None:
                queries = output.transpose(0, 1)
                context = self.decoder.attention(queries, values, mask)
                output = torch.tanh(self.decoder.combine(torch.cat([context, queries], 2)))
                output = output.transpose(0, 1)
            return self.decoder.out(self.drop(output)), state

        def forward(self, source, target):
            values, mask, state = self.encode(source)
            return self.decode(target[:-1], state, values, mask)[0]

        def loss(self, source, target):
            logits = self(source, target)
            return nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), target[1:].reshape(-1), ignore_index=pad_index
            )

        @torch.no_grad()
        def greedy(self, source, max_len=50):
            values, mask, state = self.encode(source)
            token = torch.full((1, source.shape[1]), bos_index, dtype=torch.long)
            words = []
            for _ in range(max_len):
                logits, state = self.decode(token, state, values, mask)
                token = logits.argmax(2)
                words.append(token[0])
                if (torch.stack(words) == eos_index).any(0).all():
                    break
            columns = torch.stack(words).T.tolist()
            return [c[: c.index(eos_index)] if eos_index in c else c for c in columns]

    return TorchSeq2Seq()


def copy_into_torch(model, twin):
    """Load chainrule ``model``'s parameters into the PyTorch ``twin`` (same names)."""
    import torch

    state = {
        name: torch.from_numpy(np.array(tensor.data)) for name, tensor in model.state_dict().items()
    }
    twin.load_state_dict(state)


def copy_from_torch(twin, model):
    model.load_state_dict(
        {name: value.detach().numpy().copy() for name, value in twin.state_dict().items()}
    )


# -- the experiment -------------------------------------------------------------------------


def config_of(args):
    """The ``apps.seq2seq.Seq2SeqConfig`` of the command line (the recipe both frameworks use)."""
    fields = {f.name for f in dataclasses.fields(app.Seq2SeqConfig)}
    return app.Seq2SeqConfig(**{k: v for k, v in vars(args).items() if k in fields})


class Trainer:
    """One framework's training step and validation loss behind one interface."""

    def __init__(self, framework, model, twin, lr):
        self.framework, self.model, self.twin = framework, model, twin
        if framework == "torch":
            import torch

            self.torch = torch
            self.optimizer = torch.optim.Adam(twin.parameters(), lr=lr)
        else:
            self.optimizer = optim.Adam(model.parameters(), lr=lr)

    def step(self, source, target):
        if self.framework == "torch":
            torch = self.torch
            self.twin.train()
            self.optimizer.zero_grad()
            loss = self.twin.loss(torch.from_numpy(source), torch.from_numpy(target))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.twin.parameters(), 1.0)
            self.optimizer.step()
            return loss.item()
        return app.train_step(self.model, self.optimizer, source, target, 1.0)

    def evaluate(self, batches):
        if self.framework != "torch":
            return app.evaluate_loss(self.model, batches)
        total, words = 0.0, 0
        self.twin.eval()
        for source, target in batches:
            count = int((target[1:] != 0).sum())
            with self.torch.no_grad():
                loss = self.twin.loss(
                    self.torch.from_numpy(source), self.torch.from_numpy(target)
                ).item()
            total, words = total + loss * count, words + count
        return total / words

    def greedy(self, source, max_len):
        if self.framework == "torch":
            self.twin.eval()
            return self.twin.greedy(self.torch.from_numpy(source), max_len)
        self.model.eval()
        return self.model.greedy(source, max_len)


def run(args):
    config = config_of(args)
    data = app.prepare_data(config)
    arguments = app.model_arguments(config, data)
    model = app.build_model(config, data)
    twin = None
    if args.framework == "torch":
        import torch

        torch.manual_seed(args.seed)
        twin = torch_seq2seq(**arguments)
        copy_into_torch(model, twin)
    trainer = Trainer(args.framework, model, twin, args.lr)
    train = TranslationBatches(*data.train, args.batch_size, 0, seed=args.seed)
    val = TranslationBatches(*data.val, args.batch_size, 0, shuffle=False)
    history, started = [], time.perf_counter()
    out = ROOT / "runs" / f"seq2seq_{run_tag(args)}"
    out.mkdir(parents=True, exist_ok=True)
    for epoch in range(1, args.epochs + 1):
        elapsed = time.perf_counter() - started
        if (
            args.train_minutes
            and history
            and elapsed * (1 + 1 / len(history)) > args.train_minutes * 60
        ):
            print(f"stopping before epoch {epoch}: it would end past --train-minutes", flush=True)
            break
        epoch_start, losses = time.perf_counter(), []
        for i, (source, target) in enumerate(train):
            losses.append(trainer.step(source, target))
            if args.log_every and i % args.log_every == 0:
                print(
                    f"epoch {epoch} batch {i}/{len(train)} loss {losses[-1]:.3f} "
                    f"{time.perf_counter() - epoch_start:.0f} s",
                    flush=True,
                )
        seconds = time.perf_counter() - epoch_start
        greedy = app.translate_corpus(
            lambda s: trainer.greedy(s, args.max_len),
            data.test[0],
            args.batch_size,
            data.target_vocab,
        )
        record = dict(
            epoch=epoch,
            train_loss=float(np.mean(losses)),
            val_loss=trainer.evaluate(val),
            seconds=seconds,
            test_bleu_greedy=bleu(greedy, data.test_tokens[1]),
        )
        history.append(record)
        print(json.dumps(record), flush=True)
        if twin is not None:
            copy_from_torch(twin, model)
        save_translator(out, model, data.source_vocab, data.target_vocab)
    train_seconds = time.perf_counter() - started
    if twin is not None:
        copy_from_torch(twin, model)
    model.eval()
    references = data.test_tokens[1]
    decode_start = time.perf_counter()
    greedy = app.translate_corpus(
        lambda s: trainer.greedy(s, args.max_len), data.test[0], args.batch_size, data.target_vocab
    )
    greedy_seconds = time.perf_counter() - decode_start
    decode_start = time.perf_counter()
    beam = app.translate_corpus(
        lambda s: model.beam_search(s, args.beam, args.max_len),
        data.test[0],
        args.batch_size,
        data.target_vocab,
    )
    beam_seconds = time.perf_counter() - decode_start
    tag = run_tag(args)
    sources, targets = data.test_text
    result = dict(
        framework=args.framework,
        attention=args.attention,
        device="cpu",
        test_bleu_greedy=bleu(greedy, references),
        test_bleu_beam=bleu(beam, references),
        beam_width=args.beam,
        test_loss=trainer.evaluate(
            TranslationBatches(*data.test, args.batch_size, 0, shuffle=False)
        ),
        epochs=history,
        epochs_asked=args.epochs,
        train_seconds=train_seconds,
        greedy_seconds=greedy_seconds,
        beam_seconds=beam_seconds,
        train_pairs=len(data.train[0]),
        source_vocab=len(data.source_vocab),
        target_vocab=len(data.target_vocab),
        recipe={k: v for k, v in vars(args).items() if k not in ("data_dir", "summarize")},
        machine=dict(
            python=platform.python_version(),
            numpy=np.__version__,
            cpu_threads=args.threads,
            processor=platform.processor(),
        ),
        command=" ".join(sys.argv),
        samples=[
            dict(
                source=sources[i],
                reference=targets[i],
                greedy=detokenize(greedy[i]),
                beam=detokenize(beam[i]),
            )
            for i in range(SAMPLES)
        ],
    )
    if args.framework == "torch":
        import torch

        result["machine"]["torch"] = torch.__version__
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"seq2seq_{tag}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(
        f"{tag}: test BLEU greedy {result['test_bleu_greedy']:.2f}, beam "
        f"{result['test_bleu_beam']:.2f}, training {train_seconds:.0f} s"
    )


def run_tag(args):
    """framework_attention, and _seed<N> for a seed other than 0."""
    return f"{args.framework}_{args.attention}" + (f"_seed{args.seed}" if args.seed else "")


def summarize():
    runs = [
        json.loads(p.read_text())
        for p in sorted(RESULTS.glob("seq2seq_*_*.json"))
        if p.stem != "seq2seq_multi30k"
    ]
    runs.sort(key=lambda r: (r["attention"], r["recipe"]["seed"], r["framework"]))
    table = [
        "| attention | seed | framework | epochs | val loss per epoch | test loss | "
        f"BLEU greedy | BLEU beam {runs[0]['beam_width']} | training (CPU, 1 thread) | "
        "beam decoding |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        val = ", ".join(f"{e['val_loss']:.3f}" for e in r["epochs"])
        table.append(
            f"| {r['attention']} | {r['recipe']['seed']} | {r['framework']} | "
            f"{len(r['epochs'])} | {val} | "
            f"{r['test_loss']:.3f} | {r['test_bleu_greedy']:.2f} | "
            f"{r['test_bleu_beam']:.2f} | {r['train_seconds'] / 60:.1f} min | "
            f"{r['beam_seconds']:.0f} s |"
        )
    recipe = runs[0]["recipe"]
    lines = [
        "# Seq2seq German→English on Multi30k (test2016)",
        "",
        "Generated by `reproductions/seq2seq_multi30k.py --summarize`; the script's "
        "docstring gives the recipe. All runs on the CPU (1 BLAS thread, a 2-core machine "
        "shared with other jobs, so wall times are only indicative). "
        f"{runs[0]['train_pairs']:,} training pairs (≤ {recipe['max_tokens']} tokens), "
        f"vocabularies {runs[0]['source_vocab']:,} de / {runs[0]['target_vocab']:,} en "
        f"(min_freq {recipe['min_freq']}), {recipe['cell'].upper()} "
        f"{recipe['embedding']}/{recipe['hidden']}, batch {recipe['batch_size']}, Adam "
        f"{recipe['lr']:g}, dropout {recipe['dropout']:g}. BLEU: sacrebleu corpus BLEU of "
        "lowercased, tokenized text. Greedy decoding runs in each run's own framework, "
        "beam search is chainrule's on the trained weights.",
        "",
        *table,
        "",
    ]
    for r in runs:
        lines += [
            f"## {r['framework']}, attention {r['attention']}, seed {r['recipe']['seed']}: "
            "sample test translations",
            "",
            f"Command: `{r['command']}`",
            "",
        ]
        for s in r["samples"]:
            lines += [
                f"- de: {s['source']}",
                f"  - reference: {s['reference']}",
                f"  - greedy: {s['greedy']}",
                f"  - beam {r['beam_width']}: {s['beam']}",
            ]
        lines.append("")
    (RESULTS / "seq2seq_multi30k.md").write_text("\n".join(lines))
    (RESULTS / "seq2seq_multi30k.json").write_text(
        json.dumps([{k: v for k, v in r.items() if k != "samples"} for r in runs], indent=1) + "\n"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--framework", choices=("chainrule", "torch"), default="chainrule")
    parser.add_argument("--attention", choices=("none", "dot", "additive"), default="dot")
    parser.add_argument("--cell", choices=("gru", "lstm"), default="gru")
    parser.add_argument("--bidirectional", action="store_true")
    parser.add_argument("--embedding", type=int, default=256)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument(
        "--train-minutes",
        type=float,
        default=None,
        help="start no epoch that would end past this training time",
    )
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--max-tokens", type=int, default=30)
    parser.add_argument("--min-freq", type=int, default=2)
    parser.add_argument("--max-len", type=int, default=50, help="longest translation")
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--limit-train", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    threads.add_option(parser)
    parser.add_argument("--log-every", type=int, default=0, help="print every N batches")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument(
        "--summarize",
        action="store_true",
        help="only gather the result JSONs into seq2seq_multi30k.{json,md}",
    )
    args = parser.parse_args()
    if args.summarize:
        summarize()
        return
    if args.threads and args.framework == "torch":
        import torch

        torch.set_num_threads(args.threads)
    with threads.limit(args.threads):
        run(args)


if __name__ == "__main__":
    main()
