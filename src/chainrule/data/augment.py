"""Augmentation: LeCun et al. (1998)'s planar affine distortions and Simard et al. (2003)'s
elastic distortions of images, drawn per image and applied to a whole batch at once.

Deck D3 ("LeNet-5 on MNIST") quotes the result: LeNet-5 trained on the 60,000 MNIST digits plus
540,000 distorted copies reaches 0.8% test error instead of 0.95%. LeCun et al. (1998, section III,
the MNIST results) describe the distortions as combinations of "horizontal and vertical
translations, scaling, squeezing (simultaneous horizontal compression and vertical elongation, or
the reverse) and horizontal shearing"; the paper gives no ranges, so ``RandomDistortion``'s defaults
are ours (see there).
Simard, Steinkraus & Platt (2003) add elastic distortions: a random displacement field, uniform
in [-1, 1] at each pixel, smoothed by a Gaussian of width σ and scaled by α.

How a distortion is applied (``bilinear_sample``): every output pixel looks up a *source*
position in the input image; all source positions of the batch are computed as arrays, the four
neighbouring pixels of every position are gathered with one fancy index, and mixed with the
bilinear weights. Pixels that fall outside the image read zeros (the black MNIST background),
so apply the distortion before ``Normalize``::

    Compose([ToTensor(), RandomDistortion(), Normalize(0.1307, 0.3081)])

Coordinates are (row, column) in pixels, with pixel centres at the integers, as in
``scipy.ndimage``.
"""

import numpy as np

from .. import random
from ..backend import get_array_module
from .transforms import Transform

__all__ = ["RandomDistortion", "distort", "affine_transform", "bilinear_sample", "gaussian_smooth"]


class RandomDistortion(Transform):
    """Random affine (and optionally elastic) distortion of each image, LeCun et al. (1998).

    Per image, independently and uniformly:

    * ``translate`` — horizontal and vertical shift in [-translate, translate] pixels (2);
    * ``scale`` — isotropic zoom factor in ``scale`` (0.9, 1.1);
    * ``squeeze`` — q in [-squeeze, squeeze] (0.1): width × (1 + q), height ÷ (1 + q);
    * ``shear`` — horizontal shear h in [-shear, shear] (0.15): x ← x + h·y.

    These defaults keep a 28×28 digit inside its frame. Scaling, squeezing and shearing act
    about the image centre. ``elastic_alpha`` > 0 adds Simard et al.'s elastic field of
    strength ``elastic_alpha`` and smoothness ``elastic_sigma`` (they use α = 34, σ = 4 on
    MNIST); both distortions are composed into one resampling.

    Draws from ``chainrule.random`` (``manual_seed`` makes it reproducible). Works on a sample
    (H, W) or (C, H, W) and on a batch (N, H, W) or (N, C, H, W), float or uint8, keeping the
    shape and dtype; uint8 results are rounded.
    """

    def __init__(
        self,
        translate=2.0,
        scale=(0.9, 1.1),
        squeeze=0.1,
        shear=0.15,
        elastic_alpha=0.0,
        elastic_sigma=4.0,
    ):
        low, high = scale
        if not 0 < low <= high:
            raise ValueError(
                f"RandomDistortion: scale must be a range 0 < low <= high, got {scale}"
            )
        if not 0 <= squeeze < 1:
            raise ValueError(f"RandomDistortion: squeeze must be in [0, 1), got {squeeze}")
        if min(translate, shear, elastic_alpha) < 0 or elastic_sigma <= 0:
            raise ValueError(
                "RandomDistortion: translate, shear and elastic_alpha must be >= 0 "
                f"and elastic_sigma > 0, got {translate}, {shear}, {elastic_alpha}, "
                f"{elastic_sigma}"
            )
        self.translate = float(translate)
        self.scale = (float(low), float(high))
        self.squeeze = float(squeeze)
        self.shear = float(shear)
        self.elastic_alpha = float(elastic_alpha)
        self.elastic_sigma = float(elastic_sigma)

    def __call__(self, image):
        return self.apply_batch(image[None])[0]

    def apply_batch(self, images):
        if images.ndim < 3:
            raise ValueError(
                f"RandomDistortion: expected a batch (N, H, W) or (N, C, H, W), "
                f"got shape {images.shape}"
            )
        xp = get_array_module(images)
        dtype = _float_dtype(images)
        n, (height, width) = len(images), images.shape[-2:]
        generator = random.generator(xp)

        def uniform(low, high, shape):
            return low + (high - low) * generator.random(shape, dtype=dtype)

        displacement = None
        if self.elastic_alpha:
            field = uniform(-1.0, 1.0, (2, n, height, width))
            displacement = self.elastic_alpha * gaussian_smooth(field, self.elastic_sigma)
        return distort(
            images,
            translation=uniform(-self.translate, self.translate, (n, 2)),
            scale=uniform(*self.scale, n),
            squeeze=uniform(-self.squeeze, self.squeeze, n),
            shear=uniform(-self.shear, self.shear, n),
            displacement=displacement,
        )

    def __repr__(self):
        elastic = (
            f", elastic_alpha={self.elastic_alpha}, elastic_sigma={self.elastic_sigma}"
            if self.elastic_alpha
            else ""
        )
        return (
            f"RandomDistortion(translate={self.translate}, scale={self.scale}, "
            f"squeeze={self.squeeze}, shear={self.shear}{elastic})"
        )


