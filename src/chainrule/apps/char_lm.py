"""Character-level language modelling with truncated BPTT: the app behind ``chainrule train
char-lm`` and ``chainrule sample``.

The corpus (``data.text.load_corpus``) is cut into a contiguous training part (the first 90 %)
and validation part (the last 10 %). Every epoch walks the training stream with
``nn.utils.BPTTBatches`` (``batch_size`` parallel streams, ``seq_len`` steps a chunk), carries
the recurrent state from chunk to chunk and cuts it from the graph (``detach_hidden``), clips
the gradient norm to ``clip`` and takes an optimiser step. The validation loss, in nats per
character, is measured the same way (state carried, no graph) at the end of each epoch.

A run folder holds::

    RUN_DIR/config.json     the LMConfig
    RUN_DIR/vocab.json      the characters, in id order (what ``chainrule sample`` decodes with)
    RUN_DIR/log.csv         one row per epoch (also log.jsonl): loss, accuracy, val_loss, …
    RUN_DIR/curves.png      train/validation loss per epoch
    RUN_DIR/checkpoints/    last.ckpt (every epoch), best.ckpt (lowest val_loss)
    RUN_DIR/metrics.json    final val_loss (nats/char), best val_loss, steps, seconds, config

Checkpoints, logs and the curve are ``train.callbacks``' (the same as ``chainrule train mlp``),
so ``--resume`` continues from the last finished epoch with the model, optimiser, scheduler and
random state restored. An epoch cut short by ``steps`` counts as finished. Resuming with other
``epochs`` lays the learning-rate schedule over the new total (``common.resume_schedule``):
a cosine is stretched.
"""

import dataclasses
import math
import os
import time
from dataclasses import dataclass

from .. import distributed, random
from ..autograd import no_grad
from ..creation import as_tensor
from ..data.text import load_corpus, split_text
from ..kernels import memory
from ..models.char_rnn import CharRNN, Vocabulary
from ..nn.utils.bptt import BPTTBatches, detach_hidden
from ..optim import clip_grad_norm_
from ..train import checkpoint
from ..train.callbacks import ModelCheckpoint
from ..train.loop import (
    FitState,
    check_finite_loss,
    data_parallel,
    gather_rank_rng_states,
    sum_over_ranks,
)
from ..train.metrics import RunningMetrics
from .common import (
    LR_SCHEDULES,
    ConfigError,
    RunFolderError,
    check_same_run,
    make_optimizer,
    progress_callbacks,
    read_run_config,
    resume_schedule,
    run_logs,
    run_timing,
    write_json,
)

__all__ = [
    "LMConfig",
    "LMData",
    "prepare_data",
    "build_model",
    "evaluate_lm",
    "train_epoch",
    "train_lm",
    "load_trained",
    "read_lm_config",
]


@dataclass
class LMConfig:
    """Every choice of a language-model run; saved as ``config.json`` in the run folder.

    ``corpus``: "tinyshakespeare", "c-code" or a text file's path. ``cell``: the recurrent
    cell ("rnn", "lstm", "gru"). ``steps`` (optional) stops after that many optimiser steps in
    all. ``clip`` bounds the global gradient norm. ``lr_schedule`` is a key of
    ``common.LR_SCHEDULES`` stepped once per epoch.
    """

    corpus: str = "tinyshakespeare"
    cell: str = "lstm"
    layers: int = 2
    hidden: int = 256
    dropout: float = 0.0
    seq_len: int = 100
    batch_size: int = 64
    epochs: int = 10
    steps: int = None
    optimizer: str = "adam"
    lr: float = 2e-3
    lr_schedule: str = "constant"
    clip: float = 5.0
    val_fraction: float = 0.1
    seed: int = 0
    device: str = "cpu"
    data_dir: str = None


@dataclass
class LMData:
    """A corpus ready for training: its vocabulary and the train/validation id streams."""

    vocab: Vocabulary
    train: object
    val: object


def prepare_data(config, download=False):
    """Read ``config.corpus``, build the vocabulary of the whole text (so every validation
    character has an id) and encode the contiguous 90/10 split as int64 arrays."""
    try:
        text = load_corpus(config.corpus, config.data_dir, download)
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"the corpus {config.corpus} is not UTF-8 text (byte {error.start} cannot be "
            "decoded); give a text file"
        ) from None
    train_text, val_text = split_text(text, config.val_fraction)
    needed = config.batch_size * 2
    if len(val_text) < needed:
        raise ConfigError(
            f"the corpus is too short: its validation part has {len(val_text)} "
            f"characters, and batch size {config.batch_size} needs at least "
            f"{needed}"
        )
    vocab = Vocabulary.from_text(text)
    return LMData(vocab, vocab.encode(train_text), vocab.encode(val_text))


