"""Saving and loading: state_dicts as safetensors files, checkpoints as safetensors + JSON.

No pickle anywhere: loading reads numbers and JSON, and never runs code from the file.

**safetensors** (``save_file`` / ``load_file``), written and read by hand. A file is::

    8 bytes    N, the header's length, little-endian uint64
    N bytes    JSON: {name: {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]},
                      ..., "__metadata__": {str: str}}   (padded with spaces to a multiple of 8)
    the rest   every tensor's raw little-endian bytes, C order, at [begin, end) of this buffer

The official ``safetensors`` library reads our files and we read its files.

**Checkpoints** (``save`` / ``load``) hold a nested structure — dicts, lists, tuples, Tensors,
NumPy arrays and scalars, ints, floats, strings, bools, None — such as
``{"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}``. The arrays go
into a safetensors file beside the checkpoint; the structure goes into the checkpoint itself, a
JSON document naming that file and its SHA-256, and holding the SHA-256 of the structure's
compact JSON text (``object_sha256``), so that a damaged byte anywhere — in the tensors or in
the structure — fails to load instead of loading a wrong number.

Saving is atomic: the tensor file is written under a new name, then the JSON is written to a
temporary file and renamed over ``path``. That rename is the commit point: a process killed at
any moment leaves either the old checkpoint or the new one, each complete. The superseded
tensor file is deleted after the commit.
"""

import hashlib
import json
import math
import os
import struct
import sys
import tempfile
from pathlib import Path

import numpy as np

from . import backend
from .autograd import Tensor
from .errors import SerializationError

DTYPES = {
    "F64": np.float64,
    "F32": np.float32,
    "F16": np.float16,
    "I64": np.int64,
    "I32": np.int32,
    "I16": np.int16,
    "I8": np.int8,
    "U64": np.uint64,
    "U32": np.uint32,
    "U16": np.uint16,
    "U8": np.uint8,
    "BOOL": np.bool_,
}
DTYPE_CODES = {np.dtype(t): code for code, t in DTYPES.items()}
MAX_HEADER_BYTES = 100_000_000  # the official library's limit
CHECKPOINT_FORMAT = "chainrule-checkpoint"
CHECKPOINT_VERSION = 2
CHECKPOINT_KEYS = {  # version 1 had no digest of the structure; it is still read
    1: {"format", "version", "tensor_file", "sha256", "bytes", "object"},
    2: {"format", "version", "tensor_file", "sha256", "bytes", "object_sha256", "object"},
}


# -- safetensors ------------------------------------------------------------------------------


def save_file(tensors, path, metadata=None):
    """Write a flat ``{name: Tensor or array}`` (e.g. a state_dict) as one .safetensors file.

    ``metadata`` is an optional ``{str: str}`` stored in the header. The file is written to a
    temporary name and renamed into place, so ``path`` is never left half-written.
    """
    arrays = {name: _host_array(value, name) for name, value in tensors.items()}
    path = Path(path)
    temporary, _, _ = _write_temporary(
        path.parent, lambda f: _write_safetensors(f, arrays, metadata)
    )
    _replace(temporary, path)


def load_file(path, device="cpu"):
    """Read a .safetensors file into ``{name: Tensor}`` on ``device``."""
    buffer = _read_buffer(path)
    arrays, _ = _parse_safetensors(buffer, os.fspath(path))
    return {name: Tensor(backend.to_device(a, device)) for name, a in arrays.items()}


def _host_array(value, name):
    data = value.data if isinstance(value, Tensor) else value
    if backend.get_array_module(data) is not np:
        data = backend.cupy.asnumpy(data)
    array = np.asarray(data)
    native = array.dtype.newbyteorder("=")
    if native not in DTYPE_CODES:
        raise TypeError(
            f"save: {name!r} has dtype {array.dtype}, which safetensors cannot hold; "
            f"use one of {sorted(str(d) for d in DTYPE_CODES)}"
        )
    return np.asarray(array, dtype=native.newbyteorder("<"), order="C")


