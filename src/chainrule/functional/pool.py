"""Pooling: max, average, Lp-norm (deck D2's "L2-norm pooling") and adaptive average pooling.

A pooling layer divides each feature map into windows R_k of kh × kw pixels, stepping ``stride``
pixels at a time, and summarises each window by one number (deck D1, "down(·)"):

    max pooling      y_k = max_{i∈R_k} x_i
    average pooling  y_k = (1/|R_k|) Σ_{i∈R_k} x_i
    Lp pooling       y_k = (Σ_{i∈R_k} x_i^p)^(1/p)

Backward is deck D3's up-sampling of δ ("情况一：当前层之后为 Pooling 层", see
docs/references.md): max pooling routes each δ_k to the arg-max of its window (every other
pixel gets 0), mean pooling spreads it evenly, up(δ) = δ ⊗ 1_{n×n}/(n·n) (the Kronecker
product) for n × n windows that tile the map.

The reference computation below reads every window through its kh·kw taps: tap (u, v) of all
windows at once is one strided view of the padded input (``_taps``). It is what runs on a GPU;
on the CPU ``chainrule.kernels.pool`` computes the same in separable passes (skip it on first
reading).

Inputs are (N, C, H, W) or unbatched (C, H, W): pooling acts on the last two axes.
"""

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..kernels import pool as pool_kernels

__all__ = ["max_pool2d", "avg_pool2d", "lp_pool2d", "adaptive_avg_pool2d"]


def _pair(value, op, name):
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) for v in pair):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    return pair


class _Windows:
    """The windows of one pooling: kernel (kh, kw), stride, padding, the padded size and the
    output size (Ho, Wo) = ⌊(H + 2p − kh)/s⌋ + 1, … (deck D2's output-size formula)."""

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

    def tap(self, u, v):
        """The index of the padded-input pixels that tap (u, v) reads, one per window: rows
        u + i·s and columns v + j·s."""
        (sh, sw), (ho, wo) = self.stride, self.out
        return Ellipsis, slice(u, u + sh * (ho - 1) + 1, sh), slice(v, v + sw * (wo - 1) + 1, sw)

    def taps(self):
        """The kernel taps (u, v) in row-major order."""
        return [(u, v) for u in range(self.kernel[0]) for v in range(self.kernel[1])]


def _on_cpu(array):
    """Whether the CPU kernels compute (NumPy arrays) rather than the reference (CuPy)."""
    return get_array_module(array) is np


def max_pool(x, w):
    """(y, arg): the max of each window and the tap that held it (the first, in row-major
    order, when several are equal, as in PyTorch)."""
    xp = get_array_module(x)
    padded = w.pad(x, -xp.inf)
    taps = xp.stack([padded[w.tap(u, v)] for u, v in w.taps()], axis=-1)
    arg = taps.argmax(axis=-1)
    return xp.take_along_axis(taps, arg[..., None], axis=-1)[..., 0], arg


def route_to_argmax(grad, arg, w):
    """∂L/∂x: δ_k goes to the pixel that won window k, 0 elsewhere; a pixel that won several
    overlapping windows collects each one's δ."""
    xp = get_array_module(grad)
    padded = xp.zeros(w.leading + w.padded, grad.dtype)
    for k, (u, v) in enumerate(w.taps()):
        padded[w.tap(u, v)] += grad * (arg == k)
    return padded[w.inside]


def window_sum(padded, w):
    """Σ_{i∈R_k} x_i for every window of the padded input: the sum of the kh·kw tap views."""
    return sum(padded[w.tap(u, v)] for u, v in w.taps())


def spread(per_window, w):
    """The adjoint of ``window_sum``: every pixel of window k receives its value (summed over
    the windows it belongs to), the padding cropped. For n × n windows that tile the map this
    is per_window ⊗ 1_{n×n}, deck D3's up-sampling."""
    xp = get_array_module(per_window)
    padded = xp.zeros(w.leading + w.padded, per_window.dtype)
    for u, v in w.taps():
        padded[w.tap(u, v)] += per_window
    return padded[w.inside]


def _window_sum(padded, w):
    return pool_kernels.window_sum(padded, w) if _on_cpu(padded) else window_sum(padded, w)


def _spread(per_window, w):
    return pool_kernels.spread(per_window, w) if _on_cpu(per_window) else spread(per_window, w)


