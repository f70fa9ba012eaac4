"""CIFAR-10 from the data mirror's JPEG zip (decoded once, cached as arrays) and from the canonical
binary archive: the real mirror where present, tiny synthetic files for the formats and for
damaged input."""

import gzip
import hashlib
import io
import os
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from chainrule.data import cifar
from chainrule.data.cifar import CIFAR10, CIFAR10_MEAN, CLASSES, read_binary_archive
from chainrule.data.download import RemoteFile, cache_dir
from chainrule.data.folder import ImageFormatError, MissingDependencyError
from chainrule.errors import ChainruleError, ChecksumError, DatasetNotFoundError

from .conftest import MIRROR_BESIDE_REPO


@pytest.fixture(scope="module")
def mirror_root():
    """The data root holding the mirror's cifar10/cifar10-jpg.zip, or a skip."""
    roots = [Path(os.environ["CHAINRULE_DATA"])] if os.environ.get("CHAINRULE_DATA") else []
    for root in roots + [MIRROR_BESIDE_REPO]:
        if (root / "cifar10" / cifar.JPEG_ZIP).is_file():
            return root
    pytest.skip("no data root with cifar10/cifar10-jpg.zip: set CHAINRULE_DATA to the mirror")


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    """Decoded arrays go to a cache inside the test's folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return cache_dir()


def test_the_mirror_holds_the_whole_data_set_in_class_order(mirror_root):
    train, test = CIFAR10(mirror_root, train=True), CIFAR10(mirror_root, train=False)
    assert train.data.shape == (50000, 32, 32, 3) and train.data.dtype == np.uint8
    assert test.data.shape == (10000, 32, 32, 3)
    assert train.classes == list(CLASSES) and train.class_to_idx["truck"] == 9
    assert train.targets == sorted(train.targets)
    assert np.bincount(train.targets).tolist() == [5000] * 10
    assert np.bincount(test.targets).tolist() == [1000] * 10
    pixel_mean = train.data.reshape(-1, 3).mean(axis=0) / 255
    np.testing.assert_allclose(pixel_mean, CIFAR10_MEAN, atol=0.002)


def test_the_decoded_split_is_cached_and_equals_pillows_decoding(mirror_root):
    test = CIFAR10(mirror_root, train=False)
    zip_path = mirror_root / "cifar10" / cifar.JPEG_ZIP
    key = hashlib.sha256(zip_path.read_bytes()).hexdigest()
    cached = np.load(cache_dir() / "cifar10" / f"jpg-{key}" / "test_images.npy")
    np.testing.assert_array_equal(cached, test.data)
    with zipfile.ZipFile(zip_path) as archive:
        airplanes = [n for n in archive.namelist() if n.startswith("test/airplane/")]
        first = min(n for n in airplanes if n.endswith(".jpg"))
        decoded = np.asarray(Image.open(io.BytesIO(archive.read(first))).convert("RGB"))
    np.testing.assert_array_equal(test.data[0], decoded)


def _jpeg(colour):
    out = io.BytesIO()
    Image.new("RGB", (32, 32), colour).save(out, format="JPEG", quality=95)
    return out.getvalue()


def _colour(index):
    return (10 * index, 250 - 10 * index, 100)


def write_zip(path, entries):
    """A zip of ``{member name: bytes}`` in the given order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return path


def tiny_zip(root):
    """train: 2 cats (c.jpg, a.jpg) and 1 airplane; test: 1 truck; members out of order."""
    members = {
        "train/cat/c.jpg": _jpeg(_colour(1)),
        "train/airplane/b.jpg": _jpeg(_colour(2)),
        "train/cat/a.jpg": _jpeg(_colour(3)),
        "test/truck/z.jpg": _jpeg(_colour(4)),
    }
    return write_zip(root / "cifar10" / cifar.JPEG_ZIP, {"train/": b"", **members})


def test_a_jpeg_zip_is_read_sorted_by_class_then_file_name(tmp_path, private_cache):
    tiny_zip(tmp_path)
    train = CIFAR10(tmp_path, train=True)
    assert train.targets == [0, 3, 3]
    mean_colours = train.data.reshape(3, -1, 3).mean(axis=1)
    np.testing.assert_allclose(mean_colours, [_colour(2), _colour(3), _colour(1)], atol=2)
    test = CIFAR10(tmp_path, train=False)
    assert test.targets == [9] and len(test) == 1


def test_the_cache_is_keyed_by_the_zips_content(tmp_path, private_cache):
    path = tiny_zip(tmp_path)
    CIFAR10(tmp_path)
    key = hashlib.sha256(path.read_bytes()).hexdigest()
    assert (private_cache / "cifar10" / f"jpg-{key}" / "train_images.npy").is_file()
    write_zip(path, {"train/dog/a.jpg": _jpeg(_colour(5))})
    changed = CIFAR10(tmp_path)
    assert changed.targets == [5]
    np.testing.assert_allclose(changed.data.reshape(-1, 3).mean(axis=0), _colour(5), atol=2)


def test_samples_and_batches_apply_the_transform(tmp_path, private_cache):
    tiny_zip(tmp_path)
    halve = _Halve()
    dataset = CIFAR10(tmp_path, transform=halve)
    image, label = dataset[1]
    assert label == 3 and image.shape == (32, 32, 3)
    np.testing.assert_array_equal(image, dataset.data[1] / 2)
    images, labels = dataset.get_batch(np.array([2, 0]))
    np.testing.assert_array_equal(images, dataset.data[[2, 0]] / 2)
    assert labels.tolist() == [3, 0] and halve.batches == 1