def build_model(config, vocab_size):
    """The ``CharRNN`` of ``config``, initialised from ``config.seed``."""
    random.manual_seed(config.seed)
    return CharRNN(
        vocab_size,
        cell=config.cell,
        hidden_size=config.hidden,
        num_layers=config.layers,
        dropout=config.dropout,
    )


def evaluate_lm(model, ids, batch_size, seq_len, device="cpu"):
    """Mean cross-entropy (nats/char) and next-character accuracy of ``model`` on the id
    stream ``ids``, read as truncated-BPTT chunks with the state carried, in eval mode."""
    was_training = model.training
    model.eval()
    running = RunningMetrics()
    hidden = None
    with no_grad():
        for inputs, targets in BPTTBatches(as_tensor(ids, device=device), batch_size, seq_len):
            logits, hidden = model(inputs, hidden)
            _update(running, model.loss(logits, targets), logits, targets)
    model.train(was_training)
    return running.compute()


def train_epoch(state, clip, device="cpu", max_steps=None, forward=None):
    """One pass of truncated BPTT over ``state.train_loader`` (a ``BPTTBatches``); returns the
    epoch's logs (train loss in nats/char, accuracy, chars per second).

    Under MPI, ``forward`` is the model's ``DistributedDataParallel`` wrapper: rank r of N
    trains on its block of B/N of the B parallel streams (the loss, a mean over characters,
    averages over the ranks to the mean over all B streams), the gradients are averaged before
    clipping, and the epoch's metrics are summed over the ranks."""
    model, optimizer = state.model, state.optimizer
    forward = model if forward is None else forward
    model.train()
    state.running = running = RunningMetrics()
    lr = optimizer.param_groups[0]["lr"]
    started = time.perf_counter()
    hidden = None
    streams = _rank_streams(state.train_loader)
    for inputs, targets in state.train_loader:
        if max_steps is not None and state.step >= max_steps:
            break
        inputs, targets = inputs[:, streams], targets[:, streams]
        hidden = detach_hidden(hidden)
        logits, hidden = forward(inputs.to(device), hidden)
        loss = model.loss(logits, targets.to(device))
        check_finite_loss(loss.item(), state)
        optimizer.zero_grad()
        loss.backward()
        if forward is not model:
            forward.reduce_gradients()
        clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        state.step += 1
        _update(running, loss, logits, targets)
        for callback in state.callbacks:
            callback.on_batch_end(state, targets.shape[1])
    seconds = time.perf_counter() - started
    sum_over_ranks(running)
    logs = running.compute()
    logs.update(lr=lr, seconds=seconds, chars_per_second=running.count / max(seconds, 1e-9))
    return logs


def _rank_streams(batches):
    """This rank's block of the parallel streams (all of them in a single process)."""
    workers, rank = distributed.get_world_size(), distributed.get_rank()
    per_rank, rest = divmod(batches.streams.shape[1], workers)
    if rest:
        raise ConfigError(
            f"--batch-size {batches.streams.shape[1]} does not split into {workers} equal worker "
            "batches; choose a multiple of the number of workers"
        )
    return slice(rank * per_rank, (rank + 1) * per_rank)


def _update(running, loss, logits, targets):
    """Count every character of the chunk (not every stream) in the running means."""
    running.update(loss, logits.data.reshape(-1, logits.shape[-1]), targets.data.reshape(-1))


