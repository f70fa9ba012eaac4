"""Pooling: max, average, Lp-norm (deck 002's "L2-norm pooling") and adaptive average pooling.

A pooling layer divides each feature map into windows R_k of kh × kw pixels, stepping ``stride``
pixels at a time, and summarises each window by one number (deck 001, "down(·)"):

    max pooling      y_k = max_{i∈R_k} x_i
    average pooling  y_k = (1/|R_k|) Σ_{i∈R_k} x_i
    Lp pooling       y_k = (Σ_{i∈R_k} x_i^p)^(1/p)

A rectangular window is separable: the max (or sum) over a kh × kw window is the max over its
kh rows of the max over each row's kw pixels. So every pooling here runs in two passes, first
across the rows (kw strided views x[..., v::s] of the input, combined element-wise with
``np.maximum`` or ``+``), then down the columns (kh strided views of that result). Each pass is
a few whole-array operations, never a Python loop over windows; the row pass runs over long
contiguous loops. Backward goes through the same views in reverse order: deck 003's
up-sampling of δ, which routes δ to the arg-max for max pooling and spreads it evenly (the
Kronecker product δ ⊗ 1/(n·n)) for mean pooling.

Inputs are (N, C, H, W) or unbatched (C, H, W): pooling acts on the last two axes.
"""

import numpy as np

from ..autograd import Function
from ..backend import get_array_module

__all__ = ["max_pool2d", "avg_pool2d", "lp_pool2d", "adaptive_avg_pool2d"]


def _pair(value, op, name):
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) for v in pair):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    return pair


class _Windows:
    """The windows of one pooling: kernel (kh, kw), stride, padding and output size, and the
    one-axis passes every pooling is made of (see the module docstring)."""

    def __init__(self, op, shape, kernel_size, stride, padding):
        if len(shape) not in (3, 4):
            raise ValueError(f"{op}: expected input (N, C, H, W) or (C, H, W), got shape "
                             f"{tuple(shape)}")
        self.kernel = _pair(kernel_size, op, "kernel_size")
        self.stride = self.kernel if stride is None else _pair(stride, op, "stride")
        self.padding = _pair(padding, op, "padding")
        if min(self.kernel + self.stride) < 1:
            raise ValueError(f"{op}: kernel_size and stride must be positive, got "
                             f"{self.kernel} and {self.stride}")
        if any(p < 0 or 2 * p > k for p, k in zip(self.padding, self.kernel)):
            raise ValueError(f"{op}: padding {self.padding} must be between 0 and half the "
                             f"kernel size {self.kernel}")
        self.leading, self.size = tuple(shape[:-2]), tuple(shape[-2:])
        self.padded = tuple(n + 2 * p for n, p in zip(self.size, self.padding))
        self.out = tuple((n - k) // s + 1 for n, k, s in zip(self.padded, self.kernel,
                                                             self.stride))
        if min(self.out) < 1:
            raise ValueError(f"{op}: kernel {self.kernel} is larger than the padded input "
                             f"{self.padded}")

    def pad(self, x, fill):
        """x padded with ``fill`` on every side (x itself when there is no padding)."""
        if self.padding == (0, 0):
            return x
        padded = get_array_module(x).full(self.leading + self.padded, fill, x.dtype)
        padded[self.inside] = x
        return padded

    @property
    def inside(self):
        """The index of the unpadded input inside the padded one."""
        (ph, pw), (h, w) = self.padding, self.size
        return Ellipsis, slice(ph, ph + h), slice(pw, pw + w)

    def passes(self):
        """The two one-axis passes, (axis, kernel, stride, output length): rows, then columns."""
        return [(-1, self.kernel[1], self.stride[1], self.out[1]),
                (-2, self.kernel[0], self.stride[0], self.out[0])]

    def shape_before(self, axis):
        """The shape a pass along ``axis`` reads: the padded input for the row pass, the row
        pass's result for the column pass."""
        return self.leading + (self.padded[0], self.out[1] if axis == -2 else self.padded[1])

    def total(self, padded):
        """Σ over each window: the row sums, then the column sums of those."""
        for axis, kernel, stride, count in self.passes():
            views = _offset_views(padded, axis, kernel, stride, count)
            padded = views[0].copy()
            for view in views[1:]:
                padded += view
        return padded

    def spread(self, per_window):
        """The adjoint of ``total``: every pixel of each window receives the window's value
        (summed over the windows it belongs to); the padding is cropped."""
        for axis, kernel, stride, count in reversed(self.passes()):
            per_window = _spread_along(per_window, self.shape_before(axis), axis, kernel, stride,
                                       count, [None] * kernel)
        return per_window[self.inside]


def _offset_views(array, axis, kernel, stride, count):
    """For each kernel offset v, the strided view array[..., v + stride·j, ...] (j < count)
    along ``axis``."""
    views = []
    for v in range(kernel):
        index = [slice(None)] * array.ndim
        index[axis] = slice(v, v + stride * (count - 1) + 1, stride)
        views.append(array[tuple(index)])
    return views


