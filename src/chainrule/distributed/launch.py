"""Start a command on N ranks of this machine: ``relaunch(n, argv)`` runs
``mpiexec -n N python -m chainrule ARGV`` with one BLAS/OpenMP thread per rank (N ranks on N
cores, no two thread pools fighting for one), and ``launched_size()`` tells a process whether
``mpiexec`` started it (MPICH's and Open MPI's environment variables).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..errors import ChainruleError
from . import comm

__all__ = ["MPIUnavailableError", "launched_size", "mpiexec_path", "relaunch"]

SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE")
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class MPIUnavailableError(ChainruleError):
    """Training on several workers was asked for, but mpiexec or mpi4py is missing."""


def launched_size():
    """The world size ``mpiexec`` gave this process, or None when it was not started by one."""
    for name in SIZE_VARIABLES:
        if name in os.environ:
            return int(os.environ[name])
    return None


def mpiexec_path():
    """The ``mpiexec`` beside this Python (the ``mpich`` wheel's), else the one on PATH."""
    beside_python = Path(sys.executable).with_name("mpiexec")
    return str(beside_python) if beside_python.exists() else shutil.which("mpiexec")


def relaunch(workers, argv):
    """Run ``chainrule ARGV`` on ``workers`` ranks of this machine; return its exit status."""
    mpiexec = mpiexec_path()
    if mpiexec is None or not comm.is_available():
        raise MPIUnavailableError(
            f"--workers {workers} needs MPI: pip install 'chainrule[mpi]' (the mpich and mpi4py "
            "wheels), or apt-get install mpich and pip install mpi4py"
        )
    command = [mpiexec, "-n", str(workers), sys.executable, "-m", "chainrule", *argv]
    return subprocess.run(command, env={**os.environ, **ONE_THREAD}).returncode
