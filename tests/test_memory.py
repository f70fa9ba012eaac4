"""chainrule.memory: freed array memory stays in the process, so a repeated step does not
page-fault its arrays back in (measured as the process's minor page faults)."""

import platform
import subprocess
import sys

import pytest

# Two 8 MiB arrays allocated and freed per "step": with glibc's defaults the second free trims
# the heap top (16 MiB ≥ its dynamic trim threshold), and the next step faults them back in
# (about 1,000 faults a step here: the kernel maps some of it as 2 MiB huge pages).
STEPS = """
import resource, sys
import numpy as np
if sys.argv[1] == "chainrule":
    import chainrule
def step():
    a, b = np.ones(1 << 20), np.ones(1 << 20)
    del b, a
step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""

needs_glibc = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
    reason="the malloc settings are glibc's")


def _page_faults(importing):
    result = subprocess.run([sys.executable, "-c", STEPS, importing], capture_output=True,
                            text=True, check=True)
    return int(result.stdout)


@needs_glibc
def test_importing_chainrule_keeps_freed_arrays_for_reuse():
    steps = 20
    assert _page_faults("numpy") > 100 * steps  # the problem exists without chainrule
    assert _page_faults("chainrule") < steps  # and importing chainrule removes it
