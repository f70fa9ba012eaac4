"""fit/evaluate on a slice of real MNIST: learning, early stopping inside fit, checkpoints, and
bitwise-exact resumption."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import data, models, optim
from chainrule.train import Callback, EarlyStopping, ModelCheckpoint, evaluate, fit


def _setup(mnist_slice, seed=0, hidden=(64, 32)):
    train, val = mnist_slice
    cr.manual_seed(seed)
    model = models.mlp(hidden=hidden, dropout=0.2)
    optimizer = optim.Adam(model.parameters(), lr=2e-3)
    loader = data.DataLoader(train, batch_size=100, shuffle=True, seed=seed)
    return model, optimizer, loader, data.DataLoader(val, batch_size=500)


def test_fit_lowers_the_loss_and_beats_chance(mnist_slice):
    model, optimizer, loader, val_loader = _setup(mnist_slice)
    before = evaluate(model, val_loader)
    history = fit(model, optimizer, loader, epochs=2, val_loader=val_loader)
    assert [logs["epoch"] for logs in history] == [1, 2]
    assert history[1]["loss"] < history[0]["loss"] < before["loss"]
    assert history[1]["val_accuracy"] > 0.8  # chance is 0.1
    after = evaluate(model, val_loader)
    assert after["loss"] == pytest.approx(history[1]["val_loss"])
    confusion = after["confusion"]
    assert confusion.sum() == 1000
    assert np.trace(confusion) / 1000 == after["accuracy"]
    assert model.training  # evaluate restores the mode it found


class _ScriptedScore(Callback):
    """Writes a scripted 'score' into each epoch's logs (runs before EarlyStopping)."""

    def __init__(self, scores):
        self.scores = scores

    def on_epoch_end(self, state, logs):
        logs["score"] = self.scores[state.epoch - 1]


def test_early_stopping_ends_fit(mnist_slice):
    model, optimizer, loader, _ = _setup(mnist_slice)
    scores = [0.5, 0.7, 0.6, 0.65, 0.9, 0.95]
    stopper = EarlyStopping("score", patience=2, mode="max")
    history = fit(model, optimizer, loader, epochs=6, callbacks=[_ScriptedScore(scores), stopper])
    assert len(history) == 4 and stopper.stopped_epoch == 4


def test_a_resumed_early_stopped_run_stays_stopped(mnist_slice, tmp_path):
    scores = [0.5, 0.4, 0.45, 0.6, 0.3]
    model, optimizer, loader, _ = _setup(mnist_slice)
    keeper = ModelCheckpoint(tmp_path, monitor="score", mode="max")
    history = fit(
        model,
        optimizer,
        loader,
        epochs=5,
        callbacks=[_ScriptedScore(scores), EarlyStopping("score", patience=2, mode="max"), keeper],
    )
    assert len(history) == 3
    model, optimizer, loader, _ = _setup(mnist_slice)
    resumed = fit(
        model,
        optimizer,
        loader,
        epochs=5,
        resume=keeper.last_path,
        callbacks=[_ScriptedScore(scores), EarlyStopping("score", patience=2, mode="max")],
    )
    assert len(resumed) == 3


class _Kill(Callback):
    """Simulates the process dying in the middle of epoch ``epoch`` (1-based)."""

    def __init__(self, epoch, batch=3):
        self.epoch, self.batch = epoch, batch

    def on_batch_end(self, state, batch_size):
        if state.epoch + 1 == self.epoch and state.step % len(state.train_loader) == self.batch:
            raise KeyboardInterrupt


def _weights(model):
    return {name: value.numpy().copy() for name, value in model.state_dict().items()}


def test_resumed_run_ends_with_bitwise_the_same_weights(mnist_slice, tmp_path):
    model, optimizer, loader, val_loader = _setup(mnist_slice)
    straight = fit(model, optimizer, loader, epochs=3, val_loader=val_loader)
    expected = _weights(model)

    model, optimizer, loader, val_loader = _setup(mnist_slice)
    with pytest.raises(KeyboardInterrupt):
        fit(
            model,
            optimizer,
            loader,
            epochs=3,
            val_loader=val_loader,
            callbacks=[ModelCheckpoint(tmp_path), _Kill(epoch=2)],
        )

    # a new process: everything rebuilt, even from another seed; the checkpoint decides
    model, optimizer, loader, val_loader = _setup(mnist_slice, seed=123)
    checkpoint = ModelCheckpoint(tmp_path)
    resumed = fit(
        model,
        optimizer,
        loader,
        epochs=3,
        val_loader=val_loader,
        callbacks=[checkpoint],
        resume=checkpoint.last_path,
    )

    got = _weights(model)
    assert got.keys() == expected.keys()
    for name in expected:
        assert np.array_equal(got[name], expected[name]), name
    timing = ("seconds", "samples_per_second")
    assert [{k: v for k, v in e.items() if k not in timing} for e in resumed] == [
        {k: v for k, v in e.items() if k not in timing} for e in straight
    ]


def test_checkpoint_keeps_the_best_epoch(mnist_slice, tmp_path):
    model, optimizer, loader, _ = _setup(mnist_slice)
    scores = [0.3, 0.2, 0.25]
    keeper = ModelCheckpoint(tmp_path, monitor="score", mode="min")
    fit(model, optimizer, loader, epochs=3, callbacks=[_ScriptedScore(scores), keeper])
    assert cr.serialization.load(keeper.best_path)["epoch"] == 2
    assert cr.serialization.load(keeper.last_path)["epoch"] == 3
