"""The shared test problem: a tiny 3-5-2 tanh MLP with a squared-error loss, in float64.

``chainrule`` steps it with gradients from the hand-written backprop below; ``torch`` steps it with
gradients from its own autograd, so the two runs share nothing but the starting weights and the
data. Equal parameters after N steps mean equal update rules (and a correct hand backprop).
"""

import numpy as np
import torch

import chainrule as cr

_rng = np.random.default_rng(2)
X = _rng.standard_normal((8, 3))
Y = _rng.standard_normal((8, 2))
SHAPES = [(3, 5), (5,), (5, 2), (2,)]


def initial_weights(seed=0):
    rng = np.random.default_rng(seed)
    return [0.7 * rng.standard_normal(shape) for shape in SHAPES]


def hand_gradients(w1, b1, w2, b2):
    """∂L/∂(w1, b1, w2, b2) of L = mean((tanh(X w1 + b1) w2 + b2 − Y)²), by the chain rule."""
    hidden = np.tanh(X @ w1 + b1)
    delta_out = 2 * (hidden @ w2 + b2 - Y) / Y.size
    delta_hidden = (delta_out @ w2.T) * (1 - hidden**2)
    return [X.T @ delta_hidden, delta_hidden.sum(0), hidden.T @ delta_out, delta_out.sum(0)]


def torch_loss(w1, b1, w2, b2):
    prediction = torch.tanh(torch.from_numpy(X) @ w1 + b1) @ w2 + b2
    return ((prediction - torch.from_numpy(Y)) ** 2).mean()


def chainrule_params(weights):
    return [cr.tensor(w.copy(), requires_grad=True) for w in weights]


def torch_params(weights):
    return [torch.tensor(w.copy(), requires_grad=True) for w in weights]


def set_hand_gradients(params):
    for p, g in zip(params, hand_gradients(*(p.data for p in params))):
        p.grad = cr.tensor(g.astype(p.dtype))


def step_chainrule(optimizer, params, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        set_hand_gradients(params)
        optimizer.step()


def step_torch(optimizer, params, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        torch_loss(*params).backward()
        optimizer.step()


def assert_params_close(ours, theirs, rtol=1e-6, atol=1e-10):
    for number, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(
            a.data,
            b.detach().numpy(),
            rtol=rtol,
            atol=atol,
            err_msg=f"parameter {number} differs from torch",
        )
