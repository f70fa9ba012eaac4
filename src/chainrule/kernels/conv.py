"""conv2d's CPU kernels: im2col + GEMM laid out for NumPy and OpenBLAS. Skip on first reading.

``functional/conv.py`` derives the convolution and computes it plainly (im2col, one GEMM,
col2im); these three functions compute the same three things faster on the CPU:

    correlate(x, W, b, g)            y = W × im2col(x) + b            (conv2d's forward)
    correlate_adjoint(G, W, g)       ∂L/∂x = col2im(Wᵀ × G)           (conv2d's input gradient)
    correlate_weight_grad(x, G, g)   ∂L/∂W = Σ_images G × im2col(x)ᵀ

``g`` is the plain geometry of ``functional/conv.py`` (sizes, stride, padding, dilation,
groups). tests/kernels/test_conv.py pins each function to the reference on odd shapes. What
each trick buys, measured on LeNet-5's layers (docs/benchmarks.md, "How chainrule got there"):

- **Chunks of the batch whose columns fit in ~2 MiB** (``_chunks``): im2col, the GEMMs and
  col2im stay in cache, and backward rebuilds the columns instead of keeping them. LeNet's
  first conv layer, forward and backward at batch 256: 29 → 19 ms.
- **im2col is one copy from an ``as_strided`` window view** (``_Layout.windows``), not kh·kw
  copies: 0.10 → 0.07 ms per chunk.
- **One GEMM per image**, all in one batched ``matmul``: OpenBLAS's small-matrix kernels are
  2–3× faster on LeNet's first layer (equal on its second) and the result needs no transpose.
- **The "wide" grid for stride 1**: output pixels are laid out on rows of the padded width Wp
  instead of Wo, so every tap's view is one contiguous run of Ho·Wp − dw·(kw − 1) elements per
  image (long, fast copies and additions). The Wp − Wo extra pixels of each row are computed
  and thrown away; their gradient is zero.
- **A window that covers the whole input is a matrix product** (``_covers_input``): one output
  pixel per image, so the convolution is x (N, C·kh·kw) × Wᵀ, one GEMM over the whole batch
  instead of one tiny GEMM per image on a grid five times wider than the output. LeNet-5's C5
  (16 maps of 5×5 → 120), forward and both gradients at batch 128: 10.6–17.3 → 0.54–0.84 ms
  (PyTorch 1.9–3.1 ms); a classic LeNet-5 epoch 15.6 → 10.7 s.
- **Images side by side on small maps of many channels** (``_side_by_side``): one GEMM over
  the chunk's images instead of one per image, each of which passes over the whole weight.
  ResNet-18's last stage on 32×32 images, batch 32, forward / input gradient / weight gradient:
  27 / 31 / 84 → 7 / 10 / 20 ms; LeNet-5 and ResNet-20 keep a GEMM per image.
- **Row-summed adjoints** (``_adjoint_by_rows``): on the wide grid each kernel row's kw taps
  are summed inside the GEMM, leaving kh additions instead of kh·kw: LeNet's second layer's
  input gradient 1.35 → 0.77 ms at batch 64, 6.0 → 3.6 ms at 256.
"""

import copy

import numpy as np

_CHUNK_BYTES = 2**21


class _Layout:
    """The geometry ``g`` of one convolution, for a batch of ``n`` images, with the grid its
    columns are laid out on: ``grid_w`` is the padded width Wp for stride 1 (the wide grid),
    else the output width Wo; ``run`` is the number of wide-grid pixels per image whose windows
    stay inside the padded image."""

    def __init__(self, g):
        vars(self).update(vars(g))
        self.wide = self.stride == (1, 1)
        self.grid_w = self.wp if self.wide else self.wo
        self.run = self.ho * self.wp - self.dilation[1] * (self.kw - 1)
        self.rows = self.cg * self.kh * self.kw
        self.pixels = self.ho * self.grid_w

    def for_batch(self, n):
        """The same convolution on a batch of ``n`` images."""
        part = copy.copy(self)
        part.n = n
        return part

    def windows(self, padded):
        """A strided view of the padded input (N, C, Hp, Wp) shaped like ``blocks``: entry
        [n, c, u, v, …] is the pixel of image n that kernel tap (u, v) multiplies, for each
        output pixel. No copy. On the wide grid each [n, c, u, v] row is one contiguous run of
        ``run`` pixels inside the image."""
        sn, sc, sh, sw = padded.strides
        (dh, dw), (th, tw) = self.dilation, self.stride
        taps = (self.n, self.c, self.kh, self.kw)
        if self.wide:
            shape, strides = taps + (self.run,), (sn, sc, dh * sh, dw * sw, sw)
        else:
            shape, strides = taps + (self.ho, self.wo), (sn, sc, dh * sh, dw * sw, th * sh, tw * sw)
        return np.lib.stride_tricks.as_strided(padded, shape, strides)

    def blocks(self, columns):
        """The columns (N, C·kh·kw, pixels) as (N, C, kh, kw, …): [n, c, u, v] is tap (u, v)'s
        copy of channel c of image n."""
        shape = (self.n, self.c, self.kh, self.kw)
        if self.wide:
            return columns.reshape(shape + (self.pixels,))[..., : self.run]
        return columns.reshape(shape + (self.ho, self.wo))