def _write_safetensors(f, arrays, metadata=None):
    header, offset = {}, 0
    for name, array in arrays.items():
        if not isinstance(name, str) or name == "__metadata__":
            raise TypeError(
                f"save: tensor names must be strings other than __metadata__, got {name!r}"
            )
        code = DTYPE_CODES[array.dtype.newbyteorder("=")]
        header[name] = {
            "dtype": code,
            "shape": list(array.shape),
            "data_offsets": [offset, offset + array.nbytes],
        }
        offset += array.nbytes
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("save: safetensors metadata must map strings to strings")
        header["__metadata__"] = dict(metadata)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    f.write(struct.pack("<Q", len(text)) + text)
    for array in arrays.values():
        f.write(array.reshape(-1).view(np.uint8).data)


def _parse_safetensors(buffer, name):
    """``({name: array}, metadata)`` from the bytes of a safetensors file, checked throughout."""
    if len(buffer) < 8:
        raise SerializationError(
            f"{name}: truncated: {len(buffer)} bytes, not even a header length"
        )
    (header_size,) = struct.unpack("<Q", buffer[:8])
    if header_size > min(MAX_HEADER_BYTES, len(buffer) - 8):
        raise SerializationError(
            f"{name}: truncated or not a safetensors file (header length "
            f"{header_size}, file size {len(buffer)})"
        )
    header = _json_object(bytes(buffer[8 : 8 + header_size]), name)
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise SerializationError(f"{name}: __metadata__ must map strings to strings")
    start = 8 + header_size
    entries = {key: _check_entry(key, entry, name) for key, entry in header.items()}
    position = 0
    for key, (_, _, (begin, end)) in sorted(entries.items(), key=lambda item: item[1][2]):
        if begin != position:
            raise SerializationError(
                f"{name}: tensor {key!r} starts at byte {begin}, expected "
                f"{position} (gaps and overlaps are not allowed)"
            )
        position = end
    if start + position != len(buffer):
        problem = "truncated" if start + position > len(buffer) else "has trailing bytes"
        raise SerializationError(
            f"{name}: {problem}: the header describes {position} bytes of "
            f"tensor data, the file holds {len(buffer) - start}"
        )
    arrays = {}
    for key, (dtype, shape, (begin, _)) in entries.items():
        array = np.frombuffer(buffer, dtype, count=math.prod(shape), offset=start + begin).reshape(
            shape
        )
        arrays[key] = array.astype(dtype.newbyteorder("="), copy=False)
    return arrays, metadata


def _check_entry(key, entry, name):
    where = f"{name}: tensor {key!r}"
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise SerializationError(
            f"{where}: expected keys dtype, shape, data_offsets, got {entry!r}"
        )
    if entry["dtype"] not in DTYPES:
        raise SerializationError(
            f"{where}: dtype {entry['dtype']!r} is not supported "
            f"(NumPy has no equivalent); supported: {sorted(DTYPES)}"
        )
    shape, offsets = entry["shape"], entry["data_offsets"]
    if not _is_int_list(shape) or min(shape, default=0) < 0:
        raise SerializationError(f"{where}: bad shape {shape!r}")
    if not _is_int_list(offsets) or len(offsets) != 2 or not 0 <= offsets[0] <= offsets[1]:
        raise SerializationError(f"{where}: bad data_offsets {offsets!r}")
    dtype = np.dtype(DTYPES[entry["dtype"]]).newbyteorder("<")
    if offsets[1] - offsets[0] != math.prod(shape) * dtype.itemsize:  # exact: Python ints
        raise SerializationError(
            f"{where}: data_offsets {offsets} do not fit shape {shape} of {entry['dtype']}"
        )
    return dtype, tuple(shape), tuple(offsets)


def _is_int_list(value):
    return isinstance(value, list) and all(type(v) is int for v in value)


