"""L1/L2 penalties: values and gradients against torch, and λ·l2_penalty ≡ weight_decay=λ."""

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.functional as F
from chainrule import optim

from .problem import X, Y, chainrule_params, initial_weights, torch_loss, torch_params


def test_values_and_gradients_match_torch():
    weights = initial_weights(seed=4)
    for ours_fn, theirs_fn in [
        (optim.l1_penalty, lambda ps: sum(p.abs().sum() for p in ps)),
        (optim.l2_penalty, lambda ps: sum((p * p).sum() for p in ps) / 2),
    ]:
        ours, theirs = chainrule_params(weights), torch_params(weights)
        value, their_value = ours_fn(ours), theirs_fn(theirs)
        value.backward()
        their_value.backward()
        assert value.shape == () and value.item() == pytest.approx(their_value.item(), rel=1e-12)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-12)


def test_known_values():
    w = [cr.tensor([3.0, -4.0]), cr.tensor([[-1.0]])]
    assert optim.l1_penalty(w).item() == 8.0
    assert optim.l2_penalty(w).item() == 13.0  # ½(9 + 16 + 1)
    assert optim.l2_penalty(cr.tensor([2.0])).item() == 2.0


def chainrule_loss(w1, b1, w2, b2):
    prediction = F.matmul(F.tanh(F.add(F.matmul(cr.tensor(X), w1), b1)), w2)
    return F.mse_loss(F.add(prediction, b2), cr.tensor(Y))


def test_lambda_l2_penalty_is_sgd_weight_decay_lambda():
    lam, steps = 0.3, 10
    ours = chainrule_params(initial_weights())
    optimizer = optim.SGD(ours, lr=0.1, momentum=0.9)
    for _ in range(steps):
        optimizer.zero_grad()
        F.add(chainrule_loss(*ours), F.mul(optim.l2_penalty(ours), lam)).backward()
        optimizer.step()
    theirs = torch_params(initial_weights())
    their_optimizer = torch.optim.SGD(theirs, lr=0.1, momentum=0.9, weight_decay=lam)
    for _ in range(steps):
        their_optimizer.zero_grad()
        torch_loss(*theirs).backward()
        their_optimizer.step()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-9)


def test_l1_penalty_trains_like_torchs():
    lam, steps = 0.05, 10
    ours = chainrule_params(initial_weights())
    optimizer = optim.SGD(ours, lr=0.1)
    for _ in range(steps):
        optimizer.zero_grad()
        F.add(chainrule_loss(*ours), F.mul(optim.l1_penalty(ours), lam)).backward()
        optimizer.step()
    theirs = torch_params(initial_weights())
    their_optimizer = torch.optim.SGD(theirs, lr=0.1)
    for _ in range(steps):
        their_optimizer.zero_grad()
        (torch_loss(*theirs) + lam * sum(p.abs().sum() for p in theirs)).backward()
        their_optimizer.step()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-9)


def test_penalties_keep_float32_and_refuse_nothing():
    w = cr.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    assert optim.l2_penalty([w]).dtype == np.float32
    with pytest.raises(ValueError, match="no parameters"):
        optim.l1_penalty([])
