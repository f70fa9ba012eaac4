"""DataLoader, TensorDataset, Subset, random_split: batching, shuffling, reproducibility, state.

Oracles: set arithmetic on the indices (every sample exactly once per epoch), the per-sample
general path against the fancy-indexing fast path, and PyTorch's batch counts.
"""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split
from chainrule.data import transforms as T


def numbered(n):
    """Features whose first column is the sample's index, labels = index mod 3."""
    x = np.stack([np.arange(n), np.arange(n) * 10.0], axis=1).astype(np.float32)
    return TensorDataset(x, np.arange(n) % 3)


class Squares(Dataset):
    """A data set defined only by __getitem__: the general (per-sample) path."""

    def __len__(self):
        return 10

    def __getitem__(self, i):
        return np.array([i, i * i], dtype=np.float64), i


def seen(loader):
    return np.concatenate([x.numpy()[:, 0] for x, _ in loader]).astype(int)


@pytest.mark.parametrize(
    "n, batch, drop_last",
    [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False), (2, 5, True), (1, 1, False)],
)
def test_batch_count_and_sizes_match_torch(n, batch, drop_last):
    ours = DataLoader(numbered(n), batch_size=batch, drop_last=drop_last)
    theirs = torch.utils.data.DataLoader(torch.arange(n), batch_size=batch, drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert [len(y) for _, y in ours] == [len(b) for b in theirs]


def test_tensor_dataset_holds_its_data_as_tensors_like_torch():
    x, y = np.arange(12.0).reshape(6, 2), np.arange(6)
    ours = TensorDataset(x, y)
    theirs = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    assert len(ours.tensors) == len(theirs.tensors) == 2
    for mine, reference in zip(ours.tensors, theirs.tensors):
        np.testing.assert_array_equal(mine.numpy(), reference.numpy())
    ours.tensors[0].data[0, 0] = -1.0  # the same memory, as torch's
    assert ours[0][0].numpy()[0] == -1.0


def test_unshuffled_order_and_types():
    batches = list(DataLoader(numbered(7), batch_size=3))
    x, y = batches[0]
    assert isinstance(x, cr.Tensor) and x.dtype == np.float32 and y.dtype == np.int64
    assert seen(batches).tolist() == list(range(7))
    np.testing.assert_array_equal(batches[2][1].numpy(), [0])


def test_shuffle_covers_every_sample_once_and_changes_each_epoch():
    loader = DataLoader(numbered(50), batch_size=8, shuffle=True, seed=3)
    first, second = seen(loader), seen(loader)
    assert sorted(first) == sorted(second) == list(range(50))
    assert first.tolist() != second.tolist()


def test_shuffle_with_drop_last_drops_a_random_remainder():
    loader = DataLoader(numbered(10), batch_size=4, shuffle=True, drop_last=True, seed=0)
    order = seen(loader)
    assert len(order) == 8 and len(set(order)) == 8


def test_same_seed_same_order_and_manual_seed_fixes_the_default():
    assert (
        seen(DataLoader(numbered(30), 4, shuffle=True, seed=11)).tolist()
        == seen(DataLoader(numbered(30), 4, shuffle=True, seed=11)).tolist()
    )
    cr.manual_seed(5)
    a = seen(DataLoader(numbered(30), 4, shuffle=True))
    cr.manual_seed(5)
    b = seen(DataLoader(numbered(30), 4, shuffle=True))
    assert a.tolist() == b.tolist()


def test_state_round_trip_resumes_the_epoch_order():
    loader = DataLoader(numbered(40), batch_size=6, shuffle=True, seed=9)
    seen(loader)
    state = loader.state_dict()
    expected = [seen(loader) for _ in range(2)]
    resumed = DataLoader(numbered(40), batch_size=6, shuffle=True, seed=1234)
    resumed.load_state_dict(state)
    assert [seen(resumed).tolist() for _ in range(2)] == [e.tolist() for e in expected]


def test_fast_path_equals_the_per_sample_path():
    images = np.random.default_rng(0).integers(0, 256, (23, 5, 5), dtype=np.uint8)
    ds = TensorDataset(images, np.arange(23))
    fast = DataLoader(ds, batch_size=4, shuffle=True, seed=2)
    slow = DataLoader(ds, batch_size=4, shuffle=True, seed=2, collate_fn=default_collate)
    for (xf, yf), (xs, ys) in zip(fast, slow):
        np.testing.assert_array_equal(xf.numpy(), xs.numpy())
        np.testing.assert_array_equal(yf.numpy(), ys.numpy())


def test_general_path_for_a_getitem_dataset():
    batches = list(DataLoader(Squares(), batch_size=4))
    x, y = batches[-1]
    assert x.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(x.numpy(), [[8, 64], [9, 81]])
    np.testing.assert_array_equal(y.numpy(), [8, 9])


def test_default_collate_types():
    batch = default_collate(
        [
            {"x": cr.tensor([1.0, 2.0]), "w": 0.5, "ok": True},
            {"x": cr.tensor([3.0, 4.0]), "w": 1.5, "ok": False},
        ]
    )
    assert batch["x"].shape == (2, 2) and batch["x"].dtype == np.float32
    assert batch["w"].dtype == np.float32 and batch["ok"].dtype == np.bool_
    with pytest.raises(TypeError, match="collate_fn"):
        default_collate(["a", "b"])


def test_subset_and_random_split():
    ds = numbered(20)
    parts = random_split(ds, [5, 15], seed=0)
    indices = [seen(DataLoader(p, batch_size=4)) for p in parts]
    assert [len(p) for p in parts] == [5, 15]
    assert sorted(np.concatenate(indices).tolist()) == list(range(20))
    assert Subset(ds, [4, 2])[1][0].numpy()[0] == 2
    for n, fractions in [(20, [0.5, 0.3, 0.2]), (10, [0.33, 0.33, 0.34]), (7, [0.5, 0.5])]:
        torch_lengths = [len(p) for p in torch.utils.data.random_split(range(n), fractions)]
        assert [len(p) for p in random_split(numbered(n), fractions)] == torch_lengths
    with pytest.raises(ValueError, match="sum"):
        random_split(ds, [5, 5])


def test_subset_of_a_transformed_array_dataset_keeps_the_fast_path(mnist_test):
    subset = Subset(mnist_test, np.arange(100, 0, -1))
    assert subset.batch_indexable
    x, y = next(iter(DataLoader(subset, batch_size=10)))
    np.testing.assert_array_equal(y.numpy(), mnist_test.targets[100:90:-1])


def test_an_mnist_epoch_is_read_a_batch_at_a_time_not_a_sample_at_a_time(data_root, monkeypatch):
    """The fast path: a batch-indexable dataset is sliced once per batch (get_batch), never
    item by item, so an epoch costs ~470 array slices, not 60,000 Python calls."""
    from chainrule.data import MNIST

    ds = MNIST(
        data_root,
        train=True,
        transform=T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))]),
    )

    def one_by_one(self, index):
        raise AssertionError("the loader fell back to one __getitem__ per sample")

    monkeypatch.setattr(MNIST, "__getitem__", one_by_one)
    batches = [(x.shape, len(y)) for x, y in DataLoader(ds, batch_size=128, shuffle=True, seed=0)]
    assert len(batches) == -(-60_000 // 128)
    assert sum(count for _, count in batches) == 60_000
    assert batches[0][0] == (128, 1, 28, 28)
