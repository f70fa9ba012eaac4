"""Fuzzing the readers of files a user hands chainrule: 1,000 seeded random corruptions each
(bit flips, truncations, inserted bytes, header edits) of a checkpoint, of a bare safetensors
file, and of an IDX file raw and gzipped.

Every corruption must either load the right values or raise the reader's named error
(``SerializationError``, ``IDXFormatError``, ``ChecksumError``), naming the file — never another
exception. "The right values" is strict where the format carries a checksum (a checkpoint's
SHA-256s, gzip's CRC-32, the MD5 a data set declares): the original data exactly. Where it does
not (a bare safetensors or raw IDX file), a reference reader written here from the formats'
definitions says what the damaged bytes hold, and chainrule must read exactly that.
"""

import gzip
import hashlib
import json
import math
import struct

import numpy as np
import pytest

import chainrule as cr
from chainrule.data.download import read_verified
from chainrule.data.idx import parse_idx, read_idx
from chainrule.errors import ChecksumError, IDXFormatError, SerializationError
from chainrule.serialization import load, load_file, save, save_file
from tests.conftest import assert_same

TRIALS = 1000
EXTREMES = [0, 1, 7, 255, 2**31, 2**32 - 1, 2**32, 2**62, 2**63, 2**64, -1, -(2**63)]


def damage(raw, rng, edit_header):
    """One random corruption of ``raw``: (damaged bytes, kind, what was done), ``kind`` being
    "flip", "cut", "insert" or "header"."""
    raw = bytearray(raw)
    kind = ["flip", "cut", "insert", "header"][rng.integers(4)]
    if kind == "flip":
        positions = rng.integers(len(raw), size=rng.integers(1, 4))
        for position in positions:
            raw[position] ^= 1 << int(rng.integers(8))
        return bytes(raw), kind, f"bits flipped at {sorted(positions.tolist())}"
    if kind == "cut":
        cut = int(rng.integers(len(raw)))
        return bytes(raw[:cut]), kind, f"truncated to {cut} bytes"
    if kind == "insert":
        position = int(rng.integers(len(raw) + 1))
        inserted = rng.bytes(int(rng.integers(1, 9)))
        return (
            bytes(raw[:position] + inserted + raw[position:]),
            kind,
            f"{inserted!r} inserted at {position}",
        )
    damaged, what = edit_header(bytes(raw), rng)
    return damaged, kind, f"header edit: {what}"


def random_value(rng):
    return EXTREMES[rng.integers(len(EXTREMES))] if rng.random() < 0.7 else int(rng.integers(99))


def run_trials(seed, targets, check):
    """``TRIALS`` corruptions, each of a target drawn from ``targets`` (name: (bytes,
    edit_header)), handed to ``check(name, damaged, kind)``; returns how many
    trials ended in each outcome ``check`` names."""
    rng = np.random.default_rng(seed)
    names = sorted(targets)
    outcomes = {}
    for trial in range(TRIALS):
        name = names[rng.integers(len(names))]
        original, edit_header = targets[name]
        damaged, kind, what = damage(original, rng, edit_header)
        try:
            outcome = check(name, damaged, kind)
        except Exception as error:
            raise AssertionError(
                f"trial {trial}, {name} ({what}): {type(error).__name__}: {error}"
            ) from error
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def outcome_of(error_types, call, *names):
    """``(result, None)`` from ``call()``, or ``(None, error)`` when it raises one of
    ``error_types``, whose message must name one of ``names``."""
    try:
        return call(), None
    except error_types as error:
        assert any(str(name) in str(error) for name in names), str(error)
        return None, error


# -- checkpoints ------------------------------------------------------------------------------


def small_checkpoint():
    rng = np.random.default_rng(0)
    return {
        "model": {
            "w": cr.tensor(rng.standard_normal((3, 4)).astype(np.float32)),
            "b": cr.tensor(rng.standard_normal(3)),
        },
        "optimizer": {
            "state": {0: {"step": 7}},
            "param_groups": [{"lr": 0.01, "betas": (0.9, 0.999)}],
        },
        "epoch": 3,
        "name": "run",
        "best": float("inf"),
        "counts": np.arange(4),
    }


