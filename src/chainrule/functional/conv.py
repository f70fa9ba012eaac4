"""Convolutions: conv1d, conv2d, the transposed convolutions conv_transpose1d/2d, and im2col and
col2im as the public ops unfold and fold.

What deep learning calls convolution is cross-correlation (deck D3, "卷积函数" — see
docs/references.md): the kernel slides over the input without being flipped,

    y[n, o, i, j] = b[o] + Σ_c Σ_u Σ_v  x[n, c, i·s + u·d, j·s + v·d] · w[o, c, u, v],

and each output pixel is the inner product of the kernel with the patch under it (deck D4,
"Convolutional Layer": "pick a 3×3 matrix F of weights and slide it"). Along each axis the
output has (W − d·(K − 1) − 1 + 2P)/S + 1 pixels, rounded down: deck D2's
W₂ = (W₁ − F + 2P)/S + 1 ("Filter" / "卷积核") with dilation d = 1.

Computed as im2col + GEMM: copying each output pixel's receptive field (C·kh·kw values) into
one column of a matrix turns the convolution into one matrix product, W (O, C·kh·kw) × columns
(C·kh·kw, Ho·Wo) per image and group. Deck D4's backward ("Convolutional Layer", "just some
calculus") is then two more products and the adjoint of the copy:

    ∂L/∂W = Σ_images G × columnsᵀ    (the inputs each weight touched, weighted by δ),
    ∂L/∂x = col2im(Wᵀ × G)            (add each tap's rows back onto the pixels they came from),
    ∂L/∂b = Σ G over batch and pixels.

col2im of Wᵀ × G is deck D3's rule that δ flows back through a convolution as a *full*
convolution of δ with the kernel rotated by 180° ("情况二：当前层之后为卷积层"): each input pixel
collects δ from every output whose window covered it, weighted by the kernel tap that joined
them.

The reference computation below (``im2col``, ``col2im``, ``correlate``, ``correlate_adjoint``,
``correlate_weight_grad``) is what runs on a GPU; on the CPU the same three products run in
``chainrule.kernels.conv``, laid out for the cache and OpenBLAS (skip it on first reading).

conv_transpose2d is the adjoint of conv2d: its forward is conv2d's input gradient and its
backward uses conv2d's forward, so both share the computations below. The 1-D ops are the 2-D
ones on images of height 1.
"""

from types import SimpleNamespace

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..kernels import conv as conv_kernels

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold"]


def _pair(value, op, name):
    """An int or a pair of ints as a pair, as torch's ``_pair``."""
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) for v in pair):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    return pair


