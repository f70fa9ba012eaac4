"""Resampling and padding: ``interpolate`` (nearest, linear/bilinear/trilinear), ``pad``
(constant, reflect, replicate, circular) and ``pixel_shuffle`` / ``pixel_unshuffle``.

Every op here is linear in its input, and all but constant padding are a *gather*: each output
element along an axis is a weighted sum of a few input elements along that axis,

    y[..., o, ...] = Σ_t w_t[o] · x[..., index_t[o], ...]

i.e. y = A x with a sparse matrix A (A[o, index_t[o]] = w_t[o]). The gradient is the transpose,
∂L/∂x = Aᵀ ∂L/∂y: every output's gradient, times its weight, is *scatter-added* back to the input
element it was read from (``_scatter_add``: one ``bincount`` over the whole array, no Python
loop over elements). Interpolation and padding act on each spatial axis separately, so a 2-D
resize is two 1-D ones (y = A_H x A_Wᵀ) and its backward runs the axes in reverse.

Zero-padding is the "P" of a convolution layer (deck D2, "Filter: 卷积核 — 零填充 (Zero-padding)";
deck D1, "Convolution layer" — see docs/references.md). Bilinear up-sampling is the fixed
"deconvolution" of fully convolutional nets (Long et al. 2015); pixel shuffle is the sub-pixel
convolution's rearrangement (Shi et al. 2016).
"""

import math

import numpy as np

from ..autograd import Function
from ..backend import get_array_module

__all__ = ["interpolate", "pad", "pixel_shuffle", "pixel_unshuffle"]

_INTERPOLATING_DIMS = {"linear": 1, "bilinear": 2, "trilinear": 3}
_NEAREST_MODES = ("nearest", "nearest-exact")
_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _gather(x, taps, axis):
    """Σ_t w_t · x.take(index_t, axis): one output per entry of the index arrays along ``axis``
    (``w_t`` None means weight 1)."""
    out = None
    for index, weight in taps:
        term = x.take(index, axis=axis)
        if weight is not None:
            term *= _along_axis(weight, x.ndim, axis)
        out = term if out is None else out + term
    return out


def _scatter_add_taps(grad, taps, size, axis):
    """The adjoint of ``_gather``: an array with ``size`` entries along ``axis`` where entry j
    receives Σ_t Σ_{o: index_t[o] = j} w_t[o] · grad[..., o, ...]."""
    out = None
    for index, weight in taps:
        values = grad if weight is None else grad * _along_axis(weight, grad.ndim, axis)
        term = _scatter_add(values, index, size, axis)
        out = term if out is None else out + term
    return out


