"""Convolutions: conv1d, conv2d and the transposed convolution conv_transpose2d.

What deep learning calls convolution is cross-correlation (deck 003, "卷积函数"): the kernel
slides over the input without being flipped,

    y[n, o, i, j] = b[o] + Σ_c Σ_u Σ_v  x[n, c, i·s + u·d, j·s + v·d] · w[o, c, u, v],

and each output pixel is the inner product of the kernel with the patch under it (deck 001's
5×5 image and 3×3 kernel, deck 004's "pick a 3×3 matrix F of weights and slide it"). Along each
axis the output has (W − d·(K − 1) − 1 + 2P)/S + 1 pixels, rounded down: deck 002's
W₂ = (W₁ − F + 2P)/S + 1 with dilation d = 1.

How it is computed (im2col + GEMM): every kernel tap (u, v) sees one strided view of the
zero-padded input; copying the kh·kw views into the rows of a "column" matrix of shape
(C·kh·kw, Ho·Wo) per image turns the convolution into matrix products, W (O, C·kh·kw) ×
columns, one per image and group, all in one batched ``matmul`` call. The backward pass is two
more products and the adjoint of the copy:

    ∂L/∂W = Σ_images G × columnsᵀ    (the inputs each weight touched, weighted by δ),
    ∂L/∂x = col2im(Wᵀ × G)            (add each tap's rows back onto the pixels they came from),
    ∂L/∂b = Σ G over batch and pixels.

col2im of Wᵀ × G is deck 003's rule that δ flows back through a convolution as a *full*
convolution of δ with the kernel rotated by 180°: each input pixel collects δ from every output
whose window covered it, weighted by the kernel tap that joined them.

Per-image products keep the result in (N, O, Ho, Wo) order without a transpose, and for small
layers OpenBLAS runs them faster than one wide GEMM over the batch (its small-matrix kernels:
2–3× on LeNet's first layer, on par for its second); on large layers the two are equal. On the
CPU the batch is processed in chunks whose columns fit in cache (``_chunks``).

For stride 1 the columns use a "wide" grid: output pixels are laid out on rows of the padded
width Wp instead of Wo, so that every tap's view is one contiguous run of Ho·Wp elements per
image (long, fast copies and additions). The Wp − Wo extra pixels of each row are computed and
thrown away; their gradient is zero.

conv_transpose2d is the adjoint of conv2d: its forward is conv2d's input gradient and its
backward uses conv2d's forward, so both share the helpers below.
"""

import copy

from ..autograd import Function
from ..backend import device_of, get_array_module

__all__ = ["conv1d", "conv2d", "conv_transpose2d"]


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
        raise ValueError(f"{op}: padding must be an int, a pair, 'valid' or 'same', "
                         f"got {padding!r}")
    ph, pw = _pair(padding, op, "padding")
    if ph < 0 or pw < 0:
        raise ValueError(f"{op}: padding must be non-negative, got {padding!r}")
    return (ph, ph), (pw, pw)