def _padding(padding, kernel, dilation, stride, op):
    """((top, bottom), (left, right)) from an int, a pair, 'valid' or 'same' (as torch)."""
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        if stride != (1, 1):
            raise ValueError(f"{op}: padding='same' needs stride 1, got stride {stride}")
        totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
        return tuple((t // 2, t - t // 2) for t in totals)
    if isinstance(padding, str):
        raise ValueError(
            f"{op}: padding must be an int, a pair, 'valid' or 'same', got {padding!r}"
        )
    ph, pw = _pair(padding, op, "padding")
    if ph < 0 or pw < 0:
        raise ValueError(f"{op}: padding must be non-negative, got {padding!r}")
    return (ph, ph), (pw, pw)


class _Geometry:
    """Every size of one 2-D convolution of input (N, C, H, W) with weight (O, C/groups, kh, kw):
    the padding (top, bottom) and (left, right), the padded size Hp × Wp, the output size
    Ho × Wo, and ``rows`` = C/groups · kh · kw, the length of one receptive field per group."""

    def __init__(self, op, input_shape, weight_shape, stride, padding, dilation, groups):
        if len(input_shape) != 4 or len(weight_shape) != 4:
            raise ValueError(
                f"{op}: expected input (N, C, H, W) and weight (O, C/groups, kh, kw),"
                f" got input {tuple(input_shape)} and weight {tuple(weight_shape)}"
            )
        self.n, self.c, self.h, self.w = input_shape
        self.o, self.cg, self.kh, self.kw = weight_shape
        self.stride = _pair(stride, op, "stride")
        self.dilation = _pair(dilation, op, "dilation")
        if not isinstance(groups, int) or groups < 1:
            raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
        if min(self.stride + self.dilation) < 1:
            raise ValueError(
                f"{op}: stride and dilation must be positive, got {self.stride} and {self.dilation}"
            )
        if self.c != self.cg * groups or self.o % groups:
            raise ValueError(
                f"{op}: input has {self.c} channels and weight {tuple(weight_shape)}"
                f" with groups={groups}: need channels = groups × weight.shape[1] "
                f"and weight.shape[0] divisible by groups"
            )
        self.groups = groups
        self.pad_h, self.pad_w = _padding(
            padding, (self.kh, self.kw), self.dilation, self.stride, op
        )
        self.hp = self.h + sum(self.pad_h)
        self.wp = self.w + sum(self.pad_w)
        (sh, sw), (dh, dw) = self.stride, self.dilation
        self.ho = (self.hp - dh * (self.kh - 1) - 1) // sh + 1
        self.wo = (self.wp - dw * (self.kw - 1) - 1) // sw + 1
        if self.ho < 1 or self.wo < 1:
            raise ValueError(
                f"{op}: kernel {self.kh}×{self.kw} (dilation {self.dilation}) is "
                f"larger than the padded input {self.hp}×{self.wp}"
            )
        self.rows = self.cg * self.kh * self.kw


def _tap(g, u, v):
    """The pixels of the padded input that kernel tap (u, v) multiplies, one per output pixel:
    rows u·d + i·s and columns v·d + j·s (a strided slice)."""
    (sh, sw), (dh, dw) = g.stride, g.dilation
    return (
        Ellipsis,
        slice(u * dh, u * dh + sh * (g.ho - 1) + 1, sh),
        slice(v * dw, v * dw + sw * (g.wo - 1) + 1, sw),
    )


def im2col(x, g):
    """The columns (N, C·kh·kw, Ho·Wo): column (i, j) of image n is output pixel (i, j)'s
    receptive field, in the order of the weight's (c, u, v). One strided copy per tap."""
    xp = get_array_module(x)
    padded = xp.pad(x, ((0, 0), (0, 0), g.pad_h, g.pad_w))
    columns = xp.empty((g.n, g.c, g.kh, g.kw, g.ho, g.wo), x.dtype)
    for u in range(g.kh):
        for v in range(g.kw):
            columns[:, :, u, v] = padded[_tap(g, u, v)]
    return columns.reshape(g.n, g.c * g.kh * g.kw, g.ho * g.wo)


def col2im(columns, g):
    """The adjoint of ``im2col``: each tap's copy is added back onto the pixels it came from
    (a pixel in several windows collects from each), then the padding is cropped."""
    xp = get_array_module(columns)
    padded = xp.zeros((g.n, g.c, g.hp, g.wp), columns.dtype)
    blocks = columns.reshape(g.n, g.c, g.kh, g.kw, g.ho, g.wo)
    for u in range(g.kh):
        for v in range(g.kw):
            padded[_tap(g, u, v)] += blocks[:, :, u, v]
    (top, _), (left, _) = g.pad_h, g.pad_w
    return padded[:, :, top : top + g.h, left : left + g.w]


def _per_group(array, g):
    """(N, groups·k, …) → (N, groups, k, Ho·Wo): one GEMM operand per image and group."""
    return array.reshape(g.n, g.groups, -1, g.ho * g.wo)


def _grouped(weight, g):
    """The weight as (groups, O/groups, C/groups·kh·kw)."""
    return weight.reshape(g.groups, g.o // g.groups, g.rows)


def correlate(x, weight, bias, g):
    """conv2d's forward: y = W × im2col(x) + b as (N, O, Ho, Wo)."""
    y = (_grouped(weight, g) @ _per_group(im2col(x, g), g)).reshape(g.n, g.o, g.ho, g.wo)
    return y if bias is None else y + bias.reshape(-1, 1, 1)


def correlate_adjoint(grad, weight, g):
    """conv2d's input gradient: ∂L/∂x = col2im(Wᵀ × G) as (N, C, H, W), the full convolution
    of δ with the 180°-rotated kernel."""
    columns = _grouped(weight, g).transpose(0, 2, 1) @ _per_group(grad, g)
    return col2im(columns.reshape(g.n, g.c * g.kh * g.kw, -1), g)


def correlate_weight_grad(x, grad, g):
    """conv2d's weight gradient: ∂L/∂W = Σ_images G × im2col(x)ᵀ."""
    columns = _per_group(im2col(x, g), g)
    products = _per_group(grad, g) @ columns.transpose(0, 1, 3, 2)
    return products.sum(axis=0).reshape(g.o, g.cg, g.kh, g.kw)


def _computation(array):
    """Who computes: the CPU kernels for NumPy arrays, the reference above for CuPy's."""
    return conv_kernels if get_array_module(array) is np else _REFERENCE


_REFERENCE = SimpleNamespace(
    correlate=correlate,
    correlate_adjoint=correlate_adjoint,
    correlate_weight_grad=correlate_weight_grad,
)


def _check_bias(op, bias, channels):
    if bias is not None and tuple(bias.shape) != (channels,):
        raise ValueError(f"{op}: bias must have shape ({channels},), got {tuple(bias.shape)}")


class Conv2d(Function):
    """y = W ⋆ x + b, the 2-D cross-correlation above, as im2col + GEMMs.

    Backward: ∂L/∂W = G × columnsᵀ, ∂L/∂x = col2im(Wᵀ × G) (the full convolution of δ with
    the 180°-rotated kernel, deck D3, "情况二：当前层之后为卷积层"), ∂L/∂b = Σ G.
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None, *, stride, padding, dilation, groups, op="conv2d"):
        g = _Geometry(op, x.shape, weight.shape, stride, padding, dilation, groups)
        _check_bias(op, bias, g.o)
        ctx.geometry = g
        ctx.save_for_backward(x, weight)
        return _computation(x).correlate(x, weight, bias, g)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        g, needs, computation = ctx.geometry, ctx.needs_input_grad, _computation(grad)
        grad_x = computation.correlate_adjoint(grad, weight, g) if needs[0] else None
        grad_weight = computation.correlate_weight_grad(x, grad, g) if needs[1] else None
        return grad_x, grad_weight, grad.sum(axis=(0, 2, 3)) if needs[2] else None


class Conv1d(Conv2d):
    """conv2d on images of height 1: x (N, C, L) and W (O, C/groups, k) gain a unit height axis."""

    @staticmethod
    def forward(ctx, x, weight, bias=None, *, stride, padding, dilation, groups):
        ctx.shapes = (x.shape, weight.shape)
        if not isinstance(padding, str):
            padding = (0, _single(padding, "conv1d", "padding"))
        y = Conv2d.forward(
            ctx,
            x[:, :, None, :],
            weight[:, :, None, :],
            bias,
            stride=(1, _single(stride, "conv1d", "stride")),
            padding=padding,
            dilation=(1, _single(dilation, "conv1d", "dilation")),
            groups=groups,
            op="conv1d",
        )
        return y[:, :, 0, :]

    @staticmethod
    def backward(ctx, grad):
        return _drop_unit_height(Conv2d.backward(ctx, grad[:, :, None, :]), ctx.shapes)


def _drop_unit_height(grads, shapes):
    """The 2-D op's (input, weight, bias) gradients with the unit height axis removed."""
    unit_height = tuple(
        None if gr is None else gr.reshape(shape) for gr, shape in zip(grads, shapes)
    )
    return unit_height + grads[2:]


def _single(value, op, name):
    """An int or a 1-tuple of ints as an int (conv1d's stride, padding, dilation)."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if not isinstance(value, int):
        raise ValueError(f"{op}: {name} must be an int, got {value!r}")
    return value


class ConvTranspose2d(Function):
    """The transposed convolution, the adjoint of conv2d: y = col2im(Wᵀ × x) + b.

    With W of shape (C_in, C_out/groups, kh, kw), conv_transpose2d(x, W) is the gradient with
    respect to its input of the conv2d(y, W) that maps a (N, C_out, H_out, W_out) image to x;
    H_out = (H − 1)·s − 2p + d·(kh − 1) + output_padding + 1. Each input pixel stamps the
    kernel, scaled by its value, onto the output ("fractionally strided" up-sampling).

    Backward, by adjointness, is that conv2d's forward: ∂L/∂x = W × im2col(G) and
    ∂L/∂W = x × im2col(G)ᵀ; ∂L/∂b = Σ G.
    """

    @staticmethod
    def forward(
        ctx,
        x,
        weight,
        bias=None,
        *,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
        op="conv_transpose2d",
    ):
        g = _transposed_geometry(
            op, x.shape, weight.shape, stride, padding, output_padding, groups, dilation
        )
        _check_bias(op, bias, g.c)
        y = _computation(x).correlate_adjoint(x, weight, g)
        if bias is not None:
            y += bias.reshape(1, -1, 1, 1)
        ctx.geometry = g
        ctx.save_for_backward(x, weight)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        g, needs, computation = ctx.geometry, ctx.needs_input_grad, _computation(grad)
        grad_x = computation.correlate(grad, weight, None, g) if needs[0] else None
        grad_weight = computation.correlate_weight_grad(grad, x, g) if needs[1] else None
        return grad_x, grad_weight, grad.sum(axis=(0, 2, 3)) if needs[2] else None


class ConvTranspose1d(ConvTranspose2d):
    """conv_transpose2d on images of height 1: x (N, C_in, L) and W (C_in, C_out/groups, k)
    gain a unit height axis."""

    @staticmethod
    def forward(ctx, x, weight, bias=None, *, stride, padding, output_padding, groups, dilation):
        op = "conv_transpose1d"
        ctx.shapes = (x.shape, weight.shape)
        y = ConvTranspose2d.forward(
            ctx,
            x[:, :, None, :],
            weight[:, :, None, :],
            bias,
            stride=(1, _single(stride, op, "stride")),
            padding=(0, _single(padding, op, "padding")),
            output_padding=(0, _single(output_padding, op, "output_padding")),
            groups=groups,
            dilation=(1, _single(dilation, op, "dilation")),
            op=op,
        )
        return y[:, :, 0, :]

    @staticmethod
    def backward(ctx, grad):
        return _drop_unit_height(ConvTranspose2d.backward(ctx, grad[:, :, None, :]), ctx.shapes)


def _transposed_geometry(
    op, x_shape, weight_shape, stride, padding, output_padding, groups, dilation
):
    """The geometry of the conv2d whose input gradient conv_transpose2d computes."""
    if len(x_shape) != 4 or len(weight_shape) != 4 or x_shape[1] != weight_shape[0]:
        raise ValueError(
            f"{op}: expected input (N, C_in, H, W) and weight "
            f"(C_in, C_out/groups, kh, kw), got input {tuple(x_shape)} and weight "
            f"{tuple(weight_shape)}"
        )
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding must be an int or a pair, got {padding!r}")
    strides, pads = _pair(stride, op, "stride"), _pair(padding, op, "padding")
    extras, dilations = _pair(output_padding, op, "output_padding"), _pair(dilation, op, "dilation")
    if any(e >= max(s, d) or e < 0 for e, s, d in zip(extras, strides, dilations)):
        raise ValueError(
            f"{op}: output_padding {extras} must be non-negative and smaller than "
            f"stride {strides} or dilation {dilations}"
        )
    n, _, h, w = x_shape
    _, out_per_group, kh, kw = weight_shape
    out_h, out_w = (
        (size - 1) * s - 2 * p + d * (k - 1) + e + 1
        for size, s, p, d, k, e in zip((h, w), strides, pads, dilations, (kh, kw), extras)
    )
    if out_h < 1 or out_w < 1:
        raise ValueError(
            f"{op}: input {tuple(x_shape)} with this stride/padding gives an "
            f"empty output ({out_h}×{out_w})"
        )
    return _Geometry(
        op,
        (n, out_per_group * groups, out_h, out_w),
        weight_shape,
        strides,
        pads,
        dilations,
        groups,
    )


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) of input (N, C, H, W) with weight (O, C/groups, kh, kw).

    ``padding`` is an int, a pair, ``'valid'`` (none) or ``'same'`` (output size = input size,
    stride 1). Output (N, O, Ho, Wo) with Ho = ⌊(H + 2p − d·(kh − 1) − 1)/s⌋ + 1. See ``Conv2d``.
    """
    _check_ndim("conv2d", input, weight, 4)
    return Conv2d.apply(
        input, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups
    )


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution of input (N, C, L) with weight (O, C/groups, k): conv2d at height 1."""
    _check_ndim("conv1d", input, weight, 3)
    return Conv1d.apply(
        input, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups
    )


def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """Transposed convolution of input (N, C_in, H, W) with weight (C_in, C_out/groups, kh, kw),
    the adjoint of conv2d. See ``ConvTranspose2d``."""
    _check_ndim("conv_transpose2d", input, weight, 4)
    return ConvTranspose2d.apply(
        input,
        weight,
        bias,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        groups=groups,
        dilation=dilation,
    )


def conv_transpose1d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """Transposed convolution of input (N, C_in, L) with weight (C_in, C_out/groups, k):
    conv_transpose2d at height 1. L_out = (L − 1)·s − 2p + d·(k − 1) + output_padding + 1."""
    _check_ndim("conv_transpose1d", input, weight, 3)
    return ConvTranspose1d.apply(
        input,
        weight,
        bias,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        groups=groups,
        dilation=dilation,
    )


class Unfold(Function):
    """im2col as a public op (``torch.nn.functional.unfold``): (N, C, H, W) → (N, C·kh·kw, L),
    column l holding the receptive field of the l-th of the L = Ho·Wo kernel positions (in
    row-major order), its rows in the order (c, u, v).

    Backward: ∂L/∂x = col2im(G), each copy's gradient added back onto the pixel it came from.
    """

    @staticmethod
    def forward(ctx, x, *, kernel_size, dilation, padding, stride):
        batched = x.ndim == 4
        if x.ndim not in (3, 4):
            raise ValueError(
                f"unfold: expected input (N, C, H, W) or (C, H, W), got shape {tuple(x.shape)}"
            )
        images = x if batched else x[None]
        g = _block_geometry("unfold", images.shape, kernel_size, dilation, padding, stride)
        ctx.geometry, ctx.batched = g, batched
        columns = im2col(images, g)
        return columns if batched else columns[0]

    @staticmethod
    def backward(ctx, grad):
        images = col2im(grad if ctx.batched else grad[None], ctx.geometry)
        return images if ctx.batched else images[0]


class Fold(Function):
    """col2im as a public op (``torch.nn.functional.fold``), the adjoint of unfold:
    (N, C·kh·kw, L) → (N, C, H, W), each column's values added onto the pixels of its kernel
    position (summed where positions overlap).

    Backward: ∂L/∂x = im2col(G).
    """

    @staticmethod
    def forward(ctx, x, *, output_size, kernel_size, dilation, padding, stride):
        if x.ndim not in (2, 3):
            raise ValueError(
                f"fold: expected input (N, C·kh·kw, L) or (C·kh·kw, L), got shape {tuple(x.shape)}"
            )
        batched = x.ndim == 3
        columns = x if batched else x[None]
        kh, kw = _pair(kernel_size, "fold", "kernel_size")
        if columns.shape[1] % (kh * kw):
            raise ValueError(
                f"fold: input's dimension 1 ({columns.shape[1]}) must be divisible "
                f"by the kernel's size {kh}×{kw}"
            )
        h, w = _pair(output_size, "fold", "output_size")
        shape = (columns.shape[0], columns.shape[1] // (kh * kw), h, w)
        g = _block_geometry("fold", shape, (kh, kw), dilation, padding, stride)
        if columns.shape[2] != g.ho * g.wo:
            raise ValueError(
                f"fold: input has {columns.shape[2]} columns but output_size "
                f"{(h, w)} holds {g.ho}×{g.wo} = {g.ho * g.wo} kernel positions"
            )
        ctx.geometry, ctx.batched = g, batched
        images = col2im(columns, g)
        return images if batched else images[0]

    @staticmethod
    def backward(ctx, grad):
        columns = im2col(grad if ctx.batched else grad[None], ctx.geometry)
        return columns if ctx.batched else columns[0]


def _block_geometry(op, shape, kernel_size, dilation, padding, stride):
    """The geometry of sliding a kh × kw block over images of ``shape`` (a one-filter conv2d)."""
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding must be an int or a pair, got {padding!r}")
    kh, kw = _pair(kernel_size, op, "kernel_size")
    return _Geometry(op, shape, (1, shape[1], kh, kw), stride, padding, dilation, 1)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """The sliding blocks of (N, C, H, W) as columns (N, C·kh·kw, L): im2col. See ``Unfold``."""
    return Unfold.apply(
        input, kernel_size=kernel_size, dilation=dilation, padding=padding, stride=stride
    )


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Columns (N, C·kh·kw, L) summed back into images (N, C, *output_size): col2im. See
    ``Fold``."""
    return Fold.apply(
        input,
        output_size=output_size,
        kernel_size=kernel_size,
        dilation=dilation,
        padding=padding,
        stride=stride,
    )


def _check_ndim(op, input, weight, ndim):
    if input.ndim != ndim or weight.ndim != ndim:
        raise ValueError(
            f"{op}: input and weight must be {ndim}-D (batched), got input of shape "
            f"{tuple(input.shape)} and weight of shape {tuple(weight.shape)}"
        )