def _scatter_add(values, index, size, axis):
    """out[..., j, ...] = Σ_{o: index[o] = j} values[..., o, ...], with ``size`` entries along
    ``axis``: one ``bincount`` over (row, index) pairs flattened to row·size + index."""
    xp = get_array_module(values)
    moved = xp.moveaxis(values, axis, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    flat = (xp.arange(rows.shape[0])[:, None] * size + index[None, :]).ravel()
    summed = xp.bincount(flat, weights=rows.ravel(), minlength=rows.shape[0] * size)
    return xp.moveaxis(summed.reshape(moved.shape[:-1] + (size,)).astype(values.dtype), -1, axis)


def _along_axis(weight, ndim, axis):
    """A 1-D array shaped to broadcast along ``axis`` of an ``ndim``-dimensional array."""
    shape = [1] * ndim
    shape[axis] = -1
    return weight.reshape(shape)


# -- interpolate ------------------------------------------------------------------------------


def _nearest_taps(xp, size, out, scale, exact):
    """PyTorch's nearest source index: ⌊o·s⌋ (``nearest``) or ⌊(o + ½)·s⌋ (``nearest-exact``),
    capped at size − 1, with s = 1/scale_factor (or size/out) in float32 as torch computes it."""
    positions = xp.arange(out, dtype=np.float32) + np.float32(0.5 if exact else 0.0)
    index = xp.floor(positions * np.float32(scale)).astype(np.int64)
    return [(xp.minimum(index, size - 1), None)]


def _linear_taps(xp, size, out, scale, align_corners, dtype):
    """Linear interpolation between the two neighbours of the source coordinate

        align_corners:  u = o·(size − 1)/(out − 1)            (the corner pixels' centres meet)
        otherwise:      u = max((o + ½)·s − ½, 0)             (pixel centres, s = 1/scale_factor
                                                               or size/out)

    i₀ = ⌊u⌋, i₁ = min(i₀ + 1, size − 1), λ = u − i₀: y[o] = (1 − λ)·x[i₀] + λ·x[i₁].
    When out = size the axis is copied whatever the scale factor (torch's shortcut)."""
    if out == size:
        return [(xp.arange(out), None)]
    o = xp.arange(out, dtype=np.float64)
    if align_corners:
        source = o * ((size - 1) / (out - 1) if out > 1 else 0.0)
    else:
        source = xp.maximum((o + 0.5) * scale - 0.5, 0.0)
    index0 = source.astype(np.int64)
    index1 = xp.minimum(index0 + 1, size - 1)
    weight1 = xp.clip(source - index0, 0.0, 1.0)
    return [(index0, (1 - weight1).astype(dtype)), (index1, weight1.astype(dtype))]


class Interpolate(Function):
    """Resize the trailing spatial axes of (N, C, *spatial) to ``sizes``, one axis at a time.

    Along each axis the output is a gather of the input (``nearest``: y[o] = x[i(o)]; linear:
    y[o] = (1 − λ_o)·x[i₀(o)] + λ_o·x[i₁(o)], see ``_nearest_taps``/``_linear_taps``), so the
    whole op is y = A x with A sparse, separable over the axes (bilinear: y = A_H · x · A_Wᵀ).

    Backward: ∂L/∂x = Aᵀ ∂L/∂y, the axes in reverse order: along each axis every output's
    gradient, times its weight, is scatter-added to its source elements. Nearest up-sampling by
    an integer factor n is x ⊗ 1ₙₓₙ, the Kronecker up-sampling that carries δ back through mean
    pooling (deck D3, "情况一：当前层之后为 Pooling 层" — see docs/references.md), without its
    1/n²; its backward sums each n × n block of δ, the sum pooling that is its adjoint.
    """

    @staticmethod
    def forward(ctx, x, *, sizes, scales, mode, align_corners):
        xp = get_array_module(x)
        first_axis = x.ndim - len(sizes)
        plan = []
        for axis, out, scale in zip(range(first_axis, x.ndim), sizes, scales):
            size = x.shape[axis]
            if mode in _NEAREST_MODES:
                taps = _nearest_taps(xp, size, out, scale, mode == "nearest-exact")
            else:
                taps = _linear_taps(xp, size, out, scale, align_corners, x.dtype)
            plan.append((axis, size, taps))
            x = _gather(x, taps, axis)
        ctx.plan = plan
        return x

    @staticmethod
    def backward(ctx, grad):
        for axis, size, taps in reversed(ctx.plan):
            grad = _scatter_add_taps(grad, taps, size, axis)
        return grad


def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode="nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias=False,
):
    """Up- or down-sample (N, C, L), (N, C, H, W) or (N, C, D, H, W) to ``size`` or by
    ``scale_factor``, as ``torch.nn.functional.interpolate``. See ``Interpolate``.

    ``mode``: ``"nearest"``, ``"nearest-exact"``, ``"linear"`` (3-D input), ``"bilinear"`` (4-D),
    ``"trilinear"`` (5-D). The output size is ⌊in · scale_factor⌋; the source coordinates use
    1/scale_factor itself unless ``recompute_scale_factor=True`` (then in/out), as torch does.
    Not supported (an error): ``"bicubic"``, ``"area"``, ``antialias=True``.
    """
    if mode not in _NEAREST_MODES and mode not in _INTERPOLATING_DIMS:
        raise ValueError(
            f"interpolate: mode {mode!r} is not supported; use one of 'nearest', "
            "'nearest-exact', 'linear', 'bilinear', 'trilinear'"
        )
    if antialias:
        raise ValueError("interpolate: antialias=True is not supported")
    if align_corners is not None and mode in _NEAREST_MODES:
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: "
            "linear | bilinear | trilinear"
        )
    dims = input.ndim - 2
    if mode in _INTERPOLATING_DIMS and dims != _INTERPOLATING_DIMS[mode]:
        raise ValueError(
            f"interpolate: got {input.ndim}D input, but {mode} mode needs "
            f"{_INTERPOLATING_DIMS[mode] + 2}D input"
        )
    if dims not in (1, 2, 3):
        raise ValueError(
            f"interpolate: expected a 3D, 4D or 5D input (N, C, *spatial), got "
            f"shape {tuple(input.shape)}"
        )
    sizes, scales = _output_sizes(input.shape[2:], size, scale_factor, recompute_scale_factor)
    return Interpolate.apply(
        input, sizes=sizes, scales=scales, mode=mode, align_corners=bool(align_corners)
    )


