"""Optimizers, learning-rate schedules, gradient clipping and weight penalties (torch.optim's API).

The update rules are deck D2's ("优化算法": SGD, momentum, Nesterov, Adagrad, Adadelta, RMSprop,
Adam) in PyTorch's exact form and defaults; each class's docstring gives the formula and says
where the slide writes it differently. Typical use::

    optimizer = chainrule.optim.Adam(model.parameters(), lr=1e-3)
    for x, y in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .clip import clip_grad_norm_, clip_grad_value_
from .optimizer import Optimizer
from .penalty import l1_penalty, l2_penalty
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "Optimizer",
    "SGD",
    "Adagrad",
    "Adadelta",
    "RMSprop",
    "Adam",
    "AdamW",
    "lr_scheduler",
    "clip_grad_norm_",
    "clip_grad_value_",
    "l1_penalty",
    "l2_penalty",
]
