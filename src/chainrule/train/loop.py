"""The training loop: ``fit`` runs epochs of forward, loss, backward and optimiser step, and
``evaluate`` measures a model on a data set.

The loop itself is a few lines (``_train_epoch``); everything else — progress bars, logs,
checkpoints, early stopping, plots — is a callback (``callbacks.py``), so the loop stays
readable and costs almost nothing beyond the model's own work: metrics are summed on the device
and read back once per epoch. The one value read every step is the loss itself (one scalar),
so that training stops at the first NaN or infinite loss, before its update reaches the weights
(``check_finite_loss``).

Under MPI (``chainrule.distributed.init_process_group()`` in a process of ``mpiexec -n N``) the
same ``fit`` trains data-parallel: the model is wrapped in ``DistributedDataParallel``, gradients
are averaged over the ranks before each step, the epoch's metrics are summed over the ranks, and
only rank 0 calls the callbacks (logs, progress, checkpoints), whose decision to stop is sent to
every rank. Each rank reads its own shard when the loader has a ``DistributedSampler``.
"""

import math
import time
from dataclasses import dataclass, field

import numpy as np

from .. import distributed, random
from .. import functional as F
from ..autograd import no_grad
from ..backend import to_device
from ..creation import as_tensor
from ..errors import ChainruleError
from ..kernels import memory
from ..optim import clip_grad_norm_
from ..optim.lr_scheduler import ReduceLROnPlateau
from . import checkpoint
from .metrics import RunningMetrics

__all__ = ["FitState", "fit", "evaluate", "NonFiniteLossError", "check_finite_loss"]


class NonFiniteLossError(ChainruleError, FloatingPointError):
    """The training loss became NaN or infinite; training stopped before that step's update."""


@dataclass
class FitState:
    """What callbacks see of a training run. ``epoch`` counts finished epochs; ``step`` counts
    optimiser steps; ``history`` holds one logs dict per finished epoch; ``running`` holds the
    current epoch's running metrics; a callback sets ``stop`` to end training."""

    model: object
    optimizer: object
    train_loader: object
    epochs: int
    scheduler: object = None
    callbacks: list = field(default_factory=list)
    epoch: int = 0
    step: int = 0
    history: list = field(default_factory=list)
    running: RunningMetrics = None
    stop: bool = False
    rank_rng_states: list = None


def fit(
    model,
    optimizer,
    train_loader,
    epochs,
    loss_fn=None,
    val_loader=None,
    scheduler=None,
    callbacks=(),
    device="cpu",
    max_grad_norm=None,
    resume=None,
):
    """Train ``model`` for ``epochs`` epochs (in total, counting any resumed ones).

    Each batch: ``loss_fn(model(x), y)`` (``loss_fn=None``: the model's own ``loss`` method if
    it has one, else ``cross_entropy``), ``backward()``, gradient clipping to
    ``max_grad_norm`` when given, ``optimizer.step()``. After each epoch: evaluate on
    ``val_loader`` (logged as ``val_loss``, ``val_accuracy``), step ``scheduler`` (a
    ``ReduceLROnPlateau`` is given ``val_loss``, or ``loss`` without validation data), then call
    the callbacks. ``resume`` is a checkpoint path (or a loaded checkpoint) written by
    ``ModelCheckpoint``: training continues from its epoch with every state restored.
    A NaN or infinite loss stops training with ``NonFiniteLossError`` before its backward.
    Training turns on the host memory policy (``chainrule.kernels.memory``) for the process.
    Under MPI it trains data-parallel, as the module's docstring says; ``callbacks`` run on
    rank 0 only.

    Returns the history: a list with one dict per epoch (``epoch``, ``loss``, ``accuracy``,
    ``val_loss``, ``val_accuracy``, ``lr``, ``seconds``, ``samples_per_second``).
    """
    memory.keep_freed_memory()
    model.to(device)
    forward = data_parallel(model)
    loss_fn = _loss_of(model, loss_fn)
    if not distributed.is_main_process():
        callbacks = ()
    state = FitState(model, optimizer, train_loader, epochs, scheduler, list(callbacks))
    if resume is not None:
        checkpoint.restore(state, checkpoint.load(resume) if _is_path(resume) else resume)
    _call(state, "on_train_begin")
    while state.epoch < epochs and not state.stop:
        _call(state, "on_epoch_begin")
        logs = _train_epoch(state, forward, loss_fn, device, max_grad_norm)
        if val_loader is not None:
            measured = evaluate(model, val_loader, loss_fn, device)
            logs.update({f"val_{k}": v for k, v in measured.items() if k != "confusion"})
        _step_scheduler(scheduler, logs)
        state.epoch += 1
        logs = {"epoch": state.epoch, **logs}
        state.history.append(logs)
        gather_rank_rng_states(state)
        _call(state, "on_epoch_end", logs)
        state.stop = _decision_of_rank_0(state.stop)
    _call(state, "on_train_end")
    return state.history


