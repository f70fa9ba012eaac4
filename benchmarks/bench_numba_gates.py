"""Would a compiled kernel speed up the LSTM's gates? The forward gate step of
``kernels/recurrent.py`` (one tanh over the pre-scaled (N, 4H) block, the cell update) in
NumPy against the same step as one fused Numba loop, on the shapes of the char-LSTM benchmarks.

The Numba loop makes one pass over the data instead of eight and no Python call per array op,
but calls the C library's scalar ``tanh`` per element, where NumPy 2's ``np.tanh`` runs SIMD
code; this measures which wins. A second loop replaces ``tanh`` by a rational approximation
(Eigen's float32 one), arithmetic LLVM could vectorise; its error against the true tanh is
measured in float32 ulps on a dense grid. Numba is not a chainrule dependency: ``pip install
numba`` first.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_numba_gates.py

CPU time (``time.process_time``), so a busy machine slows every side alike: best block of 7,
each block 200 steps.
"""

import sys
import time

import numpy as np

from chainrule.kernels import recurrent

try:
    import numba
except ImportError:
    sys.exit("bench_numba_gates.py needs Numba: pip install numba")


@numba.njit(cache=True)
def fused_gates(pre, c, c_new, tanh_c, h_new):
    """[i f g o] = σ, σ, tanh, σ of the (N, 4H) pre-activations (in place), then
    c' = f c + i g, tanh c' and h' = o tanh c' — one pass, element by element."""
    rows, width = pre.shape
    hidden = width // 4
    for r in range(rows):
        for j in range(hidden):
            i = 0.5 * np.tanh(0.5 * pre[r, j]) + 0.5
            f = 0.5 * np.tanh(0.5 * pre[r, hidden + j]) + 0.5
            g = np.tanh(pre[r, 2 * hidden + j])
            o = 0.5 * np.tanh(0.5 * pre[r, 3 * hidden + j]) + 0.5
            pre[r, j], pre[r, hidden + j], pre[r, 2 * hidden + j] = i, f, g
            pre[r, 3 * hidden + j] = o
            c_new[r, j] = f * c[r, j] + i * g
            tanh_c[r, j] = np.tanh(c_new[r, j])
            h_new[r, j] = o * tanh_c[r, j]


@numba.njit(fastmath=True, inline="always")
def tanh_rational(x):
    """Eigen's float32 tanh (``ptanh_float``): x·p(x²)/q(x²) of degrees 13/6, x clamped to
    ±7.905, where the float32 tanh is ±1."""
    bound = np.float32(7.90531110763549805)
    x = min(max(x, -bound), bound)
    x2 = x * x
    p = x2 * np.float32(-2.76076847742355e-16) + np.float32(2.00018790482477e-13)
    p = x2 * p + np.float32(-8.60467152213735e-11)
    p = x2 * p + np.float32(5.12229709037114e-08)
    p = x2 * p + np.float32(1.48572235717979e-05)
    p = x2 * p + np.float32(6.37261928875436e-04)
    p = x2 * p + np.float32(4.89352455891786e-03)
    q = x2 * np.float32(1.19825839466702e-06) + np.float32(1.18534705686654e-04)
    q = x2 * q + np.float32(2.26843463243900e-03)
    q = x2 * q + np.float32(4.89352518554385e-03)
    return x * p / q


@numba.njit(fastmath=True, cache=True)
def fused_gates_rational(pre, c, c_new, tanh_c, h_new):
    """``fused_gates`` with ``tanh_rational`` in place of the C library's tanh."""
    rows, width = pre.shape
    hidden = width // 4
    half = np.float32(0.5)
    for r in range(rows):
        for j in range(hidden):
            i = half * tanh_rational(half * pre[r, j]) + half
            f = half * tanh_rational(half * pre[r, hidden + j]) + half
            g = tanh_rational(pre[r, 2 * hidden + j])
            o = half * tanh_rational(half * pre[r, 3 * hidden + j]) + half
            pre[r, j], pre[r, hidden + j], pre[r, 2 * hidden + j] = i, f, g
            pre[r, 3 * hidden + j] = o
            c_new[r, j] = f * c[r, j] + i * g
            tanh_c[r, j] = tanh_rational(c_new[r, j])
            h_new[r, j] = o * tanh_c[r, j]