class _Geometry:
    """Every size of one 2-D convolution of input (N, C, H, W) with weight (O, C/groups, kh, kw).

    ``grid_w`` is the width of the grid the columns are laid out on: the padded width Wp for
    stride 1 (the wide grid, see the module docstring), else the output width Wo. ``run`` is the
    number of wide-grid pixels per image whose windows stay inside the padded image.
    """

    def __init__(self, op, input_shape, weight_shape, stride, padding, dilation, groups):
        if len(input_shape) != 4 or len(weight_shape) != 4:
            raise ValueError(f"{op}: expected input (N, C, H, W) and weight (O, C/groups, kh, kw),"
                             f" got input {tuple(input_shape)} and weight {tuple(weight_shape)}")
        self.n, self.c, self.h, self.w = input_shape
        self.o, self.cg, self.kh, self.kw = weight_shape
        self.stride = _pair(stride, op, "stride")
        self.dilation = _pair(dilation, op, "dilation")
        if not isinstance(groups, int) or groups < 1:
            raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
        if min(self.stride + self.dilation) < 1:
            raise ValueError(f"{op}: stride and dilation must be positive, "
                             f"got {self.stride} and {self.dilation}")
        if self.c != self.cg * groups or self.o % groups:
            raise ValueError(f"{op}: input has {self.c} channels and weight {tuple(weight_shape)}"
                             f" with groups={groups}: need channels = groups × weight.shape[1] "
                             f"and weight.shape[0] divisible by groups")
        self.groups = groups
        self.pad_h, self.pad_w = _padding(padding, (self.kh, self.kw), self.dilation,
                                          self.stride, op)
        self.hp = self.h + sum(self.pad_h)
        self.wp = self.w + sum(self.pad_w)
        (sh, sw), (dh, dw) = self.stride, self.dilation
        self.ho = (self.hp - dh * (self.kh - 1) - 1) // sh + 1
        self.wo = (self.wp - dw * (self.kw - 1) - 1) // sw + 1
        if self.ho < 1 or self.wo < 1:
            raise ValueError(f"{op}: kernel {self.kh}×{self.kw} (dilation {self.dilation}) is "
                             f"larger than the padded input {self.hp}×{self.wp}")
        self.wide = self.stride == (1, 1)
        self.grid_w = self.wp if self.wide else self.wo
        self.run = self.ho * self.wp - dw * (self.kw - 1)

    def for_batch(self, n):
        """The same convolution on a batch of ``n`` images."""
        part = copy.copy(self)
        part.n = n
        return part

    @property
    def rows(self):
        """C/groups · kh · kw: the length of one receptive field, per group."""
        return self.cg * self.kh * self.kw

    @property
    def pixels(self):
        """Ho · grid_w: the number of columns per image."""
        return self.ho * self.grid_w

    def windows(self, padded):
        """A strided view of the padded input (N, C, Hp, Wp) shaped like ``blocks``: entry
        [n, c, u, v, …] is the pixel of image n that kernel tap (u, v) multiplies, for each
        output pixel. No copy. On the wide grid each [n, c, u, v] row is one contiguous run of
        ``run`` pixels inside the image."""
        xp = get_array_module(padded)
        sn, sc, sh, sw = padded.strides
        (dh, dw), (th, tw) = self.dilation, self.stride
        taps = (self.n, self.c, self.kh, self.kw)
        if self.wide:
            shape, strides = taps + (self.run,), (sn, sc, dh * sh, dw * sw, sw)
        else:
            shape, strides = taps + (self.ho, self.wo), (sn, sc, dh * sh, dw * sw, th * sh, tw * sw)
        return xp.lib.stride_tricks.as_strided(padded, shape, strides)

    def blocks(self, columns):
        """The columns (N, C·kh·kw, pixels) as (N, C, kh, kw, …): [n, c, u, v] is tap (u, v)'s
        copy of channel c of image n."""
        shape = (self.n, self.c, self.kh, self.kw)
        if self.wide:
            return columns.reshape(shape + (self.pixels,))[..., :self.run]
        return columns.reshape(shape + (self.ho, self.wo))


def _pad(x, g):
    """x zero-padded to a contiguous (N, C, Hp, Wp); x itself (no copy) when there is no padding
    and x is contiguous."""
    if g.hp == g.h and g.wp == g.w:
        return get_array_module(x).ascontiguousarray(x)
    padded = get_array_module(x).zeros((g.n, g.c, g.hp, g.wp), x.dtype)
    (top, _), (left, _) = g.pad_h, g.pad_w
    padded[:, :, top:top + g.h, left:left + g.w] = x
    return padded


def _im2col(x, g):
    """The columns (N, C·kh·kw, Ho·grid_w): column (i, j) of image n is output pixel (i, j)'s
    receptive field, copied in one pass from the strided ``windows`` view of the padded input."""
    xp = get_array_module(x)
    columns = xp.empty((g.n, g.c * g.kh * g.kw, g.pixels), x.dtype)
    g.blocks(columns)[...] = g.windows(_pad(x, g))
    if g.wide:  # the wide grid's last pixels of each image lie beyond ``run``: zero them
        columns[..., g.run:] = 0
    return columns


def _col2im(columns, g):
    """The adjoint of ``_im2col``: add each tap's block back where it was copied from, then crop
    the padding. Taps overlap, so this is kh·kw strided additions, one per tap (never a
    scatter over single elements)."""
    xp = get_array_module(columns)
    padded = xp.zeros((g.n, g.c, g.hp, g.wp), columns.dtype)
    blocks, windows = g.blocks(columns), g.windows(padded)
    for u in range(g.kh):
        for v in range(g.kw):
            windows[:, :, u, v] += blocks[:, :, u, v]
    return _crop(padded, g)