def _output_sizes(in_sizes, size, scale_factor, recompute_scale_factor):
    """(output sizes, source-coordinate scales s): s = 1/scale_factor when the factor is given
    and not recomputed, in/out otherwise (torch's ``compute_scales_value``)."""
    dims = len(in_sizes)
    if (size is None) == (scale_factor is None):
        raise ValueError(
            "interpolate: give exactly one of size or scale_factor, got "
            f"size={size!r}, scale_factor={scale_factor!r}"
        )
    if size is not None:
        sizes = _per_axis(size, dims, "size")
        factors = [None] * dims
    else:
        factors = [float(f) for f in _per_axis(scale_factor, dims, "scale_factor")]
        if not all(math.isfinite(f) and f > 0 for f in factors):
            raise ValueError(f"interpolate: scale_factor must be positive, got {scale_factor!r}")
        sizes = [math.floor(n * f) for n, f in zip(in_sizes, factors)]
        if recompute_scale_factor:
            factors = [None] * dims
    if min(sizes) < 1:
        raise ValueError(
            f"interpolate: input and output sizes should be greater than 0, but "
            f"got input {tuple(in_sizes)} and output {tuple(sizes)}"
        )
    scales = [n / out if f is None else 1.0 / f for n, out, f in zip(in_sizes, sizes, factors)]
    return tuple(int(s) for s in sizes), tuple(scales)


def _per_axis(value, dims, name):
    values = list(value) if isinstance(value, (tuple, list)) else [value] * dims
    if len(values) != dims:
        raise ValueError(
            f"interpolate: {name} {value!r} has {len(values)} entries for an input "
            f"with {dims} spatial dimensions"
        )
    return values


# -- pad --------------------------------------------------------------------------------------


class ConstantPad(Function):
    """y = x surrounded by ``value``: ``pad[2k], pad[2k+1]`` entries before and after the k-th
    axis from the end (negative amounts crop instead).

    Backward: the padding is constant, so its gradient is dropped: ∂L/∂x is ∂L/∂y cut back to
    the input's window (and 0 on the entries a negative amount cropped).
    """

    @staticmethod
    def forward(ctx, x, *, pad, value):
        xp = get_array_module(x)
        kept, placed, out_shape = _windows(x.shape, pad)
        out = xp.full(out_shape, value, dtype=x.dtype)
        out[placed] = x[kept]
        ctx.windows, ctx.shape = (kept, placed), x.shape
        return out

    @staticmethod
    def backward(ctx, grad):
        kept, placed = ctx.windows
        if all(s.start == 0 and s.stop == n for s, n in zip(kept, ctx.shape)):
            return grad[placed]
        out = get_array_module(grad).zeros(ctx.shape, dtype=grad.dtype)
        out[kept] = grad[placed]
        return out


