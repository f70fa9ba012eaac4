"""Callbacks: small objects ``fit`` calls at fixed points of training, Keras-style.

``fit`` calls, in order, ``on_train_begin(state)``, then per epoch ``on_epoch_begin(state)``,
``on_batch_end(state, batch_size)`` after every optimiser step, ``on_epoch_end(state, logs)``
once the epoch's logs (train and validation metrics) are complete, and finally
``on_train_end(state)``. ``state`` is the loop's ``FitState`` (model, optimiser, history, …);
setting ``state.stop = True`` ends training after the current epoch.

A callback with memory (EarlyStopping's patience counter, ModelCheckpoint's best value) returns
it from ``state_dict()`` so a checkpoint carries it and a resumed run behaves as an
uninterrupted one.
"""

import csv
import json
import math
import os
import sys
import time

from tqdm.auto import tqdm

from . import checkpoint

__all__ = [
    "Callback",
    "ProgressBar",
    "EpochSummary",
    "CSVLogger",
    "JSONLinesLogger",
    "EarlyStopping",
    "ModelCheckpoint",
    "CurvePlot",
]


class Callback:
    """Base class: every hook does nothing."""

    def on_train_begin(self, state):
        pass

    def on_epoch_begin(self, state):
        pass

    def on_batch_end(self, state, batch_size):
        pass

    def on_epoch_end(self, state, logs):
        pass

    def on_train_end(self, state):
        pass

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass


def _better(mode, value, best, min_delta):
    """Whether ``value`` improves on ``best`` by more than ``min_delta`` in direction ``mode``."""
    if best is None:
        return True
    if mode == "min":
        return value < best - min_delta
    return value > best + min_delta


def _check_mode(mode):
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
    return mode