def data_parallel(model):
    """The module that runs forward: ``model`` itself, or its ``DistributedDataParallel``
    wrapper when there are several ranks."""
    if distributed.get_world_size() == 1:
        return model
    return distributed.DistributedDataParallel(model)


def _train_epoch(state, forward, loss_fn, device, max_grad_norm):
    model, optimizer, callbacks = state.model, state.optimizer, state.callbacks
    model.train()
    sampler = getattr(state.train_loader, "sampler", None)
    if hasattr(sampler, "set_epoch"):
        sampler.set_epoch(state.epoch)
    state.running = running = RunningMetrics(predict=getattr(model, "predict", None))
    lr = optimizer.param_groups[0]["lr"]
    started = time.perf_counter()
    for x, y in state.train_loader:
        x, y = as_tensor(x, device=device), as_tensor(y, device=device)
        output = forward(x)
        loss = loss_fn(output, y)
        check_finite_loss(loss.item(), state)
        optimizer.zero_grad()
        loss.backward()
        if forward is not model:
            forward.reduce_gradients()
        if max_grad_norm is not None:
            clip_grad_norm_(model.parameters(), max_grad_norm)
        optimizer.step()
        state.step += 1
        running.update(loss, output, y)
        for callback in callbacks:
            callback.on_batch_end(state, len(y))
    seconds = time.perf_counter() - started
    sum_over_ranks(running)
    logs = running.compute()
    logs.update(lr=lr, seconds=seconds, samples_per_second=running.count / max(seconds, 1e-9))
    return logs


def sum_over_ranks(running):
    """Make the epoch's running loss, correct count and sample count those of all ranks."""
    if distributed.get_world_size() == 1 or running.count == 0:
        return
    correct = running.correct
    sums = np.array(
        [float(running.loss_sum), 0 if correct is None else int(correct), running.count]
    )
    distributed.all_reduce(sums)
    running.loss_sum = sums[0]
    running.correct = None if correct is None else int(sums[1])
    running.count = int(sums[2])


def gather_rank_rng_states(state):
    """Every rank's generator state, for rank 0's checkpoint (each rank resumes its own)."""
    if distributed.get_world_size() > 1:
        state.rank_rng_states = distributed.all_gather_object(random.get_state())


def _decision_of_rank_0(stop):
    """Rank 0's ``stop`` (set by its callbacks) on every rank."""
    if distributed.get_world_size() == 1:
        return stop
    return bool(distributed.broadcast(np.array([stop], dtype=np.int8))[0])


def check_finite_loss(value, state):
    """Raise ``NonFiniteLossError`` naming the epoch and step (of ``state``, a ``FitState``)
    when the loss ``value`` of the step being taken is NaN or infinite."""
    if not math.isfinite(value):
        raise NonFiniteLossError(
            f"the training loss became {value} at epoch {state.epoch + 1}, step "
            f"{state.step + 1}; training stopped there. Try a lower learning rate (--lr), or "
            "run under chainrule.autograd.detect_anomaly() (--detect-anomaly) to name the "
            "first operation that produced a non-finite value"
        )


def evaluate(model, loader, loss_fn=None, device="cpu"):
    """Mean loss, accuracy and confusion matrix (NumPy, rows = true class) of ``model`` on
    ``loader``, in eval mode and without recording a graph. The model's mode is restored.
    ``loss_fn`` and the predicted classes default to the model's own ``loss`` and ``predict``
    methods where it has them (else cross-entropy and the argmax)."""
    loss_fn = _loss_of(model, loss_fn)
    was_training = model.training
    model.eval()
    running = RunningMetrics(confusion=True, predict=getattr(model, "predict", None))
    with no_grad():
        for x, y in loader:
            x, y = as_tensor(x, device=device), as_tensor(y, device=device)
            output = model(x)
            running.update(loss_fn(output, y), output, y)
    model.train(was_training)
    result = running.compute()
    if running.confusion is not None:
        result["confusion"] = to_device(running.confusion, "cpu")
    return result


def _loss_of(model, loss_fn):
    if loss_fn is not None:
        return loss_fn
    return getattr(model, "loss", F.cross_entropy)


def _step_scheduler(scheduler, logs):
    if scheduler is None:
        return
    if isinstance(scheduler, ReduceLROnPlateau):
        scheduler.step(logs.get("val_loss", logs["loss"]))
    else:
        scheduler.step()


def _call(state, hook, *args):
    for callback in state.callbacks:
        getattr(callback, hook)(state, *args)


def _is_path(value):
    return isinstance(value, (str, bytes)) or hasattr(value, "__fspath__")