def _spread_along(values, shape, axis, kernel, stride, count, masks):
    """An array of ``shape`` whose offset-v view along ``axis`` receives ``values`` (× masks[v]
    unless it is None), added up where windows overlap: the adjoint of reading the views."""
    xp = get_array_module(values)
    exact = kernel == stride and shape[axis] == kernel * count
    out = (xp.empty if exact else xp.zeros)(shape, values.dtype)
    for view, mask in zip(_offset_views(out, axis, kernel, stride, count), masks):
        if kernel > stride:
            view += values if mask is None else values * mask
        elif mask is None:
            view[...] = values
        else:
            xp.multiply(values, mask, out=view)
    return out


def _running_max(views, track):
    """Element-wise max over ``views``; with ``track`` also the masks views[k] > max(views[:k])
    for k ≥ 1 (strict, so the first of equal maxima wins, as in PyTorch)."""
    xp = get_array_module(views[0])
    if len(views) == 1:
        return views[0].copy(), []
    best, betters = views[0], []
    for k, view in enumerate(views[1:]):
        if track:
            betters.append(view > best)
        best = xp.maximum(best, view, out=None if k == 0 else best)
    return best, betters


def _winner_masks(betters):
    """From _running_max's masks, the mask of where each view held the (first) maximum: view k
    won where it beat every earlier one and no later one beat it."""
    won, beaten = [None] * (len(betters) + 1), None
    for k in range(len(betters), 0, -1):
        better = betters[k - 1]
        won[k] = better if beaten is None else better & ~beaten
        beaten = better if beaten is None else beaten | better
    won[0] = None if beaten is None else ~beaten
    return won


class MaxPool2d(Function):
    """y_k = max_{i∈R_k} x_i over windows R_k (padding counts as −∞).

    Forward: the row pass takes the max of the kw views x[..., v::s] with ``np.maximum``, the
    column pass the max of kh views of that: for 2×2, stride 2, two ``maximum``s of strided
    views (several times faster than a reshape and ``max`` over window axes). When a gradient
    is wanted each pass also keeps, per offset, where it beat the earlier ones, so the first
    maximum in row-major order wins ties, as in PyTorch.

    Backward (deck 003): δ is routed to the arg-max of each window and every other pixel gets 0
    (down the column pass, then across the row pass); a pixel in several overlapping windows
    collects δ from each window it won.
    """

    @staticmethod
    def forward(ctx, x, *, kernel_size, stride, padding):
        windows = _Windows("max_pool2d", x.shape, kernel_size, stride, padding)
        track = ctx.needs_input_grad[0]
        out, masks = windows.pad(x, -np.inf), []
        for axis, kernel, stride_, count in windows.passes():
            out, better = _running_max(_offset_views(out, axis, kernel, stride_, count), track)
            masks += better
        if track:
            ctx.windows = windows
            ctx.save_for_backward(*masks)
        return out

    @staticmethod
    def backward(ctx, grad):
        windows = ctx.windows
        row_masks = windows.kernel[1] - 1
        masks = [ctx.saved_tensors[:row_masks], ctx.saved_tensors[row_masks:]]
        for (axis, kernel, stride, count), better in zip(reversed(windows.passes()),
                                                         reversed(masks)):
            grad = _spread_along(grad, windows.shape_before(axis), axis, kernel, stride, count,
                                 _winner_masks(better))
        return grad[windows.inside]


class AvgPool2d(Function):
    """y_k = (1/|R_k|) Σ_{i∈R_k} x_i; |R_k| = kh·kw, or with ``count_include_pad=False`` only
    the pixels of R_k inside the unpadded input.

    Backward (deck 003): every pixel of R_k gets δ_k/|R_k|; for non-overlapping windows this is
    the Kronecker up-sampling up(δ) = δ ⊗ 1_{n×n}/(n·n).
    """

    @staticmethod
    def forward(ctx, x, *, kernel_size, stride, padding, count_include_pad):
        windows = _Windows("avg_pool2d", x.shape, kernel_size, stride, padding)
        divisor = _window_sizes(windows, count_include_pad, get_array_module(x), x.dtype)
        out = windows.total(windows.pad(x, 0))
        out /= divisor
        ctx.windows, ctx.divisor = windows, divisor
        return out

    @staticmethod
    def backward(ctx, grad):
        return ctx.windows.spread(grad / ctx.divisor)


def _window_sizes(windows, count_include_pad, xp, dtype):
    """|R_k|: kh·kw, or (count_include_pad=False) an (Ho, Wo) array of in-image pixel counts."""
    if count_include_pad or windows.padding == (0, 0):
        return windows.kernel[0] * windows.kernel[1]
    counts = []
    for size, k, s, p, o in zip(windows.size, windows.kernel, windows.stride, windows.padding,
                                windows.out):
        start = xp.arange(o) * s - p
        counts.append(xp.minimum(start + k, size) - xp.maximum(start, 0))
    rows, cols = counts
    return (rows[:, None] * cols[None, :]).astype(dtype)


