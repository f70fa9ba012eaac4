"""The differential-test harness: one op, two independent oracles.

A ``Case`` names an op, how to call it in chainrule and in PyTorch, and how to draw its inputs.
``check_case`` draws float64 inputs, runs both frameworks, and compares

* the forward outputs and every input's gradient with PyTorch (rtol 1e-6), and
* every input's gradient with central finite differences of chainrule's own forward.

Gradients flow from the scalar L = Σ_k Σ(w_k · out_k), with fixed random weights w_k, so every
element of every output matters and multi-output ops (lstm_cell) are covered.

Each ``tests/functional/cases_*.py`` module holds the table for one ``functional`` module;
``test_differential.py`` runs them all, on the CPU and (when CuPy sees a GPU) on CUDA.
"""

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

import chainrule as cr


@dataclass
class Input:
    """How to draw one input: ``make(rng) -> ndarray``; ``grad`` says if it is differentiated."""

    make: Callable[[np.random.Generator], np.ndarray]
    grad: bool = True


def randn(*shape, scale=1.0):
    """Standard normal float64 input (differentiated)."""
    return Input(lambda rng: scale * rng.standard_normal(shape))


def uniform(low, high, *shape):
    """Uniform float64 input on [low, high) (differentiated): e.g. positive values for log."""
    return Input(lambda rng: rng.uniform(low, high, shape))


def away_from(points, *shape, margin=0.05):
    """Normal input kept ``margin`` away from kinks (0 for relu/abs, clamp bounds …)."""

    def make(rng):
        x = rng.standard_normal(shape)
        for p in points:
            near = np.abs(x - p) < margin
            x[near] = p + np.copysign(margin + rng.uniform(0, 0.1, near.sum()), x[near] - p + 1e-12)
        return x

    return Input(make)


def integers(high, *shape, low=0):
    """Integer (int64) input, never differentiated: class targets, indices."""
    return Input(lambda rng: rng.integers(low, high, shape), grad=False)


def fixed(array, grad=False):
    """A given array (float64 if floating), differentiated only if ``grad``."""
    array = np.asarray(array)
    if array.dtype.kind == "f":
        array = array.astype(np.float64)
    return Input(lambda rng: array.copy(), grad=grad)


@dataclass
class Case:
    """One row of the table.

    ``fn(*tensors)`` calls chainrule and ``torch_fn(*tensors)`` calls PyTorch on the same inputs;
    either may return one tensor or a tuple. ``fd=False`` skips finite differences (only for ops
    whose forward is not smooth enough at the drawn points); ``fd_elements`` caps how many
    elements of each input the finite differences visit.
    """

    name: str
    fn: Callable[..., Any]
    torch_fn: Callable[..., Any]
    inputs: Sequence[Input]
    fd: bool = True
    fd_elements: int = 40
    rtol: float = 1e-6
    atol: float = 1e-9
    fd_rtol: float = 1e-5
    fd_atol: float = 1e-6
    tags: Sequence[str] = field(default_factory=tuple)

    def __str__(self):
        return self.name


def _seed(name):
    return zlib.crc32(name.encode())


def _as_tuple(out):
    return out if isinstance(out, (tuple, list)) else (out,)


def draw_inputs(case):
    rng = np.random.default_rng(_seed(case.name))
    return [np.asarray(spec.make(rng)) for spec in case.inputs]


def _weights(case, outputs):
    rng = np.random.default_rng(_seed(case.name) + 1)
    return [rng.standard_normal(np.shape(o)) for o in outputs]


def _to_numpy(array):
    return cr.backend.to_device(array, "cpu") if not isinstance(array, np.ndarray) else array


def run_chainrule(case, arrays, device):
    tensors = [
        cr.tensor(a, device=device, requires_grad=spec.grad) for a, spec in zip(arrays, case.inputs)
    ]
    outputs = _as_tuple(case.fn(*tensors))
    weights = _weights(case, [o.data for o in outputs])
    loss = None
    for out, w in zip(outputs, weights):
        term = (out * cr.tensor(w, device=device)).sum()
        loss = term if loss is None else loss + term
    loss.backward()
    grads = [
        _to_numpy(t.grad.data) if spec.grad and t.grad is not None else None
        for t, spec in zip(tensors, case.inputs)
    ]
    return [_to_numpy(o.data) for o in outputs], grads


def run_torch(case, arrays):
    tensors = [torch.tensor(a, requires_grad=spec.grad) for a, spec in zip(arrays, case.inputs)]
    outputs = _as_tuple(case.torch_fn(*tensors))
    weights = _weights(case, [o.detach().numpy() for o in outputs])
    loss = sum((o * torch.tensor(w)).sum() for o, w in zip(outputs, weights))
    loss.backward()
    grads = [
        t.grad.numpy() if spec.grad and t.grad is not None else None
        for t, spec in zip(tensors, case.inputs)
    ]
    return [o.detach().numpy() for o in outputs], grads


def scalar_loss(case, arrays, device):
    """L(inputs) = Σ_k Σ(w_k · out_k), computed by chainrule without a graph, for finite
    differences."""
    with cr.no_grad():
        outputs = _as_tuple(case.fn(*[cr.tensor(a, device=device) for a in arrays]))
    weights = _weights(case, [o.data for o in outputs])
    return sum(float((_to_numpy(o.data) * w).sum()) for o, w in zip(outputs, weights))


def finite_difference_grad(case, arrays, index, device, eps=1e-6):
    """Central differences (L(x+εe) − L(x−εe)) / 2ε on up to ``fd_elements`` elements of input
    ``index``; returns (flat element indices, estimates)."""
    x = arrays[index]
    rng = np.random.default_rng(_seed(case.name) + 2)
    count = min(x.size, case.fd_elements)
    picks = rng.choice(x.size, size=count, replace=False)
    estimates = []
    for flat in picks:
        shifted = [a.copy() for a in arrays]
        shifted[index].flat[flat] = x.flat[flat] + eps
        plus = scalar_loss(case, shifted, device)
        shifted[index].flat[flat] = x.flat[flat] - eps
        minus = scalar_loss(case, shifted, device)
        estimates.append((plus - minus) / (2 * eps))
    return picks, np.array(estimates)


def check_case(case, device="cpu"):
    arrays = draw_inputs(case)
    outputs, grads = run_chainrule(case, arrays, device)
    torch_outputs, torch_grads = run_torch(case, arrays)

    assert len(outputs) == len(torch_outputs), f"{case.name}: number of outputs differs"
    for k, (ours, theirs) in enumerate(zip(outputs, torch_outputs)):
        assert ours.shape == theirs.shape, (
            f"{case.name}: output {k} shape {ours.shape} vs torch {theirs.shape}"
        )
        np.testing.assert_allclose(
            ours,
            theirs,
            rtol=case.rtol,
            atol=case.atol,
            err_msg=f"{case.name}: output {k} differs from PyTorch",
        )
    for i, spec in enumerate(case.inputs):
        if not spec.grad:
            continue
        assert grads[i] is not None, f"{case.name}: input {i} got no gradient"
        np.testing.assert_allclose(
            grads[i],
            torch_grads[i],
            rtol=case.rtol,
            atol=case.atol,
            err_msg=f"{case.name}: gradient of input {i} differs from PyTorch",
        )
        if case.fd:
            picks, estimates = finite_difference_grad(case, arrays, i, device)
            np.testing.assert_allclose(
                grads[i].flat[picks],
                estimates,
                rtol=case.fd_rtol,
                atol=case.fd_atol,
                err_msg=f"{case.name}: gradient of input {i} differs from finite differences",
            )
