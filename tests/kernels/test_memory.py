"""chainrule.kernels.memory: the malloc policy is opt-in. ``import chainrule`` leaves glibc's
malloc alone (no ``mallopt`` call, and freed arrays still page-fault back in); training with
``fit``, the ``chainrule train`` command, or ``keep_freed_memory()`` turns it on (freed arrays
are reused: the process's minor page faults stay flat). Each check runs in a fresh process."""

import json
import platform
import subprocess
import sys

import pytest

needs_glibc = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
    reason="the malloc settings are glibc's",
)

# Every mallopt call made through ctypes is recorded (ctypes is patched before chainrule is
# imported). Then SCENARIO runs, and the script prints the calls and the minor page faults of
# 20 "steps" that each allocate and free two 8 MiB arrays: with glibc's defaults the second
# free trims the heap top (16 MiB ≥ its dynamic trim threshold) and the next step faults them
# back in (about 1,000 faults a step here: the kernel maps some of it as 2 MiB huge pages).
PROBE = """
import ctypes, json, resource, sys
calls = []
RealCDLL = ctypes.CDLL

class RecordingCDLL(RealCDLL):
    def __getattr__(self, name):
        function = super().__getattr__(name)
        if name != "mallopt":
            return function
        def mallopt(*args):
            calls.append(args)
            return function(*args)
        setattr(self, name, mallopt)  # CDLL caches a looked-up function as an attribute
        return mallopt

ctypes.CDLL = RecordingCDLL
import numpy as np
{scenario}
def step():
    a, b = np.ones(1 << 20), np.ones(1 << 20)
    del b, a
step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(STEPS):
    step()
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(json.dumps({{"mallopt_calls": len(calls), "faults": faults}}))
"""
STEPS = 20

IMPORT_ONLY = """
import chainrule, chainrule.train, chainrule.cli, chainrule.kernels.memory
"""
FIT = """
import chainrule as cr
from chainrule import data, nn, optim, train
x, y = cr.randn(8, 3), cr.tensor([0, 1] * 4)
model = nn.Linear(3, 2)
train.fit(model, optim.SGD(model.parameters(), lr=0.1),
          data.DataLoader(data.TensorDataset(x, y), batch_size=4), epochs=1)
"""
CLI_TRAIN = """
from chainrule import cli
# An empty data root: the command stops (exit code 2) once the app looks for MNIST.
assert cli.main(["train", "mlp", "--data-dir", {root!r}, "--out", {out!r}]) == 2
"""
EXPLICIT = """
from chainrule.kernels import memory
assert memory.keep_freed_memory()
"""


def _run(scenario):
    script = PROBE.format(scenario=scenario).replace("STEPS", str(STEPS))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@needs_glibc
def test_importing_chainrule_leaves_malloc_alone():
    seen = _run(IMPORT_ONLY)
    assert seen["mallopt_calls"] == 0
    assert seen["faults"] > 100 * STEPS  # freed arrays go back to the kernel, as without it


@needs_glibc
@pytest.mark.parametrize("scenario", ["keep_freed_memory", "fit", "chainrule train"])
def test_training_turns_the_policy_on(scenario, tmp_path):
    code = {
        "keep_freed_memory": EXPLICIT,
        "fit": FIT,
        "chainrule train": CLI_TRAIN.format(root=str(tmp_path), out=str(tmp_path / "run")),
    }
    seen = _run(code[scenario])
    assert seen["mallopt_calls"] == 2
    assert seen["faults"] < STEPS  # freed arrays stay in the process and are reused
