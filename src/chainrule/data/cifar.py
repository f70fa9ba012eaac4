"""CIFAR-10: 60,000 colour images of 32×32 pixels in 10 classes (Krizhevsky 2009), as
torchvision's ``CIFAR10``.

Two sources, tried in this order under ``<data root>/cifar10/``:

- ``cifar10-jpg.zip``, the data mirror's copy: JPEG files ``train/<class>/NNNN.jpg`` and
  ``test/<class>/NNNN.jpg`` (lossy, the official order lost). They are decoded with Pillow once,
  sorted by class and then file name, and the arrays cached as ``.npy`` files in
  ``<cache>/cifar10/jpg-<sha256 of the zip>/`` (``download.cache_dir()``), so a changed zip is
  decoded again and the next reads take a fraction of a second.
- ``cifar-10-binary.tar.gz``, the canonical binary version (``download=True`` fetches it, MD5
  checked). Each of its files ``data_batch_1.bin`` … ``data_batch_5.bin`` (training, in this order)
  and ``test_batch.bin`` holds 10,000 records of 3,073 bytes: the label (0-9), then the
  1,024 red, 1,024 green and 1,024 blue values of the image, row by row. (The Python version of
  the download is pickles, which chainrule never loads.)
"""

import hashlib
import io
import os
import tarfile
import tempfile
import zipfile

import numpy as np

from .dataset import ImageArrays
from .download import RemoteFile, cache_dir, data_root, locate, read_verified
from .folder import ImageFormatError, decode_rgb

__all__ = ["CIFAR10", "CIFAR10_MEAN", "CIFAR10_STD", "read_binary_archive", "read_jpeg_zip"]

CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
JPEG_ZIP = "cifar10-jpg.zip"
BINARY_ARCHIVE = RemoteFile(
    "cifar-10-binary.tar.gz",
    "c32a1d4ab5d03f1284b67883e8d87530",
    ("https://www.cs.toronto.edu/~kriz/",),
    archive=True,
)
BINARY_MEMBERS = {
    True: tuple(f"cifar-10-batches-bin/data_batch_{i}.bin" for i in range(1, 6)),
    False: ("cifar-10-batches-bin/test_batch.bin",),
}
SIDE, CHANNELS = 32, 3
RECORD_BYTES = 1 + CHANNELS * SIDE * SIDE

# The per-channel mean and standard deviation of the training images' pixels (scaled to [0, 1]),
# for ``transforms.Normalize(CIFAR10_MEAN, CIFAR10_STD)``.
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)


class CIFAR10(ImageArrays):
    """The CIFAR-10 training (50,000) or test (10,000) split.

    ``data`` is uint8 (N, 32, 32, 3), ``targets`` a list of N ints, ``classes`` the ten names
    (``class_to_idx`` maps them back), as torchvision's. A sample is ``(transform(image),
    label)``; the transform must also take a batch (``get_batch`` applies it to whole batches,
    as ``MNIST`` does), which every ``chainrule.data.transforms`` class does.
    """

    folder = "cifar10"
    classes = list(CLASSES)
    class_to_idx = {name: index for index, name in enumerate(CLASSES)}

    def __init__(self, root=None, train=True, transform=None, download=False):
        self.train = train
        root, reason = data_root(root)
        folder = root / self.folder
        if (folder / JPEG_ZIP).is_file():
            images, labels = _cached_jpeg_split(folder / JPEG_ZIP, train)
        else:
            archive = _locate_archive(folder, reason, download)
            content = read_verified(archive, BINARY_ARCHIVE.md5, decompress=False)
            images, labels = read_binary_archive(content, train, name=str(archive))
        super().__init__(images, labels.astype(np.int64), transform)
        self.targets = self.labels.tolist()

    def __repr__(self):
        split = "train" if self.train else "test"
        return f"CIFAR10(split={split}, samples={len(self)}, transform={self.transform!r})"


def _locate_archive(folder, reason, download):
    alternative = f"the data mirror's JPEG copy: {folder / JPEG_ZIP}"
    (archive,) = locate([BINARY_ARCHIVE], folder, reason, download, "CIFAR-10", alternative)
    return archive


