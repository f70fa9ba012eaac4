"""``gradcheck``: test a hand-written backward against finite differences, as
``torch.autograd.gradcheck`` does.

For a function y = f(x₁, …, xₙ) (one or several outputs y_k), the backward of every op computes
vector-Jacobian products vᵀ ∂y_k/∂x_i. Fed the unit vectors v = e_j one at a time, backward gives
the *analytical* Jacobian row by row. The *numerical* Jacobian comes from the forward alone, one
column per input element, by central differences:

    ∂y/∂x_e ≈ (f(x + ε·e_e) − f(x − ε·e_e)) / 2ε            (error O(ε²))

The two must agree entry by entry, |analytical − numerical| ≤ atol + rtol·|numerical|. Central
differences in float64 with ε = 1e-6 are accurate to about 1e-9 for smooth functions; in float32
the rounding error of f (≈1e-7·|f|/ε) would swamp the comparison, so the inputs checked must be
float64. At a kink (relu at 0, max with ties) the function has no derivative and the check
means nothing: draw inputs away from such points.

This is how chainrule's own ops are tested (tests/functional/differential.py); ``gradcheck`` is
the same check for an op a user writes (see CONTRIBUTING.md).
"""

import numpy as np

from . import backend
from .autograd import Tensor, no_grad


class GradcheckError(RuntimeError):
    """The backward of a function disagrees with finite differences of its forward."""


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check ``fn``'s gradients with respect to every input that requires grad, for every
    floating-point output, against central finite differences (see the module docstring).

    ``inputs`` is a Tensor or a tuple of arguments for ``fn(*inputs)``; those that are Tensors
    with ``requires_grad=True`` are checked and must be float64. ``fn`` returns a Tensor or a
    tuple of them. Returns True when every entry of every Jacobian agrees; otherwise raises
    ``GradcheckError`` (a RuntimeError) naming the output, the input and the worst entry, or
    returns False when ``raise_exception=False``. The inputs and their ``.grad`` are left as
    they were. Torch's other options (``fast_mode``, ``check_forward_ad``, ``nondet_tol`` …) are
    not supported.

        class Cube(chainrule.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, grad):
                x, = ctx.saved_tensors
                return 3 * x ** 2 * grad

        x = chainrule.randn(4, 3, dtype=chainrule.float64, requires_grad=True)
        assert chainrule.gradcheck(Cube.apply, (x,))
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError(
            "gradcheck: no input requires grad; build the inputs to check with requires_grad=True"
        )
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise ValueError(
                f"gradcheck: input {i} is {inputs[i].dtype}; finite differences "
                "need float64 inputs (build them with dtype=chainrule.float64)"
            )
    saved_grads = [inputs[i].grad for i in checked]
    try:
        analytical, output_shapes = _analytical_jacobians(fn, inputs, checked)
    finally:
        for i, grad in zip(checked, saved_grads):
            inputs[i].grad = grad
    numerical = _numerical_jacobians(fn, inputs, checked, eps)
    for (k, i), jacobian in analytical.items():
        message = _mismatch(
            jacobian,
            numerical[k, i],
            atol,
            rtol,
            f"output {k}",
            output_shapes[k],
            f"input {i}",
            inputs[i].shape,
        )
        if message:
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


def _float_outputs(result):
    """The floating-point Tensors among ``fn``'s outputs, in order."""
    outputs = result if isinstance(result, (tuple, list)) else (result,)
    floats = [out for out in outputs if isinstance(out, Tensor) and out.dtype.kind == "f"]
    if not floats:
        raise ValueError("gradcheck: fn returned no floating-point Tensor to check")
    return floats


def _analytical_jacobians(fn, inputs, checked):
    """({(output k, input i): J}, the output shapes) with J[j, e] = ∂y_k[j]/∂x_i[e] from
    backward() seeded with the unit vector e_j, one backward per output element."""
    outputs = _float_outputs(fn(*inputs))
    jacobians = {}
    for k, out in enumerate(outputs):
        rows = {i: np.zeros((out.data.size, inputs[i].data.size)) for i in checked}
        xp = backend.get_array_module(out.data)
        for j in range(out.data.size if out.requires_grad else 0):
            for i in checked:
                inputs[i].grad = None
            seed = xp.zeros(out.shape, dtype=out.dtype)
            seed[np.unravel_index(j, out.shape)] = 1
            out.backward(seed, retain_graph=True)
            for i in checked:
                grad = inputs[i].grad
                if grad is None:
                    continue
                if grad.shape != inputs[i].shape:
                    raise GradcheckError(
                        f"gradcheck: backward gave input {i} a gradient of "
                        f"shape {grad.shape}, the input has shape "
                        f"{inputs[i].shape}"
                    )
                rows[i][j] = backend.to_device(grad.data, "cpu").ravel()
        jacobians.update({(k, i): rows[i] for i in checked})
    return jacobians, [out.shape for out in outputs]


def _numerical_jacobians(fn, inputs, checked, eps):
    """{(output k, input i): J} with column e = (f(x + ε·e_e) − f(x − ε·e_e)) / 2ε, each input
    element shifted in place and restored."""
    jacobians = {}
    with no_grad():
        for i in checked:
            x = inputs[i].data
            for e in range(x.size):
                index = np.unravel_index(e, x.shape)
                original = float(x[index])
                x[index] = original + eps
                plus = _evaluate(fn, inputs)
                x[index] = original - eps
                minus = _evaluate(fn, inputs)
                x[index] = original
                for k, (high, low) in enumerate(zip(plus, minus)):
                    column = jacobians.setdefault((k, i), np.zeros((high.size, x.size)))
                    column[:, e] = (high - low).ravel() / (2 * eps)
    return jacobians


def _evaluate(fn, inputs):
    return [
        backend.to_device(out.data, "cpu").astype(np.float64) for out in _float_outputs(fn(*inputs))
    ]


def _mismatch(
    analytical, numerical, atol, rtol, output_name, output_shape, input_name, input_shape
):
    """A sentence naming the worst disagreeing entry of one Jacobian, or None if all agree."""
    difference = np.abs(analytical - numerical)
    tolerance = atol + rtol * np.abs(numerical)
    bad = ~(difference <= tolerance)  # NaN counts as a disagreement
    if not bad.any():
        return None
    excess = np.where(np.isnan(difference), np.inf, difference - tolerance)
    row, column = np.unravel_index(np.argmax(excess), excess.shape)
    at_output = [int(j) for j in np.unravel_index(row, output_shape)]
    at_input = [int(e) for e in np.unravel_index(column, input_shape)]
    return (
        f"gradcheck: Jacobian mismatch for {output_name} with respect to {input_name}: "
        f"d {output_name}{at_output} / d {input_name}{at_input} is "
        f"{analytical[row, column]:.6g} by backward but {numerical[row, column]:.6g} by "
        f"finite differences (tolerance {tolerance[row, column]:.3g}); "
        f"{int(bad.sum())} of {bad.size} entries disagree"
    )
