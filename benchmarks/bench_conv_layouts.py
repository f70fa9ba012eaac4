"""conv2d's kernels in ``kernels/conv.py`` with the batch's GEMMs laid out the two ways they
can be: a GEMM per image, or one GEMM over the images side by side (``_side_by_side``
chooses). Forward, input gradient and weight gradient, one thread, CPU time, float32, stride-1
3×3 convolutions with padding 1 (C → C channels) at the shapes of ResNet-20 (where a GEMM per
image is kept) and of ResNet-18's and VGG-16's later stages (where side by side is chosen).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_conv_layouts.py

Best block of 5, each block 5 calls after a warm-up.
"""

from unittest import mock

import numpy as np
from cpu_clock import best_cpu_seconds
from threadpoolctl import threadpool_limits

from chainrule.functional.conv import _Geometry
from chainrule.kernels import conv

SHAPES = (  # name, (N, C, H = W)
    ("ResNet-20, 3rd stage", (128, 64, 8)),
    ("ResNet-18 on 32×32, 3rd stage", (32, 256, 2)),
    ("ResNet-18 on 32×32, 4th stage", (32, 512, 1)),
    ("ResNet-18 on 224×224, 4th stage", (32, 512, 7)),
    ("VGG-16 on 224×224, 5th stage", (32, 512, 14)),
)


def milliseconds(work, side_by_side):
    """CPU ms of ``work()`` with the GEMM layout forced to ``side_by_side``."""
    with mock.patch.object(conv, "_side_by_side", lambda layout: side_by_side):
        return best_cpu_seconds(work, blocks=5, calls=5, warmup=1) * 1e3


def row(name, n, channels, size, rng):
    """One line of the table: the three kernels timed both ways at one shape."""
    x = rng.standard_normal((n, channels, size, size)).astype(np.float32)
    weight = rng.standard_normal((channels, channels, 3, 3)).astype(np.float32)
    grad = rng.standard_normal(x.shape).astype(np.float32)
    g = _Geometry("conv2d", x.shape, weight.shape, 1, 1, 1, 1)
    works = (
        lambda: conv.correlate(x, weight, None, g),
        lambda: conv.correlate_adjoint(grad, weight, g),
        lambda: conv.correlate_weight_grad(x, grad, g),
    )
    ways = [" / ".join(f"{milliseconds(w, way):.1f}" for w in works) for way in (False, True)]
    chosen = "side by side" if conv._side_by_side(conv._Layout(g)) else "per image"
    return f"| {name} | {n}, {channels}, {size}×{size} | {ways[0]} | {ways[1]} | {chosen} |"


def main():
    rng = np.random.default_rng(0)
    print("ms for the forward / input gradient / weight gradient")
    print("| layer | N, C, H×W | a GEMM per image | side by side | chosen |")
    print("|---|---|---|---|---|")
    with threadpool_limits(1):
        for name, (n, channels, size) in SHAPES:
            print(row(name, n, channels, size, rng))


if __name__ == "__main__":
    main()
