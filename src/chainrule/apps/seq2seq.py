"""German→English translation on Multi30k with the encoder–decoder of ``models.seq2seq``: the
app behind ``chainrule train seq2seq`` (and ``reproductions/seq2seq_multi30k.py``), whose run
folder ``chainrule translate`` reads.

- data: the 29,000 training pairs with at most ``max_tokens`` words on each side (after the
  ``data.vocab`` tokenizer: lowercase, punctuation split), vocabularies of the training words
  seen at least ``min_freq`` times; the 1,014 validation pairs give the loss per epoch; the
  1,000 test2016 pairs are only translated at the end;
- batches: ``data.parallel.TranslationBatches`` (similar lengths share a batch), shuffled
  with ``seed``;
- training: teacher forcing (Sutskever et al. 2014), Adam, the gradient norm clipped to
  ``clip``; the loss is the cross-entropy per target word;
- test: greedy decoding and beam search of width ``beam`` (0: greedy only), scored by corpus
  BLEU (``train.metrics.bleu``).

A run folder holds::

    RUN_DIR/config.json                       the Seq2SeqConfig
    RUN_DIR/model.safetensors, seq2seq.json   the model after the last epoch and both
                                              vocabularies (``models.seq2seq.save_translator``)
    RUN_DIR/log.csv, log.jsonl, curves.png    train and validation loss per epoch
    RUN_DIR/metrics.json                      test loss and BLEU, epochs, seconds, config
"""

import dataclasses
import os
import time
from dataclasses import dataclass

import numpy as np

from .. import optim, random
from ..autograd import no_grad
from ..data.parallel import Multi30k, TranslationBatches
from ..data.vocab import Vocab, tokenize
from ..kernels import memory
from ..models.seq2seq import Seq2Seq, save_translator
from ..train.loop import FitState, check_finite_loss
from ..train.metrics import bleu
from .common import run_logs, write_json

__all__ = [
    "Seq2SeqConfig",
    "Seq2SeqData",
    "prepare_data",
    "model_arguments",
    "build_model",
    "train_step",
    "evaluate_loss",
    "translate_corpus",
    "train_seq2seq",
]


@dataclass
class Seq2SeqConfig:
    """Every choice of a translation run; saved as ``config.json`` in the run folder.

    ``attention``: "none", "dot" (Luong et al. 2015) or "additive" (Bahdanau et al. 2014);
    ``cell``: "gru" or "lstm"; ``limit_train`` keeps the first N training pairs (quick runs);
    ``max_len`` bounds a test translation; ``beam`` is the test beam width (0: greedy only).
    """

    attention: str = "dot"
    cell: str = "gru"
    bidirectional: bool = False
    embedding: int = 256
    hidden: int = 256
    dropout: float = 0.0
    epochs: int = 6
    batch_size: int = 128
    lr: float = 1e-3
    clip: float = 1.0
    max_tokens: int = 30
    min_freq: int = 2
    limit_train: int = None
    max_len: int = 50
    beam: int = 5
    seed: int = 0
    data_dir: str = None


@dataclass
class Seq2SeqData:
    """The vocabularies and the id sequences of each split (``(sources, targets)``), and the
    test split's tokens (for BLEU) and raw text (for showing translations)."""

    source_vocab: Vocab
    target_vocab: Vocab
    train: tuple
    val: tuple
    test: tuple
    test_tokens: tuple
    test_text: tuple


def prepare_data(config, download=False):
    """Read Multi30k, keep the training pairs of at most ``max_tokens`` words a side (the first
    ``limit_train`` of them), build both vocabularies from them and encode every split."""
    splits = {s: Multi30k(config.data_dir, s, download=download) for s in ("train", "val", "test")}
    tokens = {
        s: ([tokenize(x) for x in d.source], [tokenize(y) for y in d.target])
        for s, d in splits.items()
    }
    train_src, train_tgt = tokens["train"]
    keep = [
        i
        for i in range(len(train_src))
        if len(train_src[i]) <= config.max_tokens and len(train_tgt[i]) <= config.max_tokens
    ]
    keep = keep[: config.limit_train]
    train_src, train_tgt = [train_src[i] for i in keep], [train_tgt[i] for i in keep]
    source_vocab = Vocab.build(train_src, config.min_freq)
    target_vocab = Vocab.build(train_tgt, config.min_freq)

    def encode(sources, targets):
        return [source_vocab.encode(s) for s in sources], [target_vocab.encode(t) for t in targets]

    return Seq2SeqData(
        source_vocab,
        target_vocab,
        train=encode(train_src, train_tgt),
        val=encode(*tokens["val"]),
        test=encode(*tokens["test"]),
        test_tokens=tokens["test"],
        test_text=(splits["test"].source, splits["test"].target),
    )


