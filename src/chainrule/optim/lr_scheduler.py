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
``ReduceLROnPlateau`` instead reacts to a measured metric: ``scheduler.step(val_loss)``.
"""

import math

from .optimizer import Optimizer


class LRScheduler:
    """Base class: subclasses give ``get_lr()``, the lrs at epoch ``self.last_epoch``."""

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: {type(optimizer).__name__} "
                            "is not an Optimizer")
        self.optimizer = optimizer
        for number, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"{type(self).__name__}: resuming at last_epoch={last_epoch} needs "
                               f"'initial_lr' in param_groups[{number}]; load the optimizer's "
                               "state_dict first")
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
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """lr = initial_lr · γ^epoch: multiply by ``gamma`` every epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from initial_lr down to ``eta_min`` over ``T_max`` epochs (SGDR without
    restarts, Loshchilov & Hutter 2017)::

        lr = η_min + ½(initial_lr − η_min)(1 + cos(π · epoch / T_max))

    Past ``T_max`` the cosine rises again, as torch's does.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        cosine = 1 + math.cos(math.pi * self.last_epoch / self.T_max)
        return [self.eta_min + (base - self.eta_min) * cosine / 2 for base in self.base_lrs]


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by ``factor`` when a metric has stopped improving (torch's rules).

    Each ``step(metric)`` compares the metric with the best so far. It counts as better only
    beyond ``threshold``: below best·(1 − threshold) (``threshold_mode="rel"``) or below
    best − threshold (``"abs"``) in ``mode="min"``, above best·(1 + threshold) or best + threshold
    in ``mode="max"``. After more than ``patience`` epochs in a row without improvement, every
    group's lr becomes max(lr·factor, min_lr) (changes smaller than ``eps`` are skipped), and the
    next ``cooldown`` epochs are not counted as bad.
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"ReduceLROnPlateau: {type(optimizer).__name__} is not an Optimizer")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1, got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', "
                             f"got {threshold_mode!r}")
        groups = optimizer.param_groups
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(groups):
                raise ValueError(f"ReduceLROnPlateau: {len(min_lr)} min_lrs for "
                                 f"{len(groups)} parameter groups")
            self.min_lrs = list(min_lr)
        else:
            self.min_lrs = [min_lr] * len(groups)
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