def read_binary_archive(content, train, name="<bytes>"):
    """Images (N, 32, 32, 3) uint8 and labels (N,) of one split of the binary ``.tar.gz``
    (``content``: its bytes); ``name`` labels errors."""
    try:
        with tarfile.open(fileobj=io.BytesIO(content), mode="r:gz") as archive:
            parts = [
                parse_binary_batch(_member(archive, member, name), f"{name}:{member}")
                for member in BINARY_MEMBERS[train]
            ]
    except (tarfile.TarError, EOFError, OSError) as error:
        raise ImageFormatError(f"{name}: damaged CIFAR-10 archive ({error})") from None
    images, labels = zip(*parts)
    return np.concatenate(images), np.concatenate(labels)


def _member(archive, member, name):
    try:
        return archive.extractfile(member).read()
    except KeyError:
        raise ImageFormatError(f"{name}: the archive has no {member}") from None


def parse_binary_batch(content, name="<bytes>"):
    """One binary batch file: records of a label byte and 3,072 pixel bytes (R, G, B planes,
    row by row) → images (N, 32, 32, 3) uint8 and labels (N,) uint8."""
    if not content or len(content) % RECORD_BYTES:
        raise ImageFormatError(
            f"{name}: {len(content)} bytes is not a whole number of {RECORD_BYTES}-byte records"
        )
    records = np.frombuffer(content, np.uint8).reshape(-1, RECORD_BYTES)
    labels = records[:, 0].copy()
    if labels.max() >= len(CLASSES):
        raise ImageFormatError(f"{name}: label {labels.max()} is not a class index (0-9)")
    planes = records[:, 1:].reshape(-1, CHANNELS, SIDE, SIDE)
    return np.ascontiguousarray(planes.transpose(0, 2, 3, 1)), labels


def _cached_jpeg_split(path, train):
    """The split of the JPEG zip at ``path``, decoded on the first read and cached as arrays."""
    cache = cache_dir() / "cifar10" / f"jpg-{_sha256(path)}"
    split = "train" if train else "test"
    images_path, labels_path = cache / f"{split}_images.npy", cache / f"{split}_labels.npy"
    if images_path.is_file() and labels_path.is_file():
        return np.load(images_path), np.load(labels_path)
    images, labels = read_jpeg_zip(path, train)
    cache.mkdir(parents=True, exist_ok=True)
    _save_atomically(labels_path, labels)
    _save_atomically(images_path, images)
    return images, labels


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _save_atomically(path, array):
    """Write to a temporary file beside ``path``, then rename: a reader never sees half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as f:
            np.save(f, array)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def read_jpeg_zip(path, train):
    """Decode one split of the JPEG zip: images (N, 32, 32, 3) uint8 and labels (N,) uint8,
    sorted by class, then by file name."""
    split = "train" if train else "test"
    try:
        with zipfile.ZipFile(path) as archive:
            files = _split_files(archive, split, path)
            images = np.empty((len(files), SIDE, SIDE, CHANNELS), np.uint8)
            for i, (_, _, member) in enumerate(files):
                images[i] = _decode_32x32(archive.read(member), f"{path}:{member}")
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise ImageFormatError(f"{path}: damaged zip file ({error})") from None
    labels = np.array([label for label, _, _ in files], np.uint8)
    return images, labels


def _split_files(archive, split, path):
    """``(label, file name, member)`` of every image of ``split``, sorted."""
    files = []
    for member in archive.namelist():
        parts = member.split("/")
        if len(parts) != 3 or parts[0] != split or not parts[2]:
            continue
        if parts[1] not in CLASSES:
            raise ImageFormatError(f"{path}: {member} is in no CIFAR-10 class folder")
        files.append((CLASSES.index(parts[1]), parts[2], member))
    if not files:
        raise ImageFormatError(f"{path}: no images under {split}/<class>/")
    return sorted(files)


def _decode_32x32(content, name):
    image = decode_rgb(content, name)
    if image.shape != (SIDE, SIDE, CHANNELS):
        raise ImageFormatError(f"{name}: a {image.shape[1]}×{image.shape[0]} image, not 32×32")
    return image
