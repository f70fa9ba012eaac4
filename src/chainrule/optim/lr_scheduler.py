"""Learning-rate schedules: change each parameter group's ``lr`` as training goes on.

PyTorch's convention throughout: building a scheduler records each group's starting lr as
``group["initial_lr"]`` and sets epoch 0; call ``scheduler.step()`` once per epoch AFTER
``optimizer.step()``; ``get_last_lr()`` is the lr now in force, one per group::

    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(model, optimizer)      # calls optimizer.step() per batch
        scheduler.step()

The epoch-driven schedules compute lr in closed form from ``initial_lr`` and the epoch (torch's
classes multiply the current lr recursively; the values are the same up to rounding, but here an
lr set by hand between steps is overwritten at the next ``step()``).
``ReduceLROnPlateau`` instead reacts to a measured metric: ``scheduler.step(val_loss)``;
``OneCycleLR`` is stepped once per batch. Invalid settings (``StepLR(step_size=0)``, a negative
gamma …) are refused when the scheduler is built, naming the value.

Of torch.optim.lr_scheduler, ``ConstantLR``, ``PolynomialLR``, ``MultiplicativeLR``, ``CyclicLR``
and ``ChainedScheduler`` are not provided, nor ``step(epoch)`` (deprecated in torch) except for
``CosineAnnealingWarmRestarts``'s fractional epochs.
"""

import bisect
import math
import numbers
import types

from .optimizer import Optimizer