class LpPool2d(Function):
    """y_k = (Σ_{i∈R_k} x_i^p)^(1/p), PyTorch's definition (no absolute value; p = 2 is deck
    002's L2-norm pooling). No padding.

    Backward: with S_k = Σ_{i∈R_k} x_i^p, ∂y_k/∂x_i = (1/p)·S_k^(1/p − 1)·p·x_i^(p−1)
    = (y_k/S_k)·x_i^(p−1), so δ_k·y_k/S_k is spread over the window and scaled by x^(p−1).
    """

    @staticmethod
    def forward(ctx, x, *, norm_type, kernel_size, stride):
        xp = get_array_module(x)
        windows = _Windows("lp_pool2d", x.shape, kernel_size, stride, 0)
        total = windows.total(xp.power(x, norm_type))
        out = xp.power(total, 1.0 / norm_type)
        ctx.windows, ctx.norm_type = windows, norm_type
        ctx.save_for_backward(x, total, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, total, out = ctx.saved_tensors
        spread = ctx.windows.spread(grad * out / total)
        return spread * get_array_module(x).power(x, ctx.norm_type - 1)


class AdaptiveAvgPool2d(Function):
    """Average pooling to a given output size (Ho, Wo), with PyTorch's bins: output row i
    averages input rows ⌊i·H/Ho⌋ … ⌈(i+1)·H/Ho⌉ − 1 (bins may overlap when Ho ∤ H), likewise
    for columns. output_size = 1 is global average pooling (Network in Network, deck 003).

    The bins make the pooling separable and linear: y = A_H · x · A_Wᵀ with A[i, j] = 1/|bin i|
    for j in bin i. Backward is the transpose: ∂L/∂x = A_Hᵀ · G · A_W.
    """

    @staticmethod
    def forward(ctx, x, *, output_size):
        xp = get_array_module(x)
        if x.ndim not in (3, 4):
            raise ValueError(f"adaptive_avg_pool2d: expected input (N, C, H, W) or (C, H, W), "
                             f"got shape {tuple(x.shape)}")
        sizes = (output_size, output_size) if isinstance(output_size, int) else output_size
        if len(sizes) != 2:
            raise ValueError(f"adaptive_avg_pool2d: output_size must be an int or a pair, got "
                             f"{output_size!r}")
        sizes = [size if out is None else out for out, size in zip(sizes, x.shape[-2:])]
        if min(sizes) < 1:
            raise ValueError(f"adaptive_avg_pool2d: output_size must be positive, got "
                             f"{output_size!r}")
        rows, cols = (_bin_matrix(xp, size, out, x.dtype) for size, out in
                      zip(x.shape[-2:], sizes))
        ctx.save_for_backward(rows, cols)
        return _along(_along(x, rows, -2), cols, -1)

    @staticmethod
    def backward(ctx, grad):
        rows, cols = ctx.saved_tensors
        return _along(_along(grad, rows.T, -2), cols.T, -1)


def _bin_matrix(xp, size, out, dtype):
    """A (out, size) with A[i, j] = 1/|bin i| for j in bin i = [⌊i·size/out⌋, ⌈(i+1)·size/out⌉)."""
    i = xp.arange(out)[:, None]
    start, end = (i * size) // out, -((-(i + 1) * size) // out)
    j = xp.arange(size)[None, :]
    return (((j >= start) & (j < end)) / (end - start)).astype(dtype)


def _along(x, matrix, axis):
    """Apply ``matrix`` (out, n) to axis ``axis`` of x (length n): one tensordot."""
    xp = get_array_module(x)
    return xp.moveaxis(xp.tensordot(x, matrix, axes=([axis], [1])), -1, axis)


def max_pool2d(input, kernel_size, stride=None, padding=0):
    """Max pooling over kh×kw windows; ``stride`` defaults to ``kernel_size``, padding is −∞.
    See ``MaxPool2d``."""
    return MaxPool2d.apply(input, kernel_size=kernel_size, stride=stride, padding=padding)


def avg_pool2d(input, kernel_size, stride=None, padding=0, *, count_include_pad=True):
    """Average pooling over kh×kw windows; ``stride`` defaults to ``kernel_size``, padding is 0
    (counted in the average unless ``count_include_pad=False``). See ``AvgPool2d``."""
    return AvgPool2d.apply(input, kernel_size=kernel_size, stride=stride, padding=padding,
                           count_include_pad=count_include_pad)


def lp_pool2d(input, norm_type, kernel_size, stride=None):
    """Power-average (Lp) pooling (Σ x^p)^(1/p) over kh×kw windows. See ``LpPool2d``."""
    return LpPool2d.apply(input, norm_type=float(norm_type), kernel_size=kernel_size,
                          stride=stride)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to ``output_size`` (an int, a pair, None keeps that axis); 1 is global
    average pooling. See ``AdaptiveAvgPool2d``."""
    return AdaptiveAvgPool2d.apply(input, output_size=output_size)
