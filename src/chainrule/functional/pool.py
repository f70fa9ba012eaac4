"""Pooling: max, average, Lp-norm (deck D2, "Pooling" / "池化"), adaptive (max and average)
pooling, and max unpooling, over 2-D maps and (as maps of height 1) 1-D signals.

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

Inputs are (N, C, H, W) or unbatched (C, H, W): pooling acts on the last two axes; the 1-D ops
take (N, C, L) or (C, L) and pool a map of height 1.
"""

import math

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..kernels import pool as pool_kernels

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "lp_pool1d",
    "lp_pool2d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "max_unpool1d",
    "max_unpool2d",
]


def _pair(value, op, name):
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) for v in pair):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    return pair


class _Windows:
    """The windows of one pooling: kernel (kh, kw), stride, padding, dilation, and the output
    size (deck D2, "Filter": W₂ = (W₁ − F + 2P)/S + 1, here with dilation d)

        Ho = ⌊(H + 2p − d·(kh − 1) − 1)/s⌋ + 1,   likewise Wo,

    rounded up instead with ``ceil_mode`` as long as the last window starts inside the input or
    its left padding (torch's rule). ``pads`` holds (before, after) per axis: after is p, or
    more when ceil_mode's last window reaches beyond the padding; ``padded`` is the padded size.
    """

    def __init__(self, op, shape, kernel_size, stride, padding, dilation=1, ceil_mode=False):
        if len(shape) not in (3, 4):
            raise ValueError(
                f"{op}: expected input (N, C, H, W) or (C, H, W), got shape {tuple(shape)}"
            )
        self.kernel = _pair(kernel_size, op, "kernel_size")
        self.stride = self.kernel if stride is None else _pair(stride, op, "stride")
        self.padding = _pair(padding, op, "padding")
        self.dilation = _pair(dilation, op, "dilation")
        if min(self.kernel + self.stride + self.dilation) < 1:
            raise ValueError(
                f"{op}: kernel_size, stride and dilation must be positive, got "
                f"{self.kernel}, {self.stride} and {self.dilation}"
            )
        spans = [d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation)]
        if any(p < 0 or 2 * p > span for p, span in zip(self.padding, spans)):
            raise ValueError(
                f"{op}: padding {self.padding} must be between 0 and half the "
                f"kernel size {self.kernel} (dilation {self.dilation})"
            )
        self.leading, self.size = tuple(shape[:-2]), tuple(shape[-2:])
        self.out = tuple(
            _output_length(n, span, s, p, ceil_mode)
            for n, span, s, p in zip(self.size, spans, self.stride, self.padding)
        )
        if min(self.out) < 1:
            raise ValueError(
                f"{op}: kernel {self.kernel} (dilation {self.dilation}) is larger "
                f"than the padded input {tuple(self.size)} + 2·{self.padding}"
            )
        self.pads = tuple(
            (p, max(p, (o - 1) * s + span - n - p))
            for n, span, s, p, o in zip(self.size, spans, self.stride, self.padding, self.out)
        )
        self.padded = tuple(n + before + after for n, (before, after) in zip(self.size, self.pads))

    def pad(self, x, fill):
        """x padded with ``fill`` on every side (x itself when there is no padding)."""
        if self.padded == self.size:
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
        u·d + i·s and columns v·d + j·s."""
        (sh, sw), (dh, dw), (ho, wo) = self.stride, self.dilation, self.out
        return (
            Ellipsis,
            slice(u * dh, u * dh + sh * (ho - 1) + 1, sh),
            slice(v * dw, v * dw + sw * (wo - 1) + 1, sw),
        )

    def taps(self):
        """The kernel taps (u, v) in row-major order."""
        return [(u, v) for u in range(self.kernel[0]) for v in range(self.kernel[1])]

    def position(self, arg):
        """The flat index (row·W + column) in the unpadded input of tap ``arg`` of each window,
        as torch's ``return_indices``."""
        xp = get_array_module(arg)
        u, v = xp.divmod(arg, self.kernel[1])
        (sh, sw), (dh, dw), (ph, pw) = self.stride, self.dilation, self.padding
        rows = xp.arange(self.out[0])[:, None] * sh - ph + u * dh
        cols = xp.arange(self.out[1]) * sw - pw + v * dw
        return rows * self.size[1] + cols