class _Halve:
    def __init__(self):
        self.batches = 0

    def __call__(self, image):
        return image / 2

    def apply_batch(self, images):
        self.batches += 1
        return images / 2


@pytest.mark.parametrize(
    "entries, message",
    [
        ({"train/cat/a.jpg": b"not an image"}, "train/cat/a.jpg: not a readable image"),
        ({"train/cat/a.jpg": _jpeg(_colour(1))[:200]}, "train/cat/a.jpg: not a readable image"),
        ({"train/horses/a.jpg": _jpeg(_colour(1))}, "in no CIFAR-10 class folder"),
        ({"test/cat/a.jpg": _jpeg(_colour(1))}, r"no images under train/<class>/"),
    ],
)
def test_a_damaged_zip_names_the_file(tmp_path, private_cache, entries, message):
    write_zip(tmp_path / "cifar10" / cifar.JPEG_ZIP, entries)
    with pytest.raises(ImageFormatError, match=message):
        CIFAR10(tmp_path)


def test_a_wrong_image_size_is_named(tmp_path, private_cache):
    out = io.BytesIO()
    Image.new("RGB", (28, 30)).save(out, format="PNG")
    write_zip(tmp_path / "cifar10" / cifar.JPEG_ZIP, {"train/cat/a.jpg": out.getvalue()})
    with pytest.raises(ImageFormatError, match="a 28×30 image, not 32×32"):
        CIFAR10(tmp_path)


def test_a_truncated_zip_is_a_chainrule_error(tmp_path, private_cache):
    path = tiny_zip(tmp_path)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ChainruleError, match="damaged zip file"):
        CIFAR10(tmp_path)


def test_without_pillow_the_error_says_how_to_install_it(tmp_path, private_cache, monkeypatch):
    tiny_zip(tmp_path)
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(MissingDependencyError, match="pip install pillow"):
        CIFAR10(tmp_path)


def _images(count, seed):
    return np.random.default_rng(seed).integers(0, 256, (count, 32, 32, 3), dtype=np.uint8)


def binary_batch(images, labels):
    """The binary format written pixel by pixel: label, then the R, G and B planes row by row."""
    out = bytearray()
    for image, label in zip(images, labels):
        out.append(int(label))
        for channel in range(3):
            for row in range(32):
                for column in range(32):
                    out.append(int(image[row, column, channel]))
    return bytes(out)


def tiny_archive(path, members=None):
    """A cifar-10-binary.tar.gz whose batch i holds i + 1 images (test_batch: 2), labels i."""
    if members is None:
        members = {
            f"data_batch_{i}.bin": binary_batch(_images(i, seed=i), [i] * i) for i in range(1, 6)
        }
        members["test_batch.bin"] = binary_batch(_images(2, seed=9), [7, 8])
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return path


def test_the_binary_archive_gives_the_images_in_batch_order(tmp_path):
    content = tiny_archive(tmp_path / "a.tar.gz").read_bytes()
    images, labels = read_binary_archive(content, train=True)
    expected = np.concatenate([_images(i, seed=i) for i in range(1, 6)])
    np.testing.assert_array_equal(images, expected)
    assert labels.tolist() == [i for i in range(1, 6) for _ in range(i)]
    images, labels = read_binary_archive(content, train=False)
    np.testing.assert_array_equal(images, _images(2, seed=9))
    assert labels.tolist() == [7, 8]


def test_download_fetches_and_checks_the_binary_archive(tmp_path, monkeypatch):
    served = tiny_archive(tmp_path / "server" / "cifar-10-binary.tar.gz")
    md5 = hashlib.md5(served.read_bytes()).hexdigest()
    remote = RemoteFile(served.name, md5, (served.parent.as_uri() + "/",), archive=True)
    monkeypatch.setattr(cifar, "BINARY_ARCHIVE", remote)
    root = tmp_path / "root"
    with pytest.raises(DatasetNotFoundError, match="cifar-10-binary.tar.gz(.|\n)*cifar10-jpg.zip"):
        CIFAR10(root)
    test = CIFAR10(root, train=False, download=True)
    assert (root / "cifar10" / "cifar-10-binary.tar.gz").read_bytes() == served.read_bytes()
    assert test.targets == [7, 8]
    np.testing.assert_array_equal(test.data, _images(2, seed=9))


def test_the_real_checksum_rejects_another_archive(tmp_path):
    tiny_archive(tmp_path / "cifar10" / "cifar-10-binary.tar.gz")
    with pytest.raises(ChecksumError, match="MD5 of the file is"):
        CIFAR10(tmp_path)


@pytest.mark.parametrize(
    "members, message",
    [
        ({"test_batch.bin": b"\x01" * 3000}, "not a whole number of 3073-byte records"),
        ({"test_batch.bin": b"\x0a" + b"\x00" * 3072}, "label 10 is not a class index"),
        ({"data_batch_1.bin": b"\x00" * 3073}, "the archive has no .*test_batch.bin"),
    ],
)
def test_a_damaged_binary_batch_is_named(tmp_path, members, message):
    content = tiny_archive(tmp_path / "a.tar.gz", members).read_bytes()
    with pytest.raises(ImageFormatError, match=message):
        read_binary_archive(content, train=False, name="a.tar.gz")


def test_a_damaged_gzip_stream_is_a_format_error():
    content = gzip.compress(b"\x00" * 5000)[:-20]
    with pytest.raises(ImageFormatError, match="damaged CIFAR-10 archive"):
        read_binary_archive(content, train=False, name="a.tar.gz")
