"""Would another algorithm speed up ResNet's 3×3 convolutions in NumPy? The forward of
``kernels/conv.py`` (im2col and one GEMM per chunk) against two alternatives written here, at
the three shapes of ResNet-20's 3×3 layers (batch 64, stride 1, padding 1, C → C channels):

- **Winograd F(2×2, 3×3)** (Lavin & Gray 2016, "Fast Algorithms for Convolutional Neural
  Networks"): Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A for each 4×4 input tile d at stride 2, so a 2×2
  output tile costs 16 multiplies instead of 36. Over channels the ⊙ becomes 16 GEMMs of
  U (O, C) against V (C, tiles); the transforms are whole-array strided additions.
- **Shift convolution**: nine GEMMs, each tap's (C, O) weights against a shifted view of the
  padded input in (N, H, W, C) layout, summed: no im2col copy. It is handed its input already
  padded and channels-last (its best case: the conversion is not timed).

Each is checked against ``kernels/conv.py`` before it is timed. Then, for Winograd, one chunk's
work apart: its tile transform, its 16 GEMMs and its output transform.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_winograd.py

CPU time (``time.process_time``), one thread: best block of 5, each block 5 calls after a
warm-up.
"""

import numpy as np
from cpu_clock import best_cpu_seconds
from threadpoolctl import threadpool_limits

from chainrule.functional.conv import _Geometry
from chainrule.kernels import conv

SHAPES = ((64, 16, 32), (64, 32, 16), (64, 64, 8))  # (N, C, H = W) of ResNet-20's 3×3 layers
CHUNK_BYTES = 2**21  # the Winograd work of one chunk of images: about L2-sized
WINOGRAD_G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])


def winograd_filters(weight):
    """U = G g Gᵀ for every (O, C) 3×3 filter g → (16, O, C)."""
    out, channels = weight.shape[:2]
    g = WINOGRAD_G.astype(weight.dtype)
    taps = weight.reshape(out * channels, 3, 3)
    u = g @ taps @ g.T  # (O·C, 4, 4)
    return np.ascontiguousarray(u.reshape(out, channels, 16).transpose(2, 0, 1))


def input_transform_1d(d0, d1, d2, d3, out):
    """Bᵀ applied along one axis: (d0 − d2, d1 + d2, d2 − d1, d1 − d3)."""
    np.subtract(d0, d2, out=out[0])
    np.add(d1, d2, out=out[1])
    np.subtract(d2, d1, out=out[2])
    np.subtract(d1, d3, out=out[3])


def winograd_tiles(padded, tiles_h, tiles_w):
    """V = Bᵀ d B for the 4×4 tiles at stride 2 of padded (k, C, 2·th + 2, 2·tw + 2)
    → (16, C, k·th·tw)."""
    k, channels = padded.shape[:2]
    rows = np.empty((4, channels, k, tiles_h, padded.shape[3]), padded.dtype)
    taps = [padded[:, :, u : u + 2 * tiles_h : 2].transpose(1, 0, 2, 3) for u in range(4)]
    input_transform_1d(*taps, rows)
    v = np.empty((4, 4, channels, k, tiles_h, tiles_w), padded.dtype)
    for a in range(4):
        input_transform_1d(*[rows[a, ..., u : u + 2 * tiles_w : 2] for u in range(4)], v[a])
    return v.reshape(16, channels, k * tiles_h * tiles_w)


def output_transform_1d(m0, m1, m2, m3, out0, out1):
    """Aᵀ applied along one axis: (m0 + m1 + m2, m1 − m2 − m3)."""
    np.add(m0, m1, out=out0)
    out0 += m2
    np.subtract(m1, m2, out=out1)
    out1 -= m3


def winograd_chunk(x_chunk, u, pad, tiles, out):
    """One chunk of images through the three stages (tile transform, 16 GEMMs, output
    transform), written into ``out`` (k, O, th, 2, tw, 2)."""
    k, channels, h, w = x_chunk.shape
    tiles_h, tiles_w = tiles
    padded = np.zeros((k, channels, 2 * tiles_h + 2, 2 * tiles_w + 2), x_chunk.dtype)
    padded[:, :, pad : pad + h, pad : pad + w] = x_chunk
    v = winograd_tiles(padded, tiles_h, tiles_w)
    m = np.matmul(u, v).reshape(4, 4, u.shape[1], k, tiles_h, tiles_w)
    columns = np.empty((4, 2) + m.shape[2:], x_chunk.dtype)
    for a in range(4):
        output_transform_1d(*m[a], columns[a, 0], columns[a, 1])
    by_tap = out.transpose(3, 5, 1, 0, 2, 4)  # (a, b, O, k, th, tw)
    for b in range(2):
        output_transform_1d(*columns[:, b], by_tap[0, b], by_tap[1, b])


