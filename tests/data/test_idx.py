"""IDX reader: every element type, gzipped or raw, and clear errors for damaged files.

The oracle is the format's definition: test files are assembled here byte by byte with
``struct`` and big-endian NumPy buffers, independently of ``chainrule.data.idx``.
"""

import gzip
import struct

import numpy as np
import pytest

from chainrule.data import IDXFormatError, read_idx

TYPE_CODES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def idx_bytes(code, values):
    header = struct.pack(">BBBB", 0, 0, code, values.ndim)
    header += b"".join(struct.pack(">I", n) for n in values.shape)
    return header + values.astype(TYPE_CODES[code]).tobytes()


@pytest.mark.parametrize("code", sorted(TYPE_CODES))
@pytest.mark.parametrize("compress", [False, True])
def test_reads_every_element_type(tmp_path, code, compress):
    rng = np.random.default_rng(code)
    values = (rng.standard_normal((3, 4, 5)) * 50).astype(TYPE_CODES[code])
    content = idx_bytes(code, values)
    path = tmp_path / "x.idx"
    path.write_bytes(gzip.compress(content) if compress else content)
    array = read_idx(path)
    assert array.shape == (3, 4, 5)
    assert array.dtype == np.dtype(TYPE_CODES[code]).newbyteorder("=")
    np.testing.assert_array_equal(array, values)


def test_one_dimensional_and_empty(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(idx_bytes(0x08, np.arange(7, dtype=np.uint8)))
    np.testing.assert_array_equal(read_idx(path), np.arange(7))
    path.write_bytes(idx_bytes(0x08, np.zeros((0, 2), dtype=np.uint8)))
    assert read_idx(path).shape == (0, 2)


def test_bad_magic_number_names_the_file(tmp_path):
    path = tmp_path / "not-idx.bin"
    path.write_bytes(b"PK\x03\x04" + bytes(20))
    with pytest.raises(IDXFormatError, match="not-idx.bin.*not an IDX file"):
        read_idx(path)


def test_unknown_type_code(tmp_path):
    path = tmp_path / "odd"
    path.write_bytes(bytes([0, 0, 0x0A, 1]) + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(IDXFormatError, match="odd.*not an IDX file"):
        read_idx(path)


@pytest.mark.parametrize("cut", [2, 6, 20])
def test_truncated_file_says_so_with_its_name(tmp_path, cut):
    content = idx_bytes(0x0C, np.arange(12, dtype=np.int32).reshape(3, 4))
    path = tmp_path / "short-idx1"
    path.write_bytes(content[: len(content) - cut] if cut != 2 else content[:2])
    with pytest.raises(IDXFormatError, match="short-idx1.*(truncated|too short)"):
        read_idx(path)


def test_trailing_bytes_are_an_error(tmp_path):
    path = tmp_path / "long"
    path.write_bytes(idx_bytes(0x08, np.arange(4, dtype=np.uint8)) + b"\x00")
    with pytest.raises(IDXFormatError, match="long.*trailing bytes"):
        read_idx(path)


def test_truncated_gzip_names_the_file(tmp_path):
    compressed = gzip.compress(idx_bytes(0x08, np.arange(1000, dtype=np.uint8) % 7))
    path = tmp_path / "cut.gz"
    path.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(IDXFormatError, match="cut.gz.*gzip"):
        read_idx(path)


@pytest.mark.parametrize("position, bit", [(10, 0), (10, 1), (-9, 0), (-1, 7), (3, 2)])
def test_damage_inside_a_gzip_stream_names_the_file(tmp_path, position, bit):
    """A flipped bit in the deflate data (zlib's own error), in the CRC-32, in the length or in
    the header flags: always an IDXFormatError naming the file, never a zlib.error."""
    compressed = bytearray(
        gzip.compress(idx_bytes(0x08, np.arange(1000, dtype=np.uint8) % 7), mtime=0)
    )
    compressed[position] ^= 1 << bit
    path = tmp_path / "flipped.gz"
    path.write_bytes(bytes(compressed))
    with pytest.raises(IDXFormatError, match="flipped.gz.*damaged or truncated gzip"):
        read_idx(path)


def test_a_shape_whose_product_wraps_around_64_bits_is_an_error(tmp_path):
    """Four dimensions of 2¹⁶: 2⁶⁴ elements, 0 modulo 2⁶⁴, so the header would match an empty
    body if the element count were computed in int64."""
    path = tmp_path / "wrap"
    header = bytes([0, 0, 0x08, 4]) + struct.pack(">IIII", 2**16, 2**16, 2**16, 2**16)
    path.write_bytes(header)
    with pytest.raises(IDXFormatError, match="wrap.*truncated"):
        read_idx(path)