def train_lm(config, out_dir, resume=False, progress="auto", download=False):
    """Train the language model of ``config`` into the run folder ``out_dir``; return the final
    metrics (also written to ``metrics.json``). ``resume=True`` continues from
    ``out_dir/checkpoints/last.ckpt`` and requires the same config apart from ``epochs``,
    ``steps`` and ``device``. ``progress`` is what ``common.progress_callbacks`` shows. Turns
    on the host memory policy (``chainrule.kernels.memory``) for the process, as ``fit`` does.
    Under MPI (``--workers N``) the ranks share the ``batch_size`` streams (``train_epoch``)
    and rank 0 alone writes the run folder."""
    memory.keep_freed_memory()
    main = distributed.is_main_process()
    os.makedirs(out_dir, exist_ok=True)
    last = os.path.join(out_dir, "checkpoints", "last.ckpt")
    snapshot = None
    if resume and os.path.isfile(last):
        check_same_run(read_lm_config(out_dir), config, may_differ=("epochs", "steps", "device"))
        snapshot = checkpoint.load(last)
    data = prepare_data(config, download)
    if main:
        write_json(os.path.join(out_dir, "config.json"), dataclasses.asdict(config))
        data.vocab.save(os.path.join(out_dir, "vocab.json"))
    model = build_model(config, len(data.vocab)).to(config.device)
    optimizer = make_optimizer(config.optimizer, model.parameters(), config.lr)
    batches = BPTTBatches(
        as_tensor(data.train, device=config.device), config.batch_size, config.seq_len
    )
    callbacks = [
        *run_logs(out_dir),
        ModelCheckpoint(os.path.join(out_dir, "checkpoints"), monitor="val_loss"),
    ]
    callbacks += progress_callbacks(progress)
    if not main:
        callbacks = []
    state = FitState(model, optimizer, batches, config.epochs, callbacks=callbacks)
    if snapshot is not None:
        checkpoint.restore(state, snapshot)  # all but the schedule, built for config.epochs
    state.scheduler = LR_SCHEDULES[config.lr_schedule](optimizer, config.epochs)
    if snapshot is not None and state.scheduler is not None:
        resume_schedule(state.scheduler, state.epoch)
    state.epochs = _epochs_to_run(state, config, len(batches))
    started = time.perf_counter()
    _run_epochs(state, data, config)
    return _finish(state, config, out_dir, time.perf_counter() - started, snapshot)


def _run_epochs(state, data, config):
    forward = data_parallel(state.model)
    _call(state, "on_train_begin")
    while state.epoch < state.epochs:
        _call(state, "on_epoch_begin")
        logs = train_epoch(state, config.clip, config.device, config.steps, forward)
        measured = evaluate_lm(
            state.model, data.val, config.batch_size, config.seq_len, config.device
        )
        logs.update({f"val_{k}": v for k, v in measured.items()})
        if state.scheduler is not None:
            state.scheduler.step()
        state.epoch += 1
        logs = {"epoch": state.epoch, "step": state.step, **logs}
        state.history.append(logs)
        gather_rank_rng_states(state)
        _call(state, "on_epoch_end", logs)
    _call(state, "on_train_end")


def _epochs_to_run(state, config, batches_per_epoch):
    """The epoch count the run will reach: ``config.epochs``, or fewer where ``config.steps``
    ends it first (an epoch cut short by it counts as finished). The progress lines show it and
    time what is left by it, and the scheduler keeps ``config.epochs``."""
    if config.steps is None:
        return config.epochs
    steps_left = max(config.steps - state.step, 0)
    return min(config.epochs, state.epoch + -(-steps_left // batches_per_epoch))


def _finish(state, config, out_dir, seconds, snapshot):
    history = state.history
    final = history[-1] if history else {}
    metrics = {
        "val_loss": final.get("val_loss"),
        "val_bits_per_char": final.get("val_loss", math.nan) / math.log(2),
        "best_val_loss": min((h["val_loss"] for h in history), default=None),
        "train_loss": final.get("loss"),
        **run_timing(history, seconds, snapshot),
        "steps": state.step,
        "config": dataclasses.asdict(config),
        "workers": distributed.get_world_size(),
    }
    if distributed.is_main_process():
        write_json(os.path.join(out_dir, "metrics.json"), metrics)
    return metrics


def load_trained(out_dir, which="last", device="cpu"):
    """``(model, vocab, config)`` of a finished run, the model loaded from its ``which``
    checkpoint ("last" or "best")."""
    config = read_lm_config(out_dir)
    path = os.path.join(out_dir, "checkpoints", f"{which}.ckpt")
    if not os.path.isfile(path):
        raise RunFolderError(
            f"{out_dir} has no '{which}' checkpoint (looked for {path}); "
            "was it written by `chainrule train char-lm`?"
        )
    vocab = Vocabulary.load(os.path.join(out_dir, "vocab.json"))
    model = build_model(config, len(vocab))
    model.load_state_dict(checkpoint.load(path)["model"])
    return model.to(device), vocab, config


def read_lm_config(out_dir):
    """The ``LMConfig`` saved in a language-model run folder."""
    saved = read_run_config(out_dir)
    known = {f.name for f in dataclasses.fields(LMConfig)}
    if "seq_len" not in saved or not set(saved) <= known:
        raise ConfigError(
            f"{out_dir} is not a language-model run (its config.json is not an LMConfig)"
        )
    return LMConfig(**saved)


def _call(state, hook, *args):
    for callback in state.callbacks:
        getattr(callback, hook)(state, *args)
