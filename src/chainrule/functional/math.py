"""Tensor arithmetic: element-wise ops, matmul, reductions, shape ops, indexing, joining.

Every op is one ``Function`` whose forward and backward sit side by side, written once for
NumPy and CuPy (``xp = get_array_module(x)``). Binary ops broadcast like NumPy and PyTorch; their
backward sums the gradient back to each input's shape with ``unbroadcast``, the one place where
broadcasting is undone.

Backwards never write into the gradient they receive: ``add`` may hand the very same array to
both of its inputs, and autograd accumulates out of place.
"""

import builtins
import itertools
import string
from collections import Counter, namedtuple

import numpy as np

from ..autograd import Function, Tensor
from ..backend import get_array_module

__all__ = [
    "add",
    "sub",
    "mul",
    "div",
    "neg",
    "pow",
    "exp",
    "log",
    "sqrt",
    "abs",
    "matmul",
    "sum",
    "mean",
    "max",
    "min",
    "var",
    "std",
    "logsumexp",
    "cumsum",
    "maximum",
    "minimum",
    "argmax",
    "argmin",
    "reshape",
    "flatten",
    "squeeze",
    "unsqueeze",
    "transpose",
    "permute",
    "flip",
    "roll",
    "repeat",
    "expand",
    "triu",
    "tril",
    "getitem",
    "gather",
    "scatter_add",
    "masked_fill",
    "cat",
    "stack",
    "split",
    "chunk",
    "where",
    "clamp",
    "einsum",
    "topk",
    "sort",
]


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched, back to ``shape``.

    If y = f(a broadcast to y.shape), every copy of an element of ``a`` contributed to y, so
    dL/da is the sum of dL/dy over the copies: over the leading axes broadcasting prepended and
    over the axes where ``a`` had size 1.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    summed = grad.sum(axis=tuple(range(lead)) + stretched, keepdims=True)
    return summed.reshape(shape) if lead else summed


def _normalize_dims(dim, ndim):
    """``dim`` (None, int or tuple, negatives allowed) as a tuple of axes, or None for all."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(d % ndim if ndim else 0 for d in dims)


def _kept_shape(shape, axes):
    """The shape of a reduction over ``axes`` with keepdim=True (``axes`` None: all)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _reduced_shape(shape, axes):
    """The shape of a reduction over ``axes`` with keepdim=False (``axes`` None: all)."""
    return () if axes is None else tuple(n for i, n in enumerate(shape) if i not in axes)


def _reduced_count(shape, axes):
    """How many elements each output of a reduction over ``axes`` summarizes."""
    return int(np.prod(shape if axes is None else [shape[a] for a in axes], dtype=np.int64))


def _broadcast_error(op, a, b):
    return ValueError(f"{op}: shapes {a.shape} and {b.shape} do not broadcast together")


# -- element-wise arithmetic -----------------------------------------------------------------


class Add(Function):
    """y = a + b.  dL/da = unbroadcast(g), dL/db = unbroadcast(g)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = a.shape, b.shape
        try:
            return a + b
        except ValueError:
            raise _broadcast_error("add", a, b) from None

    @staticmethod
    def backward(ctx, grad):
        (shape_a, shape_b), (need_a, need_b) = ctx.shapes, ctx.needs_input_grad
        return (
            unbroadcast(grad, shape_a) if need_a else None,
            unbroadcast(grad, shape_b) if need_b else None,
        )


class Sub(Function):
    """y = a − b.  dL/da = unbroadcast(g), dL/db = −unbroadcast(g)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = a.shape, b.shape
        try:
            return a - b
        except ValueError:
            raise _broadcast_error("sub", a, b) from None

    @staticmethod
    def backward(ctx, grad):
        (shape_a, shape_b), (need_a, need_b) = ctx.shapes, ctx.needs_input_grad
        return (
            unbroadcast(grad, shape_a) if need_a else None,
            -unbroadcast(grad, shape_b) if need_b else None,
        )


class Mul(Function):
    """y = a ⊙ b.  dL/da = unbroadcast(g ⊙ b), dL/db = unbroadcast(g ⊙ a)."""

    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(b if need_a else None, a if need_b else None)
        ctx.shapes = a.shape, b.shape
        try:
            return a * b
        except ValueError:
            raise _broadcast_error("mul", a, b) from None

    @staticmethod
    def backward(ctx, grad):
        b, a = ctx.saved_tensors
        shape_a, shape_b = ctx.shapes
        return (
            None if b is None else unbroadcast(grad * b, shape_a),
            None if a is None else unbroadcast(grad * a, shape_b),
        )


class Div(Function):
    """y = a / b.  dL/da = unbroadcast(g / b), dL/db = unbroadcast(−(g / b) ⊙ y)
    (since −g·a/b² = −(g/b)·(a/b))."""

    @staticmethod
    def forward(ctx, a, b):
        try:
            out = a / b
        except ValueError:
            raise _broadcast_error("div", a, b) from None
        ctx.save_for_backward(b, out if ctx.needs_input_grad[1] else None)
        ctx.shapes = a.shape, b.shape
        return out

    @staticmethod
    def backward(ctx, grad):
        b, out = ctx.saved_tensors
        (shape_a, shape_b), (need_a, need_b) = ctx.shapes, ctx.needs_input_grad
        grad_over_b = grad / b
        return (
            unbroadcast(grad_over_b, shape_a) if need_a else None,
            unbroadcast(-grad_over_b * out, shape_b) if need_b else None,
        )


