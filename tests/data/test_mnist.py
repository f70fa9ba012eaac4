"""MNIST from the data root: the real files, checked against facts published about MNIST.

Oracles: the official split sizes and test-set label histogram, the first labels of each split,
the mean and standard deviation of the pixel values that torchvision's examples normalise with
(train 0.1307 / 0.3081, test 0.1325 / 0.3105), and pixels read here straight from the gzip.
"""

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from chainrule.data import MNIST, ChecksumError, DatasetNotFoundError, IDXFormatError
from chainrule.data import transforms as T

TEST_HISTOGRAM = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_test_split(mnist_test):
    assert len(mnist_test) == 10_000
    assert mnist_test.data.shape == (10_000, 28, 28) and mnist_test.data.dtype == np.uint8
    assert mnist_test.targets.shape == (10_000,) and mnist_test.targets.dtype == np.int64
    assert np.bincount(mnist_test.targets).tolist() == TEST_HISTOGRAM
    assert mnist_test.targets[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_train_split(mnist_train):
    assert mnist_train.data.shape == (60_000, 28, 28)
    assert np.bincount(mnist_train.targets).sum() == 60_000
    assert mnist_train.targets[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]


@pytest.mark.parametrize("split, mean, std", [("train", 0.1307, 0.3081), ("test", 0.1325, 0.3105)])
def test_pixel_statistics(mnist_train, mnist_test, split, mean, std):
    data = (mnist_train if split == "train" else mnist_test).data
    squares = data.astype(np.uint16)
    squares *= squares  # exact: 255² fits in uint16
    actual_mean = data.sum(dtype=np.int64) / data.size / 255
    actual_std = np.sqrt(squares.sum(dtype=np.int64) / data.size / 255**2 - actual_mean**2)
    assert actual_mean == pytest.approx(mean, abs=5e-5)
    assert actual_std == pytest.approx(std, abs=5e-5)


def test_pixels_match_the_file_read_by_hand(data_root, mnist_test):
    raw = gzip.decompress((Path(data_root) / "mnist" / "t10k-images-idx3-ubyte.gz").read_bytes())
    for i, row, col in [(0, 14, 14), (0, 20, 10), (17, 9, 12), (9999, 12, 16)]:
        assert mnist_test.data[i, row, col] == raw[16 + i * 784 + row * 28 + col]
    assert mnist_test.data[:, 0, :].max() == 0  # the digits sit inside a blank border
    assert mnist_test.data.max() == 255


def test_sample_and_transform(data_root, mnist_test):
    ds = MNIST(data_root, train=False, transform=T.ToTensor())
    image, label = ds[3]
    assert image.shape == (1, 28, 28) and image.dtype == np.float32
    assert label == 0 and isinstance(label, int)
    np.testing.assert_array_equal(image[0], mnist_test.data[3] / np.float32(255))


def test_root_from_the_environment(monkeypatch, data_root):
    monkeypatch.setenv("CHAINRULE_DATA", data_root)
    assert len(MNIST(train=False)) == 10_000


def test_missing_root_lists_the_paths(tmp_path):
    with pytest.raises(DatasetNotFoundError) as caught:
        MNIST(tmp_path / "empty", train=False)
    message = str(caught.value)
    for name in (
        "t10k-images-idx3-ubyte.gz",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte.gz",
        "t10k-labels-idx1-ubyte",
    ):
        assert str(tmp_path / "empty" / "mnist" / name) in message
    assert "CHAINRULE_DATA" in message and "download=True" in message
    assert "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz" in message


def copy_test_split(data_root, folder):
    folder.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(Path(data_root) / "mnist" / name, folder / name)
    return folder


def test_truncated_copy_fails_with_the_files_name(tmp_path, data_root):
    folder = copy_test_split(data_root, tmp_path / "mnist")
    labels = folder / "t10k-labels-idx1-ubyte"
    labels.write_bytes(gzip.decompress((folder / "t10k-labels-idx1-ubyte.gz").read_bytes())[:-10])
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(ChecksumError, match="t10k-labels-idx1-ubyte.*checksum mismatch"):
        MNIST(tmp_path, train=False)


def test_bits_flipped_inside_the_gzip_stream_name_the_file(tmp_path, data_root):
    """Bit flips inside the compressed labels (the issue saw a raw zlib.error for 2 in 30):
    every one is an IDXFormatError naming the file, whichever check catches it."""
    folder = copy_test_split(data_root, tmp_path / "mnist")
    labels = folder / "t10k-labels-idx1-ubyte.gz"
    original = labels.read_bytes()
    rng = np.random.default_rng(0)
    for position in rng.integers(10, len(original) - 8, size=12):
        damaged = bytearray(original)
        damaged[position] ^= 1 << int(rng.integers(8))
        labels.write_bytes(bytes(damaged))
        with pytest.raises(IDXFormatError, match="t10k-labels-idx1-ubyte.gz: damaged"):
            MNIST(tmp_path, train=False)


def test_uncompressed_files_are_accepted(tmp_path, data_root, mnist_test):
    folder = copy_test_split(data_root, tmp_path / "mnist")
    for packed in folder.glob("*.gz"):
        packed.with_suffix("").write_bytes(gzip.decompress(packed.read_bytes()))
        packed.unlink()
    ds = MNIST(tmp_path, train=False)
    np.testing.assert_array_equal(ds.data, mnist_test.data)


def test_download_from_a_mirror_into_an_empty_root(tmp_path, data_root, mnist_test, monkeypatch):
    mirror = copy_test_split(data_root, tmp_path / "mirror")
    monkeypatch.setattr(
        MNIST, "mirrors", ((tmp_path / "nowhere").as_uri() + "/", mirror.as_uri() + "/")
    )
    ds = MNIST(tmp_path / "root", train=False, download=True)
    np.testing.assert_array_equal(ds.targets, mnist_test.targets)
    assert sorted(p.name for p in (tmp_path / "root" / "mnist").iterdir()) == [
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]