def _json_object(text, name):
    """Parse JSON text that must be an object; duplicate keys and NaN literals are errors, and
    so are nesting deeper than Python's recursion limit and integers longer than its digit
    limit."""

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            raise SerializationError(f"{name}: duplicate keys in JSON object {keys}")
        return dict(pairs)

    def no_constants(literal):
        raise SerializationError(f"{name}: non-standard JSON literal {literal}")

    try:
        value = json.loads(
            text.decode("utf-8"), object_pairs_hook=no_duplicates, parse_constant=no_constants
        )
    except SerializationError:
        raise
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, too many digits
        raise SerializationError(f"{name}: not valid JSON ({error})") from None
    except RecursionError:
        raise SerializationError(
            f"{name}: JSON nested too deeply to read (more levels than "
            f"Python's recursion limit, {sys.getrecursionlimit()})"
        ) from None
    if not isinstance(value, dict):
        raise SerializationError(f"{name}: expected a JSON object, got {type(value).__name__}")
    return value


# -- checkpoints ------------------------------------------------------------------------------


def save(obj, path):
    """Save a nested checkpoint atomically: ``path`` (JSON) plus a .safetensors file beside it.

    See the module docstring for the format and the commit protocol.
    """
    path = Path(path)
    directory = path.parent
    arrays = {}
    tree = _encode(obj, (), arrays)
    previous = _tensor_file_of(path)
    temporary, digest, size = _write_temporary(directory, lambda f: _write_safetensors(f, arrays))
    tensor_name = f"{path.name}.{digest[:16]}.safetensors"
    try:
        _replace(temporary, directory / tensor_name)
        document = {
            "format": CHECKPOINT_FORMAT,
            "version": CHECKPOINT_VERSION,
            "tensor_file": tensor_name,
            "sha256": digest,
            "bytes": size,
            "object_sha256": _structure_digest(tree),
            "object": tree,
        }
        text = json.dumps(document, allow_nan=False, indent=1).encode()
        json_temporary, _, _ = _write_temporary(directory, lambda f: f.write(text))
        _replace(json_temporary, path)
    except BaseException:
        if tensor_name != previous:
            (directory / tensor_name).unlink(missing_ok=True)
        raise
    _fsync_directory(directory)
    if previous is not None and previous != tensor_name:
        (directory / previous).unlink(missing_ok=True)


def load(path, map_location="cpu"):
    """Load a checkpoint written by ``save``; Tensors come back on ``map_location``.

    The structure's and the tensor file's SHA-256 are checked first; a missing, truncated or
    corrupt file raises ``SerializationError`` naming it (a missing ``path`` itself raises
    ``FileNotFoundError``, as ``torch.load`` does). NumPy arrays and scalars come back as NumPy
    arrays and scalars (a CuPy array saved inside a structure comes back as a NumPy array).
    """
    path = Path(path)
    device = backend.normalize_device(map_location)
    document = _read_checkpoint_document(path)
    tensor_path = path.parent / document["tensor_file"]
    if not tensor_path.is_file():
        raise SerializationError(
            f"{path}: its tensor file {tensor_path} is missing; copy it beside the checkpoint"
        )
    buffer = _read_buffer(tensor_path)
    if len(buffer) != document["bytes"] or hashlib.sha256(buffer).hexdigest() != document["sha256"]:
        raise SerializationError(
            f"{tensor_path}: corrupt or truncated ({len(buffer)} bytes, the "
            f"checkpoint {path.name} expects {document['bytes']} bytes with "
            f"SHA-256 {document['sha256']})"
        )
    arrays, _ = _parse_safetensors(buffer, str(tensor_path))
    try:
        return _decode(document["object"], arrays, device, "object")
    except SerializationError as error:
        raise SerializationError(f"{path}: {error}") from None
    except RecursionError:
        raise SerializationError(f"{path}: the structure is nested too deeply to load") from None