def _pad(x, g):
    """x zero-padded to a contiguous (N, C, Hp, Wp); x itself (no copy) when there is no padding
    and x is contiguous."""
    if g.hp == g.h and g.wp == g.w:
        return np.ascontiguousarray(x)
    padded = np.zeros((g.n, g.c, g.hp, g.wp), x.dtype)
    (top, _), (left, _) = g.pad_h, g.pad_w
    padded[:, :, top : top + g.h, left : left + g.w] = x
    return padded


def _crop(padded, g):
    """The unpadded (N, C, H, W) part of a padded image (a view)."""
    (top, _), (left, _) = g.pad_h, g.pad_w
    return padded[:, :, top : top + g.h, left : left + g.w]


def _im2col(x, g):
    """The columns (N, C·kh·kw, Ho·grid_w), copied in one pass from the strided ``windows``
    view of the padded input."""
    columns = np.empty((g.n, g.c * g.kh * g.kw, g.pixels), x.dtype)
    g.blocks(columns)[...] = g.windows(_pad(x, g))
    if g.wide:  # the wide grid's last pixels of each image lie beyond ``run``: zero them
        columns[..., g.run :] = 0
    return columns


def _col2im(columns, g):
    """The adjoint of ``_im2col``: kh·kw strided additions, one per tap, then the crop."""
    padded = np.zeros((g.n, g.c, g.hp, g.wp), columns.dtype)
    blocks, windows = g.blocks(columns), g.windows(padded)
    for u in range(g.kh):
        for v in range(g.kw):
            windows[:, :, u, v] += blocks[:, :, u, v]
    return _crop(padded, g)


def _per_group(array, g):
    """(N, groups·k, pixels) → (N, groups, k, pixels): one GEMM operand per image and group."""
    return array.reshape(g.n, g.groups, -1, g.pixels)


