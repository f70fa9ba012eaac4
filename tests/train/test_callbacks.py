"""Callbacks on their own: EarlyStopping on scripted metric sequences, the epoch logs, the plot."""

import csv
import io
import json
from types import SimpleNamespace

import numpy as np
import pytest

from chainrule.train import (
    CSVLogger,
    CurvePlot,
    EarlyStopping,
    EpochSummary,
    JSONLinesLogger,
    ProgressBar,
    callbacks,
)
from chainrule.train.metrics import RunningMetrics
from chainrule.viz import plot_history


def _stopping_epoch(callback, values, key="val_loss"):
    """Feed ``values`` as one epoch each; the 1-based epoch at which training would stop."""
    state = SimpleNamespace(stop=False, epoch=0)
    for value in values:
        state.epoch += 1
        callback.on_epoch_end(state, {key: value})
        if state.stop:
            return state.epoch
    return None


def test_early_stopping_waits_patience_epochs_after_the_best():
    # best at epoch 2; epochs 3, 4, 5 do not improve -> stop after epoch 5
    assert _stopping_epoch(EarlyStopping(patience=3), [1.0, 0.8, 0.9, 0.85, 0.81, 0.5]) == 5


def test_early_stopping_resets_on_improvement():
    values = [1.0, 1.1, 0.9, 1.0, 1.0, 0.7, 0.8, 0.8]
    assert _stopping_epoch(EarlyStopping(patience=2), values) == 5
    assert _stopping_epoch(EarlyStopping(patience=3), values) is None


def test_early_stopping_min_delta_and_max_mode():
    # improvements of 0.005 are below min_delta 0.01: they count as no improvement
    assert _stopping_epoch(EarlyStopping(patience=2, min_delta=0.01), [1.0, 0.995, 0.99, 0.5]) == 3
    accuracies = [0.5, 0.6, 0.59, 0.6, 0.7]
    assert (
        _stopping_epoch(
            EarlyStopping("val_accuracy", patience=2, mode="max"), accuracies, key="val_accuracy"
        )
        == 4
    )


def test_early_stopping_names_the_missing_metric():
    with pytest.raises(KeyError, match="val_loss.*loss"):
        EarlyStopping().on_epoch_end(SimpleNamespace(stop=False, epoch=1), {"loss": 1.0})


def _history(n):
    return [
        {
            "epoch": i,
            "loss": 1.0 / i,
            "accuracy": 0.5 + i / 100,
            "val_loss": 1.1 / i,
            "val_accuracy": 0.5 + i / 90,
        }
        for i in range(1, n + 1)
    ]


def _replay(callback, history, start=0):
    """Run a callback as fit does, over epochs ``start``.. of ``history`` (resumed at ``start``)."""
    state = SimpleNamespace(history=list(history[:start]))
    callback.on_train_begin(state)
    for logs in history[start:]:
        state.history.append(logs)
        callback.on_epoch_end(state, logs)


def test_logs_of_a_resumed_run_have_each_epoch_once(tmp_path):
    history = _history(4)
    for logger, name in ((CSVLogger, "log.csv"), (JSONLinesLogger, "log.jsonl")):
        path = tmp_path / name
        _replay(logger(path), history[:3])  # "killed" after epoch 3 was logged ...
        _replay(logger(path), history, start=2)  # ... resumed from the epoch-2 checkpoint
        if name.endswith(".csv"):
            rows = list(csv.DictReader(path.open()))
            epochs = [int(r["epoch"]) for r in rows]
            assert float(rows[3]["val_loss"]) == history[3]["val_loss"]
        else:
            epochs = [json.loads(line)["epoch"] for line in path.read_text().splitlines()]
        assert epochs == [1, 2, 3, 4]


def test_curve_plot_writes_a_png(tmp_path):
    path = tmp_path / "curves.png"
    _replay(CurvePlot(path, plot_history), _history(3))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_progress_bar_shows_metrics_and_rate():
    out = io.StringIO()
    running = RunningMetrics()
    state = SimpleNamespace(epoch=0, epochs=1, train_loader=[0] * 3, running=running)
    bar = ProgressBar(interval=0, file=out)
    bar.on_epoch_begin(state)
    for _ in range(3):
        running.update(np.float32(0.5), np.eye(4, dtype=np.float32), np.arange(4))
        bar.on_batch_end(state, 4)
    state.epoch = 1  # as fit counts it before the epoch's end
    bar.on_epoch_end(
        state,
        {"epoch": 1, "loss": 0.5, "accuracy": 1.0, "seconds": 0.5, "samples_per_second": 24.0},
    )
    text = out.getvalue()
    assert "3/3" in text and "loss=0.5" in text and "samples/s=24" in text
    assert "left" not in text  # the run's last epoch


def test_progress_bar_ends_an_epoch_with_the_time_left(monkeypatch):
    clock = iter([0.0, 0.0, 150.0, 150.0])  # train begins, epoch begins, refresh, epoch ends
    monkeypatch.setattr(callbacks.time, "perf_counter", lambda: next(clock))
    out = io.StringIO()
    state = SimpleNamespace(epoch=0, epochs=3, train_loader=[0], running=RunningMetrics())
    bar = ProgressBar(interval=0, file=out)
    bar.on_train_begin(state)
    bar.on_epoch_begin(state)
    state.epoch = 1
    bar.on_epoch_end(state, {"epoch": 1, "loss": 0.5, "seconds": 140.0, "samples_per_second": 9.0})
    assert "time=about 5 min left" in out.getvalue()  # 150 s × 2 epochs


def test_epoch_summary_says_how_long_the_epochs_left_will_take(monkeypatch):
    """The line of each epoch ends with the epochs still to run times the median pace so far
    (measured from one epoch's end to the next, so validation counts too); the last has none."""
    clock = iter([0.0, 100.0, 400.0, 600.0])  # train begins, then three epochs end
    monkeypatch.setattr(callbacks.time, "perf_counter", lambda: next(clock))
    out = io.StringIO()
    summary = EpochSummary(file=out)
    state = SimpleNamespace(epoch=0, epochs=3)
    summary.on_train_begin(state)
    for _ in range(3):
        state.epoch += 1
        summary.on_epoch_end(state, {"epoch": state.epoch, "loss": 0.25, "seconds": 90.0})
    lines = out.getvalue().splitlines()
    assert lines[0] == "epoch 1/3: loss 0.25, 90.0 s, about 3 min left"  # 100 s × 2
    assert lines[1] == "epoch 2/3: loss 0.25, 90.0 s, about 5 min left"  # median 300 s × 1
    assert lines[2] == "epoch 3/3: loss 0.25, 90.0 s"


@pytest.mark.parametrize(
    "seconds, text", [(40.4, "40 s"), (89, "89 s"), (720, "12 min"), (16740, "4 h 39 min")]
)
def test_durations_read_as_a_wait(seconds, text):
    assert callbacks._duration(seconds) == text