class LRScheduler:
    """Base class: subclasses give ``get_lr()``, the lrs at epoch ``self.last_epoch``."""

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: {type(optimizer).__name__} is not an Optimizer"
            )
        self.optimizer = optimizer
        for number, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(
                    f"{type(self).__name__}: resuming at last_epoch={last_epoch} needs "
                    f"'initial_lr' in param_groups[{number}]; load the optimizer's "
                    "state_dict first"
                )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def get_lr(self):
        raise NotImplementedError

    def step(self):
        """Move to the next epoch and set every group's lr for it."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The lr of each parameter group, as set by the last ``step()``."""
        return list(self._last_lr)

    def state_dict(self):
        """Everything but the optimizer: numbers, strings and lists of numbers."""
        return {name: value for name, value in vars(self).items() if name != "optimizer"}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """lr = initial_lr · γ^⌊epoch / step_size⌋: multiply by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size = _positive_int("StepLR", "step_size", step_size)
        self.gamma = _non_negative("StepLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """lr = initial_lr · γ^(number of milestones ≤ epoch): multiply by ``gamma`` at each milestone
    epoch (twice at a milestone listed twice, as torch)."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = sorted(
            _non_negative_int("MultiStepLR", "milestones", m) for m in milestones
        )
        self.gamma = _non_negative("MultiStepLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        passed = bisect.bisect_right(self.milestones, self.last_epoch)
        return [base * self.gamma**passed for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """lr = initial_lr · γ^epoch: multiply by ``gamma`` every epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = _non_negative("ExponentialLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class LinearLR(LRScheduler):
    """A linear ramp of the lr's factor from ``start_factor`` to ``end_factor`` over
    ``total_iters`` epochs, then constant (a warm-up, e.g. Goyal et al. 2017)::

        lr = initial_lr · (start + (end − start) · min(epoch, total_iters) / total_iters)
    """

    def __init__(
        self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1
    ):
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor}")
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = _positive_int("LinearLR", "total_iters", total_iters)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        done = min(self.last_epoch, self.total_iters) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * done
        return [base * factor for base in self.base_lrs]


class LambdaLR(LRScheduler):
    """lr = initial_lr · λ(epoch) for a function ``lr_lambda`` (or one per parameter group).

    ``state_dict()`` keeps the attributes of callable objects, not plain functions (as torch):
    build the scheduler with the same functions before ``load_state_dict``.
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        groups = getattr(optimizer, "param_groups", [])
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != len(groups):
                raise ValueError(
                    f"LambdaLR: {len(lr_lambda)} lr_lambdas for {len(groups)} parameter groups"
                )
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * len(groups)
        if not all(callable(f) for f in self.lr_lambdas):
            raise TypeError(
                "LambdaLR: lr_lambda must be a function of the epoch (or a list of them)"
            )
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * f(self.last_epoch) for f, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self):
        state = {
            name: value
            for name, value in vars(self).items()
            if name not in ("optimizer", "lr_lambdas")
        }
        state["lr_lambdas"] = [
            None if isinstance(f, types.FunctionType) else dict(vars(f)) for f in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        for f, saved in zip(self.lr_lambdas, state.pop("lr_lambdas")):
            if saved is not None:
                vars(f).update(saved)
        self.__dict__.update(state)


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from initial_lr down to ``eta_min`` over ``T_max`` epochs (SGDR without
    restarts, Loshchilov & Hutter 2017)::

        lr = η_min + ½(initial_lr − η_min)(1 + cos(π · epoch / T_max))

    Past ``T_max`` the cosine rises again, as torch's does.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max = _positive_int("CosineAnnealingLR", "T_max", T_max)
        self.eta_min = _non_negative("CosineAnnealingLR", "eta_min", eta_min)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        cosine = 1 + math.cos(math.pi * self.last_epoch / self.T_max)
        return [self.eta_min + (base - self.eta_min) * cosine / 2 for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2017): the cosine of
    ``CosineAnnealingLR`` over a cycle of T_i epochs, then back to initial_lr; the first cycle
    has T_0 epochs and each next one ``T_mult`` times as many::

        lr = η_min + ½(initial_lr − η_min)(1 + cos(π · T_cur / T_i))

    with T_cur the epochs since the last restart. ``step(epoch)`` may be given a fractional
    epoch (``epoch + batch / batches``) to anneal within an epoch, as in torch.
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        self.T_0 = _positive_int("CosineAnnealingWarmRestarts", "T_0", T_0)
        self.T_mult = _positive_int("CosineAnnealingWarmRestarts", "T_mult", T_mult)
        self.eta_min = _non_negative("CosineAnnealingWarmRestarts", "eta_min", eta_min)
        super().__init__(optimizer, last_epoch)

    def step(self, epoch=None):
        """Move to the next epoch, or to ``epoch`` (a number >= 0, fractional allowed)."""
        if epoch is not None and not epoch >= 0:
            raise ValueError(f"CosineAnnealingWarmRestarts: epoch must be >= 0, got {epoch}")
        self.position = self.last_epoch + 1 if epoch is None else float(epoch)
        self.last_epoch = math.floor(self.position) - 1
        super().step()

    def get_lr(self):
        since_restart, cycle = self.position, self.T_0
        while since_restart >= cycle:
            since_restart -= cycle
            cycle *= self.T_mult
        cosine = 1 + math.cos(math.pi * since_restart / cycle)
        return [self.eta_min + (base - self.eta_min) * cosine / 2 for base in self.base_lrs]


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin 2019), stepped once per BATCH for ``total_steps``
    (or ``epochs · steps_per_epoch``) steps, torch's form::

        initial_lr = max_lr / div_factor,   min_lr = initial_lr / final_div_factor
        phase 1, steps 0 … pct_start·total − 1:  initial_lr → max_lr
        phase 2, to step total − 1:              max_lr → min_lr
        (``three_phase``: max_lr → initial_lr over a second phase as long as the first, then
        initial_lr → min_lr)

    each phase annealed by a half cosine, a(s, e, p) = e + (s − e)(1 + cos πp)/2, or linearly
    (``anneal_strategy="linear"``), p the fraction of the phase done. With ``cycle_momentum`` the
    momentum (SGD's ``momentum``, Adam's β₁) moves the other way, max_momentum → base_momentum
    → max_momentum. Stepping past ``total_steps`` is an error.
    """

    def __init__(
        self,
        optimizer,
        max_lr,
        total_steps=None,
        epochs=None,
        steps_per_epoch=None,
        pct_start=0.3,
        anneal_strategy="cos",
        cycle_momentum=True,
        base_momentum=0.85,
        max_momentum=0.95,
        div_factor=25.0,
        final_div_factor=1e4,
        three_phase=False,
        last_epoch=-1,
    ):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"OneCycleLR: {type(optimizer).__name__} is not an Optimizer")
        if total_steps is not None:
            self.total_steps = _positive_int("OneCycleLR", "total_steps", total_steps)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = _positive_int("OneCycleLR", "epochs", epochs) * _positive_int(
                "OneCycleLR", "steps_per_epoch", steps_per_epoch
            )
        else:
            raise ValueError("OneCycleLR: give total_steps, or epochs and steps_per_epoch")
        if not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: pct_start must be in [0, 1], got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}"
            )
        for name, value in (("div_factor", div_factor), ("final_div_factor", final_div_factor)):
            if not value > 0:
                raise ValueError(f"OneCycleLR: {name} must be > 0, got {value}")
        self.anneal_strategy = anneal_strategy
        self.phases = self._phases(pct_start * self.total_steps, self.total_steps - 1, three_phase)
        groups = optimizer.param_groups
        if last_epoch == -1:
            for group, peak in zip(groups, _per_group("max_lr", max_lr, groups)):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(
                    f"OneCycleLR: cycle_momentum needs an optimizer with momentum "
                    f"or betas, {type(optimizer).__name__} has neither"
                )
            self.use_beta1 = "betas" in optimizer.defaults
            if last_epoch == -1:
                for group, top, bottom in zip(
                    groups,
                    _per_group("max_momentum", max_momentum, groups),
                    _per_group("base_momentum", base_momentum, groups),
                ):
                    group["max_momentum"], group["base_momentum"] = top, bottom
                    self._set_momentum(group, top)
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _phases(warmup, last_step, three_phase):
        """(last step, lr from, lr to, momentum from, momentum to) of each phase."""
        if three_phase:
            return [
                (warmup - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (2 * warmup - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                (last_step, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
        return [
            (warmup - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
            (last_step, "max_lr", "min_lr", "base_momentum", "max_momentum"),
        ]

    def _phase_at(self, step):
        """The phase that ``step`` falls in, and how far through it (0 to 1) the step is."""
        start = 0.0
        for phase in self.phases[:-1]:
            end = phase[0]
            if step <= end:
                return phase, (step - start) / (end - start)
            start = end
        return self.phases[-1], (step - start) / (self.phases[-1][0] - start)

    def _anneal(self, start, end, fraction):
        if self.anneal_strategy == "linear":
            return start + (end - start) * fraction
        return end + (start - end) / 2.0 * (math.cos(math.pi * fraction) + 1)

    def _set_momentum(self, group, momentum):
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum

    def get_lr(self):
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"OneCycleLR: tried to step {step} times; total_steps is {self.total_steps}"
            )
        (_, lr_from, lr_to, momentum_from, momentum_to), fraction = self._phase_at(step)
        lrs = []
        for group in self.optimizer.param_groups:
            lrs.append(self._anneal(group[lr_from], group[lr_to], fraction))
            if self.cycle_momentum:
                self._set_momentum(
                    group, self._anneal(group[momentum_from], group[momentum_to], fraction)
                )
        return lrs


class SequentialLR(LRScheduler):
    """Run ``schedulers`` one after the other, switching at the ``milestones`` epochs; each starts
    at its own epoch 0 when its turn comes (e.g. a ``LinearLR`` warm-up, then a cosine)::

        SequentialLR(optimizer, [LinearLR(optimizer, 0.1, total_iters=5),
                                 CosineAnnealingLR(optimizer, T_max=95)], milestones=[5])

    ``state_dict()`` holds the state of every scheduler in the sequence.
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        schedulers = list(schedulers)
        if not schedulers:
            raise ValueError("SequentialLR: expects at least one scheduler, got none")
        for number, scheduler in enumerate(schedulers):
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError(
                    f"SequentialLR: scheduler {number} is a ReduceLROnPlateau, "
                    "which needs a metric at each step and cannot be sequenced"
                )
            if getattr(scheduler, "optimizer", None) is not optimizer:
                raise ValueError(
                    f"SequentialLR: scheduler {number} "
                    f"({type(scheduler).__name__}) belongs to another optimizer"
                )
        milestones = [_non_negative_int("SequentialLR", "milestones", m) for m in milestones]
        if len(milestones) != len(schedulers) - 1 or milestones != sorted(milestones):
            raise ValueError(
                f"SequentialLR: expects {len(schedulers) - 1} increasing milestones "
                f"for {len(schedulers)} schedulers, got {milestones}"
            )
        self.schedulers, self.milestones = schedulers, milestones
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        index = bisect.bisect_right(self.milestones, self.last_epoch)
        began = self.milestones[index - 1] if index else 0
        scheduler = self.schedulers[index]
        scheduler.last_epoch = self.last_epoch - began
        return scheduler.get_lr()

    def state_dict(self):
        state = {
            name: value
            for name, value in vars(self).items()
            if name not in ("optimizer", "schedulers")
        }
        state["schedulers"] = [scheduler.state_dict() for scheduler in self.schedulers]
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        for scheduler, saved in zip(self.schedulers, state.pop("schedulers")):
            scheduler.load_state_dict(saved)
        self.__dict__.update(state)


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by ``factor`` when a metric has stopped improving (torch's rules).

    Each ``step(metric)`` compares the metric with the best so far. It counts as better only
    beyond ``threshold``: below best·(1 − threshold) (``threshold_mode="rel"``) or below
    best − threshold (``"abs"``) in ``mode="min"``, above best·(1 + threshold) or best + threshold
    in ``mode="max"``. After more than ``patience`` epochs in a row without improvement, every
    group's lr becomes max(lr·factor, min_lr) (changes smaller than ``eps`` are skipped), and the
    next ``cooldown`` epochs are not counted as bad.
    """

    def __init__(
        self,
        optimizer,
        mode="min",
        factor=0.1,
        patience=10,
        threshold=1e-4,
        threshold_mode="rel",
        cooldown=0,
        min_lr=0,
        eps=1e-8,
    ):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"ReduceLROnPlateau: {type(optimizer).__name__} is not an Optimizer")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1, got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}"
            )
        _non_negative_int("ReduceLROnPlateau", "patience", patience)
        _non_negative_int("ReduceLROnPlateau", "cooldown", cooldown)
        for name, value in (("threshold", threshold), ("eps", eps)):
            _non_negative("ReduceLROnPlateau", name, value)
        groups = optimizer.param_groups
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(groups):
                raise ValueError(
                    f"ReduceLROnPlateau: {len(min_lr)} min_lrs for {len(groups)} parameter groups"
                )
            self.min_lrs = list(min_lr)
        else:
            self.min_lrs = [min_lr] * len(groups)
        for value in self.min_lrs:
            _non_negative("ReduceLROnPlateau", "min_lr", value)
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.last_epoch = 0
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self._last_lr = [group["lr"] for group in groups]

    def step(self, metrics):
        """Record this epoch's metric (a number or a one-element Tensor) and maybe cut the lr."""
        current = float(metrics.item() if hasattr(metrics, "item") else metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _is_better(self, current):
        sign = -1 if self.mode == "min" else 1
        if self.threshold_mode == "rel":
            bar = self.best * (1 + sign * self.threshold)
        else:
            bar = self.best + sign * self.threshold
        return current < bar if self.mode == "min" else current > bar

    def _reduce_lr(self):
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
            new_lr = max(group["lr"] * self.factor, min_lr)
            if group["lr"] - new_lr > self.eps:
                group["lr"] = new_lr


def _positive_int(scheduler, name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{scheduler}: {name} must be a positive int, got {value!r}")
    return int(value)


def _non_negative_int(scheduler, name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{scheduler}: {name} must be an int >= 0, got {value!r}")
    return int(value)


def _non_negative(scheduler, name, value):
    if not (isinstance(value, numbers.Real) and value >= 0 and math.isfinite(value)):
        raise ValueError(f"{scheduler}: {name} must be a finite number >= 0, got {value!r}")
    return value


def _per_group(name, value, groups):
    """One value per parameter group: ``value`` itself for every group, or a list of them."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(groups):
            raise ValueError(
                f"OneCycleLR: {len(value)} values of {name} for {len(groups)} parameter groups"
            )
        return list(value)
    return [value] * len(groups)
