"""Learning-rate schedules against torch.optim.lr_scheduler: the same lrs, epoch by epoch."""

import math
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import optim
from chainrule.optim import lr_scheduler

EPOCHS = 20


def optimizers():
    """One chainrule and one torch SGD, each with two groups (lr 0.1 and 0.03)."""
    ours = optim.SGD([{"params": [cr.tensor(np.ones(2), requires_grad=True)]},
                      {"params": [cr.tensor(np.ones(3), requires_grad=True)], "lr": 0.03}],
                     lr=0.1, momentum=0.9)
    theirs = torch.optim.SGD([{"params": [torch.ones(2, requires_grad=True)]},
                              {"params": [torch.ones(3, requires_grad=True)], "lr": 0.03}],
                             lr=0.1, momentum=0.9)
    return ours, theirs


def lr_sequence(optimizer, scheduler, epochs, metrics=None):
    lrs = [scheduler.get_last_lr()]
    for epoch in range(epochs):
        optimizer.step()
        scheduler.step(*([] if metrics is None else [metrics[epoch]]))
        lrs.append(scheduler.get_last_lr())
        assert lrs[-1] == [group["lr"] for group in optimizer.param_groups]
    return np.array(lrs)


SCHEDULES = [
    ("StepLR", dict(step_size=3)),
    ("StepLR", dict(step_size=4, gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=20)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01)),  # past T_max the cosine rises again
]


@pytest.mark.parametrize("name, kwargs", SCHEDULES,
                         ids=[f"{n}-{k}" for n, k in SCHEDULES])
def test_schedule_matches_torch(name, kwargs):
    ours, theirs = optimizers()
    mine = lr_sequence(ours, getattr(lr_scheduler, name)(ours, **kwargs), EPOCHS)
    reference = lr_sequence(theirs, getattr(torch.optim.lr_scheduler, name)(theirs, **kwargs),
                            EPOCHS)
    np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=1e-15)
    assert ours.param_groups[0]["initial_lr"] == 0.1


def test_cosine_closed_form_hits_eta_min_at_t_max():
    ours, _ = optimizers()
    lrs = lr_sequence(ours, lr_scheduler.CosineAnnealingLR(ours, T_max=10, eta_min=0.001), 10)
    assert lrs[0, 0] == 0.1 and math.isclose(lrs[10, 0], 0.001)
    assert math.isclose(lrs[5, 0], 0.001 + (0.1 - 0.001) / 2)


METRICS = [1.0, 0.9, 0.9, 0.95, 0.91, 0.9, 0.89, 0.8999, 0.9, 0.9, 0.85, 0.86, 0.86, 0.86,
           0.87, 0.84, 0.84, 0.84, 0.84, 0.84]
PLATEAUS = [
    dict(),
    dict(patience=1),
    dict(patience=0, factor=0.5, cooldown=2),
    dict(patience=1, threshold=0.05, threshold_mode="abs", min_lr=[0.002, 0.01]),
    dict(mode="max", patience=2, factor=0.3, threshold=0.01),
    dict(mode="max", patience=0, threshold_mode="abs", threshold=0.0, min_lr=0.005),
]


@pytest.mark.parametrize("kwargs", PLATEAUS, ids=[str(k) for k in PLATEAUS])
def test_reduce_on_plateau_matches_torch(kwargs):
    ours, theirs = optimizers()
    mine = lr_sequence(ours, lr_scheduler.ReduceLROnPlateau(ours, **kwargs), EPOCHS, METRICS)
    reference = lr_sequence(theirs, torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, **kwargs),
                            EPOCHS, METRICS)
    np.testing.assert_allclose(mine, reference, rtol=1e-12)
    assert not kwargs or (np.diff(mine[:, 0]) != 0).any()  # the case does cut the lr


def test_reduce_on_plateau_takes_a_tensor_metric():
    ours, _ = optimizers()
    scheduler = lr_scheduler.ReduceLROnPlateau(ours, patience=0)
    scheduler.step(cr.tensor(1.0))
    scheduler.step(cr.tensor([2.0]))
    assert scheduler.get_last_lr() == pytest.approx([0.01, 0.003])


@pytest.mark.parametrize("name, kwargs", SCHEDULES + [("ReduceLROnPlateau", dict(patience=1))],
                         ids=[n for n, _ in SCHEDULES] + ["ReduceLROnPlateau"])
def test_state_dict_resumes_the_schedule(name, kwargs):
    metrics = METRICS if name == "ReduceLROnPlateau" else None
    make = getattr(lr_scheduler, name)
    ours, _ = optimizers()
    straight = lr_sequence(ours, make(ours, **kwargs), EPOCHS, metrics)

    first, _ = optimizers()
    first_scheduler = make(first, **kwargs)
    head = lr_sequence(first, first_scheduler, 8, metrics)
    saved_optimizer, saved_scheduler = first.state_dict(), first_scheduler.state_dict()
    resumed, _ = optimizers()
    resumed_scheduler = make(resumed, **kwargs)
    resumed.load_state_dict(saved_optimizer)
    resumed_scheduler.load_state_dict(saved_scheduler)
    tail = lr_sequence(resumed, resumed_scheduler, EPOCHS - 8, metrics and metrics[8:])
    np.testing.assert_array_equal(np.concatenate([head, tail[1:]]), straight)


def test_schedulers_need_an_optimizer():
    with pytest.raises(TypeError, match="not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=1)
    with pytest.raises(ValueError, match="factor"):
        lr_scheduler.ReduceLROnPlateau(optimizers()[0], factor=2.0)
