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
    ours = optim.SGD(
        [
            {"params": [cr.tensor(np.ones(2), requires_grad=True)]},
            {"params": [cr.tensor(np.ones(3), requires_grad=True)], "lr": 0.03},
        ],
        lr=0.1,
        momentum=0.9,
    )
    theirs = torch.optim.SGD(
        [
            {"params": [torch.ones(2, requires_grad=True)]},
            {"params": [torch.ones(3, requires_grad=True)], "lr": 0.03},
        ],
        lr=0.1,
        momentum=0.9,
    )
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


@pytest.mark.parametrize("name, kwargs", SCHEDULES, ids=[f"{n}-{k}" for n, k in SCHEDULES])
def test_schedule_matches_torch(name, kwargs):
    ours, theirs = optimizers()
    mine = lr_sequence(ours, getattr(lr_scheduler, name)(ours, **kwargs), EPOCHS)
    reference = lr_sequence(
        theirs, getattr(torch.optim.lr_scheduler, name)(theirs, **kwargs), EPOCHS
    )
    np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=1e-15)
    assert ours.param_groups[0]["initial_lr"] == 0.1


def test_cosine_closed_form_hits_eta_min_at_t_max():
    ours, _ = optimizers()
    lrs = lr_sequence(ours, lr_scheduler.CosineAnnealingLR(ours, T_max=10, eta_min=0.001), 10)
    assert lrs[0, 0] == 0.1 and math.isclose(lrs[10, 0], 0.001)
    assert math.isclose(lrs[5, 0], 0.001 + (0.1 - 0.001) / 2)


METRICS = [
    1.0,
    0.9,
    0.9,
    0.95,
    0.91,
    0.9,
    0.89,
    0.8999,
    0.9,
    0.9,
    0.85,
    0.86,
    0.86,
    0.86,
    0.87,
    0.84,
    0.84,
    0.84,
    0.84,
    0.84,
]
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
    reference = lr_sequence(
        theirs, torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, **kwargs), EPOCHS, METRICS
    )
    np.testing.assert_allclose(mine, reference, rtol=1e-12)
    assert not kwargs or (np.diff(mine[:, 0]) != 0).any()  # the case does cut the lr


def test_reduce_on_plateau_takes_a_tensor_metric():
    ours, _ = optimizers()
    scheduler = lr_scheduler.ReduceLROnPlateau(ours, patience=0)
    scheduler.step(cr.tensor(1.0))
    scheduler.step(cr.tensor([2.0]))
    assert scheduler.get_last_lr() == pytest.approx([0.01, 0.003])


@pytest.mark.parametrize(
    "name, kwargs",
    SCHEDULES + [("ReduceLROnPlateau", dict(patience=1))],
    ids=[n for n, _ in SCHEDULES] + ["ReduceLROnPlateau"],
)
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


def _decay(epoch):
    return 1 / (1 + 0.1 * epoch)


class _Halving:
    """A callable object: LambdaLR's state_dict keeps its attributes."""

    def __init__(self, every):
        self.every = every

    def __call__(self, epoch):
        return 0.5 ** (epoch // self.every)


# Each builder takes the scheduler module (chainrule's or torch's) and an optimizer.
LONG_SCHEDULES = {
    "MultiStepLR": lambda L, o: L.MultiStepLR(o, milestones=[10, 30, 30, 75], gamma=0.5),
    "ExponentialLR": lambda L, o: L.ExponentialLR(o, gamma=0.97),
    "LinearLR-warmup": lambda L, o: L.LinearLR(o, start_factor=0.1, total_iters=20),
    "LinearLR-decay": lambda L, o: L.LinearLR(o, start_factor=0.8, end_factor=0.05, total_iters=60),
    "LambdaLR": lambda L, o: L.LambdaLR(o, _decay),
    "LambdaLR-per-group": lambda L, o: L.LambdaLR(o, [_decay, _Halving(15)]),
    "CosineAnnealingWarmRestarts": lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=10),
    "CosineAnnealingWarmRestarts-Tmult": lambda L, o: L.CosineAnnealingWarmRestarts(
        o, T_0=7, T_mult=2, eta_min=0.001
    ),
    "OneCycleLR": lambda L, o: L.OneCycleLR(o, max_lr=1.0, total_steps=100),
    "OneCycleLR-three-phase-linear": lambda L, o: L.OneCycleLR(
        o,
        max_lr=[0.5, 0.2],
        epochs=10,
        steps_per_epoch=10,
        pct_start=0.25,
        anneal_strategy="linear",
        three_phase=True,
        div_factor=10.0,
    ),
    "OneCycleLR-no-momentum": lambda L, o: L.OneCycleLR(
        o, max_lr=0.3, total_steps=120, cycle_momentum=False
    ),
    "SequentialLR": lambda L, o: L.SequentialLR(
        o,
        [L.LinearLR(o, start_factor=0.1, total_iters=5), L.CosineAnnealingLR(o, T_max=95)],
        milestones=[5],
    ),
    "SequentialLR-three": lambda L, o: L.SequentialLR(
        o,
        [
            L.LinearLR(o, start_factor=0.5, total_iters=3),
            L.ExponentialLR(o, gamma=0.9),
            L.StepLR(o, step_size=7, gamma=0.5),
        ],
        milestones=[10, 40],
    ),
}
LONG = 100


@pytest.mark.parametrize("name", LONG_SCHEDULES)
def test_schedule_matches_torch_over_100_steps(name):
    ours, theirs = optimizers()
    build = LONG_SCHEDULES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mine = lr_sequence(ours, build(lr_scheduler, ours), LONG)
        reference = lr_sequence(theirs, build(torch.optim.lr_scheduler, theirs), LONG)
    np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-15)
    assert [g["momentum"] for g in ours.param_groups] == pytest.approx(
        [g["momentum"] for g in theirs.param_groups], rel=1e-12
    )