def _windows(shape, pad):
    """Per axis, the slice of x that is kept and where it goes in y, and y's shape, for pad
    amounts that may be negative (a negative amount crops x instead of extending y)."""
    ndim = len(shape)
    kept, placed, out_shape = [], [], []
    for axis, n in enumerate(shape):
        k = ndim - 1 - axis
        before, after = (pad[2 * k], pad[2 * k + 1]) if 2 * k < len(pad) else (0, 0)
        start, stop = max(-before, 0), n - max(-after, 0)
        kept.append(slice(start, stop))
        placed.append(slice(max(before, 0), max(before, 0) + stop - start))
        out_shape.append(n + before + after)
    return tuple(kept), tuple(placed), tuple(out_shape)


class IndexPad(Function):
    """Reflect, replicate or circular padding: along each padded axis y[o] = x[i(o)] with the
    index map i = ``numpy.pad(arange(n), (before, after), mode)``, e.g. for n = 4, (2, 2):

        reflect     2 1 | 0 1 2 3 | 2 1      (mirror without repeating the edge)
        replicate   0 0 | 0 1 2 3 | 3 3      (repeat the edge)
        circular    2 3 | 0 1 2 3 | 0 1      (wrap around)

    Backward: the adjoint of the gather, axis by axis in reverse: the gradient of each output is
    scatter-added to x[i(o)], so an edge pixel collects the gradients of all its copies.
    """

    @staticmethod
    def forward(ctx, x, *, pad, mode):
        xp = get_array_module(x)
        plan = []
        for k in range(len(pad) // 2):
            axis, before, after = x.ndim - 1 - k, pad[2 * k], pad[2 * k + 1]
            size = x.shape[axis]
            index = xp.pad(xp.arange(size), (before, after), mode=_PAD_MODES[mode])
            plan.append((axis, size, [(index, None)]))
            x = _gather(x, [(index, None)], axis)
        ctx.plan = plan
        return x

    @staticmethod
    def backward(ctx, grad):
        for axis, size, taps in reversed(ctx.plan):
            grad = _scatter_add_taps(grad, taps, size, axis)
        return grad


def pad(input, pad, mode="constant", value=None):
    """Pad the trailing axes of ``input`` as ``torch.nn.functional.pad``: ``pad`` is
    (before_last, after_last, before_second_last, after_second_last, …), any number of axes.

    ``mode``: ``"constant"`` (``value``, default 0; negative amounts crop), ``"reflect"``,
    ``"replicate"``, ``"circular"``. See ``ConstantPad`` and ``IndexPad``. Unlike torch, the
    three index modes pad any number of trailing axes of any input; they need non-negative
    amounts, below the axis length (reflect) or at most it (circular).
    """
    pad = tuple(pad)
    if len(pad) % 2 or not all(isinstance(p, (int, np.integer)) for p in pad):
        raise ValueError(f"pad: the padding must be an even number of ints, got {pad!r}")
    if len(pad) // 2 > input.ndim:
        raise ValueError(
            f"pad: padding {pad} covers {len(pad) // 2} dimensions, the input has only {input.ndim}"
        )
    pad = tuple(int(p) for p in pad)
    if mode == "constant":
        for axis, n in enumerate(reversed(input.shape[input.ndim - len(pad) // 2 :])):
            if n + pad[2 * axis] + pad[2 * axis + 1] < 0:
                raise ValueError(
                    f"pad: padding {pad} makes a dimension of {tuple(input.shape)} negative"
                )
        return ConstantPad.apply(input, pad=pad, value=0.0 if value is None else float(value))
    if mode not in _PAD_MODES:
        raise ValueError(
            f"pad: mode {mode!r} is not supported; use one of 'constant', "
            "'reflect', 'replicate', 'circular'"
        )
    if value is not None:
        raise ValueError(f"pad: padding mode {mode!r} doesn't take a value argument")
    for k in range(len(pad) // 2):
        n, amounts = input.shape[input.ndim - 1 - k], pad[2 * k : 2 * k + 2]
        limit = n - 1 if mode == "reflect" else n if mode == "circular" else math.inf
        if min(amounts) < 0 or max(amounts) > limit:
            raise ValueError(
                f"pad: {mode} padding {amounts} of dimension {input.ndim - 1 - k} "
                f"(size {n}) must be between 0 and {limit}"
            )
    return IndexPad.apply(input, pad=pad, mode=mode)


# -- pixel shuffle ----------------------------------------------------------------------------


def _shuffle(x, r):
    """(*, C·r², H, W) → (*, C, H·r, W·r): y[c, h·r + i, w·r + j] = x[c·r² + i·r + j, h, w]."""
    *lead, channels, h, w = x.shape
    c = channels // (r * r)
    x = x.reshape(*lead, c, r, r, h, w)
    x = x.transpose(*range(len(lead)), *(len(lead) + a for a in (0, 3, 1, 4, 2)))
    return x.reshape(*lead, c, h * r, w * r)


def _unshuffle(x, r):
    """(*, C, H·r, W·r) → (*, C·r², H, W), the inverse of ``_shuffle``."""
    *lead, c, height, width = x.shape
    h, w = height // r, width // r
    x = x.reshape(*lead, c, h, r, w, r)
    x = x.transpose(*range(len(lead)), *(len(lead) + a for a in (0, 2, 4, 1, 3)))
    return x.reshape(*lead, c * r * r, h, w)


class PixelShuffle(Function):
    """Sub-pixel rearrangement (Shi et al. 2016): (*, C·r², H, W) → (*, C, H·r, W·r),
    y[c, h·r + i, w·r + j] = x[c·r² + i·r + j, h, w].

    A permutation of the elements, so the backward is the inverse permutation: pixel unshuffle
    of the gradient.
    """

    @staticmethod
    def forward(ctx, x, *, upscale_factor):
        ctx.factor = upscale_factor
        return _shuffle(x, upscale_factor)

    @staticmethod
    def backward(ctx, grad):
        return _unshuffle(grad, ctx.factor)


class PixelUnshuffle(Function):
    """The inverse of ``PixelShuffle``: (*, C, H·r, W·r) → (*, C·r², H, W); its backward is the
    pixel shuffle of the gradient."""

    @staticmethod
    def forward(ctx, x, *, downscale_factor):
        ctx.factor = downscale_factor
        return _unshuffle(x, downscale_factor)

    @staticmethod
    def backward(ctx, grad):
        return _shuffle(grad, ctx.factor)


def pixel_shuffle(input, upscale_factor):
    """(*, C·r², H, W) → (*, C, H·r, W·r) with r = ``upscale_factor``. See ``PixelShuffle``."""
    r = _factor("pixel_shuffle", upscale_factor, "upscale_factor")
    if input.ndim < 3 or input.shape[-3] % (r * r):
        raise ValueError(
            f"pixel_shuffle expects an input (*, C·r², H, W) whose channel "
            f"dimension is divisible by upscale_factor² = {r * r}, got shape "
            f"{tuple(input.shape)}"
        )
    return PixelShuffle.apply(input, upscale_factor=r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H·r, W·r) → (*, C·r², H, W) with r = ``downscale_factor``. See
    ``PixelUnshuffle``."""
    r = _factor("pixel_unshuffle", downscale_factor, "downscale_factor")
    if input.ndim < 3 or input.shape[-2] % r or input.shape[-1] % r:
        raise ValueError(
            f"pixel_unshuffle expects an input (*, C, H, W) with H and W divisible "
            f"by downscale_factor = {r}, got shape {tuple(input.shape)}"
        )
    return PixelUnshuffle.apply(input, downscale_factor=r)


def _factor(op, value, name):
    if not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{op}: {name} must be a positive int, got {value!r}")
    return int(value)
