"""Data-parallel training over two real MPI ranks (``mpiexec -n 2`` subprocesses of
``ddp_worker.py``), against the same training in one process with the global batch.

Oracle: two ranks with batch b must end with the parameters of one process with batch 2·b
(float64, 1e-10) — the gradient of the mean loss over 2·b samples is the mean of the two halves'
gradients. A killed rank must leave a checkpoint from which the run resumes to bitwise the
parameters of an uninterrupted one; a rank that raises must end the job with its error.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

WORKER = str(Path(__file__).with_name("ddp_worker.py"))
TIMEOUT = 120


def mpiexec():
    beside_python = Path(sys.executable).with_name("mpiexec")
    return str(beside_python) if beside_python.exists() else shutil.which("mpiexec")


def mpi_missing():
    if mpiexec() is None:
        return "mpiexec not found (pip install mpich, or apt-get install mpich)"
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return "mpi4py not installed (pip install 'chainrule[mpi]')"
    return None


pytestmark = pytest.mark.skipif(mpi_missing() is not None, reason=str(mpi_missing()))


def run_worker(*args, ranks=2):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    command = [sys.executable, WORKER, *map(str, args)]
    if ranks > 1:
        command = [mpiexec(), "-n", str(ranks), *command]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=TIMEOUT)


def train(*args, ranks=2):
    result = run_worker(*args, ranks=ranks)
    assert result.returncode == 0, result.stderr
    return result


def parameters(out_dir, rank=0):
    with np.load(Path(out_dir) / f"rank{rank}.npz") as arrays:
        return dict(arrays)


@pytest.mark.parametrize("model", ["mlp", "lenet5", "lstm", "syncbn"])
def test_two_ranks_with_batch_b_train_as_one_process_with_batch_2b(tmp_path, model):
    train(model, 16, 2, tmp_path / "two", ranks=2)
    train(model, 16, 2, tmp_path / "one", ranks=1)
    one = parameters(tmp_path / "one")
    for rank in (0, 1):
        two = parameters(tmp_path / "two", rank)
        assert two.keys() == one.keys()
        for name in one:
            np.testing.assert_allclose(two[name], one[name], rtol=0, atol=1e-10, err_msg=name)


def test_killed_rank_leaves_a_checkpoint_that_resumes_to_the_uninterrupted_run(tmp_path):
    train("mlp-dropout", 16, 3, tmp_path / "whole")
    killed = run_worker("mlp-dropout", 16, 3, tmp_path / "cut", "--fail", "kill", 1, 5)
    assert killed.returncode != 0
    assert not (tmp_path / "cut" / "rank0.npz").exists()
    train("mlp-dropout", 16, 3, tmp_path / "cut", "--resume")
    for rank in (0, 1):
        whole, resumed = parameters(tmp_path / "whole", rank), parameters(tmp_path / "cut", rank)
        for name in whole:
            np.testing.assert_array_equal(resumed[name], whole[name], err_msg=name)


def test_rank_that_raises_ends_the_job_with_its_error(tmp_path):
    failed = run_worker("mlp", 16, 2, tmp_path, "--fail", "raise", 1, 2)
    assert failed.returncode != 0
    assert "RuntimeError: rank 1 failed on purpose" in failed.stderr
