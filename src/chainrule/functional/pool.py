"""Pooling: max, average, Lp-norm (deck 002's "L2-norm pooling") and adaptive average pooling.

A pooling layer divides each feature map into windows R_k of kh × kw pixels, stepping ``stride``
pixels at a time, and summarises each window by one number (deck 001, "down(·)"):

    max pooling      y_k = max_{i∈R_k} x_i
    average pooling  y_k = (1/|R_k|) Σ_{i∈R_k} x_i
    Lp pooling       y_k = (Σ_{i∈R_k} x_i^p)^(1/p)

Every window offset (u, v) picks one strided view of the input, x[..., u::s, v::s] cut to the
output size, so a pooling is kh·kw element-wise operations on whole arrays — ``np.maximum`` or
``+`` over the views — and never a Python loop over windows. Backward adds the gradient back
through the same views: deck 003's up-sampling of δ, which routes δ to the arg-max for max
pooling and spreads it evenly (the Kronecker product δ ⊗ 1/(n·n)) for mean pooling.

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
    """The windows of one pooling: kernel (kh, kw), stride, zero/−∞ padding, output size, and for
    each kernel offset (u, v) the strided view ``tap(u, v)`` of the padded input it sees."""

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
        self.leading, (h, w) = tuple(shape[:-2]), shape[-2:]
        self.size = (h, w)
        self.padded = (h + 2 * self.padding[0], w + 2 * self.padding[1])
        self.out = tuple((p - k) // s + 1 for p, k, s in zip(self.padded, self.kernel,
                                                             self.stride))
        if min(self.out) < 1:
            raise ValueError(f"{op}: kernel {self.kernel} is larger than the padded input "
                             f"{self.padded}")

    @property
    def offsets(self):
        """Every kernel offset (u, v), in row-major order (torch's order for ties in max)."""
        return [(u, v) for u in range(self.kernel[0]) for v in range(self.kernel[1])]

    @property
    def overlapping(self):
        return self.kernel[0] > self.stride[0] or self.kernel[1] > self.stride[1]

    @property
    def tiles_exactly(self):
        """True when the windows cover the padded input once each (2×2, stride 2 on even sizes)."""
        return all(k == s and p == o * k for k, s, p, o in
                   zip(self.kernel, self.stride, self.padded, self.out))

    def tap(self, u, v):
        (sh, sw), (ho, wo) = self.stride, self.out
        return (Ellipsis, slice(u, u + sh * (ho - 1) + 1, sh), slice(v, v + sw * (wo - 1) + 1, sw))

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

    def spread(self, per_window, dtype, routes=None):
        """The adjoint of reading the windows: add ``per_window`` (× the mask ``routes(k)`` for
        offset k, if given) back onto every pixel of each window; the padding is cropped."""
        xp = get_array_module(per_window)
        make = xp.empty if self.tiles_exactly else xp.zeros
        grad = make(self.leading + self.padded, dtype)
        for k, (u, v) in enumerate(self.offsets):
            target = grad[self.tap(u, v)]
            if self.overlapping:
                target += per_window if routes is None else per_window * routes(k)
            elif routes is None:
                target[...] = per_window
            else:
                xp.multiply(per_window, routes(k), out=target)
        return grad[self.inside]

    def total(self, padded):
        """Σ over each window: kh·kw additions of strided views."""
        taps = iter(self.offsets)
        total = padded[self.tap(*next(taps))].copy()
        for u, v in taps:
            total += padded[self.tap(u, v)]
        return total


class MaxPool2d(Function):
    """y_k = max_{i∈R_k} x_i over windows R_k (padding counts as −∞).

    Forward is kh·kw ``maximum``s of strided views (for 2×2, stride 2 that is four views, about
    four times faster than a reshape and ``max`` over the window axes). When a gradient is
    wanted it also records, per window, which offset held the maximum (the first one on ties,
    as PyTorch).

    Backward (deck 003): δ is routed to the arg-max of each window and every other pixel gets 0;
    a pixel in several overlapping windows collects δ from each window it won.
    """

    @staticmethod
    def forward(ctx, x, *, kernel_size, stride, padding):
        xp = get_array_module(x)
        windows = _Windows("max_pool2d", x.shape, kernel_size, stride, padding)
        padded = windows.pad(x, -np.inf)
        offsets = windows.offsets
        out = padded[windows.tap(*offsets[0])].copy()
        track = ctx.needs_input_grad[0]
        if track:
            winner = xp.zeros(out.shape, np.min_scalar_type(len(offsets) - 1))
        for k, (u, v) in enumerate(offsets[1:], start=1):
            view = padded[windows.tap(u, v)]
            if track:
                xp.copyto(winner, k, where=view > out)
            xp.maximum(out, view, out=out)
        if track:
            ctx.windows = windows
            ctx.save_for_backward(winner)
        return out

    @staticmethod
    def backward(ctx, grad):
        (winner,) = ctx.saved_tensors
        return ctx.windows.spread(grad, grad.dtype, routes=lambda k: winner == k)


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
        return ctx.windows.spread(grad / ctx.divisor, grad.dtype)


def _window_sizes(windows, count_include_pad, xp, dtype):
    """|R_k|: kh·kw, or (count_include_pad=False) an (Ho, Wo) array of in-image pixel counts."""
    if count_include_pad or windows.padding == (0, 0):
        return windows.kernel[0] * windows.kernel[1]
    counts = []
    for size, k, s, p, o in zip(windows.size, windows.kernel, windows.stride, windows.padding,
                                windows.out):
        start = xp.arange(o) * s - p
        counts.append(xp.minimum(start + k, size) - xp.maximum(start, 0))
    return xp.multiply.outer(*counts).astype(dtype)


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
        spread = ctx.windows.spread(grad * out / total, grad.dtype)
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