def distort(images, translation, scale, squeeze, shear, displacement=None):
    """Apply given distortions to a batch (N, ..., H, W): the deterministic half of
    ``RandomDistortion``, one parameter value per image.

    ``translation`` (N, 2) is the (horizontal, vertical) shift in pixels; ``scale``,
    ``squeeze`` and ``shear`` (N,) act about the image centre c as the forward map, in (x, y)
    coordinates, ``p' = S (p − c) + c + t`` with

        S = [[1, h], [0, 1]] · diag(s·(1 + q), s / (1 + q)).

    ``displacement`` (2, N, H, W), if given, is added to every pixel's source (row, column)
    position after the affine map (Simard et al.'s elastic field). Resampling inverts the map:
    the output pixel p reads the input at ``S⁻¹ (p − c − t) + c`` (+ displacement).
    """
    xp = get_array_module(images)
    dtype = _float_dtype(images)
    translation, scale, squeeze, shear = (
        xp.asarray(a, dtype=dtype) for a in (translation, scale, squeeze, shear)
    )
    scale_x = scale * (1 + squeeze)
    scale_y = scale / (1 + squeeze)
    # S⁻¹ = diag(1/sx, 1/sy) · [[1, −h], [0, 1]], written in (row, column) = (y, x) order.
    matrices = xp.zeros((len(images), 2, 2), dtype=dtype)
    matrices[:, 0, 0] = 1 / scale_y
    matrices[:, 1, 0] = -shear / scale_x
    matrices[:, 1, 1] = 1 / scale_x
    height, width = images.shape[-2:]
    centre = xp.asarray([(height - 1) / 2, (width - 1) / 2], dtype=dtype)
    shift = translation[:, ::-1]  # (dx, dy) -> (rows, columns)
    offsets = centre - xp.einsum("nij,nj->ni", matrices, centre + shift)
    rows, cols = affine_coordinates(matrices, offsets, height, width)
    if displacement is not None:
        rows = rows + displacement[0]
        cols = cols + displacement[1]
    return bilinear_sample(images, rows, cols)


def affine_transform(images, matrices, offsets):
    """``scipy.ndimage.affine_transform`` (order 1, zero outside) of every image of a batch.

    The output pixel at (row, column) o reads the input at ``matrices[n] @ o + offsets[n]``;
    ``matrices`` is (N, 2, 2) and ``offsets`` (N, 2), one map per image (N, ..., H, W).
    """
    xp = get_array_module(images)
    dtype = _float_dtype(images)
    matrices = xp.asarray(matrices, dtype=dtype)
    offsets = xp.asarray(offsets, dtype=dtype)
    return bilinear_sample(images, *affine_coordinates(matrices, offsets, *images.shape[-2:]))


def affine_coordinates(matrices, offsets, height, width):
    """Source rows and columns (N, H, W) of ``matrices[n] @ (row, column) + offsets[n]`` for
    every output pixel of an H × W image."""
    xp = get_array_module(matrices)
    row = xp.arange(height, dtype=matrices.dtype)[:, None]
    col = xp.arange(width, dtype=matrices.dtype)[None, :]
    m = matrices[:, :, :, None, None]
    rows = m[:, 0, 0] * row + m[:, 0, 1] * col + offsets[:, 0, None, None]
    cols = m[:, 1, 0] * row + m[:, 1, 1] * col + offsets[:, 1, None, None]
    return rows, cols


