"""``DistributedSampler``: each rank's disjoint share of a data set, as PyTorch's.

With shuffling, every rank draws the same permutation of 0 … n − 1 from ``seed + epoch`` (so
``set_epoch`` reshuffles, identically on all ranks, with no communication). The order is padded
by repeating its first indices to ``num_samples · num_replicas`` (or cut to it, with
``drop_last``), and rank r takes positions r, r + R, r + 2R, …  Batch k of rank r then holds
positions of the global order in [k·b·R, (k+1)·b·R): the R ranks' batches of size b together are
exactly batch k of size b·R of one process reading the same order.
"""

import math

import numpy as np

from . import comm

__all__ = ["DistributedSampler"]


class DistributedSampler:
    """Iterate over rank ``rank``'s indices of ``dataset`` (defaults: this process's rank and the
    world size)."""

    def __init__(
        self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False
    ):
        self.num_replicas = comm.get_world_size() if num_replicas is None else num_replicas
        self.rank = comm.get_rank() if rank is None else rank
        if not 0 <= self.rank < self.num_replicas:
            raise ValueError(
                f"DistributedSampler: invalid rank {self.rank}, rank should be in the interval "
                f"[0, {self.num_replicas - 1}]"
            )
        self.dataset_size = len(dataset)
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        self.epoch = 0
        if drop_last:
            self.num_samples = self.dataset_size // self.num_replicas
        else:
            self.num_samples = math.ceil(self.dataset_size / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def set_epoch(self, epoch):
        """Choose the epoch whose permutation the next iteration draws."""
        self.epoch = epoch

    def global_order(self):
        """The padded (or cut) order of all ranks together, before it is dealt out."""
        n = self.dataset_size
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n)
        if self.total_size > n:
            order = np.resize(order, self.total_size)
        return order[: self.total_size]

    def __iter__(self):
        return iter(self.global_order()[self.rank :: self.num_replicas].tolist())

    def __len__(self):
        return self.num_samples
