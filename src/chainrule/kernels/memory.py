"""Host memory policy: keep the memory that arrays free inside the process, for the next
training step to reuse. Skip on first reading.

A training step allocates and frees the same large arrays every iteration: activations, im2col
matrices, gradients. glibc's malloc gives each block above its *mmap threshold* its own fresh
mapping and hands it back to the kernel when NumPy frees it, and it trims free memory off the
top of the heap; the next step then page-faults all of it back in and the kernel zeroes every
page. Measured on a LeNet-5 training step (batch 64, one thread): 40% of the step's time was
spent in the kernel and throughput halved (about 5,000 → 10,000 samples/s once fixed).

PyTorch's CUDA caching allocator exists for the same reason on the GPU (CuPy has a memory pool
too). On the CPU, glibc can be asked to keep freed memory with two ``mallopt`` settings, which
``keep_freed_memory`` makes:

- ``M_MMAP_THRESHOLD`` = 32 MiB (the ceiling of glibc's own sliding threshold on 64-bit
  machines, DEFAULT_MMAP_THRESHOLD_MAX): blocks up to that size come from the heap, whose freed
  memory the next allocation reuses;
- ``M_TRIM_THRESHOLD`` = 1 GiB: free memory at the top of the heap is returned to the kernel
  only beyond that much.

The process then keeps up to that much freed memory mapped (it stays reusable, and the kernel
can still reclaim untouched pages). That is a choice for a whole process, so it is opt-in:
``import chainrule`` leaves malloc as it is, and what trains — ``chainrule.train.fit`` and the
``chainrule train`` command — turns the policy on. A script with its own training loop calls
``keep_freed_memory()`` itself. Other C libraries (macOS, musl, Windows) are left as they are.
"""

import ctypes
import platform

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 << 20
TRIM_THRESHOLD_BYTES = 1 << 30


def keep_freed_memory():
    """Set glibc's malloc to keep freed array memory for reuse, for the rest of the process;
    returns whether it could (False where the C library is not glibc)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL("libc.so.6")
    return bool(
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
        and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    )