def bilinear_sample(images, rows, cols):
    """Read a batch of images (N, ..., H, W) at real-valued positions ``rows``, ``cols``
    (N, H_out, W_out) by bilinear interpolation; positions outside the image read zeros.

    The image is padded with a one-pixel border of zeros and positions are clipped into it, so
    every position has four neighbours inside the padded array; the neighbours of all positions
    of all images (and every channel) are read with one fancy index into the flattened batch.
    The weights of neighbour (r₀ + i, c₀ + j) are (1 − a or a)·(1 − b or b), with a and b the
    fractional parts of the position.
    """
    xp = get_array_module(images)
    dtype = _float_dtype(images)
    n, height, width = images.shape[0], *images.shape[-2:]
    out_shape = rows.shape[1:]
    padded = xp.pad(images.reshape(n, -1, height, width), ((0, 0), (0, 0), (1, 1), (1, 1)))
    channels, plane, stride = padded.shape[1], (height + 2) * (width + 2), width + 2
    rows = xp.clip(rows, -1, height).astype(dtype, copy=False)
    cols = xp.clip(cols, -1, width).astype(dtype, copy=False)
    row0 = xp.minimum(xp.floor(rows), height - 1)
    col0 = xp.minimum(xp.floor(cols), width - 1)
    a = (rows - row0)[:, None]  # (N, 1, H_out, W_out): shared by every channel
    b = (cols - col0)[:, None]
    # Flat index of the top-left neighbour in the padded batch (shifted by the border of 1) ...
    top_left = (row0.astype(np.intp) + 1) * stride + col0.astype(np.intp) + 1
    planes = xp.arange(n * channels, dtype=np.intp).reshape(n, channels, 1) * plane
    top_left = top_left.reshape(n, 1, -1) + planes
    # ... and of all four neighbours: (N, C, 4, H_out · W_out).
    corners = xp.asarray([0, 1, stride, stride + 1], dtype=np.intp)[:, None]
    values = padded.reshape(-1)[top_left[:, :, None, :] + corners]
    v00, v01, v10, v11 = (
        values[:, :, i].reshape(n, channels, *out_shape).astype(dtype) for i in range(4)
    )
    top = v00 + b * (v01 - v00)
    bottom = v10 + b * (v11 - v10)
    out = top + a * (bottom - top)
    out = out.reshape(images.shape[:-2] + out_shape)
    if images.dtype.kind != "f":
        info = np.iinfo(images.dtype)
        return xp.clip(xp.rint(out), info.min, info.max).astype(images.dtype)
    return out


def gaussian_smooth(fields, sigma, truncate=4.0):
    """Gaussian blur of width ``sigma`` over the last two axes of ``fields`` (..., H, W), zero
    outside, as ``scipy.ndimage.gaussian_filter(mode='constant', truncate=truncate)`` on
    those axes.

    The blur is separable: a 1-D convolution down the columns, then along the rows. Each 1-D
    convolution of a length-L signal with the kernel g (radius ⌊truncate·σ + ½⌋, normalised to
    sum 1) is a product with the banded L × L matrix G[i, j] = g(j − i), so the whole batch is
    smoothed by two matrix products: ``G_H @ fields @ G_Wᵀ``.
    """
    xp = get_array_module(fields)
    height, width = fields.shape[-2:]
    rows = _convolution_matrix(xp, height, sigma, truncate, fields.dtype)
    cols = _convolution_matrix(xp, width, sigma, truncate, fields.dtype)
    return rows @ fields @ cols.T


def _convolution_matrix(xp, length, sigma, truncate, dtype):
    radius = int(truncate * sigma + 0.5)
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    offset = np.arange(length)[None, :] - np.arange(length)[:, None]
    matrix = np.where(np.abs(offset) <= radius, taps[np.clip(offset + radius, 0, 2 * radius)], 0)
    return xp.asarray(matrix, dtype=dtype)


def _float_dtype(images):
    """The dtype to compute in: the images' own float dtype, float32 for integer images."""
    return images.dtype if images.dtype.kind == "f" else np.dtype(np.float32)