def model_arguments(config, data):
    """The ``Seq2Seq`` constructor arguments of ``config`` for the vocabularies of ``data``."""
    return dict(
        source_vocab_size=len(data.source_vocab),
        target_vocab_size=len(data.target_vocab),
        embedding_dim=config.embedding,
        hidden_size=config.hidden,
        cell=config.cell,
        bidirectional=config.bidirectional,
        attention=None if config.attention == "none" else config.attention,
        dropout=config.dropout,
    )


def build_model(config, data):
    """The ``Seq2Seq`` of ``config``, initialised from ``config.seed``."""
    random.manual_seed(config.seed)
    return Seq2Seq(**model_arguments(config, data))


def train_step(model, optimizer, source, target, clip):
    """One teacher-forced step on a batch; returns its loss (per target word)."""
    model.train()
    optimizer.zero_grad()
    loss = model.loss(source, target)
    loss.backward()
    optim.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss.item()


def evaluate_loss(model, batches):
    """Cross-entropy per target word (padding excluded) of ``model`` over ``batches``."""
    model.eval()
    total, words = 0.0, 0
    with no_grad():
        for source, target in batches:
            count = int((target[1:] != model.pad_index).sum())
            total, words = total + model.loss(source, target).item() * count, words + count
    return total / words


def translate_corpus(decode, sources, batch_size, vocab):
    """The token lists that ``decode`` (a batch of source ids → target id lists) gives for
    every sentence of ``sources``, in order, read in batches of ``batch_size``."""
    hypotheses = []
    for source, _ in TranslationBatches(sources, sources, batch_size, 0, shuffle=False):
        hypotheses += [vocab.decode(ids) for ids in decode(source)]
    return hypotheses


def train_seq2seq(config, out_dir, download=False, log=print):
    """Train the translator of ``config`` into the run folder ``out_dir`` (the model and its
    vocabularies are saved after every epoch); return the final metrics (also written to
    ``metrics.json``). ``log`` receives one line per epoch. A NaN or infinite loss stops
    training (``train.loop.NonFiniteLossError``) before the epoch's model is saved. Turns on
    the host memory policy (``chainrule.kernels.memory``) for the process, as ``fit`` does."""
    memory.keep_freed_memory()
    os.makedirs(out_dir, exist_ok=True)
    data = prepare_data(config, download)
    write_json(os.path.join(out_dir, "config.json"), dataclasses.asdict(config))
    model = build_model(config, data)
    optimizer = optim.Adam(model.parameters(), lr=config.lr)
    train = TranslationBatches(*data.train, config.batch_size, 0, seed=config.seed)
    val = TranslationBatches(*data.val, config.batch_size, 0, shuffle=False)
    callbacks = run_logs(out_dir)
    state = FitState(model, optimizer, train, config.epochs, callbacks=callbacks)
    started = time.perf_counter()
    _call(state, "on_train_begin")
    while state.epoch < config.epochs:
        epoch_started = time.perf_counter()
        losses = []
        for source, target in train:
            losses.append(train_step(model, optimizer, source, target, config.clip))
            check_finite_loss(losses[-1], state)
            state.step += 1
        state.epoch += 1
        logs = {
            "epoch": state.epoch,
            "loss": float(np.mean(losses)),
            "val_loss": evaluate_loss(model, val),
            "seconds": time.perf_counter() - epoch_started,
        }
        state.history.append(logs)
        save_translator(out_dir, model, data.source_vocab, data.target_vocab)
        _call(state, "on_epoch_end", logs)
        log(
            f"epoch {state.epoch}/{config.epochs}: loss {logs['loss']:.4f}, "
            f"val_loss {logs['val_loss']:.4f}, {logs['seconds']:.1f} s"
        )
    _call(state, "on_train_end")
    seconds = time.perf_counter() - started
    metrics = _test_metrics(model, data, config)
    metrics.update(
        epochs=state.epoch,
        steps=state.step,
        seconds=round(seconds, 3),
        train_pairs=len(data.train[0]),
        history=state.history,
        config=dataclasses.asdict(config),
    )
    write_json(os.path.join(out_dir, "metrics.json"), metrics)
    return metrics


def _test_metrics(model, data, config):
    model.eval()
    sources, references = data.test[0], data.test_tokens[1]
    test = TranslationBatches(*data.test, config.batch_size, 0, shuffle=False)
    greedy = translate_corpus(
        lambda s: model.greedy(s, config.max_len), sources, config.batch_size, data.target_vocab
    )
    metrics = {
        "test_loss": evaluate_loss(model, test),
        "test_bleu_greedy": bleu(greedy, references),
    }
    if config.beam:
        beam = translate_corpus(
            lambda s: model.beam_search(s, config.beam, config.max_len),
            sources,
            config.batch_size,
            data.target_vocab,
        )
        metrics["test_bleu_beam"] = bleu(beam, references)
    return metrics


def _call(state, hook, *args):
    for callback in state.callbacks:
        getattr(callback, hook)(state, *args)