def replace_random_node(node, rng):
    """A copy of the JSON value ``node`` with one randomly chosen value inside replaced."""
    children = (
        list(node.items())
        if isinstance(node, dict)
        else list(enumerate(node))
        if isinstance(node, list)
        else []
    )
    if not children or rng.random() < 0.3:
        pool = [
            None,
            True,
            "x",
            "w",
            1.5,
            [],
            {},
            {"__tensor__": "model.w"},
            {"__dict__": [[[1], 2]]},
            {"__float__": "nan"},
            {"__tuple__": 3},
            [[1, 2]],
        ]
        return pool[rng.integers(len(pool))] if rng.random() < 0.6 else random_value(rng)
    key, child = children[rng.integers(len(children))]
    copy = dict(node) if isinstance(node, dict) else list(node)
    copy[key] = replace_random_node(child, rng)
    return copy


def edit_checkpoint_document(raw, rng):
    """A crafted document: one value replaced, the structure's SHA-256 recomputed so the edit
    reaches the structure's decoder instead of stopping at the digest."""
    document = replace_random_node(json.loads(raw), rng)
    if isinstance(document, dict) and isinstance(document.get("object"), (dict, list)):
        text = json.dumps(document["object"], separators=(",", ":"))
        document["object_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    return json.dumps(document).encode(), "a value replaced in the document"


def edit_tensor_file_header(raw, rng):
    (size,) = struct.unpack("<Q", raw[:8])
    if rng.random() < 0.2:
        value = random_value(rng) % 2**64
        return struct.pack("<Q", value) + raw[8:], f"header length {value}"
    header = json.loads(raw[8 : 8 + size])
    name = sorted(header)[rng.integers(len(header))]
    field = ["dtype", "shape", "data_offsets"][rng.integers(3)]
    values = {
        "dtype": ["F32", "F64", "U8", "BF16", 3],
        "shape": [[random_value(rng)], [2**32, 2**32], [-1, 3], [4, 3], [12], "12"],
        "data_offsets": [[0, random_value(rng)], [random_value(rng), 2**62], [8, 4]],
    }
    choices = values[field]
    header[name] = dict(header[name], **{field: choices[rng.integers(len(choices))]})
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + raw[8 + size :], f"{name}.{field} edited"


def test_checkpoint_loader_survives_1000_corruptions(tmp_path):
    """Each trial writes a fresh folder (rewriting a file in place is slow on ext4)."""
    original = small_checkpoint()
    save(original, tmp_path / "ckpt")
    document = (tmp_path / "ckpt").read_bytes()
    tensor_name = json.loads(document)["tensor_file"]
    tensors = (tmp_path / tensor_name).read_bytes()
    targets = {
        "document": (document, edit_checkpoint_document),
        "tensor file": (tensors, edit_tensor_file_header),
    }
    folders = (tmp_path / str(trial) for trial in range(TRIALS))

    def check(target, damaged, kind):
        folder = next(folders)
        folder.mkdir()
        path = folder / "ckpt"
        path.write_bytes(damaged if target == "document" else document)
        (folder / tensor_name).write_bytes(damaged if target == "tensor file" else tensors)
        result, error = outcome_of(
            SerializationError, lambda: load(path), path, folder / tensor_name
        )
        if error is not None:
            return "SerializationError"
        if target == "document" and kind == "header":
            return "a crafted structure with its digest loaded"
        assert_same(result, original)
        return "the original values"

    outcomes = run_trials(1, targets, check)
    assert outcomes["SerializationError"] > TRIALS // 2, outcomes


# -- safetensors ------------------------------------------------------------------------------

SAFETENSORS_DTYPES = {
    "F64": "<f8",
    "F32": "<f4",
    "F16": "<f2",
    "I64": "<i8",
    "I32": "<i4",
    "I16": "<i2",
    "I8": "i1",
    "U64": "<u8",
    "U32": "<u4",
    "U16": "<u2",
    "U8": "u1",
    "BOOL": "?",
}


def reference_safetensors(raw):
    """The arrays a safetensors file holds, read from the format's definition; None when the
    bytes break a rule of the format (header length, JSON, entries, contiguous offsets)."""
    if len(raw) < 8:
        return None
    (size,) = struct.unpack("<Q", raw[:8])
    if 8 + size > len(raw):
        return None
    try:
        header = json.loads(raw[8 : 8 + size].decode())
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(header, dict):
        return None
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        return None
    arrays, spans = {}, []
    for name, entry in header.items():
        if not isinstance(entry, dict) or sorted(entry) != ["data_offsets", "dtype", "shape"]:
            return None
        dtype = SAFETENSORS_DTYPES.get(entry["dtype"]) if isinstance(entry["dtype"], str) else None
        shape, offsets = entry["shape"], entry["data_offsets"]
        if dtype is None or not all_ints(shape) or not all_ints(offsets) or len(offsets) != 2:
            return None
        begin, end = offsets
        if (
            min(shape, default=0) < 0
            or not 0 <= begin <= end
            or end - begin != math.prod(shape) * np.dtype(dtype).itemsize
        ):
            return None
        spans.append((begin, end))
        arrays[name] = (dtype, shape, begin, end)
    position = 0
    for begin, end in sorted(spans):
        if begin != position:
            return None
        position = end
    if 8 + size + position != len(raw):
        return None
    body = raw[8 + size :]
    return {
        name: np.frombuffer(body[begin:end], dtype).reshape(shape)
        for name, (dtype, shape, begin, end) in arrays.items()
    }


def all_ints(values):
    return isinstance(values, list) and all(type(v) is int for v in values)


def test_safetensors_reader_survives_1000_corruptions(tmp_path):
    """A bare safetensors file carries no checksum: chainrule must read exactly what the
    reference reader reads, and refuse with a named error exactly what it refuses."""
    rng = np.random.default_rng(3)
    save_file(
        {
            "w": rng.standard_normal((3, 4)).astype(np.float32),
            "steps": np.arange(5, dtype=np.int64),
            "mask": np.array([True, False]),
        },
        tmp_path / "model.safetensors",
        metadata={"epoch": "3"},
    )
    original = (tmp_path / "model.safetensors").read_bytes()
    paths = (tmp_path / f"model-{trial}.safetensors" for trial in range(TRIALS))

    def check(target, damaged, kind):
        path = next(paths)
        path.write_bytes(damaged)
        expected = reference_safetensors(damaged)
        result, error = outcome_of(SerializationError, lambda: load_file(path), path.name)
        if error is not None:
            assert expected is None, f"refused a well-formed file: {error}"
            return "SerializationError"
        assert expected is not None, "read a file that breaks the format"
        assert sorted(result) == sorted(expected)
        for name, array in expected.items():
            assert result[name].dtype == array.dtype and result[name].shape == array.shape
            np.testing.assert_array_equal(result[name].numpy(), array)
        return "read what the file holds"

    outcomes = run_trials(4, {"safetensors": (original, edit_tensor_file_header)}, check)
    assert outcomes["SerializationError"] > TRIALS // 2, outcomes


# -- IDX, raw and gzipped ---------------------------------------------------------------------

IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def idx_file(values, code):
    return (
        bytes([0, 0, code, values.ndim])
        + struct.pack(f">{values.ndim}I", *values.shape)
        + values.astype(IDX_TYPES[code]).tobytes()
    )


def reference_idx(raw):
    """The array an IDX file holds, read from the format's definition; None when malformed."""
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] not in IDX_TYPES:
        return None
    rank = raw[3]
    if len(raw) < 4 + 4 * rank:
        return None
    shape = struct.unpack(f">{rank}I", raw[4 : 4 + 4 * rank])
    dtype = np.dtype(IDX_TYPES[raw[2]])
    if len(raw) != 4 + 4 * rank + math.prod(shape) * dtype.itemsize:
        return None
    return np.frombuffer(raw[4 + 4 * rank :], dtype).reshape(shape)


