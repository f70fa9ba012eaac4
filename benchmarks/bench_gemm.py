"""Is NumPy's BLAS slower than PyTorch's at the shapes chainrule's steps multiply? The float32
GEMMs of the benchmarked training steps, one thread, NumPy (OpenBLAS, as its wheel ships it)
against ``torch.mm`` (MKL, as PyTorch's CPU wheel ships it), the same arrays for both.

Where the two take the same time, a framework cannot beat the other on that step by its GEMMs:
the difference has to come from the work around them (elementwise passes, copies, Python).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_gemm.py

CPU time (``time.process_time``), so a busy machine slows both sides alike: best block of 7,
each block 50 products after a warm-up.
"""

import time

import numpy as np
import torch
from threadpoolctl import threadpool_limits

SHAPES = (  # (M, K, N): A (M, K) @ B (K, N), and where the step multiplies them
    (16, 128, 512, "char-LSTM 1×128, batch 16: h W_hhᵀ, each step"),
    (16, 512, 128, "char-LSTM 1×128, batch 16: dA W_hh, each step"),
    (1024, 65, 512, "char-LSTM 1×128: input projection, whole sequence"),
    (512, 1024, 128, "char-LSTM 1×128: dW_hh, whole sequence"),
    (32, 512, 2048, "char-LSTM 2×512, batch 32: h W_hhᵀ, each step"),
    (16, 144, 1088, "ResNet-20 conv, 16 channels at 32×32, per image"),
    (32, 288, 288, "ResNet-20 conv, 32 channels at 16×16, per image"),
    (64, 576, 80, "ResNet-20 conv, 64 channels at 8×8, per image"),
    (64, 784, 256, "MLP 784-256, batch 64: first layer forward"),
    (784, 64, 256, "MLP 784-256, batch 64: first layer dW"),
)


def cpu_microseconds(product, blocks=7, reps=50):
    """The best block's CPU time per product, in µs."""
    for _ in range(3):
        product()
    best = float("inf")
    for _ in range(blocks):
        start = time.process_time()
        for _ in range(reps):
            product()
        best = min(best, (time.process_time() - start) / reps)
    return best * 1e6


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
    print(f"{'M×K×N':>14}  {'NumPy µs':>9} {'GMAC/s':>6}  {'torch µs':>9} {'GMAC/s':>6}  ratio")
    for m, k, n, where in SHAPES:
        numpy_us, torch_us = time_both(m, k, n, rng)
        macs = m * k * n / 1e3
        print(
            f"{f'{m}×{k}×{n}':>14}  {numpy_us:9.1f} {macs / numpy_us:6.1f}  "
            f"{torch_us:9.1f} {macs / torch_us:6.1f}  {torch_us / numpy_us:5.2f}  {where}"
        )
    print("ratio: PyTorch's time ÷ NumPy's (above 1: NumPy's GEMM is faster)")


if __name__ == "__main__":
    main()