def _output_length(n, span, stride, padding, ceil_mode):
    """The number of windows along one axis (see ``_Windows``)."""
    extent = n + 2 * padding - span
    if not ceil_mode:
        return extent // stride + 1
    out = -(-extent // stride) + 1
    return out - 1 if (out - 1) * stride >= n + padding else out


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
    is per_window ⊗ 1_{n×n}, deck D3's up-sampling ("情况一：当前层之后为 Pooling 层")."""
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
    """y_k = max_{i∈R_k} x_i over windows R_k (padding counts as −∞); with ``return_indices``
    also each max's flat position row·W + column in the input.

    Backward (deck D3, "情况一：当前层之后为 Pooling 层", up(·) for max pooling records where each
    max came from): δ_k is routed to the arg-max of window k and every other pixel gets 0; a pixel
    in several overlapping windows collects δ from each window it won.
    """

    @staticmethod
    def forward(ctx, x, *, kernel_size, stride, padding, dilation, ceil_mode, return_indices, op):
        w = _Windows(op, x.shape, kernel_size, stride, padding, dilation, ceil_mode)
        track = ctx.needs_input_grad[0]
        ctx.by_kernel = _on_cpu(x) and w.dilation == (1, 1) and not return_indices
        if ctx.by_kernel:
            out, saved = pool_kernels.max_pool(x, w, track)
        else:
            out, arg = max_pool(x, w)
            saved = [arg]
        if track:
            ctx.windows = w
            ctx.save_for_backward(*saved)
        return (out, w.position(arg)) if return_indices else out

    @staticmethod
    def backward(ctx, grad, *index_grad):
        if ctx.by_kernel:
            return pool_kernels.max_pool_backward(grad, ctx.saved_tensors, ctx.windows)
        return route_to_argmax(grad, ctx.saved_tensors[0], ctx.windows)


class AvgPool2d(Function):
    """y_k = (1/|R_k|) Σ_{i∈R_k} x_i. |R_k| is kh·kw, less what lies beyond the padding in
    ceil_mode's last windows; with ``count_include_pad=False`` only the pixels of R_k inside
    the input; or ``divisor_override``.

    Backward (deck D3, "情况一：当前层之后为 Pooling 层"): every pixel of R_k gets δ_k/|R_k|;
    for non-overlapping n × n windows this is the Kronecker up-sampling
    up(δ) = δ ⊗ 1_{n×n}/(n·n).
    """

    @staticmethod
    def forward(
        ctx, x, *, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, op
    ):
        w = _Windows(op, x.shape, kernel_size, stride, padding, 1, ceil_mode)
        if divisor_override is not None and (
            not isinstance(divisor_override, int) or divisor_override == 0
        ):
            raise ValueError(
                f"{op}: divisor_override must be a non-zero int, got {divisor_override!r}"
            )
        divisor = divisor_override or _window_sizes(w, count_include_pad, x)
        out = _window_sum(w.pad(x, 0), w)
        out /= divisor
        ctx.windows, ctx.divisor = w, divisor
        return out

    @staticmethod
    def backward(ctx, grad):
        return _spread(grad / ctx.divisor, ctx.windows)


def _window_sizes(w, count_include_pad, x):
    """|R_k| as torch counts it: the window clipped to the padded input, or (count_include_pad
    False) to the input itself. kh·kw when that is every window's size, else an (Ho, Wo) array."""
    counts = []
    for n, k, s, p, o in zip(w.size, w.kernel, w.stride, w.padding, w.out):
        starts = [i * s - p for i in range(o)]
        ends = [min(start + k, n + p) for start in starts]
        if not count_include_pad:
            starts, ends = [max(start, 0) for start in starts], [min(end, n) for end in ends]
        counts.append([end - start for start, end in zip(starts, ends)])
    rows, cols = counts
    if set(rows) == {w.kernel[0]} and set(cols) == {w.kernel[1]}:
        return w.kernel[0] * w.kernel[1]
    xp = get_array_module(x)
    return xp.asarray(np.outer(rows, cols), dtype=x.dtype)


class LpPool2d(Function):
    """y_k = (Σ_{i∈R_k} x_i^p)^(1/p), PyTorch's definition (no absolute value; p = 2 is deck
    D2's L2-norm pooling). No padding; in ceil_mode's last, partial windows torch scales the
    sum by kh·kw/|R_k| (it computes kh·kw · avg_pool(x^p)), and so does this.

    Backward: with S_k = Σ_{i∈R_k} x_i^p and y_k = (c_k·S_k)^(1/p),
    ∂y_k/∂x_i = (1/p)·(c_k·S_k)^(1/p − 1)·c_k·p·x_i^(p−1) = (y_k/S_k)·x_i^(p−1), so δ_k·y_k/S_k is
    spread over the window and scaled by x^(p−1).
    """

    @staticmethod
    def forward(ctx, x, *, norm_type, kernel_size, stride, ceil_mode, op):
        xp = get_array_module(x)
        w = _Windows(op, x.shape, kernel_size, stride, 0, 1, ceil_mode)
        total = _window_sum(w.pad(xp.power(x, norm_type), 0), w)
        sizes = _window_sizes(w, True, x)
        scaled = total if isinstance(sizes, int) else total * (w.kernel[0] * w.kernel[1] / sizes)
        out = xp.power(scaled, 1.0 / norm_type)
        ctx.windows, ctx.norm_type = w, norm_type
        ctx.save_for_backward(x, total, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, total, out = ctx.saved_tensors
        spread_ = _spread(grad * out / total, ctx.windows)
        return spread_ * get_array_module(x).power(x, ctx.norm_type - 1)


def _adaptive_sizes(op, x, output_size):
    """The output size (Ho, Wo) from an int, a pair, or None for "keep this axis"."""
    if x.ndim not in (3, 4):
        raise ValueError(
            f"{op}: expected input (N, C, H, W) or (C, H, W), got shape {tuple(x.shape)}"
        )
    sizes = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    if len(sizes) != 2:
        raise ValueError(f"{op}: output_size must be an int or a pair, got {output_size!r}")
    sizes = [size if out is None else out for out, size in zip(sizes, x.shape[-2:])]
    if min(sizes) < 1:
        raise ValueError(f"{op}: output_size must be positive, got {output_size!r}")
    return sizes


def _bins(size, out):
    """PyTorch's adaptive bins along one axis: bin i = [⌊i·size/out⌋, ⌈(i+1)·size/out⌉)."""
    return [((i * size) // out, -(-(i + 1) * size // out)) for i in range(out)]


class AdaptiveAvgPool2d(Function):
    """Average pooling to a given output size (Ho, Wo), with PyTorch's bins: output row i
    averages input rows ⌊i·H/Ho⌋ … ⌈(i+1)·H/Ho⌉ − 1 (bins may overlap when Ho ∤ H), likewise
    for columns. output_size = 1 is global average pooling (Lin et al. 2013, Network in
    Network; deck D3, "Network In Network").

    The bins make the pooling separable and linear: y = A_H · x · A_Wᵀ with A[i, j] = 1/|bin i|
    for j in bin i. Backward is the transpose: ∂L/∂x = A_Hᵀ · G · A_W.
    """

    @staticmethod
    def forward(ctx, x, *, output_size):
        xp = get_array_module(x)
        sizes = _adaptive_sizes("adaptive_avg_pool2d", x, output_size)
        rows, cols = (_bin_matrix(xp, size, out, x.dtype) for size, out in zip(x.shape[-2:], sizes))
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


class AdaptiveMaxPool2d(Function):
    """y_ij = max of x over bin (i, j), PyTorch's adaptive bins (see ``AdaptiveAvgPool2d``), and
    the flat position row·W + column of each max in the input. adaptive_max_pool1d over time
    with output size 1 is the text CNN's max-over-time pooling (Kim 2014).

    The bins of one axis are read as a (out, longest bin) table of input positions, a short bin
    repeating its last position (which leaves its max alone). Backward: δ_ij goes to its max's
    position, summed where bins overlap and share a max.
    """

    @staticmethod
    def forward(ctx, x, *, output_size, op):
        xp = get_array_module(x)
        (ho, wo), (h, w) = _adaptive_sizes(op, x, output_size), x.shape[-2:]
        rows, cols = (xp.asarray(_bin_members(size, out)) for size, out in ((h, ho), (w, wo)))
        windows = x[..., rows[:, None, :, None], cols[None, :, None, :]]
        windows = windows.reshape(windows.shape[:-2] + (-1,))
        arg = windows.argmax(axis=-1)
        out = xp.take_along_axis(windows, arg[..., None], axis=-1)[..., 0]
        u, v = xp.divmod(arg, cols.shape[1])
        indices = rows[xp.arange(ho)[:, None], u] * w + cols[xp.arange(wo), v]
        ctx.shape = x.shape
        ctx.save_for_backward(indices)
        return out, indices

    @staticmethod
    def backward(ctx, grad, index_grad):
        return _scatter_add(grad, ctx.saved_tensors[0], ctx.shape)


def _bin_members(size, out):
    """Each bin's input positions as a row of a (out, longest bin) table, short rows padded with
    their last position."""
    bins = _bins(size, out)
    longest = max(end - start for start, end in bins)
    return [[min(start + t, end - 1) for t in range(longest)] for start, end in bins]


def _scatter_add(values, indices, shape):
    """An array of ``shape`` (…, H, W) whose (H·W) maps collect values[…, k] at flat position
    indices[…, k], summed where positions repeat (one ``bincount``)."""
    xp = get_array_module(values)
    maps, size = math.prod(shape[:-2]), shape[-2] * shape[-1]
    offsets = indices.reshape(maps, -1) + xp.arange(maps)[:, None] * size
    total = xp.bincount(offsets.ravel(), weights=values.ravel(), minlength=maps * size)
    return total.astype(values.dtype).reshape(shape)


class MaxUnpool2d(Function):
    """The partial inverse of max pooling: y is zero except y[indices_k] = x_k, each value put
    back where max_pool2d(return_indices=True) found it (the "switches" of Zeiler & Fergus
    2014's deconvnet; deck D3, "ZF Net").

    Backward: ∂L/∂x_k = G[indices_k], a gather.
    """

    @staticmethod
    def forward(ctx, x, indices, *, kernel_size, stride, padding, output_size, op):
        xp = get_array_module(x)
        shape = x.shape[:-2] + _unpooled_size(
            op, x.shape, kernel_size, stride, padding, output_size
        )
        if tuple(indices.shape) != tuple(x.shape):
            raise ValueError(
                f"{op}: indices must have the input's shape {tuple(x.shape)}, got "
                f"{tuple(indices.shape)}"
            )
        size = shape[-2] * shape[-1]
        if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= size):
            raise ValueError(f"{op}: indices must lie in [0, {size}) for output size {shape[-2:]}")
        maps = math.prod(x.shape[:-2])
        flat_indices = indices.reshape(maps, -1)
        out = xp.zeros((maps, size), x.dtype)
        out[xp.arange(maps)[:, None], flat_indices] = x.reshape(maps, -1)
        ctx.shape = x.shape
        ctx.save_for_backward(flat_indices)
        return out.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        (flat_indices,) = ctx.saved_tensors
        maps = flat_indices.shape[0]
        picked = grad.reshape(maps, -1)[get_array_module(grad).arange(maps)[:, None], flat_indices]
        return picked.reshape(ctx.shape), None


def _unpooled_size(op, shape, kernel_size, stride, padding, output_size):
    """(H_out, W_out): (H − 1)·s − 2p + kh by default (the input size of the max pooling), or
    ``output_size`` (its last two entries), which must lie within a stride of that."""
    if len(shape) not in (3, 4):
        raise ValueError(
            f"{op}: expected input (N, C, H, W) or (C, H, W), got shape {tuple(shape)}"
        )
    kernel = _pair(kernel_size, op, "kernel_size")
    strides = kernel if stride is None else _pair(stride, op, "stride")
    pads = _pair(padding, op, "padding")
    default = tuple(
        (n - 1) * s - 2 * p + k for n, s, p, k in zip(shape[-2:], strides, pads, kernel)
    )
    if output_size is None:
        return default
    sizes = tuple(output_size)[-2:]
    if len(sizes) != 2 or any(not d - s < n < d + s for n, d, s in zip(sizes, default, strides)):
        raise ValueError(
            f"{op}: output_size {tuple(output_size)} must be within a stride "
            f"{strides} of the default size {default}"
        )
    return sizes


def _pair_1d(value, op, name, fill):
    """1-D pooling's int (or 1-tuple) ``value`` as the pair (fill, value) of a height-1 map."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if not isinstance(value, int):
        raise ValueError(f"{op}: {name} must be an int, got {value!r}")
    return fill, value


def _as_map(op, input):
    """A 1-D signal (N, C, L) or (C, L) as a map of height 1, (N, C, 1, L) or (C, 1, L)."""
    if input.ndim not in (2, 3):
        raise ValueError(
            f"{op}: expected input (N, C, L) or (C, L), got shape {tuple(input.shape)}"
        )
    return input.unsqueeze(-2)


def _with_indices(outputs, return_indices):
    """The pooled output, or (output, indices) with the indices cut from the graph."""
    if not return_indices:
        return outputs
    out, indices = outputs
    return out, indices.detach()


def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Max pooling over kh×kw windows; ``stride`` defaults to ``kernel_size``, padding is −∞.
    With ``return_indices`` also each max's flat position (for ``max_unpool2d``). See
    ``MaxPool2d``."""
    return _with_indices(
        MaxPool2d.apply(
            input,
            kernel_size=kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
            ceil_mode=ceil_mode,
            return_indices=return_indices,
            op="max_pool2d",
        ),
        return_indices,
    )


def max_pool1d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Max pooling over windows of ``kernel_size`` samples of (N, C, L): max_pool2d over a map of
    height 1."""
    op = "max_pool1d"
    outputs = MaxPool2d.apply(
        _as_map(op, input),
        kernel_size=_pair_1d(kernel_size, op, "kernel_size", 1),
        stride=None if stride is None else _pair_1d(stride, op, "stride", 1),
        padding=_pair_1d(padding, op, "padding", 0),
        dilation=_pair_1d(dilation, op, "dilation", 1),
        ceil_mode=ceil_mode,
        return_indices=return_indices,
        op=op,
    )
    if not return_indices:
        return outputs.squeeze(-2)
    return tuple(t.squeeze(-2) for t in _with_indices(outputs, True))


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """Average pooling over kh×kw windows; ``stride`` defaults to ``kernel_size``, padding is 0
    (counted in the average unless ``count_include_pad=False``). See ``AvgPool2d``."""
    return AvgPool2d.apply(
        input,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        ceil_mode=ceil_mode,
        count_include_pad=count_include_pad,
        divisor_override=divisor_override,
        op="avg_pool2d",
    )


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Average pooling over windows of ``kernel_size`` samples of (N, C, L): avg_pool2d over a
    map of height 1."""
    op = "avg_pool1d"
    return AvgPool2d.apply(
        _as_map(op, input),
        kernel_size=_pair_1d(kernel_size, op, "kernel_size", 1),
        stride=None if stride is None else _pair_1d(stride, op, "stride", 1),
        padding=_pair_1d(padding, op, "padding", 0),
        ceil_mode=ceil_mode,
        count_include_pad=count_include_pad,
        divisor_override=None,
        op=op,
    ).squeeze(-2)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average (Lp) pooling (Σ x^p)^(1/p) over kh×kw windows. See ``LpPool2d``."""
    return LpPool2d.apply(
        input,
        norm_type=float(norm_type),
        kernel_size=kernel_size,
        stride=stride,
        ceil_mode=ceil_mode,
        op="lp_pool2d",
    )


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average (Lp) pooling over windows of ``kernel_size`` samples of (N, C, L)."""
    op = "lp_pool1d"
    return LpPool2d.apply(
        _as_map(op, input),
        norm_type=float(norm_type),
        kernel_size=_pair_1d(kernel_size, op, "kernel_size", 1),
        stride=None if stride is None else _pair_1d(stride, op, "stride", 1),
        ceil_mode=ceil_mode,
        op=op,
    ).squeeze(-2)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to ``output_size`` (an int, a pair, None keeps that axis); 1 is global
    average pooling. See ``AdaptiveAvgPool2d``."""
    return AdaptiveAvgPool2d.apply(input, output_size=output_size)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to ``output_size`` (an int, a pair, None keeps that axis). See
    ``AdaptiveMaxPool2d``."""
    outputs = AdaptiveMaxPool2d.apply(input, output_size=output_size, op="adaptive_max_pool2d")
    return _with_indices(outputs, True) if return_indices else outputs[0]


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of (N, C, L) to ``output_size`` samples; 1 is max-over-time pooling."""
    op = "adaptive_max_pool1d"
    outputs = AdaptiveMaxPool2d.apply(
        _as_map(op, input), output_size=(1, _pair_1d(output_size, op, "output_size", 1)[1]), op=op
    )
    out, indices = (t.squeeze(-2) for t in _with_indices(outputs, True))
    return (out, indices) if return_indices else out


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Puts each value of ``input`` back at its position ``indices`` (from ``max_pool2d(...,
    return_indices=True)``) in a map of zeros. See ``MaxUnpool2d``."""
    return MaxUnpool2d.apply(
        input,
        indices,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        output_size=output_size,
        op="max_unpool2d",
    )


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """max_unpool2d over a signal (N, C, L) of height 1."""
    op = "max_unpool1d"
    size = None if output_size is None else (1, tuple(output_size)[-1])
    return MaxUnpool2d.apply(
        _as_map(op, input),
        _as_map(op, indices),
        kernel_size=_pair_1d(kernel_size, op, "kernel_size", 1),
        stride=None if stride is None else _pair_1d(stride, op, "stride", 1),
        padding=_pair_1d(padding, op, "padding", 0),
        output_size=size,
        op=op,
    ).squeeze(-2)
