"""Is NumPy's BLAS slower than PyTorch's at the shapes chainrule's steps multiply? Every float32
GEMM of one rank's training step of ``bench_parallel.py``'s char-LSTM 1×128 (batch 16) and MLP
(batch 64), one thread, NumPy (OpenBLAS, as its wheel ships it) against ``torch.mm`` (MKL, as
PyTorch's CPU wheel ships it), the same arrays for both; then each step's GEMMs summed.

Where the two take the same time, neither framework's step is faster by its GEMMs: the
difference lies in the work around them (elementwise passes, copies, Python), and the sum is
the least time either step could take.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_gemm.py

CPU time (``time.process_time``), so a busy machine slows both sides alike: best block of 7,
each block 50 products after a warm-up.
"""

import numpy as np
import torch
from cpu_clock import best_cpu_seconds
from threadpoolctl import threadpool_limits

STEPS = {  # step: [(M, K, N, products per step, what)] for A (M, K) @ B (K, N)
    "char-LSTM 1×128, T 64, batch 16": [
        (16, 128, 512, 64, "h W_hhᵀ, each step"),
        (16, 512, 128, 64, "dA W_hh, each step"),
        (1024, 128, 512, 1, "input projection X W_ihᵀ"),
        (1024, 512, 128, 1, "dX = dA W_ih"),
        (512, 1024, 128, 2, "dW_ih, dW_hh"),
        (1024, 128, 65, 1, "head forward"),
        (1024, 65, 128, 1, "head dX"),
        (65, 1024, 128, 1, "head dW"),
    ],
    "MLP 784-256-256-10, batch 64": [
        (64, 784, 256, 1, "layer 1 forward"),
        (64, 256, 256, 2, "layer 2 forward, layer 2 dX"),
        (64, 256, 10, 1, "layer 3 forward"),
        (64, 10, 256, 1, "layer 3 dX"),
        (784, 64, 256, 1, "layer 1 dW"),
        (256, 64, 256, 1, "layer 2 dW"),
        (256, 64, 10, 1, "layer 3 dW"),
    ],
}


def cpu_microseconds(product):
    """The best block's CPU time per product, in µs."""
    return best_cpu_seconds(product, blocks=7, calls=50) * 1e6


def time_both(m, k, n, rng):
    """CPU µs per (M, K) @ (K, N) product: NumPy's, then PyTorch's, on the same arrays."""
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    out, torch_out = np.empty((m, n), np.float32), torch.empty(m, n)
    torch_a, torch_b = torch.from_numpy(a), torch.from_numpy(b)
    numpy_us = cpu_microseconds(lambda: np.matmul(a, b, out=out))
    torch_us = cpu_microseconds(lambda: torch.mm(torch_a, torch_b, out=torch_out))
    return numpy_us, torch_us


def main():
    torch.set_num_threads(1)
    threadpool_limits(1)
    rng = np.random.default_rng(0)
    for step, products in STEPS.items():
        print(step)
        print(f"{'M×K×N':>14}  {'NumPy µs':>9} {'GMAC/s':>6}  {'torch µs':>9} {'GMAC/s':>6}")
        totals = np.zeros(2)
        for m, k, n, count, what in products:
            numpy_us, torch_us = time_both(m, k, n, rng)
            totals += count * np.array([numpy_us, torch_us])
            macs = m * k * n / 1e3
            print(
                f"{f'{m}×{k}×{n}':>14}  {numpy_us:9.1f} {macs / numpy_us:6.1f}  "
                f"{torch_us:9.1f} {macs / torch_us:6.1f}  ×{count} {what}"
            )
        print(f"{'all, ms':>14}  {totals[0] / 1e3:9.2f} {'':6}  {totals[1] / 1e3:9.2f}\n")


if __name__ == "__main__":
    main()