def _read_checkpoint_document(path):
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"checkpoint {path} does not exist") from None
    not_ours = f"{path} is not a chainrule checkpoint"
    if raw[:1] != b"{":
        raise SerializationError(
            f"{not_ours} (not a JSON document; a .safetensors file is read with load_file)"
        )
    document = _json_object(raw, str(path))
    if document.get("format") != CHECKPOINT_FORMAT:
        raise SerializationError(f'{not_ours} (its "format" is {document.get("format")!r})')
    version = document.get("version")
    if type(version) is not int or version not in CHECKPOINT_KEYS:
        raise SerializationError(
            f"{path}: checkpoint version {version!r} is not supported "
            f"(this chainrule reads versions {sorted(CHECKPOINT_KEYS)})"
        )
    expected = CHECKPOINT_KEYS[version]
    if set(document) != expected:
        raise SerializationError(
            f"{path}: checkpoint keys {sorted(document)}, expected {sorted(expected)}"
        )
    name = document["tensor_file"]
    if not isinstance(name, str) or Path(name).name != name or name in ("", ".", ".."):
        raise SerializationError(
            f"{path}: tensor_file {name!r} must be a plain file name in the checkpoint's folder"
        )
    if not isinstance(document["sha256"], str) or type(document["bytes"]) is not int:
        raise SerializationError(f"{path}: sha256 must be a string and bytes an integer")
    if version >= 2 and document["object_sha256"] != _structure_digest(document["object"], path):
        raise SerializationError(
            f'{path}: corrupt: its structure ("object") does not have the '
            f"SHA-256 the checkpoint records"
        )
    return document


def _structure_digest(tree, path=None):
    """SHA-256 of the structure's compact JSON text: the same before saving and after loading,
    since JSON round-trips every value the structure holds (finite floats, ints, strings)."""
    try:
        text = json.dumps(tree, separators=(",", ":"), allow_nan=False)
    except ValueError:  # a literal like 1e999 in a damaged file reads as inf
        raise SerializationError(
            f"{path}: corrupt: its structure holds a non-finite number"
        ) from None
    except RecursionError:
        raise SerializationError(f"{path}: its structure is nested too deeply to read") from None
    return hashlib.sha256(text.encode()).hexdigest()


def _tensor_file_of(path):
    """The tensor file named by the checkpoint at ``path``, or None if there is none readable."""
    try:
        return _read_checkpoint_document(path)["tensor_file"]
    except (OSError, SerializationError):
        return None


# The structure is plain JSON where JSON suffices; anything else is a one-key "tag" object.
# A dict whose keys are not all strings, or that has a key looking like a tag (__x__), is
# stored as {"__dict__": [[key, value], ...]} so that no user data is ever read as a tag.
TAGS = {"__tensor__", "__ndarray__", "__numpy_scalar__", "__tuple__", "__dict__", "__float__"}
NON_FINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


def _encode(obj, where, arrays):
    if isinstance(obj, np.generic):
        return {"__numpy_scalar__": _add_array(np.asarray(obj), where, arrays)}
    if obj is None or isinstance(obj, (bool, str, int)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"__float__": repr(obj)}
    if isinstance(obj, Tensor):
        node = {"__tensor__": _add_array(obj, where, arrays)}
        if obj.requires_grad:
            node["requires_grad"] = True
        return node
    if isinstance(obj, np.ndarray) or backend.get_array_module(obj) is not np:
        return {"__ndarray__": _add_array(obj, where, arrays)}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, where + (i,), arrays) for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_encode(v, where + (i,), arrays) for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not _looks_like_tag(k) for k in obj):
            return {k: _encode(v, where + (k,), arrays) for k, v in obj.items()}
        return {
            "__dict__": [
                [_encode(k, where, arrays), _encode(v, where + (k,), arrays)]
                for k, v in obj.items()
            ]
        }
    raise TypeError(
        f"save: cannot store a {type(obj).__name__} at {_describe(where)}; a "
        "checkpoint holds dicts, lists, tuples, Tensors, NumPy arrays and scalars, "
        "ints, floats, strings, bools and None"
    )


def _add_array(value, where, arrays):
    """Store an array under a readable unique name (its path: 'model.fc1.weight')."""
    name = ".".join(str(part) for part in where) or "value"
    unique, count = name, 1
    while unique in arrays:
        count += 1
        unique = f"{name}#{count}"
    arrays[unique] = _host_array(value, _describe(where))
    return unique


def _looks_like_tag(key):
    return key.startswith("__") and key.endswith("__")


def _describe(where):
    return "the top level" if not where else "".join(f"[{part!r}]" for part in where)