def _crop(padded, g):
    """The unpadded (N, C, H, W) part of a padded image (a view)."""
    (top, _), (left, _) = g.pad_h, g.pad_w
    return padded[:, :, top:top + g.h, left:left + g.w]


def _per_group(array, g):
    """(N, groups·k, pixels) → (N, groups, k, pixels): one GEMM operand per image and group."""
    return array.reshape(g.n, g.groups, -1, g.pixels)


def _grouped(weight, g):
    """The weight as (groups, O/groups, C/groups·kh·kw)."""
    return weight.reshape(g.groups, g.o // g.groups, g.rows)


def _to_grid(images, g):
    """(N, O, Ho, Wo) → (N, groups, O/groups, Ho·grid_w), the layout of W × columns, with
    zeros on the wide grid's extra pixels (so they add nothing to ∂L/∂W or ∂L/∂x)."""
    xp = get_array_module(images)
    if g.grid_w == g.wo:
        return _per_group(xp.ascontiguousarray(images).reshape(g.n, g.o, g.pixels), g)
    grid = xp.zeros((g.n, g.o, g.ho, g.grid_w), images.dtype)
    grid[..., :g.wo] = images
    return _per_group(grid.reshape(g.n, g.o, g.pixels), g)


_CHUNK_BYTES = 2 ** 21


def _chunks(g, array):
    """(batch slice, its geometry) for each chunk of the batch.

    On the CPU a chunk holds as many images as keep its columns within about 2 MiB: then
    im2col, the GEMMs and col2im work in cache, and the columns are rebuilt for backward
    rather than kept (a 256-image LeNet batch would otherwise keep ~20 MB and read it back from
    memory). On a GPU the whole batch is one chunk.
    """
    per_image = g.c * g.kh * g.kw * g.pixels * array.dtype.itemsize
    size = g.n if device_of(array) != "cpu" else max(1, _CHUNK_BYTES // per_image)
    for start in range(0, g.n, size):
        stop = min(start + size, g.n)
        yield slice(start, stop), g.for_batch(stop - start)


def _correlate(x, weight, bias, g):
    """conv2d's forward, y = W × im2col(x) + b as (N, O, Ho, Wo). (Also conv_transpose2d's
    input gradient.)"""
    xp = get_array_module(x)
    y = xp.empty((g.n, g.o, g.ho, g.wo), x.dtype)
    for batch, part in _chunks(g, x):
        product = xp.matmul(_grouped(weight, part), _per_group(_im2col(x[batch], part), part))
        images = product.reshape(part.n, g.o, g.ho, g.grid_w)[..., :g.wo]
        if bias is None:
            y[batch] = images
        else:
            xp.add(images, bias.reshape(-1, 1, 1), out=y[batch])
    return y


def _correlate_adjoint(grad, weight, g):
    """conv2d's input gradient, col2im(Wᵀ × G) as (N, C, H, W): deck 003's full convolution of
    δ with the 180°-rotated kernel. (Also conv_transpose2d's forward.)"""
    xp = get_array_module(grad)
    dx = xp.empty((g.n, g.c, g.h, g.w), grad.dtype)
    adjoint = _adjoint_by_rows if g.wide and g.c * g.kh * (g.kw - 1) > g.o * g.kw \
        else _adjoint_by_taps
    for batch, part in _chunks(g, grad):
        dx[batch] = adjoint(grad[batch], weight, part)
    return dx


def _adjoint_by_taps(grad, weight, g):
    """col2im(Wᵀ × G): one GEMM, then kh·kw strided additions."""
    xp = get_array_module(grad)
    columns = xp.matmul(_grouped(weight, g).transpose(0, 2, 1), _to_grid(grad, g))
    return _col2im(columns.reshape(g.n, -1, g.pixels), g)


def _adjoint_by_rows(grad, weight, g):
    """col2im(Wᵀ × G) on the wide grid with each kernel row's kw taps summed inside the GEMM.

    Tap (u, v) adds its block at flat offset u·dh·Wp + v·dw of the image, so the sum over v is
    itself a product: the kernel flipped along its width (deck 003's rot180, one axis at a
    time) times G shifted by 0, dw, …, (kw − 1)·dw. Only kh additions remain. Used when the
    additions it saves, C·kh·(kw − 1) rows, outnumber the O·kw rows of shifted G it copies.
    """
    xp = get_array_module(grad)
    shift, (dh, dw) = (g.kw - 1) * g.dilation[1], g.dilation
    delayed = xp.zeros((g.n, g.o, shift + g.pixels), grad.dtype)
    delayed[..., shift:].reshape(g.n, g.o, g.ho, g.grid_w)[..., :g.wo] = grad
    sn, so, sp = delayed.strides
    shifted = xp.lib.stride_tricks.as_strided(delayed, (g.n, g.o, g.kw, g.pixels),
                                              (sn, so, dw * sp, sp))
    shifted = xp.ascontiguousarray(shifted).reshape(g.n, g.groups, -1, g.pixels)
    flipped = weight[..., ::-1].reshape(g.groups, g.o // g.groups, g.cg, g.kh, g.kw)
    flipped = flipped.transpose(0, 2, 3, 1, 4).reshape(g.groups, g.cg * g.kh, -1)
    rows = xp.matmul(flipped, shifted).reshape(g.n, g.c, g.kh, g.pixels)
    padded = xp.zeros((g.n, g.c, g.hp * g.wp), grad.dtype)
    for u in range(g.kh):
        padded[:, :, u * dh * g.wp:u * dh * g.wp + g.pixels] += rows[:, :, u]
    return _crop(padded.reshape(g.n, g.c, g.hp, g.wp), g)


def _correlate_weight_grad(x, grad, g):
    """∂L/∂W = Σ_images G × im2col(x)ᵀ: each weight's gradient is δ times every input it
    touched. Computed as (columns × Gᵀ)ᵀ, the faster way round for OpenBLAS."""
    xp = get_array_module(x)
    transposed = xp.zeros((g.groups, g.rows, g.o // g.groups), x.dtype)
    for batch, part in _chunks(g, x):
        columns = _per_group(_im2col(x[batch], part), part)
        grid = _to_grid(grad[batch], part)
        transposed += xp.matmul(columns, grid.transpose(0, 1, 3, 2)).sum(axis=0)
    return xp.ascontiguousarray(transposed.transpose(0, 2, 1)).reshape(g.o, g.cg, g.kh, g.kw)


def _check_bias(op, bias, channels):
    if bias is not None and tuple(bias.shape) != (channels,):
        raise ValueError(f"{op}: bias must have shape ({channels},), got {tuple(bias.shape)}")


class Conv2d(Function):
    """y = W ⋆ x + b, the 2-D cross-correlation above, as im2col + GEMMs.

    Backward: ∂L/∂W = G × columnsᵀ, ∂L/∂x = col2im(Wᵀ × G) (the full convolution of δ with
    the 180°-rotated kernel, deck 003), ∂L/∂b = Σ G.
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None, *, stride, padding, dilation, groups, op="conv2d"):
        g = _Geometry(op, x.shape, weight.shape, stride, padding, dilation, groups)
        _check_bias(op, bias, g.o)
        ctx.geometry = g
        ctx.save_for_backward(x, weight)
        return _correlate(x, weight, bias, g)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        g, needs = ctx.geometry, ctx.needs_input_grad
        grad_x = _correlate_adjoint(grad, weight, g) if needs[0] else None
        grad_weight = _correlate_weight_grad(x, grad, g) if needs[1] else None
        if len(needs) == 2:
            return grad_x, grad_weight
        return grad_x, grad_weight, grad.sum(axis=(0, 2, 3)) if needs[2] else None


class Conv1d(Conv2d):
    """conv2d on images of height 1: x (N, C, L) and W (O, C/groups, k) gain a unit height axis."""

    @staticmethod
    def forward(ctx, x, weight, bias=None, *, stride, padding, dilation, groups):
        ctx.shapes = (x.shape, weight.shape)
        if not isinstance(padding, str):
            padding = (0, _single(padding, "conv1d", "padding"))
        y = Conv2d.forward(ctx, x[:, :, None, :], weight[:, :, None, :], bias,
                           stride=(1, _single(stride, "conv1d", "stride")), padding=padding,
                           dilation=(1, _single(dilation, "conv1d", "dilation")), groups=groups,
                           op="conv1d")
        return y[:, :, 0, :]

    @staticmethod
    def backward(ctx, grad):
        grads = Conv2d.backward(ctx, grad[:, :, None, :])
        unit_height = tuple(None if gr is None else gr.reshape(shape)
                            for gr, shape in zip(grads, ctx.shapes))
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
    def forward(ctx, x, weight, bias=None, *, stride, padding, output_padding, groups,
                dilation):
        g = _transposed_geometry(x.shape, weight.shape, stride, padding, output_padding,
                                 groups, dilation)
        _check_bias("conv_transpose2d", bias, g.c)
        y = _correlate_adjoint(x, weight, g)
        if bias is not None:
            y += bias.reshape(1, -1, 1, 1)
        ctx.geometry = g
        ctx.save_for_backward(x, weight)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        g, needs = ctx.geometry, ctx.needs_input_grad
        grad_x = _correlate(grad, weight, None, g) if needs[0] else None
        grad_weight = _correlate_weight_grad(grad, x, g) if needs[1] else None
        if len(needs) == 2:
            return grad_x, grad_weight
        return grad_x, grad_weight, grad.sum(axis=(0, 2, 3)) if needs[2] else None


def _transposed_geometry(x_shape, weight_shape, stride, padding, output_padding, groups,
                         dilation):
    """The geometry of the conv2d whose input gradient conv_transpose2d computes."""
    op = "conv_transpose2d"
    if len(x_shape) != 4 or len(weight_shape) != 4 or x_shape[1] != weight_shape[0]:
        raise ValueError(f"{op}: expected input (N, C_in, H, W) and weight "
                         f"(C_in, C_out/groups, kh, kw), got input {tuple(x_shape)} and weight "
                         f"{tuple(weight_shape)}")
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding must be an int or a pair, got {padding!r}")
    strides, pads = _pair(stride, op, "stride"), _pair(padding, op, "padding")
    extras, dilations = _pair(output_padding, op, "output_padding"), _pair(dilation, op, "dilation")
    if any(e >= max(s, d) or e < 0 for e, s, d in zip(extras, strides, dilations)):
        raise ValueError(f"{op}: output_padding {extras} must be non-negative and smaller than "
                         f"stride {strides} or dilation {dilations}")
    n, _, h, w = x_shape
    _, out_per_group, kh, kw = weight_shape
    out_h, out_w = ((size - 1) * s - 2 * p + d * (k - 1) + e + 1 for size, s, p, d, k, e in
                    zip((h, w), strides, pads, dilations, (kh, kw), extras))
    if out_h < 1 or out_w < 1:
        raise ValueError(f"{op}: input {tuple(x_shape)} with this stride/padding gives an "
                         f"empty output ({out_h}×{out_w})")
    return _Geometry(op, (n, out_per_group * groups, out_h, out_w), weight_shape, strides, pads,
                     dilations, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) of input (N, C, H, W) with weight (O, C/groups, kh, kw).

    ``padding`` is an int, a pair, ``'valid'`` (none) or ``'same'`` (output size = input size,
    stride 1). Output (N, O, Ho, Wo) with Ho = ⌊(H + 2p − d·(kh − 1) − 1)/s⌋ + 1. See ``Conv2d``.
    """
    _check_ndim("conv2d", input, weight, 4)
    return Conv2d.apply(*_with_bias(input, weight, bias), stride=stride, padding=padding,
                        dilation=dilation, groups=groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution of input (N, C, L) with weight (O, C/groups, k): conv2d at height 1."""
    _check_ndim("conv1d", input, weight, 3)
    return Conv1d.apply(*_with_bias(input, weight, bias), stride=stride, padding=padding,
                        dilation=dilation, groups=groups)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed convolution of input (N, C_in, H, W) with weight (C_in, C_out/groups, kh, kw),
    the adjoint of conv2d. See ``ConvTranspose2d``."""
    _check_ndim("conv_transpose2d", input, weight, 4)
    return ConvTranspose2d.apply(*_with_bias(input, weight, bias), stride=stride,
                                 padding=padding, output_padding=output_padding, groups=groups,
                                 dilation=dilation)


def _check_ndim(op, input, weight, ndim):
    if input.ndim != ndim or weight.ndim != ndim:
        raise ValueError(f"{op}: input and weight must be {ndim}-D (batched), got input of shape "
                         f"{tuple(input.shape)} and weight of shape {tuple(weight.shape)}")


def _with_bias(input, weight, bias):
    return (input, weight) if bias is None else (input, weight, bias)