class MaxPool2d(Function):
    """y_k = max_{i∈R_k} x_i over windows R_k (padding counts as −∞).

    Backward (deck D3, "情况一：当前层之后为 Pooling 层", up(·) for max pooling records where each
    max came from): δ_k is routed to the arg-max of window k and every other pixel gets 0; a pixel
    in several overlapping windows collects δ from each window it won.
    """

    @staticmethod
    def forward(ctx, x, *, kernel_size, stride, padding):
        w = _Windows("max_pool2d", x.shape, kernel_size, stride, padding)
        track = ctx.needs_input_grad[0]
        if _on_cpu(x):
            out, saved = pool_kernels.max_pool(x, w, track)
        else:
            out, arg = max_pool(x, w)
            saved = [arg]
        if track:
            ctx.windows = w
            ctx.save_for_backward(*saved)
        return out

    @staticmethod
    def backward(ctx, grad):
        if _on_cpu(grad):
            return pool_kernels.max_pool_backward(grad, ctx.saved_tensors, ctx.windows)
        return route_to_argmax(grad, ctx.saved_tensors[0], ctx.windows)


class AvgPool2d(Function):
    """y_k = (1/|R_k|) Σ_{i∈R_k} x_i; |R_k| = kh·kw, or with ``count_include_pad=False`` only
    the pixels of R_k inside the unpadded input.

    Backward (deck D3, "情况一：当前层之后为 Pooling 层"): every pixel of R_k gets δ_k/|R_k|;
    for non-overlapping n × n windows this is the Kronecker up-sampling
    up(δ) = δ ⊗ 1_{n×n}/(n·n).
    """

    @staticmethod
    def forward(ctx, x, *, kernel_size, stride, padding, count_include_pad):
        w = _Windows("avg_pool2d", x.shape, kernel_size, stride, padding)
        divisor = _window_sizes(w, count_include_pad, get_array_module(x), x.dtype)
        out = _window_sum(w.pad(x, 0), w)
        out /= divisor
        ctx.windows, ctx.divisor = w, divisor
        return out

    @staticmethod
    def backward(ctx, grad):
        return _spread(grad / ctx.divisor, ctx.windows)


def _window_sizes(w, count_include_pad, xp, dtype):
    """|R_k|: kh·kw, or (count_include_pad=False) an (Ho, Wo) array of in-image pixel counts."""
    if count_include_pad or w.padding == (0, 0):
        return w.kernel[0] * w.kernel[1]
    counts = []
    for size, k, s, p, o in zip(w.size, w.kernel, w.stride, w.padding, w.out):
        start = xp.arange(o) * s - p
        counts.append(xp.minimum(start + k, size) - xp.maximum(start, 0))
    rows, cols = counts
    return (rows[:, None] * cols[None, :]).astype(dtype)


class LpPool2d(Function):
    """y_k = (Σ_{i∈R_k} x_i^p)^(1/p), PyTorch's definition (no absolute value; p = 2 is deck
    D2's L2-norm pooling). No padding.

    Backward: with S_k = Σ_{i∈R_k} x_i^p, ∂y_k/∂x_i = (1/p)·S_k^(1/p − 1)·p·x_i^(p−1)
    = (y_k/S_k)·x_i^(p−1), so δ_k·y_k/S_k is spread over the window and scaled by x^(p−1).
    """

    @staticmethod
    def forward(ctx, x, *, norm_type, kernel_size, stride):
        xp = get_array_module(x)
        w = _Windows("lp_pool2d", x.shape, kernel_size, stride, 0)
        total = _window_sum(xp.power(x, norm_type), w)
        out = xp.power(total, 1.0 / norm_type)
        ctx.windows, ctx.norm_type = w, norm_type
        ctx.save_for_backward(x, total, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, total, out = ctx.saved_tensors
        spread_ = _spread(grad * out / total, ctx.windows)
        return spread_ * get_array_module(x).power(x, ctx.norm_type - 1)


class AdaptiveAvgPool2d(Function):
    """Average pooling to a given output size (Ho, Wo), with PyTorch's bins: output row i
    averages input rows ⌊i·H/Ho⌋ … ⌈(i+1)·H/Ho⌉ − 1 (bins may overlap when Ho ∤ H), likewise
    for columns. output_size = 1 is global average pooling (Lin et al. 2013, Network in
    Network; deck D3, "Network in Network").

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