def edit_idx_header(raw, rng):
    """Overwrite the type code, the rank or one dimension with a random or extreme value."""
    field = rng.integers(3)
    if field < 2:
        value = (
            int(rng.integers(256))
            if rng.random() < 0.5
            else [0x08, 0x0C, 0x0E, 0, 1, 4, 255][rng.integers(7)]
        )
        return raw[: 2 + field] + bytes([value]) + raw[3 + field :], f"byte {2 + field} = {value}"
    position = 4 + 4 * int(rng.integers(raw[3]))
    value = random_value(rng) % 2**32
    return raw[:position] + struct.pack(">I", value) + raw[
        position + 4 :
    ], f"dimension at {position} = {value}"


def edit_gzip_header(raw, rng):
    """Overwrite one byte of the 10-byte gzip header (flags, mtime, extra flags, OS)."""
    position = int(rng.integers(10))
    value = int(rng.integers(256))
    return raw[:position] + bytes([value]) + raw[position + 1 :], f"byte {position} = {value}"


def mnist_like_idx():
    rng = np.random.default_rng(5)
    return idx_file((rng.random((6, 7, 7)) * 255).astype(np.uint8), 0x08)


def test_gzipped_idx_reader_survives_1000_corruptions(tmp_path):
    """gzip's CRC-32 and length guard the content: the original array or an IDXFormatError.
    Through the data sets' path (MD5 of the content, then parse) a ChecksumError may come
    first; each damaged file gets its own name, so no earlier verification is reused."""
    content = mnist_like_idx()
    md5 = hashlib.md5(content).hexdigest()
    original = gzip.compress(content, mtime=0)
    expected = reference_idx(content)
    paths = (tmp_path / f"images-{trial}.gz" for trial in range(TRIALS))

    def check(target, damaged, kind):
        path = next(paths)
        path.write_bytes(damaged)
        result, error = outcome_of(IDXFormatError, lambda: read_idx(path), path.name)
        verified, verify_error = outcome_of(
            (ChecksumError, IDXFormatError), lambda: parse_idx(read_verified(path, md5)), path.name
        )
        assert (error is None) == (verify_error is None), (error, verify_error)
        if error is not None:
            return "IDXFormatError"
        np.testing.assert_array_equal(result, expected)
        np.testing.assert_array_equal(verified, expected)
        return "the original values"

    outcomes = run_trials(6, {"gzip": (original, edit_gzip_header)}, check)
    assert outcomes["IDXFormatError"] > TRIALS // 2, outcomes


def test_raw_idx_reader_survives_1000_corruptions(tmp_path):
    """A raw IDX file carries no checksum: read_idx must read exactly what the reference reads
    and refuse the rest with IDXFormatError; the data sets' path (MD5 first) refuses every
    change with ChecksumError."""
    content = mnist_like_idx()
    md5 = hashlib.md5(content).hexdigest()
    paths = (tmp_path / f"images-{trial}" for trial in range(TRIALS))

    def check(target, damaged, kind):
        path = next(paths)
        path.write_bytes(damaged)
        expected = reference_idx(damaged)
        result, error = outcome_of(IDXFormatError, lambda: read_idx(path), path.name)
        if error is not None:
            assert expected is None, f"refused a well-formed file: {error}"
        else:
            assert expected is not None, "read a file that breaks the format"
            assert result.dtype == expected.dtype.newbyteorder("=")
            np.testing.assert_array_equal(result, expected)
        if damaged != content:
            with pytest.raises(ChecksumError, match=path.name):
                read_verified(path, md5)
        return "IDXFormatError" if error is not None else "read what the file holds"

    outcomes = run_trials(7, {"raw": (content, edit_idx_header)}, check)
    assert outcomes["IDXFormatError"] > TRIALS // 3, outcomes
