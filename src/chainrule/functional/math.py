"""Tensor arithmetic: element-wise ops, matmul, reductions, shape ops, indexing, joining.

Every op is one ``Function`` whose forward and backward sit side by side, written once for
NumPy and CuPy (``xp = get_array_module(x)``). Binary ops broadcast like NumPy and PyTorch; their
backward sums the gradient back to each input's shape with ``unbroadcast``, the one place where
broadcasting is undone.

Backwards never write into the gradient they receive: ``add`` may hand the very same array to
both of its inputs, and autograd accumulates out of place.
"""

import numpy as np

from ..autograd import Function, Tensor
from ..backend import get_array_module

__all__ = ["add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "abs", "matmul",
           "sum", "mean", "max", "min", "var", "reshape", "transpose", "permute", "getitem",
           "cat", "stack", "where", "clamp"]


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
        return (unbroadcast(grad, shape_a) if need_a else None,
                unbroadcast(grad, shape_b) if need_b else None)


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
        return (unbroadcast(grad, shape_a) if need_a else None,
                -unbroadcast(grad, shape_b) if need_b else None)


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
        return (None if b is None else unbroadcast(grad * b, shape_a),
                None if a is None else unbroadcast(grad * a, shape_b))


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
        return (unbroadcast(grad_over_b, shape_a) if need_a else None,
                unbroadcast(-grad_over_b * out, shape_b) if need_b else None)


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
        out = x ** p
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
        out, = ctx.saved_tensors
        return grad * out


class Log(Function):
    """y = ln x.  dL/dx = g / x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return get_array_module(x).log(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
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
        out, = ctx.saved_tensors
        return grad / (2 * out)


class Abs(Function):
    """y = |x|.  dL/dx = g ⊙ sign(x) (0 at x = 0, as PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return get_array_module(x).abs(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * get_array_module(x).sign(x)


class Clamp(Function):
    """y = min(max(x, low), high).  dL/dx = g where low ≤ x ≤ high, else 0 (bounds included,
    as PyTorch)."""

    @staticmethod
    def forward(ctx, x, low, high):
        ctx.save_for_backward(x)
        ctx.bounds = low, high
        return get_array_module(x).clip(x, low, high)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        low, high = ctx.bounds
        if high is None:
            return grad * (x >= low)
        if low is None:
            return grad * (x <= high)
        return grad * ((x >= low) & (x <= high))


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
        condition, = ctx.saved_tensors
        xp = get_array_module(grad)
        (shape_x, shape_z), (_, need_x, need_z) = ctx.shapes, ctx.needs_input_grad
        zero = grad.dtype.type(0)
        return (None,
                unbroadcast(xp.where(condition, grad, zero), shape_x) if need_x else None,
                unbroadcast(xp.where(condition, zero, grad), shape_z) if need_z else None)


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
            raise ValueError(f"matmul: both operands need at least one dimension, got shapes "
                             f"{a.shape} and {b.shape}")
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a2.shape[-1] != b2.shape[-2]:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied "
                             f"({a2.shape[-1]} != {b2.shape[-2]})")
        out = _matrix_product(a2, b2)
        ctx.save_for_backward(a2 if ctx.needs_input_grad[1] else None,
                              b2 if ctx.needs_input_grad[0] else None)
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
                grad_a = unbroadcast(_matrix_product(grad, b2.swapaxes(-1, -2)),
                                     _promoted(shape_a, row=True))
            if grad_a.shape != shape_a:  # a 1-D operand
                grad_a = grad_a.reshape(shape_a)
        if a2 is not None:
            if len(shape_b) <= 2 < grad.ndim:  # batched a, matrix b: batch folded into rows
                grad_b = a2.reshape(-1, a2.shape[-1]).T @ grad.reshape(-1, grad.shape[-1])
            else:
                grad_b = unbroadcast(_matrix_product(a2.swapaxes(-1, -2), grad),
                                     _promoted(shape_b, row=False))
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
        centered, = ctx.saved_tensors
        return grad.reshape(ctx.kept) * grad.dtype.type(ctx.scale) * centered


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
    ("情况一": record where each maximum came from and send δ there). Built in one broadcast
    comparison (positions along ``dim`` == index) times g.
    """

    @staticmethod
    def forward(ctx, x, indices, dim, keepdim):
        ctx.save_for_backward(indices)
        ctx.dim, ctx.size = dim, x.shape[dim]
        out = get_array_module(x).take_along_axis(x, indices, axis=dim)
        return out if keepdim else out.squeeze(dim)

    @staticmethod
    def backward(ctx, grad):
        indices, = ctx.saved_tensors
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
            raise ValueError(f"reshape: cannot view shape {x.shape} ({x.size} elements) "
                             f"as {tuple(shape)}") from None

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


# -- the public functions, named and argued like torch's -----------------------------------

def add(input, other):
    """input + other, broadcast."""
    return Add.apply(input, other)


def sub(input, other):
    """input − other, broadcast."""
    return Sub.apply(input, other)


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
    """Limit every element to [min, max]; either bound may be None (but not both)."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        raise TypeError("clamp: min and max must be numbers; for tensor bounds use where()")
    return Clamp.apply(input, low=min, high=max)


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
    return Var.apply(input, axes=_normalize_dims(dim, _ndim(input)), correction=correction,
                     keepdim=keepdim)


def max(input, dim=None, keepdim=False):
    """The largest element; with ``dim`` (an int), the pair (values, indices) along it, as
    ``torch.max``. The indices are an int64 tensor outside the graph."""
    return _extreme(input, dim, keepdim, largest=True)


def min(input, dim=None, keepdim=False):
    """The smallest element; with ``dim`` (an int), the pair (values, indices) along it, as
    ``torch.min``. The indices are an int64 tensor outside the graph."""
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
    return values, Tensor(indices if keepdim else indices.squeeze(dim))


def reshape(input, shape):
    """The same elements in a new shape (one -1 entry is inferred)."""
    return Reshape.apply(input, shape=tuple(shape))


def transpose(input, dim0, dim1):
    """Swap two axes (a view)."""
    dims = list(range(_ndim(input)))
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return Permute.apply(input, dims=tuple(dims))


def permute(input, dims):
    """Reorder the axes: output axis i is input axis dims[i] (a view)."""
    ndim = _ndim(input)
    if sorted(d % ndim for d in dims) != list(range(ndim)):
        raise ValueError(f"permute: dims {tuple(dims)} are not a permutation of the "
                         f"{ndim} axes of a tensor of shape {tuple(_data(input).shape)}")
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


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _ndim(x):
    return x.ndim if isinstance(x, Tensor) else np.ndim(x)


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