def test_one_cycle_cycles_the_momentum_and_adams_beta1_as_torch():
    for make, their_make in [(optim.SGD, torch.optim.SGD), (optim.Adam, torch.optim.Adam)]:
        ours = make([cr.tensor(np.ones(2), requires_grad=True)], lr=0.1)
        theirs = their_make([torch.ones(2, requires_grad=True)], lr=0.1)
        schedulers = [
            lr_scheduler.OneCycleLR(ours, max_lr=0.4, total_steps=50),
            torch.optim.lr_scheduler.OneCycleLR(theirs, max_lr=0.4, total_steps=50),
        ]
        key = "betas" if make is optim.Adam else "momentum"
        for _ in range(50):
            for optimizer, scheduler in zip((ours, theirs), schedulers):
                optimizer.step()
                scheduler.step()
            assert np.ravel(ours.param_groups[0][key]) == pytest.approx(
                np.ravel(theirs.param_groups[0][key]), rel=1e-12
            )
        with pytest.raises(ValueError, match="total_steps is 50"):
            schedulers[0].step()


@pytest.mark.parametrize("name", LONG_SCHEDULES)
def test_state_dict_resumes_the_long_schedules(name):
    build = LONG_SCHEDULES[name]
    ours, _ = optimizers()
    straight = lr_sequence(ours, build(lr_scheduler, ours), LONG)

    first, _ = optimizers()
    first_scheduler = build(lr_scheduler, first)
    head = lr_sequence(first, first_scheduler, 37)
    saved_optimizer, saved_scheduler = first.state_dict(), first_scheduler.state_dict()
    resumed, _ = optimizers()
    resumed_scheduler = build(lr_scheduler, resumed)
    resumed.load_state_dict(saved_optimizer)
    resumed_scheduler.load_state_dict(saved_scheduler)
    tail = lr_sequence(resumed, resumed_scheduler, LONG - 37)
    np.testing.assert_array_equal(np.concatenate([head, tail[1:]]), straight)


def test_lambda_state_dict_keeps_callable_objects_not_functions():
    ours, _ = optimizers()
    halving = _Halving(15)
    scheduler = lr_scheduler.LambdaLR(ours, [_decay, halving])
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [None, {"every": 15}]
    halving.every = 3
    scheduler.load_state_dict(state)
    assert halving.every == 15 and scheduler.lr_lambdas[0] is _decay


def test_warm_restarts_takes_fractional_epochs_as_torch():
    ours, theirs = optimizers()
    mine = lr_scheduler.CosineAnnealingWarmRestarts(ours, T_0=3, T_mult=2)
    reference = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(theirs, T_0=3, T_mult=2)
    for epoch in np.arange(0, 20, 0.25):
        mine.step(float(epoch))
        reference.step(float(epoch))
        assert mine.get_last_lr() == pytest.approx(reference.get_last_lr(), rel=1e-12)


def _scheduler_of_another_optimizer(optimizer):
    return lr_scheduler.ExponentialLR(optimizers()[0], gamma=0.9)


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda o: lr_scheduler.StepLR(o, step_size=0), "step_size must be a positive int, got 0"),
        (lambda o: lr_scheduler.StepLR(o, step_size=2.5), "step_size"),
        (lambda o: lr_scheduler.StepLR(o, step_size=3, gamma=-0.1), "gamma"),
        (lambda o: lr_scheduler.MultiStepLR(o, milestones=[3, -1]), "milestones"),
        (lambda o: lr_scheduler.ExponentialLR(o, gamma=float("nan")), "gamma"),
        (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), "T_max"),
        (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=-1), "eta_min"),
        (lambda o: lr_scheduler.LinearLR(o, start_factor=0), "start_factor"),
        (lambda o: lr_scheduler.LinearLR(o, end_factor=1.5), "end_factor"),
        (lambda o: lr_scheduler.LinearLR(o, total_iters=0), "total_iters"),
        (lambda o: lr_scheduler.LambdaLR(o, [_decay]), "1 lr_lambdas for 2"),
        (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0), "T_0"),
        (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=0), "T_mult"),
        (lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1), "total_steps, or epochs"),
        (lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=0), "total_steps"),
        (
            lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=9, pct_start=1.5),
            "pct_start",
        ),
        (
            lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=9, anneal_strategy="exp"),
            "anneal_strategy",
        ),
        (lambda o: lr_scheduler.OneCycleLR(o, max_lr=[0.1], total_steps=9), "1 values of max_lr"),
        (
            lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.StepLR(o, 2)], milestones=[3]),
            "expects 0 increasing milestones",
        ),
        (
            lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ReduceLROnPlateau(o)], []),
            "ReduceLROnPlateau",
        ),
        (
            lambda o: lr_scheduler.SequentialLR(o, [_scheduler_of_another_optimizer(o)], []),
            "another optimizer",
        ),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=-1), "patience must be an int >= 0"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, cooldown=0.5), "cooldown"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, threshold=-0.1), "threshold"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.0, -1.0]), "min_lr"),
    ],
)
def test_invalid_settings_are_refused_naming_them(build, message):
    with pytest.raises(ValueError, match=message):
        build(optimizers()[0])


def test_one_cycle_needs_momentum_to_cycle_it():
    adagrad = optim.Adagrad([cr.tensor(np.ones(2), requires_grad=True)])
    with pytest.raises(ValueError, match="momentum or betas"):
        lr_scheduler.OneCycleLR(adagrad, max_lr=0.1, total_steps=10)
    lr_scheduler.OneCycleLR(adagrad, max_lr=0.1, total_steps=10, cycle_momentum=False)
