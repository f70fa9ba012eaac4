"""The IDX file format of MNIST (and of LeCun's other data sets): a tiny header, then raw values.

An IDX file is::

    byte 0-1   0x00 0x00                 (magic, part 1)
    byte 2     element type code         (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                                          0x0D float32, 0x0E float64)
    byte 3     number of dimensions d    (magic, part 2)
    4·d bytes  each dimension's size, big-endian uint32
    the rest   the values, big-endian, in C (row-major) order

``read_idx`` reads one, gzipped or not (told apart by the gzip magic bytes, not the file name),
and checks the header against the file's length so a truncated file fails with its name.
"""

import gzip
import math
import os
import zlib

import numpy as np

from ..errors import IDXFormatError

IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"


def read_bytes(path):
    """The content of ``path``, decompressed when it is gzipped; a damaged gzip names the file.

    Damage inside the stream is caught by the deflate decoder (``zlib.error``) or, where the
    damaged stream still decodes, by gzip's CRC-32 and length check; damage to the gzip header
    by the header reader. Each becomes an ``IDXFormatError`` naming the file.
    """
    with open(path, "rb") as f:
        raw = f.read()
    if not raw.startswith(GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as error:
        raise IDXFormatError(
            f"{os.fspath(path)}: damaged or truncated gzip file ({error}); "
            "delete it and download it again"
        ) from None


def parse_idx(content, name="<bytes>"):
    """The array held by the IDX bytes ``content`` (native byte order); ``name`` labels errors."""
    if len(content) < 4:
        raise IDXFormatError(f"{name}: {len(content)} bytes is too short for an IDX header")
    zero, type_code, ndim = content[0:2], content[2], content[3]
    if zero != b"\x00\x00" or type_code not in IDX_DTYPES:
        raise IDXFormatError(
            f"{name}: not an IDX file (magic number {content[:4].hex()}; "
            "expected 0000 then a type code 08/09/0b/0c/0d/0e, then the rank)"
        )
    header_size = 4 + 4 * ndim
    if len(content) < header_size:
        raise IDXFormatError(
            f"{name}: truncated header: rank {ndim} needs {header_size} bytes, "
            f"the file has {len(content)}"
        )
    shape = tuple(int(n) for n in np.frombuffer(content, ">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[type_code]
    expected = header_size + math.prod(shape) * dtype.itemsize
    if len(content) != expected:
        problem = "truncated" if len(content) < expected else "has trailing bytes"
        raise IDXFormatError(
            f"{name}: {problem}: header says shape {shape} of {dtype.name} "
            f"({expected} bytes in all), the file has {len(content)} bytes"
        )
    values = np.frombuffer(content, dtype, offset=header_size).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


def read_idx(path):
    """Read an IDX file (raw or gzipped) into a NumPy array of its shape and element type."""
    return parse_idx(read_bytes(path), name=os.fspath(path))