def winograd_correlate3x3(x, weight, pad=1):
    """The 3×3, stride-1 cross-correlation of x (N, C, H, W) by Winograd F(2×2, 3×3)."""
    n, channels, h, w = x.shape
    out_channels = weight.shape[0]
    out_h, out_w = h + 2 * pad - 2, w + 2 * pad - 2
    tiles = (-(-out_h // 2), -(-out_w // 2))
    u = winograd_filters(weight)
    y = np.empty((n, out_channels, tiles[0], 2, tiles[1], 2), x.dtype)
    images = max(1, CHUNK_BYTES // (16 * max(channels, out_channels) * tiles[0] * tiles[1] * 4))
    for start in range(0, n, images):
        winograd_chunk(x[start : start + images], u, pad, tiles, y[start : start + images])
    return y.reshape(n, out_channels, 2 * tiles[0], 2 * tiles[1])[:, :, :out_h, :out_w]


def shift_correlate3x3(padded_nhwc, weight):
    """The 3×3, stride-1 cross-correlation of an input already padded by 1 and channels-last
    (N, H + 2, W + 2, C), as nine GEMMs over shifted views of it → (N, H + 2, W + 2, O), whose
    [:, :H, :W] is the output (the other rows are wrap-around and discarded)."""
    n, hp, wp, channels = padded_nhwc.shape
    flat = padded_nhwc.reshape(-1, channels)
    valid = n * hp * wp - 2 * wp - 2
    out = np.zeros((n * hp * wp, weight.shape[0]), padded_nhwc.dtype)
    per_tap = weight.transpose(2, 3, 1, 0)  # (3, 3, C, O)
    for dy in range(3):
        for dx in range(3):
            shift = dy * wp + dx
            out[:valid] += flat[shift : shift + valid] @ per_tap[dy, dx]
    return out.reshape(n, hp, wp, -1)


def cpu_milliseconds(work, calls=5):
    """The best of 5 blocks' CPU time per call, in ms."""
    return best_cpu_seconds(work, blocks=5, calls=calls, warmup=1) * 1e3


def relative_error(got, expected):
    return float(np.abs(got - expected).max() / np.abs(expected).max())


def compare(n, channels, size, rng):
    """One row: im2col, Winograd and shift times in ms, and Winograd's relative error."""
    x = rng.standard_normal((n, channels, size, size)).astype(np.float32)
    weight = rng.standard_normal((channels, channels, 3, 3)).astype(np.float32)
    geometry = _Geometry("conv2d", x.shape, weight.shape, 1, 1, 1, 1)
    expected = conv.correlate(x, weight, None, geometry)
    padded_nhwc = np.pad(x.transpose(0, 2, 3, 1), ((0, 0), (1, 1), (1, 1), (0, 0))).copy()
    winograd_error = relative_error(winograd_correlate3x3(x, weight), expected)
    shifted = shift_correlate3x3(padded_nhwc, weight)[:, :size, :size].transpose(0, 3, 1, 2)
    assert winograd_error < 1e-5 and relative_error(shifted, expected) < 1e-5
    return (
        cpu_milliseconds(lambda: conv.correlate(x, weight, None, geometry)),
        cpu_milliseconds(lambda: winograd_correlate3x3(x, weight)),
        cpu_milliseconds(lambda: shift_correlate3x3(padded_nhwc, weight)),
        winograd_error,
    )


def winograd_stages(channels, size, images, rng):
    """CPU ms of one chunk of ``images``: (tile transform, 16 GEMMs, the whole chunk)."""
    x = rng.standard_normal((images, channels, size, size)).astype(np.float32)
    u = winograd_filters(rng.standard_normal((channels, channels, 3, 3)).astype(np.float32))
    tiles = (size // 2, size // 2)
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    v = winograd_tiles(padded, *tiles)
    out = np.empty((images, channels, tiles[0], 2, tiles[1], 2), np.float32)
    return (
        cpu_milliseconds(lambda: winograd_tiles(padded, *tiles), calls=50),
        cpu_milliseconds(lambda: np.matmul(u, v), calls=50),
        cpu_milliseconds(lambda: winograd_chunk(x, u, 1, tiles, out), calls=50),
    )


def main():
    rng = np.random.default_rng(0)
    with threadpool_limits(1):
        print("Forward of a 3×3 convolution, stride 1, padding 1, C → C, ms per batch")
        print(
            "| N | C | H × W | im2col | Winograd | ÷ im2col | shift | ÷ im2col"
            " | Winograd rel. error |"
        )
        print("|---:|---:|---|---:|---:|---:|---:|---:|---:|")
        for n, channels, size in SHAPES:
            im2col, winograd, shift, error = compare(n, channels, size, rng)
            print(
                f"| {n} | {channels} | {size} × {size} | {im2col:.2f} | {winograd:.2f} "
                f"| {winograd / im2col:.2f} | {shift:.2f} | {shift / im2col:.2f} | {error:.1e} |"
            )
        tiles, gemms, chunk = winograd_stages(16, 32, 8, rng)
        print(
            f"Winograd, one chunk of 8 images at C 16, 32 × 32: tile transform {tiles:.2f} ms,"
            f" 16 GEMMs {gemms:.2f} ms, the whole chunk {chunk:.2f} ms"
        )


if __name__ == "__main__":
    main()