def _grouped(weight, g):
    """The weight as (groups, O/groups, C/groups·kh·kw)."""
    return weight.reshape(g.groups, g.o // g.groups, g.rows)


def _to_grid(images, g):
    """(N, O, Ho, Wo) → (N, groups, O/groups, Ho·grid_w), the layout of W × columns, with
    zeros on the wide grid's extra pixels (so they add nothing to ∂L/∂W or ∂L/∂x)."""
    if g.grid_w == g.wo:
        return _per_group(np.ascontiguousarray(images).reshape(g.n, g.o, g.pixels), g)
    grid = np.zeros((g.n, g.o, g.ho, g.grid_w), images.dtype)
    grid[..., : g.wo] = images
    return _per_group(grid.reshape(g.n, g.o, g.pixels), g)


def _chunks(layout, array):
    """(batch slice, its layout) for each chunk of the batch whose columns fit in about
    ``_CHUNK_BYTES``."""
    per_image = layout.c * layout.kh * layout.kw * layout.pixels * array.dtype.itemsize
    size = max(1, _CHUNK_BYTES // per_image)
    for start in range(0, layout.n, size):
        stop = min(start + size, layout.n)
        yield slice(start, stop), layout.for_batch(stop - start)


def _side_by_side(layout):
    """Whether the chunk's images go through each GEMM side by side, as one product over all
    their pixels, rather than through a GEMM each. A GEMM per image passes over the weight
    (rows × O/groups numbers) once per image (and the weight gradient writes that many per
    image for the sum); side by side, each image's columns and G are copied into place first,
    pixels × (rows + O/groups). The first costs less on large maps of few channels (LeNet-5,
    ResNet-20), the second on small maps of many (ResNet-18's and VGG's last stages)."""
    outputs = layout.o // layout.groups
    return layout.pixels * (layout.rows + outputs) < layout.rows * outputs


def _product(weight, per_image, side_by_side):
    """weight (groups, M, K) times each image's operand (N, groups, K, P) → (N, groups, M, P):
    a GEMM per image, or one GEMM over the images' operands side by side."""
    if not side_by_side:
        return np.matmul(weight, per_image)
    n, groups, depth, pixels = per_image.shape
    joined = per_image.transpose(1, 2, 0, 3).reshape(groups, depth, n * pixels)
    product = np.matmul(weight, joined).reshape(groups, weight.shape[1], n, pixels)
    return product.transpose(2, 0, 1, 3)


def _covers_input(g):
    """Whether the kernel's one window covers the whole unpadded input: no padding, no
    dilation, one group, kernel size = input size, so there is one output pixel per image and
    im2col(x) is x itself, flattened."""
    return (g.hp, g.wp) == (g.h, g.w) == (g.kh, g.kw) and g.dilation == (1, 1) and g.groups == 1


def correlate(x, weight, bias, g):
    """conv2d's forward, y = W × im2col(x) + b as (N, O, Ho, Wo)."""
    if _covers_input(g):
        y = x.reshape(g.n, -1) @ weight.reshape(g.o, -1).T
        if bias is not None:
            y += bias
        return y.reshape(g.n, g.o, 1, 1)
    layout = _Layout(g)
    side_by_side = _side_by_side(layout)
    y = np.empty((g.n, g.o, g.ho, g.wo), x.dtype)
    for batch, part in _chunks(layout, x):
        columns = _per_group(_im2col(x[batch], part), part)
        product = _product(_grouped(weight, part), columns, side_by_side)
        images = product.reshape(part.n, g.o, g.ho, part.grid_w)[..., : g.wo]
        if bias is None:
            y[batch] = images
        else:
            np.add(images, bias.reshape(-1, 1, 1), out=y[batch])
    return y


def correlate_adjoint(grad, weight, g):
    """conv2d's input gradient, col2im(Wᵀ × G) as (N, C, H, W)."""
    if _covers_input(g):
        return (grad.reshape(g.n, g.o) @ weight.reshape(g.o, -1)).reshape(g.n, g.c, g.h, g.w)
    layout = _Layout(g)
    dx = np.empty((g.n, g.c, g.h, g.w), grad.dtype)
    by_rows = layout.wide and g.c * g.kh * (g.kw - 1) > g.o * g.kw
    adjoint = _adjoint_by_rows if by_rows else _adjoint_by_taps
    side_by_side = _side_by_side(layout)
    for batch, part in _chunks(layout, grad):
        dx[batch] = adjoint(grad[batch], weight, part, side_by_side)
    return dx


def _adjoint_by_taps(grad, weight, g, side_by_side):
    """col2im(Wᵀ × G): one GEMM, then kh·kw strided additions."""
    columns = _product(_grouped(weight, g).transpose(0, 2, 1), _to_grid(grad, g), side_by_side)
    return _col2im(np.ascontiguousarray(columns).reshape(g.n, -1, g.pixels), g)


def _adjoint_by_rows(grad, weight, g, side_by_side):
    """col2im(Wᵀ × G) on the wide grid with each kernel row's kw taps summed inside the GEMM.

    Tap (u, v) adds its block at flat offset u·dh·Wp + v·dw of the image, so the sum over v is
    itself a product: the kernel flipped along its width (the 180° rotation of the full
    convolution, one axis at a time) times G shifted by 0, dw, …, (kw − 1)·dw. Only kh
    additions remain. Used when the additions it saves, C·kh·(kw − 1) rows, outnumber the O·kw
    rows of shifted G it copies.
    """
    shift, (dh, dw) = (g.kw - 1) * g.dilation[1], g.dilation
    delayed = np.zeros((g.n, g.o, shift + g.pixels), grad.dtype)
    delayed[..., shift:].reshape(g.n, g.o, g.ho, g.grid_w)[..., : g.wo] = grad
    sn, so, sp = delayed.strides
    shifted = np.lib.stride_tricks.as_strided(
        delayed, (g.n, g.o, g.kw, g.pixels), (sn, so, dw * sp, sp)
    )
    shifted = np.ascontiguousarray(shifted).reshape(g.n, g.groups, -1, g.pixels)
    flipped = weight[..., ::-1].reshape(g.groups, g.o // g.groups, g.cg, g.kh, g.kw)
    flipped = flipped.transpose(0, 2, 3, 1, 4).reshape(g.groups, g.cg * g.kh, -1)
    rows = _product(flipped, shifted, side_by_side).reshape(g.n, g.c, g.kh, g.pixels)
    padded = np.zeros((g.n, g.c, g.hp * g.wp), grad.dtype)
    for u in range(g.kh):
        padded[:, :, u * dh * g.wp : u * dh * g.wp + g.pixels] += rows[:, :, u]
    return _crop(padded.reshape(g.n, g.c, g.hp, g.wp), g)


def correlate_weight_grad(x, grad, g):
    """∂L/∂W = Σ_images G × im2col(x)ᵀ, computed as (columns × Gᵀ)ᵀ, the faster way round for
    OpenBLAS: per image and summed, or as one product over the chunk's images side by side
    (``_side_by_side``)."""
    if _covers_input(g):
        return (grad.reshape(g.n, g.o).T @ x.reshape(g.n, -1)).reshape(g.o, g.c, g.kh, g.kw)
    layout = _Layout(g)
    side_by_side = _side_by_side(layout)
    transposed = np.zeros((g.groups, layout.rows, g.o // g.groups), x.dtype)
    for batch, part in _chunks(layout, x):
        columns = _per_group(_im2col(x[batch], part), part)  # (N, groups, rows, pixels)
        grid = _to_grid(grad[batch], part)  # (N, groups, O/groups, pixels)
        if side_by_side:
            all_pixels = part.n * part.pixels
            columns = columns.transpose(1, 2, 0, 3).reshape(g.groups, layout.rows, all_pixels)
            transposed += np.matmul(
                columns, grid.transpose(1, 0, 3, 2).reshape(g.groups, all_pixels, -1)
            )
        else:
            transposed += np.matmul(columns, grid.transpose(0, 1, 3, 2)).sum(axis=0)
    return np.ascontiguousarray(transposed.transpose(0, 2, 1)).reshape(g.o, g.cg, g.kh, g.kw)
