"""Data-parallel training over MPI, in torch.distributed's names.

N processes (ranks), launched by ``mpiexec -n N``, each hold a full copy of the model and train on
a disjoint shard of every epoch (``DistributedSampler``). After each backward pass
``DistributedDataParallel`` averages the gradients over the ranks with MPI's allreduce, so every
rank takes the same optimiser step: N ranks with batch b train as one process with batch N·b.

``comm.py`` is the MPI world (init, rank, allreduce, broadcast, abort on error);
``sampler.py`` the shards; ``parallel.py`` the model wrapper and ``SyncBatchNorm``;
``launch.py`` re-runs a command under ``mpiexec``. docs/distributed.md has the recipes.
"""

from . import comm, parallel, sampler
from .comm import *  # noqa: F403  (the names of comm.__all__)
from .parallel import DistributedDataParallel, SyncBatchNorm
from .sampler import DistributedSampler

__all__ = sorted(comm.__all__ + parallel.__all__ + sampler.__all__)