def _decode(node, arrays, device, where):
    if node is None or isinstance(node, (bool, str, int, float)):
        return node
    if isinstance(node, list):
        return [_decode(v, arrays, device, f"{where}[{i}]") for i, v in enumerate(node)]
    tags = [k for k in node if _looks_like_tag(k)]
    if not tags:
        return {k: _decode(v, arrays, device, f"{where}[{k!r}]") for k, v in node.items()}
    tag = tags[0]
    allowed = {tag, "requires_grad"} if tag == "__tensor__" else {tag}
    if tag not in TAGS or len(tags) > 1 or not set(node) <= allowed:
        raise SerializationError(
            f"unexpected entry {sorted(node)} at {where}; known tags are {sorted(TAGS)}"
        )
    return _DECODERS[tag](node, arrays, device, where)


def _decode_array(node, arrays, where, tag):
    name = node[tag]
    if not isinstance(name, str) or name not in arrays:
        raise SerializationError(
            f"{tag} at {where} names {name!r}, which is not in the tensor file"
        )
    return arrays[name]


def _decode_tensor(node, arrays, device, where):
    requires_grad = node.get("requires_grad", False)
    if requires_grad is not True and requires_grad is not False:
        raise SerializationError(f"requires_grad at {where} must be a bool")
    array = backend.to_device(_decode_array(node, arrays, where, "__tensor__"), device)
    return Tensor(array, requires_grad=requires_grad)


def _decode_numpy_scalar(node, arrays, device, where):
    array = _decode_array(node, arrays, where, "__numpy_scalar__")
    if array.ndim != 0:
        raise SerializationError(f"__numpy_scalar__ at {where} has shape {array.shape}")
    return array[()]


def _decode_sequence(node, arrays, device, where, tag):
    items = node[tag]
    if not isinstance(items, list):
        raise SerializationError(f"{tag} at {where} must hold a list")
    return [_decode(v, arrays, device, f"{where}[{i}]") for i, v in enumerate(items)]


def _decode_dict(node, arrays, device, where):
    pairs = _decode_sequence(node, arrays, device, where, "__dict__")
    if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
        raise SerializationError(f"__dict__ at {where} must hold [key, value] pairs")
    try:
        return {key: value for key, value in pairs}
    except TypeError:
        raise SerializationError(f"a __dict__ key at {where} is not hashable") from None


def _decode_float(node, arrays, device, where):
    if node["__float__"] not in NON_FINITE:
        raise SerializationError(
            f"__float__ at {where} must be one of {sorted(NON_FINITE)}, got {node['__float__']!r}"
        )
    return NON_FINITE[node["__float__"]]


_DECODERS = {
    "__tensor__": _decode_tensor,
    "__ndarray__": lambda node, arrays, device, where: _decode_array(
        node, arrays, where, "__ndarray__"
    ),
    "__numpy_scalar__": _decode_numpy_scalar,
    "__tuple__": lambda node, arrays, device, where: tuple(
        _decode_sequence(node, arrays, device, where, "__tuple__")
    ),
    "__dict__": _decode_dict,
    "__float__": _decode_float,
}


# -- files ------------------------------------------------------------------------------------


class _HashingWriter:
    """A file wrapper that counts and SHA-256-hashes what is written through it."""

    def __init__(self, f):
        self.f, self.sha256, self.size = f, hashlib.sha256(), 0

    def write(self, data):
        self.sha256.update(data)
        self.size += memoryview(data).nbytes
        self.f.write(data)


def _write_temporary(directory, write):
    """Write a new hidden temporary file in ``directory`` with ``write(f)``, flushed to disk.

    Returns ``(path, sha256 hex digest, size)``; on failure the temporary file is removed.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=directory, prefix=".chainrule-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as f:
            hashing = _HashingWriter(f)
            write(hashing)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        os.unlink(name)
        raise
    return Path(name), hashing.sha256.hexdigest(), hashing.size


def _replace(temporary, target):
    """Rename ``temporary`` over ``target`` atomically; remove the temporary file on failure."""
    try:
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _fsync_directory(directory):
    """Make the renames in ``directory`` durable (POSIX; a no-op where directories can't be
    opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_buffer(path):
    """The bytes of ``path`` in a writable buffer, so arrays viewing it are writable."""
    with open(path, "rb") as f:
        buffer = bytearray(os.fstat(f.fileno()).st_size)
        f.readinto(buffer)
    return buffer
