"""DistributedSampler against torch.utils.data.DistributedSampler (without shuffling the order
is the same arithmetic; torch's shuffle draws from its own generator, so shuffled shards are
checked for what they promise: disjoint, covering, equal-length, reshuffled by set_epoch)."""

import numpy as np
import pytest
import torch.utils.data

from chainrule import data
from chainrule.distributed import DistributedSampler


def shards(size, replicas, **options):
    dataset = data.TensorDataset(np.arange(size))
    return [list(DistributedSampler(dataset, replicas, r, **options)) for r in range(replicas)]


@pytest.mark.parametrize("size, replicas", [(10, 2), (11, 2), (10, 3), (2, 4)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_unshuffled_shards_are_torchs(size, replicas, drop_last):
    ours = shards(size, replicas, shuffle=False, drop_last=drop_last)
    theirs = [
        list(
            torch.utils.data.DistributedSampler(
                range(size), replicas, r, False, drop_last=drop_last
            )
        )
        for r in range(replicas)
    ]
    assert ours == theirs


def test_shuffled_shards_are_disjoint_cover_the_data_and_reshuffle_each_epoch():
    dataset = data.TensorDataset(np.arange(11))
    samplers = [DistributedSampler(dataset, 2, r, seed=5) for r in range(2)]
    first = [list(s) for s in samplers]
    assert [len(s) for s in first] == [6, 6]
    assert sorted(set(first[0] + first[1])) == list(range(11))
    assert len(set(first[0]) & set(first[1])) == 1  # the one index repeated as padding
    for s in samplers:
        s.set_epoch(1)
    second = [list(s) for s in samplers]
    assert second != first
    assert sorted(set(second[0] + second[1])) == list(range(11))


def test_data_loader_reads_the_samplers_order_and_refuses_shuffle_with_it():
    dataset = data.TensorDataset(np.arange(10))
    sampler = DistributedSampler(dataset, 2, 1, shuffle=False)
    loader = data.DataLoader(dataset, batch_size=2, sampler=sampler)
    assert len(loader) == 3
    assert [batch[0].tolist() for batch in loader] == [[1, 3], [5, 7], [9]]
    with pytest.raises(ValueError, match="mutually exclusive"):
        data.DataLoader(dataset, sampler=sampler, shuffle=True)


def test_rank_outside_the_world_is_refused():
    with pytest.raises(ValueError, match="invalid rank 2"):
        DistributedSampler(data.TensorDataset(np.arange(4)), 2, 2)