def _monitored(logs, monitor, who):
    if monitor not in logs:
        raise KeyError(
            f"{who}: the monitored metric {monitor!r} is not in this epoch's logs "
            f"({', '.join(sorted(logs))}); pass a val_loader to fit() for 'val_*' "
            f"metrics"
        )
    return logs[monitor]


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    Deck D2's early stopping ("正规化 : Early Stopping"): training error keeps falling while
    validation error turns back up, so stop at the turn. ``mode="min"`` for losses, ``"max"``
    for accuracies.
    """

    def __init__(self, monitor="val_loss", patience=5, mode="min", min_delta=0.0):
        self.monitor = monitor
        self.patience = patience
        self.mode = _check_mode(mode)
        self.min_delta = min_delta
        self.best = None
        self.wait = 0
        self.stopped_epoch = None

    def on_train_begin(self, state):
        if self.wait >= self.patience:  # resuming a run that had already stopped
            state.stop = True

    def on_epoch_end(self, state, logs):
        value = _monitored(logs, self.monitor, "EarlyStopping")
        if _better(self.mode, value, self.best, self.min_delta):
            self.best, self.wait = value, 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            state.stop = True
            self.stopped_epoch = state.epoch

    def state_dict(self):
        return {"best": self.best, "wait": self.wait}

    def load_state_dict(self, state):
        self.best, self.wait = state["best"], state["wait"]


class ModelCheckpoint(Callback):
    """Save the whole training state every epoch to ``directory/last.ckpt``, and to
    ``directory/best.ckpt`` when ``monitor`` improves.

    A checkpoint holds the model, optimiser and scheduler state, the epoch, the history, the
    random generators (chainrule's and the training loader's) and the callbacks' memory: what
    ``fit(..., resume=path)`` needs to continue exactly where the run stopped.
    """

    def __init__(self, directory, monitor="val_loss", mode="min"):
        self.directory = os.fspath(directory)
        self.monitor = monitor
        self.mode = _check_mode(mode)
        self.best = None

    @property
    def last_path(self):
        return os.path.join(self.directory, "last.ckpt")

    @property
    def best_path(self):
        return os.path.join(self.directory, "best.ckpt")

    def on_epoch_end(self, state, logs):
        os.makedirs(self.directory, exist_ok=True)
        value = _monitored(logs, self.monitor, "ModelCheckpoint")
        improved = _better(self.mode, value, self.best, 0.0)
        if improved:
            self.best = value
        snapshot = checkpoint.capture(state)
        checkpoint.save(snapshot, self.last_path)
        if improved:
            checkpoint.save(snapshot, self.best_path)

    def state_dict(self):
        return {"best": self.best}

    def load_state_dict(self, state):
        self.best = state["best"]


class _EpochLog(Callback):
    """A file with one record per epoch, rewritten from the history when training (re)starts so
    a resumed run's log has no duplicate or orphan epochs."""

    def __init__(self, path):
        self.path = os.fspath(path)

    def on_train_begin(self, state):
        directory = os.path.dirname(self.path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        with open(self.path, "w", newline="") as f:
            self.write_header(f, state.history[0] if state.history else None)
            for logs in state.history:
                self.write(f, logs)

    def on_epoch_end(self, state, logs):
        with open(self.path, "a", newline="") as f:
            if len(state.history) == 1:
                self.write_header(f, logs)
            self.write(f, logs)

    def write_header(self, f, logs):
        pass

    def write(self, f, logs):
        raise NotImplementedError


class CSVLogger(_EpochLog):
    """One CSV row per epoch: epoch, loss, accuracy, val_loss, val_accuracy, lr, seconds, …"""

    def write_header(self, f, logs):
        if logs is not None:
            csv.writer(f).writerow(list(logs))

    def write(self, f, logs):
        csv.writer(f).writerow(list(logs.values()))


class JSONLinesLogger(_EpochLog):
    """One JSON object per line and epoch."""

    def write(self, f, logs):
        f.write(json.dumps(logs) + "\n")


class CurvePlot(Callback):
    """Redraw the training curves to ``path`` after every epoch: ``draw(history, path)``, given
    the list of per-epoch logs (e.g. ``chainrule.viz.plot_history``, which draws the
    train/validation loss and accuracy into a PNG). The drawing is an argument so that
    training does not depend on the plotting layer."""

    def __init__(self, path, draw):
        self.path = os.fspath(path)
        self.draw = draw

    def on_epoch_end(self, state, logs):
        self.draw(state.history, self.path)


class _Pace:
    """How long the epochs still to run will take, at the median pace of those run so far,
    each timed from the end of the one before (validation and checkpoints included)."""

    def __init__(self):
        self.paces = []
        self.last_end = None

    def start(self):
        self.last_end = time.perf_counter()

    def epoch_ended(self, state, seconds):
        """Record an epoch that trained for ``seconds``; the time left as a person reads it
        ("about 4 h 39 min left"), or None after the last epoch."""
        now = time.perf_counter()
        started = self.last_end if self.last_end is not None else now - seconds
        self.paces.append(now - started)
        self.last_end = now
        epochs_left = state.epochs - state.epoch
        if epochs_left <= 0:
            return None
        pace = sorted(self.paces)[len(self.paces) // 2]
        return f"about {_duration(pace * epochs_left)} left"


def _duration(seconds):
    """``seconds`` as a person reads a wait: "40 s", "12 min", "4 h 39 min"."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


class ProgressBar(Callback):
    """A tqdm bar per epoch showing the running loss, accuracy and samples per second, and at
    the epoch's end the time the epochs left will take (``_Pace``).

    The bar is refreshed at most every ``interval`` seconds; only then are the running metrics
    read back from the device, so a GPU run is not synchronised on every batch.
    """

    def __init__(self, interval=0.5, file=None):
        self.interval = interval
        self.file = file
        self.pace = _Pace()

    def on_train_begin(self, state):
        self.pace.start()

    def on_epoch_begin(self, state):
        total = len(state.train_loader) if hasattr(state.train_loader, "__len__") else None
        self.bar = tqdm(
            total=total,
            desc=f"epoch {state.epoch + 1}/{state.epochs}",
            unit="batch",
            file=self.file or sys.stderr,
            leave=True,
            dynamic_ncols=True,
        )
        self.pending_batches = 0
        self.samples = 0
        self.started = self.refreshed = time.perf_counter()

    def on_batch_end(self, state, batch_size):
        self.pending_batches += 1
        self.samples += batch_size
        now = time.perf_counter()
        if now - self.refreshed >= self.interval:
            self.refreshed = now
            self._refresh(state.running.compute(), self.samples / (now - self.started))

    def on_epoch_end(self, state, logs):
        shown = {
            k: v for k, v in logs.items() if k not in ("epoch", "seconds", "samples_per_second")
        }
        left = self.pace.epoch_ended(state, logs["seconds"])
        # the training rate, not validation's
        self._refresh(shown, logs["samples_per_second"], left)
        self.bar.close()

    def _refresh(self, metrics, rate, left=None):
        self.bar.update(self.pending_batches)
        self.pending_batches = 0
        postfix = {k: _short(v) for k, v in metrics.items()}
        postfix["samples/s"] = f"{rate:,.0f}"
        if left is not None:
            postfix["time"] = left
        self.bar.set_postfix(postfix, refresh=True)


class EpochSummary(Callback):
    """One plain line per epoch, for a log file or a pipe where a progress bar's redrawn line
    leaves no record, ending with the time the epochs left will take (``_Pace``)::

        epoch 3/10: loss 0.1234, accuracy 0.9612, val_loss 0.1100, val_accuracy 0.968, 4.1 s,
        about 31 s left
    """

    _NOT_SHOWN = ("epoch", "step", "lr", "seconds", "samples_per_second", "chars_per_second")

    def __init__(self, file=None):
        self.file = file
        self.pace = _Pace()

    def on_train_begin(self, state):
        self.pace.start()

    def on_epoch_end(self, state, logs):
        shown = [f"{k} {_short(v)}" for k, v in logs.items() if k not in self._NOT_SHOWN]
        line = f"epoch {state.epoch}/{state.epochs}: " + ", ".join(shown)
        line += f", {logs['seconds']:.1f} s"
        left = self.pace.epoch_ended(state, logs["seconds"])
        if left is not None:
            line += f", {left}"
        print(line, file=self.file or sys.stderr, flush=True)


def _short(value):
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.4g}"
    return value
