"""Would a compiled kernel speed up the LSTM's gates? The forward gate step of
``kernels/recurrent.py`` (one tanh over the pre-scaled (N, 4H) block, the cell update) in
NumPy against the same step as one fused Numba loop, on the shapes of the char-LSTM benchmarks.

The Numba loop makes one pass over the data instead of eight and no Python call per array op,
but calls the C library's scalar ``tanh`` per element, where NumPy 2's ``np.tanh`` runs SIMD
code; this measures which wins. Numba is not a chainrule dependency: ``pip install numba``
first.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_numba_gates.py
"""

import statistics
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


def numpy_gates(pre, c, c_new, tanh_c, h_new, scale, offset):
    """The library's step: pre-activations scaled, one tanh, then the cell update."""
    pre *= scale
    np.tanh(pre, out=pre)
    pre *= scale
    pre += offset
    recurrent._lstm_cell_update(pre, c, c_new, tanh_c, h_new)


def median_microseconds(step, fresh, repeats=200, blocks=7):
    times = []
    for _ in range(blocks):
        pre = fresh()
        began = time.perf_counter()
        for _ in range(repeats):
            step(pre)
        times.append((time.perf_counter() - began) / repeats * 1e6)
    return statistics.median(times)


def compare(rows, hidden):
    """(NumPy µs, Numba µs) per step at batch ``rows`` and hidden size ``hidden``, after
    checking that both write the same arrays."""
    rng = np.random.default_rng(0)
    pre0 = rng.standard_normal((rows, 4 * hidden)).astype(np.float32)
    c = rng.standard_normal((rows, hidden)).astype(np.float32)
    outputs = [np.empty((rows, hidden), np.float32) for _ in range(3)]
    scale = recurrent._lstm_gate_scale(hidden, np.float32)
    offset = 1 - scale
    expected, got = pre0.copy(), pre0.copy()
    numpy_gates(expected, c, *outputs, scale, offset)
    reference = [o.copy() for o in outputs]
    fused_gates(got, c, *outputs)
    assert np.allclose(expected, got, atol=1e-6)
    assert all(np.allclose(r, o, atol=1e-6) for r, o in zip(reference, outputs))
    ours = median_microseconds(lambda p: numpy_gates(p, c, *outputs, scale, offset), pre0.copy)
    compiled = median_microseconds(lambda p: fused_gates(p, c, *outputs), pre0.copy)
    return ours, compiled


def main():
    print("| N | H | NumPy µs/step | Numba µs/step | Numba ÷ NumPy |")
    print("|---:|---:|---:|---:|---:|")
    for rows, hidden in ((16, 128), (32, 128), (16, 512)):
        ours, compiled = compare(rows, hidden)
        print(f"| {rows} | {hidden} | {ours:.1f} | {compiled:.1f} | {compiled / ours:.2f} |")


if __name__ == "__main__":
    main()
