"""The MPI world: which rank this process is, how many there are, and the collectives.

``init_process_group()`` joins ``MPI.COMM_WORLD`` (mpi4py; the process was started by
``mpiexec``). Without it every query answers as for a single process (rank 0 of 1) and every
collective is the identity, so the same training code runs with or without MPI.

An exception that escapes any rank aborts the whole job (``MPI_Abort``) after printing its
traceback, so one failing rank ends the run with its error instead of leaving the others
waiting forever in their next allreduce.
"""

import sys
import time
import traceback

import numpy as np

__all__ = [
    "abort",
    "all_gather_object",
    "all_reduce",
    "barrier",
    "broadcast",
    "destroy_process_group",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_available",
    "is_initialized",
    "is_main_process",
]

_world = None


def is_available():
    """Whether mpi4py (and an MPI library under it) can be imported."""
    try:
        import mpi4py.MPI  # noqa: F401
    except ImportError:
        return False
    return True


def init_process_group(backend="mpi"):
    """Join the MPI world this process was started in (``backend`` must be ``"mpi"``).

    Installs the abort-on-exception hook. Calling it again does nothing."""
    global _world
    if backend != "mpi":
        raise ValueError(f"init_process_group: only the 'mpi' backend exists, got {backend!r}")
    if _world is not None:
        return
    from mpi4py import MPI

    _world = MPI.COMM_WORLD
    if _world.Get_size() > 1:
        sys.excepthook = _abort_on_uncaught


def destroy_process_group():
    """Leave the world: later queries answer as for a single process."""
    global _world
    _world = None


def is_initialized():
    return _world is not None


def get_rank():
    """This process's rank, 0 … world_size − 1 (0 without a process group)."""
    return 0 if _world is None else _world.Get_rank()


def get_world_size():
    """The number of ranks (1 without a process group)."""
    return 1 if _world is None else _world.Get_size()


def is_main_process():
    """Whether this is rank 0, the rank that logs, shows progress and writes files."""
    return get_rank() == 0


def all_reduce(array):
    """Sum ``array`` (a contiguous NumPy array or a Tensor) over all ranks, in place."""
    array = _contiguous(array)
    if get_world_size() > 1:
        from mpi4py import MPI

        _world.Allreduce(MPI.IN_PLACE, array, op=MPI.SUM)
    return array


def broadcast(array, src=0):
    """Overwrite ``array`` (a contiguous NumPy array or a Tensor) with rank ``src``'s, in place."""
    array = _contiguous(array)
    if get_world_size() > 1:
        _world.Bcast(array, root=src)
    return array


def all_gather_object(obj):
    """The list of every rank's ``obj`` (any picklable value), in rank order."""
    return [obj] if get_world_size() == 1 else _world.allgather(obj)


def barrier():
    """Wait until every rank gets here."""
    if get_world_size() > 1:
        _world.Barrier()


def abort(code):
    """End every rank of the job now with exit status ``code`` (a single process just exits)."""
    sys.stdout.flush()
    sys.stderr.flush()
    if get_world_size() > 1:
        _world.Abort(code)
    sys.exit(code)


FORWARD_SECONDS = 1.0  # time for mpiexec to pass a dying rank's last words on


def _abort_on_uncaught(kind, value, tb):
    """Print the error in one write, give mpiexec a moment to forward it (``Abort`` tears the
    job down, output still in flight included), then end every rank."""
    sys.stderr.write("".join(traceback.format_exception(kind, value, tb)))
    sys.stderr.flush()
    if get_world_size() > 1:
        time.sleep(FORWARD_SECONDS)
    abort(1)


def _contiguous(array):
    if not isinstance(array, np.ndarray):
        array = getattr(array, "data", array)
    if not isinstance(array, np.ndarray) or not array.flags.c_contiguous:
        raise TypeError("distributed collectives take contiguous NumPy arrays (CPU tensors)")
    return array