@numba.njit(fastmath=True, cache=True)
def tanh_rational_array(x, out):
    for k in range(x.size):
        out[k] = tanh_rational(x[k])


def rational_tanh_ulps():
    """The largest error of ``tanh_rational`` on 2·10⁶ + 1 points of [−10, 10], in float32 ulps
    of the true (float64) tanh."""
    x = np.linspace(-10, 10, 2_000_001).astype(np.float32)
    approximated = np.empty_like(x)
    tanh_rational_array(x, approximated)
    exact = np.tanh(x.astype(np.float64))
    ulp = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    return float(np.max(np.abs(approximated - exact) / ulp))


def numpy_gates(pre, c, c_new, tanh_c, h_new, scale, offset):
    """The library's step: pre-activations scaled, one tanh, then the cell update."""
    pre *= scale
    np.tanh(pre, out=pre)
    pre *= scale
    pre += offset
    recurrent._lstm_cell_update(pre, c, c_new, tanh_c, h_new)


def cpu_microseconds(step, fresh, repeats=200, blocks=7):
    """The best block's CPU time per step, in µs, each block on a fresh copy of the input."""
    best = float("inf")
    for _ in range(blocks):
        pre = fresh()
        began = time.process_time()
        for _ in range(repeats):
            step(pre)
        best = min(best, (time.process_time() - began) / repeats)
    return best * 1e6


def compare(rows, hidden):
    """(NumPy, Numba, Numba with the rational tanh) µs per step at batch ``rows`` and hidden
    size ``hidden``, after checking that all three write the same arrays."""
    rng = np.random.default_rng(0)
    pre0 = rng.standard_normal((rows, 4 * hidden)).astype(np.float32)
    c = rng.standard_normal((rows, hidden)).astype(np.float32)
    outputs = [np.empty((rows, hidden), np.float32) for _ in range(3)]
    scale = recurrent._lstm_gate_scale(hidden, np.float32)
    offset = 1 - scale
    expected = pre0.copy()
    numpy_gates(expected, c, *outputs, scale, offset)
    reference = [o.copy() for o in outputs]
    for fused in (fused_gates, fused_gates_rational):
        got = pre0.copy()
        fused(got, c, *outputs)
        assert np.allclose(expected, got, atol=1e-6)
        assert all(np.allclose(r, o, atol=1e-6) for r, o in zip(reference, outputs))
    return (
        cpu_microseconds(lambda p: numpy_gates(p, c, *outputs, scale, offset), pre0.copy),
        cpu_microseconds(lambda p: fused_gates(p, c, *outputs), pre0.copy),
        cpu_microseconds(lambda p: fused_gates_rational(p, c, *outputs), pre0.copy),
    )


def main():
    print("µs per forward gate step; Numba with the C library's tanh, then with a rational one")
    print("| N | H | NumPy | Numba | ÷ NumPy | Numba, rational tanh | ÷ NumPy |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for rows, hidden in ((16, 128), (32, 128), (16, 512)):
        ours, compiled, rational = compare(rows, hidden)
        print(
            f"| {rows} | {hidden} | {ours:.1f} | {compiled:.1f} | {compiled / ours:.2f}"
            f" | {rational:.1f} | {rational / ours:.2f} |"
        )
    print(f"rational tanh's largest error on [-10, 10]: {rational_tanh_ulps():.1f} float32 ulps")
    block = np.random.default_rng(0).standard_normal(16 * 4 * 128).astype(np.float32)
    out = np.empty_like(block)
    bare = cpu_microseconds(lambda x: tanh_rational_array(x, out), block.copy)
    library = cpu_microseconds(lambda x: np.tanh(x, out=out), block.copy)
    print(f"tanh of {block.size:,} values: rational loop {bare:.1f} µs, np.tanh {library:.1f} µs")


if __name__ == "__main__":
    main()
