"""The CPU tuning behind ``chainrule.functional``: skip on first reading.

Each op in ``functional/`` holds its formula, its ``Function`` and a plain reference
computation that reads like the derivation; that reference is what runs on a GPU (CuPy). On
the CPU (NumPy over OpenBLAS) the ``Function`` calls a kernel from here instead, which computes
the same thing faster by laying the work out for the cache and for OpenBLAS. Every kernel is
pinned to its reference by a test in ``tests/kernels/`` on odd shapes, and each module's
docstring says what its tricks buy (figures from docs/benchmarks.md).
"""
