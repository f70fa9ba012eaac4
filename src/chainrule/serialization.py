"""Saving and loading: state_dicts as safetensors files, checkpoints as safetensors + JSON.

No pickle anywhere: loading reads numbers and JSON, and never runs code from the file.

**safetensors** (``save_file`` / ``load_file``) through the ``safetensors`` package, the
format's reference implementation (its NumPy API). A file is::

    8 bytes    N, the header's length, little-endian uint64
    N bytes    JSON: {name: {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]},
                      ..., "__metadata__": {str: str}}
    the rest   every tensor's raw little-endian bytes, C order, at [begin, end) of this buffer

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
tensor file is deleted after the commit, with any tensor file of this checkpoint that a save
killed before its commit left behind. A temporary file is named after the process writing
it (``.chainrule-<pid>-….tmp``); one left by a process that was killed mid-save is deleted by
the next save into the same folder.
"""

import hashlib
import json
import math
import os
import re
import sys
import tempfile
from pathlib import Path

import numpy as np
import safetensors.numpy
from safetensors import SafetensorError

from . import backend
from .autograd import Tensor
from .errors import SerializationError

SAVED_DTYPES = {  # the NumPy dtypes a safetensors file can hold
    np.dtype(t)
    for t in (
        np.float64,
        np.float32,
        np.float16,
        np.complex64,
        np.int64,
        np.int32,
        np.int16,
        np.int8,
        np.uint64,
        np.uint32,
        np.uint16,
        np.uint8,
        np.bool_,
    )
}
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
    data = _safetensors_bytes(
        {name: _host_array(value, name) for name, value in tensors.items()}, metadata
    )
    path = Path(path)
    temporary, _, _ = _write_temporary(path.parent, lambda f: f.write(data))
    _replace(temporary, path)


def load_file(path, device="cpu"):
    """Read a .safetensors file into ``{name: Tensor}`` on ``device``."""
    arrays = _parse_safetensors(Path(path).read_bytes(), os.fspath(path))
    return {name: Tensor(backend.to_device(a, device)) for name, a in arrays.items()}


def _host_array(value, name):
    data = value.data if isinstance(value, Tensor) else value
    if backend.get_array_module(data) is not np:
        data = backend.cupy.asnumpy(data)
    array = np.asarray(data)
    native = array.dtype.newbyteorder("=")
    if native not in SAVED_DTYPES:
        raise TypeError(
            f"save: {name!r} has dtype {array.dtype}, which safetensors cannot hold; "
            f"use one of {sorted(str(d) for d in SAVED_DTYPES)}"
        )
    return np.asarray(array, dtype=native.newbyteorder("<"), order="C")


def _safetensors_bytes(arrays, metadata=None):
    """The bytes of a safetensors file holding ``arrays`` (``{name: little-endian array}``)."""
    for name in arrays:
        if not isinstance(name, str) or name == "__metadata__":
            raise TypeError(
                f"save: tensor names must be strings other than __metadata__, got {name!r}"
            )
    if metadata and not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise TypeError("save: safetensors metadata must map strings to strings")
    return safetensors.numpy.save(arrays, metadata=metadata or None)


def _parse_safetensors(data, name):
    """``{name: array}`` from the bytes of a safetensors file; damage is a SerializationError
    naming the file (the library checks the header, the offsets and the file's length)."""
    try:
        arrays = safetensors.numpy.load(bytes(data))
    except SafetensorError as error:
        raise SerializationError(f"{name}: not a readable safetensors file ({error})") from None
    except KeyError as error:  # a dtype the format has and NumPy lacks, such as BF16
        raise SerializationError(f"{name}: dtype {error} has no NumPy equivalent") from None
    return {
        key: array.astype(array.dtype.newbyteorder("="), copy=False)
        for key, array in arrays.items()
    }


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
    data = _safetensors_bytes(arrays)
    temporary, digest, size = _write_temporary(directory, lambda f: f.write(data))
    tensor_name = _tensor_file_name(path.name, digest)
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
    _remove_superseded_tensor_files(directory, path.name, keep=tensor_name)


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
    buffer = tensor_path.read_bytes()
    if len(buffer) != document["bytes"] or hashlib.sha256(buffer).hexdigest() != document["sha256"]:
        raise SerializationError(
            f"{tensor_path}: corrupt or truncated ({len(buffer)} bytes, the "
            f"checkpoint {path.name} expects {document['bytes']} bytes with "
            f"SHA-256 {document['sha256']})"
        )
    arrays = _parse_safetensors(buffer, str(tensor_path))
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


DIGEST_CHARS = 16  # of the tensors' SHA-256, in the tensor file's name


def _tensor_file_name(checkpoint_name, digest):
    """``name.<first hex digits of the tensors' SHA-256>.safetensors``, beside the checkpoint."""
    return f"{checkpoint_name}.{digest[:DIGEST_CHARS]}.safetensors"


def _remove_superseded_tensor_files(directory, checkpoint_name, keep):
    """Delete the tensor files of checkpoint ``checkpoint_name`` other than ``keep``: the one
    the previous save committed, and any a killed save renamed into place but never committed.
    Only names of ``_tensor_file_name``'s form match, so ``last.ckpt`` never touches
    ``last.ckpt.best``'s."""
    own = re.compile(rf"{re.escape(checkpoint_name)}\.[0-9a-f]{{{DIGEST_CHARS}}}\.safetensors")
    for tensor_file in directory.iterdir():
        if tensor_file.name != keep and own.fullmatch(tensor_file.name):
            tensor_file.unlink(missing_ok=True)


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
    _remove_stale_temporaries(directory)
    handle, name = tempfile.mkstemp(
        dir=directory, prefix=f".chainrule-{os.getpid()}-", suffix=".tmp"
    )
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


def _remove_stale_temporaries(directory):
    """Delete the temporary files in ``directory`` whose writer is no longer running (killed
    mid-save); a file without a process id in its name was left by an earlier chainrule."""
    for path in directory.glob(".chainrule-*.tmp"):
        writer = path.name.split("-")[1]
        if not writer.isdigit() or not _is_running(int(writer)):
            path.unlink(missing_ok=True)


def _is_running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


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