class Neg(Function):
    """y = −x.  dL/dx = −g."""

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Pow(Function):
    """y = x ** p, for a tensor or a constant exponent p (broadcast like any binary op).

    dL/dx = unbroadcast(g ⊙ p ⊙ x^(p−1)),  dL/dp = unbroadcast(g ⊙ y ⊙ ln x), taken as 0 where
    x = 0 (the limit for p > 0; PyTorch does the same).
    """

    @staticmethod
    def forward(ctx, x, p):
        out = x**p
        ctx.save_for_backward(x, p, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, p, out = ctx.saved_tensors
        need_x, need_p = ctx.needs_input_grad
        grad_x = grad_p = None
        if need_x:
            grad_x = unbroadcast(grad * p * x ** (p - 1), x.shape)
        if need_p:
            xp = get_array_module(x)
            log_x = xp.log(xp.where(x == 0, 1, x))
            grad_p = unbroadcast(grad * out * log_x, p.shape)
        return grad_x, grad_p


class Exp(Function):
    """y = eˣ.  dL/dx = g ⊙ y."""

    @staticmethod
    def forward(ctx, x):
        out = get_array_module(x).exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class Log(Function):
    """y = ln x.  dL/dx = g / x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return get_array_module(x).log(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x


class Sqrt(Function):
    """y = √x.  dL/dx = g / (2y)."""

    @staticmethod
    def forward(ctx, x):
        out = get_array_module(x).sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad / (2 * out)


class Abs(Function):
    """y = |x|.  dL/dx = g ⊙ sign(x) (0 at x = 0, as PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return get_array_module(x).abs(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * get_array_module(x).sign(x)


class Clamp(Function):
    """y = min(max(x, low), high), the bounds numbers or tensors (broadcast together); either
    may be None. (Where low > high this gives high, as PyTorch.)

    dL/dx = g where low ≤ x ≤ high, else 0 (bounds included, as PyTorch);
    dL/dlow = g where x < low < high; dL/dhigh = g where x > high or high < low
    (each unbroadcast to its input's shape).
    """

    @staticmethod
    def forward(ctx, x, low, high):
        ctx.save_for_backward(x, low, high)
        out = get_array_module(x).clip(x, low, high)
        ctx.shape = out.shape
        return out

    @staticmethod
    def backward(ctx, grad):
        x, low, high = ctx.saved_tensors
        need_x, need_low, need_high = ctx.needs_input_grad
        xp = get_array_module(grad)
        grad = xp.broadcast_to(grad, ctx.shape)
        zero = grad.dtype.type(0)
        grad_x = grad_low = grad_high = None
        if need_x:
            inside = True
            if low is not None:
                inside = inside & (x >= low)
            if high is not None:
                inside = inside & (x <= high)
            grad_x = unbroadcast(xp.where(inside, grad, zero), x.shape)
        if need_low:
            below = x < low if high is None else (x < low) & (low < high)
            grad_low = unbroadcast(xp.where(below, grad, zero), low.shape)
        if need_high:
            above = x > high if low is None else (x > high) | (high < low)
            grad_high = unbroadcast(xp.where(above, grad, zero), high.shape)
        return grad_x, grad_low, grad_high


class Maximum(Function):
    """y = max(a, b) element-wise, broadcast (``largest=False``: min(a, b)).

    dL/da = unbroadcast(g where a wins), dL/db = unbroadcast(g where b wins); at a tie each
    gets g/2, as PyTorch (the mean of the two one-sided derivatives).
    """

    @staticmethod
    def forward(ctx, a, b, largest):
        xp = get_array_module(a)
        try:
            out = xp.maximum(a, b) if largest else xp.minimum(a, b)
        except ValueError:
            raise _broadcast_error("maximum" if largest else "minimum", a, b) from None
        ctx.save_for_backward(a, b)
        ctx.largest = largest
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        share_a = ((a > b) if ctx.largest else (a < b)) + 0.5 * (a == b)
        share_a = share_a.astype(grad.dtype)
        return (
            unbroadcast(grad * share_a, a.shape) if need_a else None,
            unbroadcast(grad * (1 - share_a), b.shape) if need_b else None,
        )


class Where(Function):
    """y = x where condition else z (broadcast together).
    dL/dx = unbroadcast(g where condition else 0), dL/dz = unbroadcast(0 where condition else g)."""

    @staticmethod
    def forward(ctx, condition, x, z):
        ctx.save_for_backward(condition)
        ctx.shapes = x.shape, z.shape
        return get_array_module(x).where(condition, x, z)

    @staticmethod
    def backward(ctx, grad):
        (condition,) = ctx.saved_tensors
        xp = get_array_module(grad)
        (shape_x, shape_z), (_, need_x, need_z) = ctx.shapes, ctx.needs_input_grad
        zero = grad.dtype.type(0)
        return (
            None,
            unbroadcast(xp.where(condition, grad, zero), shape_x) if need_x else None,
            unbroadcast(xp.where(condition, zero, grad), shape_z) if need_z else None,
        )


# -- matrix product --------------------------------------------------------------------------


class MatMul(Function):
    """y = a @ b, batched and broadcast over leading axes, as ``torch.matmul``.

    A 1-D ``a`` is a row (1, k) and a 1-D ``b`` a column (k, 1), the added axis dropped from y.
    Deck D1 ("1.1.4 Demonstration of BP Algorithm"): for z = W a, dJ/dW = δ aᵀ and the error term
    passes back as Wᵀ δ; here dL/da = g bᵀ and dL/db = aᵀ g, summed over broadcast batch axes. Each
    input's gradient is one GEMM: when one operand is a plain matrix and the other is batched, the
    batch is folded into the GEMM's rows (or contracted by ``tensordot``) instead of looping over it
    or summing a batch of products.
    """

    @staticmethod
    def forward(ctx, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(
                f"matmul: both operands need at least one dimension, got shapes "
                f"{a.shape} and {b.shape}"
            )
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a2.shape[-1] != b2.shape[-2]:
            raise ValueError(
                f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied "
                f"({a2.shape[-1]} != {b2.shape[-2]})"
            )
        out = _matrix_product(a2, b2)
        ctx.save_for_backward(
            a2 if ctx.needs_input_grad[1] else None, b2 if ctx.needs_input_grad[0] else None
        )
        ctx.shapes = a.shape, b.shape, out.shape
        rows = out.shape[-2:-1] if a.ndim > 1 else ()
        columns = out.shape[-1:] if b.ndim > 1 else ()
        squeezed = out.shape[:-2] + rows + columns
        return out.reshape(squeezed)

    @staticmethod
    def backward(ctx, grad):
        a2, b2 = ctx.saved_tensors
        shape_a, shape_b, shape_out = ctx.shapes
        grad = grad.reshape(shape_out)
        grad_a = grad_b = None
        if b2 is not None:
            if len(shape_a) <= 2 < grad.ndim:  # matrix a, batched b: Σ_batch g bᵀ
                grad_a = _sum_over_batch(grad, b2)
            else:
                grad_a = unbroadcast(
                    _matrix_product(grad, b2.swapaxes(-1, -2)), _promoted(shape_a, row=True)
                )
            if grad_a.shape != shape_a:  # a 1-D operand
                grad_a = grad_a.reshape(shape_a)
        if a2 is not None:
            if len(shape_b) <= 2 < grad.ndim:  # batched a, matrix b: batch folded into rows
                grad_b = a2.reshape(-1, a2.shape[-1]).T @ grad.reshape(-1, grad.shape[-1])
            else:
                grad_b = unbroadcast(
                    _matrix_product(a2.swapaxes(-1, -2), grad), _promoted(shape_b, row=False)
                )
            if grad_b.shape != shape_b:  # a 1-D operand
                grad_b = grad_b.reshape(shape_b)
        return grad_a, grad_b


def _promoted(shape, row):
    """The 2-D-or-more shape matmul works with: a 1-D operand becomes a row or a column."""
    if len(shape) != 1:
        return shape
    return (1,) + shape if row else shape + (1,)


def _matrix_product(a, b):
    """a @ b, folding a batched ``a`` times a plain matrix ``b`` into one GEMM."""
    if b.ndim == 2 and a.ndim > 2:
        return (a.reshape(-1, a.shape[-1]) @ b).reshape(a.shape[:-1] + b.shape[-1:])
    return a @ b


def _sum_over_batch(grad, b):
    """Σ_batch grad bᵀ as one GEMM (``tensordot`` contracts the batch axes and the last)."""
    contracted = tuple(range(grad.ndim - 2)) + (grad.ndim - 1,)
    return get_array_module(grad).tensordot(grad, b, axes=(contracted, contracted))


# -- reductions ------------------------------------------------------------------------------


class Sum(Function):
    """y = Σ_axes x.  dL/dx = g broadcast back over the summed axes."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.shapes = x.shape, _kept_shape(x.shape, axes)
        return x.sum(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        shape, kept = ctx.shapes
        return get_array_module(grad).broadcast_to(grad.reshape(kept), shape)


class Mean(Function):
    """y = (1/n) Σ_axes x over the n reduced elements.  dL/dx = g/n broadcast back."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.shapes = x.shape, _kept_shape(x.shape, axes)
        ctx.count = _reduced_count(x.shape, axes)
        return x.mean(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        shape, kept = ctx.shapes
        scaled = grad.reshape(kept) / grad.dtype.type(ctx.count)
        return get_array_module(grad).broadcast_to(scaled, shape)


class Var(Function):
    """y = Σ_axes (x − x̄)² / (n − correction); correction 1 is the unbiased estimate.
    dL/dx = g · 2(x − x̄) / (n − correction) (the x̄ term's gradient sums to zero)."""

    @staticmethod
    def forward(ctx, x, axes, correction, keepdim):
        centered = x - x.mean(axis=axes, keepdims=True)
        divisor = _reduced_count(x.shape, axes) - correction
        ctx.save_for_backward(centered)
        ctx.scale = 2 / divisor
        ctx.kept = _kept_shape(x.shape, axes)
        return (centered * centered).sum(axis=axes, keepdims=keepdim) / x.dtype.type(divisor)

    @staticmethod
    def backward(ctx, grad):
        (centered,) = ctx.saved_tensors
        return grad.reshape(ctx.kept) * grad.dtype.type(ctx.scale) * centered


class LogSumExp(Function):
    """y = log Σ_axes exp(x), computed as m + log Σ exp(x − m) with m the maximum, so no exp
    overflows.  dL/dx = g ⊙ exp(x − y) = g ⊙ softmax(x) over the reduced axes."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        xp = get_array_module(x)
        shift = x.max(axis=axes, keepdims=True)
        shift = xp.where(xp.isfinite(shift), shift, 0)
        kept = xp.log(xp.exp(x - shift).sum(axis=axes, keepdims=True)) + shift
        ctx.save_for_backward(x, kept)
        return kept if keepdim else kept.reshape(_reduced_shape(x.shape, axes))

    @staticmethod
    def backward(ctx, grad):
        x, kept = ctx.saved_tensors
        return grad.reshape(kept.shape) * get_array_module(x).exp(x - kept)


class CumSum(Function):
    """yᵢ = Σ_{j≤i} xⱼ along ``dim``.  dL/dxⱼ = Σ_{i≥j} gᵢ: the cumulative sum of g taken from
    the far end (flip, cumsum, flip)."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return get_array_module(x).cumsum(x, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        xp = get_array_module(grad)
        return xp.flip(xp.cumsum(xp.flip(grad, ctx.dim), axis=ctx.dim), ctx.dim)


class Extreme(Function):
    """y = max(x) or min(x) over all elements.  dL/dx = g/k on each of the k elements equal
    to y and 0 elsewhere: ties share the gradient evenly, as PyTorch's full reduction does."""

    @staticmethod
    def forward(ctx, x, largest):
        out = x.max() if largest else x.min()
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        hits = x == out
        return hits * (grad / hits.sum().astype(grad.dtype))


class TakeAlongDim(Function):
    """y = x[…, i, …] at given indices along ``dim`` (max/min with a dim route through here).

    dL/dx = g at those indices and 0 elsewhere: deck D3's δ through max pooling
    ("情况一：当前层之后为 Pooling 层": record where each maximum came from and send δ
    there). Built in one broadcast comparison (positions along ``dim`` == index) times g.
    """

    @staticmethod
    def forward(ctx, x, indices, dim, keepdim):
        ctx.save_for_backward(indices)
        ctx.dim, ctx.size = dim, x.shape[dim]
        out = get_array_module(x).take_along_axis(x, indices, axis=dim)
        return out if keepdim else out.squeeze(dim)

    @staticmethod
    def backward(ctx, grad):
        (indices,) = ctx.saved_tensors
        xp = get_array_module(grad)
        positions = xp.arange(ctx.size).reshape((-1,) + (1,) * (indices.ndim - ctx.dim - 1))
        return (positions == indices) * grad.reshape(indices.shape), None


# -- shapes ----------------------------------------------------------------------------------


class Reshape(Function):
    """y = x with a new shape (a view when possible).  dL/dx = g reshaped to x's shape."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot view shape {x.shape} ({x.size} elements) as {tuple(shape)}"
            ) from None

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape)


class Permute(Function):
    """y = x with its axes reordered (a view).  dL/dx = g with the inverse order."""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        return grad.transpose(tuple(np.argsort(ctx.dims).tolist()))


class GetItem(Function):
    """y = x[index]: basic slicing (a view), integer arrays, boolean masks.

    dL/dx = zeros with g written at the selected places in one array op: an assignment, or
    ``add.at`` when integer arrays may pick an element more than once (its gradients add).
    ``index`` may come as two steps (see ``_torch_index_steps``): the first is basic, so in
    backward it selects a view of dL/dx that the second step writes into.
    """

    @staticmethod
    def forward(ctx, x, steps):
        ctx.shape, ctx.steps = x.shape, steps
        for index in steps:
            x = x[index]
        return x

    @staticmethod
    def backward(ctx, grad):
        xp = get_array_module(grad)
        grad_x = xp.zeros(ctx.shape, grad.dtype)
        target = grad_x
        for index in ctx.steps[:-1]:
            target = target[index]
        index = ctx.steps[-1]
        parts = index if isinstance(index, tuple) else (index,)
        if any(hasattr(p, "dtype") and p.dtype.kind in "iu" for p in parts):
            xp.add.at(target, index, grad)
        else:
            target[index] = grad
        return grad_x


class Cat(Function):
    """y = [x₁, x₂, …] joined along ``dim``.  dL/dxᵢ = the slice of g where xᵢ went (views)."""

    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        ctx.offsets = np.cumsum([a.shape[dim] for a in arrays])[:-1].tolist()
        try:
            return get_array_module(arrays[0]).concatenate(arrays, axis=dim)
        except ValueError:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(f"cat: shapes {shapes} differ outside dim {dim}") from None

    @staticmethod
    def backward(ctx, grad):
        return tuple(get_array_module(grad).split(grad, ctx.offsets, axis=ctx.dim))


class Stack(Function):
    """y = [x₁, x₂, …] stacked along a new axis ``dim``.  dL/dxᵢ = g[…, i, …] (views)."""

    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        if len({a.shape for a in arrays}) > 1:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(f"stack: all tensors need one shape, got {shapes}")
        return get_array_module(arrays[0]).stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        lead = (slice(None),) * ctx.dim
        return tuple(grad[lead + (i,)] for i in range(grad.shape[ctx.dim]))


class Flip(Function):
    """y = x reversed along ``dims`` (a view).  dL/dx = g reversed along the same dims."""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return get_array_module(x).flip(x, dims)

    @staticmethod
    def backward(ctx, grad):
        return get_array_module(grad).flip(grad, ctx.dims)


class Roll(Function):
    """y = x shifted cyclically by ``shifts`` along ``dims`` (None: the flattened tensor).
    dL/dx = g rolled back by −shifts."""

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return get_array_module(x).roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, grad):
        back = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return get_array_module(grad).roll(grad, back, ctx.dims)


class Repeat(Function):
    """y = x tiled ``repeats[d]`` times along each axis d (x first given leading axes of size 1
    when ``repeats`` is longer), as ``torch.Tensor.repeat``.

    dL/dx = the sum of g over the copies: g seen as (r₀, n₀, r₁, n₁, …) summed over every rᵢ.
    """

    @staticmethod
    def forward(ctx, x, repeats):
        shape = (1,) * (len(repeats) - x.ndim) + x.shape
        ctx.shapes = x.shape, shape, repeats
        return get_array_module(x).tile(x.reshape(shape), repeats)

    @staticmethod
    def backward(ctx, grad):
        shape, padded, repeats = ctx.shapes
        interleaved = tuple(size for pair in zip(repeats, padded) for size in pair)
        copies = tuple(range(0, 2 * len(repeats), 2))
        return grad.reshape(interleaved).sum(axis=copies).reshape(shape)


class Expand(Function):
    """y = x broadcast to ``shape`` (a read-only view, no copy), as ``torch.Tensor.expand``.
    dL/dx = unbroadcast(g): the sum over the copies."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        try:
            return get_array_module(x).broadcast_to(x, shape)
        except ValueError:
            raise ValueError(
                f"expand: shape {x.shape} cannot be expanded to {shape} (only "
                f"axes of size 1 can grow)"
            ) from None

    @staticmethod
    def backward(ctx, grad):
        return unbroadcast(grad, ctx.shape)


class Triangle(Function):
    """y = the upper (triu) or lower (tril) triangle of the last two axes of x, on and above
    (below) the ``diagonal``-th diagonal, zeros elsewhere.  dL/dx = the same triangle of g."""

    @staticmethod
    def forward(ctx, x, diagonal, upper):
        ctx.diagonal, ctx.upper = diagonal, upper
        return _triangle(x, diagonal, upper)

    @staticmethod
    def backward(ctx, grad):
        return _triangle(grad, ctx.diagonal, ctx.upper)


def _triangle(x, diagonal, upper):
    xp = get_array_module(x)
    return xp.triu(x, diagonal) if upper else xp.tril(x, diagonal)


# -- indexing along an axis --------------------------------------------------------------------


def _along(index, dim):
    """The full NumPy index that, at every position p of ``index``, addresses the element whose
    coordinate along ``dim`` is index[p] and whose other coordinates are p's own."""
    xp = get_array_module(index)
    return tuple(
        index if d == dim else xp.arange(n).reshape((-1,) + (1,) * (index.ndim - d - 1))
        for d, n in enumerate(index.shape)
    )


class Gather(Function):
    """y[p] = x[p with its ``dim`` coordinate replaced by index[p]], as ``torch.gather``.

    dL/dx = zeros with g added at the gathered places (``add.at``: an element gathered twice
    gets both gradients) — a scatter_add of g, torch's gather backward.
    """

    @staticmethod
    def forward(ctx, x, index, dim):
        place = _along(index, dim)
        ctx.save_for_backward(index)
        ctx.shape, ctx.dim = x.shape, dim
        return x[place]

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        xp = get_array_module(grad)
        grad_x = xp.zeros(ctx.shape, grad.dtype)
        xp.add.at(grad_x, _along(index, ctx.dim), grad)
        return grad_x, None


class ScatterAdd(Function):
    """y = x, then y[p with its ``dim`` coordinate replaced by index[p]] += src[p] for every
    position p of ``index``, as ``torch.scatter_add``.

    dL/dx = g (each element of x reaches y once); dL/dsrc[p] = g at the place src[p] went (a
    gather of g), 0 where src lies outside index's shape.
    """

    @staticmethod
    def forward(ctx, x, index, src, dim):
        xp = get_array_module(x)
        region = tuple(slice(0, n) for n in index.shape)
        out = x.copy()
        xp.add.at(out, _along(index, dim), src[region])
        ctx.save_for_backward(index)
        ctx.src_shape, ctx.region, ctx.dim = src.shape, region, dim
        return out

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        grad_src = None
        if ctx.needs_input_grad[2]:
            grad_src = get_array_module(grad).zeros(ctx.src_shape, grad.dtype)
            grad_src[ctx.region] = grad[_along(index, ctx.dim)]
        return grad, None, grad_src


class MaskedFill(Function):
    """y = value where mask else x (mask broadcast to x's shape; value a number or a 0-d tensor).
    dL/dx = g where not mask, else 0; dL/dvalue = Σ g where mask."""

    @staticmethod
    def forward(ctx, x, mask, value):
        if mask.dtype != bool:
            raise TypeError(f"masked_fill: mask must be a bool tensor, got dtype {mask.dtype}")
        if value.ndim != 0:
            raise ValueError(
                f"masked_fill: value must be a number or a 0-d tensor, got a tensor "
                f"of shape {value.shape}"
            )
        ctx.save_for_backward(mask)
        ctx.shape = x.shape
        return get_array_module(x).where(mask, value, x)

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        xp = get_array_module(grad)
        zero = grad.dtype.type(0)
        _, _, need_value = ctx.needs_input_grad
        grad_x = unbroadcast(xp.where(mask, zero, grad), ctx.shape)
        grad_value = xp.where(mask, grad, zero).sum() if need_value else None
        return grad_x, None, grad_value


# -- splitting -----------------------------------------------------------------------------


class Split(Function):
    """(y₁, y₂, …) = consecutive slices of x along ``dim`` of the given sizes (views).
    dL/dx = [g₁, g₂, …] joined along ``dim`` (a slice nobody used contributes zeros)."""

    @staticmethod
    def forward(ctx, x, sizes, dim):
        ctx.dim = dim
        starts = np.cumsum((0,) + sizes).tolist()
        lead = (slice(None),) * dim
        return tuple(x[lead + (slice(a, b),)] for a, b in itertools.pairwise(starts))

    @staticmethod
    def backward(ctx, *grads):
        return get_array_module(grads[0]).concatenate(grads, axis=ctx.dim)


# -- Einstein summation ----------------------------------------------------------------------


class Einsum(Function):
    """y = Σ over the indices absent from the output of the product of the operands, as
    ``torch.einsum`` (``"ij,jk->ik"``, ``"bii->bi"``, ``"...ij,...jk"``; Einstein 1916).

    Every operand comes with one letter per axis (``_einsum_subscripts`` expands ``...`` and
    the implicit output), broadcast to the common size of each letter. The gradient of a sum
    of products is, for operand k, the same kind of sum with operand k taken out and g put in:

        dL/dX_k[S_k] = Σ_(letters not in S_k) g[S_out] ⊙ Π_(j≠k) X_j[S_j]

    one more einsum. Two corrections make that sum well-formed. A letter repeated in S_k (a
    diagonal, ``"ii"``) gets fresh names for its repeats tied to the first by identity
    matrices δ (the gradient lies on the diagonal, 0 off it). A letter only in S_k (summed
    inside X_k alone, ``"ij->i"``) gets a vector of ones (every element received g alike).
    """

    @staticmethod
    def forward(ctx, *operands, terms, output, sizes):
        xp = get_array_module(operands[0])
        expanded = [
            xp.broadcast_to(x, tuple(sizes[c] for c in term)) for x, term in zip(operands, terms)
        ]
        ctx.save_for_backward(*expanded)
        ctx.terms, ctx.output, ctx.sizes = terms, output, sizes
        ctx.shapes = [x.shape for x in operands]
        return xp.einsum(f"{','.join(terms)}->{output}", *expanded, optimize=len(terms) > 1)

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors
        return tuple(
            _einsum_operand_grad(ctx, grad, operands, k) if need else None
            for k, need in enumerate(ctx.needs_input_grad)
        )


def _einsum_operand_grad(ctx, grad, operands, k):
    xp = get_array_module(grad)
    terms, sizes = ctx.terms, ctx.sizes
    terms_in = [t for j, t in enumerate(terms) if j != k] + [ctx.output]
    arrays = [x for j, x in enumerate(operands) if j != k] + [grad]
    fresh = iter(
        c for c in string.ascii_letters if c not in sizes and c not in "".join(terms) + ctx.output
    )
    target = ""
    for c in terms[k]:
        if c in target:  # a repeat: a new name tied to the first by δ
            twin = next(fresh)
            terms_in.append(c + twin)
            arrays.append(xp.eye(sizes[c], dtype=grad.dtype))
            c = twin
        target += c
    present = "".join(terms_in)
    for c in target:
        if c not in present:  # summed inside this operand alone
            terms_in.append(c)
            arrays.append(xp.ones(sizes[c], dtype=grad.dtype))
    grad_k = xp.einsum(f"{','.join(terms_in)}->{target}", *arrays, optimize=True)
    shape = ctx.shapes[k]
    stretched = tuple(d for d, n in enumerate(shape) if n != grad_k.shape[d])
    return grad_k.sum(axis=stretched, keepdims=True) if stretched else grad_k


def _einsum_subscripts(equation, shapes):
    """``equation`` as (one string of letters per operand, the output's letters, size of each
    letter): ``...`` replaced by letters of its own (right-aligned, as broadcasting), the
    implicit output (no ``->``) made explicit as torch does — the broadcast axes, then the
    letters used once, in alphabetical order."""
    equation = equation.replace(" ", "")
    left, arrow, output = equation.partition("->")
    terms = left.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"einsum: the equation {equation!r} names {len(terms)} operands but "
            f"{len(shapes)} were given"
        )
    unknown = set(equation) - set(string.ascii_letters) - set(".,->")
    if unknown or any(t.replace("...", "").count(".") for t in terms + [output]):
        raise ValueError(
            f"einsum: {equation!r} is not a valid equation (subscripts are letters "
            "a-z, A-Z and '...')"
        )
    spare = [c for c in string.ascii_letters if c not in equation]
    broadcast_ndim = builtins.max(
        [len(shape) - len(term) + 3 for term, shape in zip(terms, shapes) if "..." in term] + [0]
    )
    broadcast = "".join(spare[:broadcast_ndim])
    expanded = []
    for term, shape in zip(terms, shapes):
        if "..." in term:
            term = term.replace("...", broadcast[broadcast_ndim - (len(shape) - len(term) + 3) :])
        if len(term) != len(shape):
            raise ValueError(
                f"einsum: subscripts {term!r} name {len(term)} axes but the "
                f"operand has shape {tuple(shape)}"
            )
        expanded.append(term)
    if arrow:
        output = output.replace("...", broadcast)
    else:
        counts = Counter(left.replace("...", "").replace(",", ""))
        output = broadcast + "".join(sorted(c for c, n in counts.items() if n == 1))
    return expanded, output, _letter_sizes(equation, expanded, output, shapes)


def _letter_sizes(equation, terms, output, shapes):
    """The size of each letter, checking that every axis named by it has that size or 1."""
    sizes = {}
    for term, shape in zip(terms, shapes):
        for c, n in zip(term, shape):
            if sizes.get(c, 1) not in (1, n) and n != 1:
                raise ValueError(
                    f"einsum: subscript {c!r} in {equation!r} has size {n} in one "
                    f"operand and {sizes[c]} in another"
                )
            sizes[c] = n if sizes.get(c, 1) == 1 else sizes[c]
        for c in set(term):
            if len({n for t, n in zip(term, shape) if t == c}) > 1:
                raise ValueError(
                    f"einsum: a repeated subscript {c!r} in {equation!r} needs "
                    f"axes of one size, got shape {tuple(shape)}"
                )
    if len(set(output)) != len(output) or not set(output) <= set(sizes):
        raise ValueError(
            f"einsum: the output subscripts of {equation!r} must be distinct and "
            "each appear in an operand"
        )
    return sizes


# -- the public functions, named and argued like torch's -----------------------------------


def add(input, other, *, alpha=1):
    """input + alpha · other, broadcast."""
    return Add.apply(input, other if alpha == 1 else mul(other, alpha))


def sub(input, other, *, alpha=1):
    """input − alpha · other, broadcast."""
    return Sub.apply(input, other if alpha == 1 else mul(other, alpha))


def mul(input, other):
    """input ⊙ other, broadcast."""
    return Mul.apply(input, other)


def div(input, other):
    """input / other, broadcast (true division)."""
    return Div.apply(input, other)


def neg(input):
    """−input."""
    return Neg.apply(input)


def pow(input, exponent):
    """input ** exponent; either may be a tensor or a number, gradients flow to both."""
    return Pow.apply(input, exponent)


def exp(input):
    """e ** input."""
    return Exp.apply(input)


def log(input):
    """Natural logarithm."""
    return Log.apply(input)


def sqrt(input):
    """Square root."""
    return Sqrt.apply(input)


def abs(input):
    """|input|."""
    return Abs.apply(input)


def clamp(input, min=None, max=None):
    """Limit every element to [min, max]; each bound a number, a tensor (broadcast, and
    differentiated) or None, but not both None."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    return Clamp.apply(input, min, max)


def maximum(input, other):
    """The element-wise maximum of two tensors, broadcast."""
    return Maximum.apply(input, other, largest=True)


def minimum(input, other):
    """The element-wise minimum of two tensors, broadcast."""
    return Maximum.apply(input, other, largest=False)


def where(condition, input, other):
    """Element-wise choice: input where condition is true, else other (broadcast together)."""
    return Where.apply(condition, input, other)


def matmul(input, other):
    """Matrix product with ``torch.matmul``'s rules (1-D operands, batch broadcasting)."""
    return MatMul.apply(input, other)


def sum(input, dim=None, keepdim=False):
    """Sum over ``dim`` (None: every element; an int or a tuple, negatives allowed)."""
    return Sum.apply(input, axes=_normalize_dims(dim, _ndim(input)), keepdim=keepdim)


def mean(input, dim=None, keepdim=False):
    """Mean over ``dim`` (None: every element; an int or a tuple, negatives allowed)."""
    return Mean.apply(input, axes=_normalize_dims(dim, _ndim(input)), keepdim=keepdim)


def var(input, dim=None, unbiased=True, keepdim=False, *, correction=None):
    """Variance over ``dim``, dividing by n − correction (``correction`` defaults to 1, or 0
    when ``unbiased=False``), as ``torch.var``."""
    if correction is None:
        correction = 1 if unbiased else 0
    return Var.apply(
        input, axes=_normalize_dims(dim, _ndim(input)), correction=correction, keepdim=keepdim
    )


def std(input, dim=None, unbiased=True, keepdim=False, *, correction=None):
    """Standard deviation over ``dim``: √var with the same ``correction``, as ``torch.std``.
    Composed as sqrt(var(x)), so dL/dx = g · (x − x̄) / ((n − correction) σ) by the chain rule
    through the two ops."""
    return sqrt(var(input, dim, unbiased, keepdim, correction=correction))


def logsumexp(input, dim, keepdim=False):
    """log Σ exp(input) over ``dim`` (an int or a tuple), without overflow."""
    return LogSumExp.apply(input, axes=_normalize_dims(dim, _ndim(input)), keepdim=keepdim)


def cumsum(input, dim):
    """Running sum along ``dim``."""
    return CumSum.apply(input, dim=_axis(dim, _ndim(input), "cumsum"))


ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])
ValuesIndices.__doc__ = """(values, indices), as torch.return_types: ``max(x, 1).indices``."""


def max(input, dim=None, keepdim=False):
    """The largest element; with ``dim`` (an int), the pair (values, indices) along it, as
    ``torch.max``. The indices are an int64 tensor outside the graph. ``max(x, y)`` of two
    tensors is ``maximum(x, y)``, as in torch."""
    if isinstance(dim, Tensor):
        return maximum(input, dim)
    return _extreme(input, dim, keepdim, largest=True)


def min(input, dim=None, keepdim=False):
    """The smallest element; with ``dim`` (an int), the pair (values, indices) along it, as
    ``torch.min``. ``min(x, y)`` of two tensors is ``minimum(x, y)``."""
    if isinstance(dim, Tensor):
        return minimum(input, dim)
    return _extreme(input, dim, keepdim, largest=False)


def _extreme(input, dim, keepdim, largest):
    if dim is None:
        return Extreme.apply(input, largest=largest)
    if not isinstance(dim, int):
        raise TypeError(f"{'max' if largest else 'min'}: dim must be an int, got {dim!r}")
    data = _data(input)
    xp = get_array_module(data)
    dim = dim % data.ndim if data.ndim else 0
    pick = xp.argmax if largest else xp.argmin
    indices = xp.expand_dims(pick(data, axis=dim), dim).astype(np.int64, copy=False)
    values = TakeAlongDim.apply(input, indices, dim=dim, keepdim=keepdim)
    return ValuesIndices(values, Tensor(indices if keepdim else indices.squeeze(dim)))


def argmax(input, dim=None, keepdim=False):
    """Indices of the largest values along ``dim`` (of the flattened tensor when ``dim`` is
    None), as int64; an index has no gradient."""
    return _arg_extreme(input, "argmax", dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    """Indices of the smallest values along ``dim`` (flattened when None), as int64."""
    return _arg_extreme(input, "argmin", dim, keepdim)


def _arg_extreme(input, name, dim, keepdim):
    xp = get_array_module(input.data)
    pick = getattr(xp, name)
    if dim is None:
        indices = xp.asarray(pick(input.data))
        return Tensor(indices.reshape((1,) * input.ndim if keepdim else ()))
    indices = pick(input.data, axis=dim)
    return Tensor(xp.expand_dims(indices, dim) if keepdim else indices)


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (``largest=False``: smallest) elements along ``dim`` and their indices,
    as ``torch.topk``. They always come sorted (torch leaves the order unspecified when
    ``sorted=False``); values are differentiable (a gather), indices are int64 outside the
    graph."""
    data = _data(input)
    dim = _axis(dim, data.ndim, "topk")
    size = data.shape[dim] if data.ndim else 1
    if not 0 <= k <= size:
        raise ValueError(f"topk: k={k} is out of range for a dimension of size {size}")
    order = _argsort(data, dim, descending=largest)
    indices = order[(slice(None),) * dim + (slice(0, k),)]
    return ValuesIndices(gather(input, dim, indices), Tensor(indices))


def sort(input, dim=-1, descending=False, stable=False):
    """The elements sorted along ``dim`` and the indices they came from, as ``torch.sort``.
    The sort is always stable (equal elements keep their order; torch's default does not
    promise it); values are differentiable (a gather), indices are int64 outside the graph."""
    data = _data(input)
    dim = _axis(dim, data.ndim, "sort")
    indices = _argsort(data, dim, descending)
    return ValuesIndices(gather(input, dim, indices), Tensor(indices))


def _argsort(data, dim, descending):
    xp = get_array_module(data)
    if data.ndim == 0:
        return xp.zeros((), np.int64)
    keys = -data if descending else data
    return xp.argsort(keys, axis=dim, kind="stable").astype(np.int64, copy=False)


def reshape(input, shape):
    """The same elements in a new shape (one -1 entry is inferred)."""
    return Reshape.apply(input, shape=tuple(shape))


def flatten(input, start_dim=0, end_dim=-1):
    """Merge axes start_dim … end_dim (inclusive) into one (a view when possible)."""
    shape = _data(input).shape
    if not shape:
        return reshape(input, (1,))
    start, end = _axis(start_dim, len(shape), "flatten"), _axis(end_dim, len(shape), "flatten")
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    return reshape(input, shape[:start] + (-1,) + shape[end + 1 :])


def unsqueeze(input, dim):
    """Insert an axis of size 1 at ``dim`` (−ndim−1 ≤ dim ≤ ndim)."""
    shape = _data(input).shape
    dim = _axis(dim, len(shape) + 1, "unsqueeze")
    return reshape(input, shape[:dim] + (1,) + shape[dim:])


def squeeze(input, dim=None):
    """Drop axes of size 1: all of them, or only those among ``dim`` (an int or a tuple)."""
    shape = _data(input).shape
    dims = range(len(shape)) if dim is None else _normalize_dims(dim, len(shape))
    return reshape(input, tuple(n for i, n in enumerate(shape) if n != 1 or i not in dims))


def transpose(input, dim0, dim1):
    """Swap two axes (a view)."""
    dims = list(range(_ndim(input)))
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return Permute.apply(input, dims=tuple(dims))


def permute(input, dims):
    """Reorder the axes: output axis i is input axis dims[i] (a view)."""
    ndim = _ndim(input)
    if sorted(d % ndim for d in dims) != list(range(ndim)):
        raise ValueError(
            f"permute: dims {tuple(dims)} are not a permutation of the "
            f"{ndim} axes of a tensor of shape {tuple(_data(input).shape)}"
        )
    return Permute.apply(input, dims=tuple(d % ndim for d in dims))


def getitem(input, index):
    """input[index]: ints, slices (with steps), None, ..., integer arrays (repeats allowed) and
    boolean masks, given as Python lists, arrays or Tensors."""
    return GetItem.apply(input, steps=_torch_index_steps(_raw_index(index, _data(input))))


def cat(tensors, dim=0):
    """Join tensors of equal shape but along ``dim``."""
    tensors = list(tensors)
    return Cat.apply(*tensors, dim=dim % _ndim(tensors[0]))


def stack(tensors, dim=0):
    """Stack tensors of one shape along a new axis ``dim``."""
    tensors = list(tensors)
    return Stack.apply(*tensors, dim=dim % (_ndim(tensors[0]) + 1))


def split(tensor, split_size_or_sections, dim=0):
    """Slices along ``dim`` (views): of ``split_size_or_sections`` elements each (an int; the
    last may be shorter), or of the listed sizes (they must add up to the axis), as
    ``torch.split``."""
    size = _data(tensor).shape[_axis(dim, _ndim(tensor), "split")]
    dim = _axis(dim, _ndim(tensor), "split")
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise ValueError(f"split: split_size must be positive, got {step}")
        sizes = tuple(builtins.min(step, size - start) for start in range(0, size, step))
    else:
        sizes = tuple(split_size_or_sections)
        if builtins.sum(sizes) != size:
            raise ValueError(
                f"split: sizes {list(sizes)} add up to {builtins.sum(sizes)}, "
                f"not to the size {size} of dim {dim}"
            )
    return Split.apply(tensor, sizes=sizes or (0,), dim=dim)


def chunk(input, chunks, dim=0):
    """``chunks`` slices of ⌈n / chunks⌉ elements along ``dim`` (the last shorter, and fewer
    slices when they run out), as ``torch.chunk``."""
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    size = _data(input).shape[_axis(dim, _ndim(input), "chunk")]
    return split(input, builtins.max(-(-size // chunks), 1), dim)


def flip(input, dims):
    """Reverse the order of the elements along each of ``dims`` (a view)."""
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return Flip.apply(input, dims=tuple(_axis(d, _ndim(input), "flip") for d in dims))


def roll(input, shifts, dims=None):
    """Shift the elements cyclically by ``shifts`` along ``dims`` (None: along the flattened
    tensor, keeping its shape); both may be tuples of one length."""
    if isinstance(shifts, (tuple, list)) != isinstance(dims, (tuple, list)) and dims is not None:
        raise ValueError("roll: shifts and dims must both be ints or both tuples of one length")
    if isinstance(shifts, (tuple, list)):
        if dims is None or len(shifts) != len(dims):
            raise ValueError(f"roll: shifts {shifts} and dims {dims} must have one length")
        shifts, dims = tuple(shifts), tuple(dims)
    return Roll.apply(input, shifts=shifts, dims=dims)


def repeat(input, *sizes):
    """Tile the tensor ``sizes[d]`` times along each axis, as ``torch.Tensor.repeat``
    (``sizes`` may add leading axes; it may not have fewer entries than the tensor has axes)."""
    sizes = _shape_arguments(sizes)
    if len(sizes) < _ndim(input):
        raise ValueError(
            f"repeat: {len(sizes)} repeat counts for a tensor of {_ndim(input)} "
            "dimensions (one per dimension at least)"
        )
    return Repeat.apply(input, repeats=sizes)


def expand(input, *sizes):
    """A view of the tensor broadcast to ``sizes`` (-1 keeps an axis), as
    ``torch.Tensor.expand``; new axes may be added in front."""
    sizes = _shape_arguments(sizes)
    shape = _data(input).shape
    lead = len(sizes) - len(shape)
    if lead < 0 or any(n == -1 for n in sizes[:lead]):
        raise ValueError(f"expand: cannot expand shape {shape} to {sizes}")
    target = sizes[:lead] + tuple(n if n != -1 else old for n, old in zip(sizes[lead:], shape))
    return Expand.apply(input, shape=target)


def triu(input, diagonal=0):
    """The upper triangle of the last two axes (on and above the ``diagonal``-th), zeros below."""
    return Triangle.apply(input, diagonal=diagonal, upper=True)


def tril(input, diagonal=0):
    """The lower triangle of the last two axes (on and below the ``diagonal``-th), zeros above."""
    return Triangle.apply(input, diagonal=diagonal, upper=False)


def gather(input, dim, index):
    """out[p] = input[p with its ``dim`` coordinate replaced by index[p]], as ``torch.gather``
    (``index`` an int64 tensor with as many axes as ``input``, no larger on the others)."""
    return Gather.apply(
        input, _index_array(index, input, "gather"), dim=_axis(dim, _ndim(input), "gather")
    )


def scatter_add(input, dim, index, src):
    """A copy of ``input`` with src[p] added at input[p with its ``dim`` coordinate replaced by
    index[p]] for each position p of ``index``, as ``torch.scatter_add``."""
    return ScatterAdd.apply(
        input,
        _index_array(index, input, "scatter_add"),
        src,
        dim=_axis(dim, _ndim(input), "scatter_add"),
    )


def masked_fill(input, mask, value):
    """``value`` where the bool ``mask`` (broadcast to input) is true, input elsewhere."""
    return MaskedFill.apply(input, mask, value)


def einsum(equation, *operands):
    """Einstein summation, as ``torch.einsum``: ``einsum("bij,bjk->bik", a, b)``. Any equation
    torch accepts in its string form: repeated subscripts (diagonals, traces), ``...``, the
    implicit output, size-1 axes broadcast. Operands may also come as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError("einsum: the equation must be a string (the sublist form is not supported)")
    terms, output, sizes = _einsum_subscripts(equation, [_data(x).shape for x in operands])
    return Einsum.apply(*operands, terms=terms, output=output, sizes=sizes)


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _ndim(x):
    return x.ndim if isinstance(x, Tensor) else np.ndim(x)


def _axis(dim, ndim, op):
    """``dim`` as a non-negative axis, or a clear error (a 0-d tensor takes dim 0 or −1)."""
    bound = builtins.max(ndim, 1)
    if not -bound <= dim < bound:
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor of {ndim} dimensions")
    return dim % bound


def _shape_arguments(sizes):
    """``f(2, 3)`` and ``f((2, 3))`` both mean (2, 3)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        return tuple(sizes[0])
    return tuple(sizes)


def _index_array(index, input, op):
    """An index argument as an int64 array on ``input``'s device."""
    array = get_array_module(_data(input)).asarray(_data(index))
    if array.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must be an integer tensor, got dtype {array.dtype}")
    if array.ndim != _ndim(input):
        raise ValueError(f"{op}: index has {array.ndim} dimensions, input has {_ndim(input)}")
    return array.astype(np.int64, copy=False)


def _torch_index_steps(index):
    """``index`` as a tuple of indices to apply one after the other, with PyTorch's meaning.

    PyTorch treats an integer beside index arrays as basic indexing (it drops its axis);
    NumPy counts it as one more advanced index, which moves the result's axes when a slice
    separates it from the arrays (``x[0, :, [1, 2]]``). So the integers (and slices, None,
    ...) go first, as a basic view, and the arrays second.
    """
    parts = index if isinstance(index, tuple) else (index,)
    is_array = [hasattr(p, "ndim") and p.ndim > 0 for p in parts]
    if not any(is_array) or not any(isinstance(p, int) for p in parts):
        return (index,)
    basic, advanced = [], []
    for part, array in zip(parts, is_array):
        if array:
            basic.extend([slice(None)] * (part.ndim if part.dtype == bool else 1))
            advanced.append(part)
        elif part is Ellipsis:
            basic.append(part)
            advanced.append(part)
        else:
            basic.append(part)
            if not isinstance(part, int):
                advanced.append(slice(None))
    return tuple(basic), tuple(advanced)


def _raw_index(index, data):
    """Turn Tensors and lists inside an index into arrays on ``data``'s device (0-d integer
    ones into ints)."""
    if isinstance(index, tuple):
        return tuple(_raw_index(part, data) for part in index)
    if isinstance(index, Tensor):
        index = index.data
    if isinstance(index, list) or hasattr(index, "ndim"):
        index = get_array_module(data).asarray(index)
        return int(index) if index.ndim == 0 and index.dtype.kind in "iu" else index
    return index
