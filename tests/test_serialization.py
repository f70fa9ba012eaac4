"""serialization: safetensors through the reference library (checked against the format's
definition), and atomic checkpoints (round trips, crashes mid-save, corrupt files, hostile JSON,
checkpoints written by the earlier hand-written writer).
"""

import hashlib
import json
import math
import os
import signal
import struct
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import serialization
from chainrule.serialization import SerializationError, load, load_file, save, save_file
from tests.conftest import assert_same

ALL_DTYPES = [
    np.float64,
    np.float32,
    np.float16,
    np.int64,
    np.int32,
    np.int16,
    np.int8,
    np.uint64,
    np.uint32,
    np.uint16,
    np.uint8,
    np.bool_,
]


def sample_arrays():
    rng = np.random.default_rng(0)
    arrays = {
        f"x_{np.dtype(t).name}": (rng.standard_normal((3, 4)) * 100).astype(t) for t in ALL_DTYPES
    }
    arrays["scalar"] = np.array(2.5, np.float32)
    arrays["empty"] = np.zeros((0, 5), np.int64)
    arrays["transposed"] = np.arange(12, dtype=np.float32).reshape(3, 4).T
    arrays["big_endian"] = np.arange(5, dtype=">i4")
    return arrays


def handmade_safetensors(header, data):
    """A safetensors file assembled from the format's definition (unpadded header)."""
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


# -- safetensors ------------------------------------------------------------------------------


def test_reads_a_file_built_from_the_specification(tmp_path):
    data = np.array([1.5, -2.0], "<f4").tobytes() + np.array([[7], [8]], "<i8").tobytes()
    header = {
        "b": {"dtype": "I64", "shape": [2, 1], "data_offsets": [8, 24]},
        "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "__metadata__": {"note": "hand made"},
    }
    path = tmp_path / "spec.safetensors"
    path.write_bytes(handmade_safetensors(header, data))
    loaded = load_file(path)
    assert isinstance(loaded["a"], cr.Tensor) and loaded["a"].dtype == np.float32
    np.testing.assert_array_equal(loaded["a"].numpy(), [1.5, -2.0])
    np.testing.assert_array_equal(loaded["b"].numpy(), [[7], [8]])


def test_written_header_follows_the_specification(tmp_path):
    path = tmp_path / "w.safetensors"
    save_file({"w": np.array([[1, 2, 3]], np.int32)}, path, metadata={"epoch": "3"})
    raw = path.read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    assert size % 8 == 0 and len(raw) == 8 + size + 12
    header = json.loads(raw[8 : 8 + size])
    assert header == {
        "w": {"dtype": "I32", "shape": [1, 3], "data_offsets": [0, 12]},
        "__metadata__": {"epoch": "3"},
    }
    assert raw[8 + size :] == np.array([1, 2, 3], "<i4").tobytes()


def test_official_library_reads_ours(tmp_path):
    import safetensors.numpy as safetensors_numpy

    arrays = sample_arrays()
    tensors = dict(arrays, as_tensor=cr.tensor([1.0, 2.0]))
    save_file(tensors, tmp_path / "ours.safetensors", metadata={"format": "np"})
    theirs = safetensors_numpy.load_file(tmp_path / "ours.safetensors")
    assert theirs.keys() == tensors.keys()
    for name, array in arrays.items():
        assert theirs[name].dtype == array.dtype.newbyteorder("=")
        assert theirs[name].shape == array.shape
        np.testing.assert_array_equal(theirs[name], array)
    np.testing.assert_array_equal(theirs["as_tensor"], [1.0, 2.0])


def test_we_read_the_official_librarys_files(tmp_path):
    import safetensors.numpy as safetensors_numpy

    arrays = {k: v for k, v in sample_arrays().items() if k not in ("transposed", "big_endian")}
    safetensors_numpy.save_file(arrays, tmp_path / "theirs.safetensors", metadata={"a": "b"})
    ours = load_file(tmp_path / "theirs.safetensors")
    for name, array in arrays.items():
        assert ours[name].dtype == array.dtype and ours[name].shape == array.shape
        np.testing.assert_array_equal(ours[name].numpy(), array)


def test_unsupported_dtype_is_refused_on_save(tmp_path):
    with pytest.raises(TypeError, match="'z'.*complex128"):
        save_file({"z": np.zeros(2, np.complex128)}, tmp_path / "z.safetensors")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda raw: raw[:-3], "not fully covered"),
        (lambda raw: raw[:5], "header too small"),
        (lambda raw: raw + b"\x00", "not fully covered"),
        (lambda raw: struct.pack("<Q", 2**40) + raw[8:], "header too large"),
        (lambda raw: raw[:8] + b"[" + raw[9:], "invalid JSON"),
    ],
)
def test_damaged_files_fail_with_their_name(tmp_path, damage, message):
    path = tmp_path / "model.safetensors"
    save_file({"w": np.arange(6, dtype=np.float32)}, path)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(SerializationError, match=f"model.safetensors.*{message}"):
        load_file(path)


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}, "BF16.*no NumPy equivalent"),
        ({"dtype": "F32", "shape": [3], "data_offsets": [0, 4]}, "invalid shape"),
        ({"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}, "invalid value"),
        ({"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}, "invalid offset for tensor `w`"),
        ({"dtype": "U8", "shape": [2**62], "data_offsets": [0, 2**62]}, "overflow"),
        ({"dtype": "F32", "shape": [2**31, 2**31], "data_offsets": [0, 2**64]}, "invalid type"),
        ({"dtype": "U8", "shape": [2**32, 2**32], "data_offsets": [0, 0]}, "overflow"),  # 2⁶⁴ ≡ 0
        ({"dtype": "U8", "shape": [4], "data_offsets": [10**6, 10**6 + 4]}, "invalid offset"),
    ],
)
def test_inconsistent_or_absurd_headers_are_named(tmp_path, entry, message):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(handmade_safetensors({"w": entry}, bytes(4)))
    with pytest.raises(SerializationError, match=f"bad.safetensors.*{message}"):
        load_file(path)


def test_json_nested_200000_deep_is_a_serialization_error(tmp_path):
    text = b"[" * 200_000 + b"]" * 200_000
    path = tmp_path / "deep.safetensors"
    path.write_bytes(struct.pack("<Q", len(text)) + text)
    with pytest.raises(SerializationError, match="deep.safetensors.*invalid JSON"):
        load_file(path)


def test_overlapping_tensors_are_rejected(tmp_path):
    header = {
        "a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
        "b": {"dtype": "U8", "shape": [4], "data_offsets": [2, 6]},
    }
    path = tmp_path / "overlap.safetensors"
    path.write_bytes(handmade_safetensors(header, bytes(6)))
    with pytest.raises(SerializationError, match="invalid offset for tensor `b`"):
        load_file(path)


# -- checkpoints: round trips -----------------------------------------------------------------


def nested_checkpoint():
    rng = np.random.default_rng(1)
    return {
        "model": {
            "fc.weight": cr.tensor(rng.standard_normal((3, 2)).astype(np.float32)),
            "fc.bias": cr.tensor(rng.standard_normal(3), dtype=np.float64),
        },
        "optimizer": {
            "state": {0: {"step": 7, "buf": rng.standard_normal(4)}},
            "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1]}],
        },
        "arrays": [
            np.arange(5, dtype=np.int64),
            np.array([True, False]),
            np.arange(6, dtype=np.uint8).reshape(2, 3),
            np.float32(0.25),
            np.int64(-3),
        ],
        "epoch": 3,
        "loss": 0.125,
        "best": float("inf"),
        "worst": float("-inf"),
        "name": "run α",
        "done": False,
        "nothing": None,
        "huge": 2**100,
        "rng": np.random.default_rng(5).bit_generator.state,
        "tricky": {"__tensor__": "not a tensor", "a.b": 1, 1.5: "float key", None: [], (1, 2): ()},
        "empty": {},
        "empty_list": [],
    }


def test_nested_round_trip(tmp_path):
    original = nested_checkpoint()
    save(original, tmp_path / "ckpt")
    assert_same(load(tmp_path / "ckpt"), original)


def test_nan_and_requires_grad_survive(tmp_path):
    weight = cr.tensor([1.0, 2.0], requires_grad=True)
    save({"w": weight, "nan": float("nan")}, tmp_path / "ckpt")
    loaded = load(tmp_path / "ckpt")
    assert loaded["w"].requires_grad and loaded["w"].is_leaf
    assert np.isnan(loaded["nan"])
    document = json.loads((tmp_path / "ckpt").read_text())  # strict JSON: no NaN literal
    assert document["object"]["nan"] == {"__float__": "nan"}


def test_model_optimizer_and_loader_resume_exactly(tmp_path):
    def build():
        cr.manual_seed(0)
        model = cr.nn.Linear(4, 3)
        return model, cr.optim.Adam(model.parameters(), lr=0.01)

    def step(model, optimizer, x):
        optimizer.zero_grad()
        (model(x) ** 2).sum().backward()
        optimizer.step()

    x = cr.tensor(np.random.default_rng(2).standard_normal((5, 4)).astype(np.float32))
    model, optimizer = build()
    loader = cr.data.DataLoader(
        cr.data.TensorDataset(np.arange(10)), batch_size=3, shuffle=True, seed=4
    )
    step(model, optimizer, x)
    save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "loader": loader.state_dict(),
            "epoch": 1,
        },
        tmp_path / "ckpt",
    )
    step(model, optimizer, x)
    expected_order = [b[0].tolist() for b in loader]

    resumed, resumed_optimizer = build()
    state = load(tmp_path / "ckpt")
    resumed.load_state_dict(state["model"])
    resumed_optimizer.load_state_dict(state["optimizer"])
    resumed_loader = cr.data.DataLoader(
        cr.data.TensorDataset(np.arange(10)), batch_size=3, shuffle=True, seed=99
    )
    resumed_loader.load_state_dict(state["loader"])
    step(resumed, resumed_optimizer, x)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[name].numpy(), value.numpy())
    assert [b[0].tolist() for b in resumed_loader] == expected_order


def test_unsupported_types_name_their_place(tmp_path):
    with pytest.raises(TypeError, match=r"set at \['a'\]\[1\]"):
        save({"a": [1, {2}]}, tmp_path / "ckpt")
    assert list(tmp_path.iterdir()) == []


# -- checkpoints: atomicity -------------------------------------------------------------------


def files_in(folder):
    return sorted(p.name for p in folder.iterdir())


def test_superseded_tensor_file_is_removed(tmp_path):
    save({"w": np.zeros(3)}, tmp_path / "ckpt")
    save({"w": np.ones(3)}, tmp_path / "ckpt")
    save({"w": np.ones(3)}, tmp_path / "ckpt")  # same content: same tensor file, kept
    assert len(files_in(tmp_path)) == 2
    np.testing.assert_array_equal(load(tmp_path / "ckpt")["w"], np.ones(3))


def test_crash_at_the_commit_rename_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    save({"epoch": 1, "w": np.full(4, 1.0)}, tmp_path / "ckpt")
    before = files_in(tmp_path)
    real_replace = os.replace

    def crash_on_commit(source, target):
        if os.fspath(target) == os.fspath(tmp_path / "ckpt"):
            raise KeyboardInterrupt("killed")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", crash_on_commit)
    with pytest.raises(KeyboardInterrupt):
        save({"epoch": 2, "w": np.full(4, 2.0)}, tmp_path / "ckpt")
    monkeypatch.undo()
    assert files_in(tmp_path) == before
    assert load(tmp_path / "ckpt")["epoch"] == 1


def test_crash_while_writing_tensors_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    save({"epoch": 1, "w": np.full(4, 1.0)}, tmp_path / "ckpt")
    before = files_in(tmp_path)
    real_fsync = serialization.os.fsync

    def disk_full(fd):
        raise OSError("disk full")

    monkeypatch.setattr(serialization.os, "fsync", disk_full)
    with pytest.raises(OSError, match="disk full"):
        save({"epoch": 2, "w": np.full(4, 2.0)}, tmp_path / "ckpt")
    monkeypatch.setattr(serialization.os, "fsync", real_fsync)
    assert files_in(tmp_path) == before
    loaded = load(tmp_path / "ckpt")
    assert loaded["epoch"] == 1 and loaded["w"][0] == 1.0


KEEP_SAVING = textwrap.dedent("""
    import sys, numpy as np
    from chainrule.serialization import save
    path = sys.argv[1]
    for epoch in range(10**9):
        save({"epoch": epoch, "w": np.full(300_000, epoch, np.float32)}, path)
        if epoch == 0:
            print("saved", flush=True)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL")
@pytest.mark.parametrize("delay", [0.05, 0.3])
def test_sigkill_mid_save_leaves_a_loadable_checkpoint(tmp_path, delay):
    """A real process saving in a loop is killed at an arbitrary moment; the last committed
    checkpoint must load, and its tensors must belong to its own epoch."""
    child = subprocess.Popen(
        [sys.executable, "-c", KEEP_SAVING, str(tmp_path / "ckpt")], stdout=subprocess.PIPE
    )
    assert child.stdout.readline() == b"saved\n"
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait()
    loaded = load(tmp_path / "ckpt")
    assert loaded["epoch"] >= 0
    assert np.all(loaded["w"] == loaded["epoch"])


@pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL")
def test_temporary_files_of_a_killed_save_are_removed_by_the_next_save(tmp_path):
    """Kill a saving process until it has left temporary files behind, then save once more:
    only the checkpoint and its tensor file remain."""
    leftovers = []
    for _ in range(20):
        child = subprocess.Popen(
            [sys.executable, "-c", KEEP_SAVING, str(tmp_path / "ckpt")], stdout=subprocess.PIPE
        )
        assert child.stdout.readline() == b"saved\n"
        time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
        child.wait()
        leftovers = list(tmp_path.glob(".chainrule-*.tmp"))
        if leftovers:
            break
    assert leftovers, "no kill landed mid-write in 20 tries"
    (tmp_path / ".chainrule-abc123.tmp").write_bytes(b"left by an earlier chainrule")
    save({"epoch": -1, "w": np.zeros(3, np.float32)}, tmp_path / "ckpt")
    assert len(files_in(tmp_path)) == 2 and load(tmp_path / "ckpt")["epoch"] == -1


def test_a_tensor_file_renamed_but_never_committed_is_removed_by_the_next_save(tmp_path):
    """A save killed between renaming its tensor file into place and committing the JSON leaves
    a tensor file no checkpoint names; the next save deletes it, and nothing of another
    checkpoint whose name starts the same."""
    save({"w": np.zeros(3)}, tmp_path / "last.ckpt")
    save({"w": np.ones(3)}, tmp_path / "last.ckpt.best")
    orphan = tmp_path / "last.ckpt.0123456789abcdef.safetensors"
    orphan.write_bytes(b"tensors of a save that never committed")
    before = set(files_in(tmp_path))
    save({"w": np.full(3, 2.0)}, tmp_path / "last.ckpt")
    after = set(files_in(tmp_path))
    assert not orphan.exists()
    assert {n for n in before if n.startswith("last.ckpt.best")} <= after
    assert len(after) == 4
    np.testing.assert_array_equal(load(tmp_path / "last.ckpt")["w"], [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(load(tmp_path / "last.ckpt.best")["w"], [1.0, 1.0, 1.0])


def test_a_running_writers_temporary_file_is_kept(tmp_path):
    in_flight = tmp_path / f".chainrule-{os.getpid()}-inflight.tmp"
    in_flight.write_bytes(b"being written")
    save({"w": np.zeros(3)}, tmp_path / "ckpt")
    assert in_flight.exists()


def test_checkpoints_written_by_the_hand_written_writer_still_load():
    """tests/fixtures/checkpoint-v2 was written by chainrule's own safetensors writer (before
    the library took over): format version 2, the same values as below."""
    loaded = load(Path(__file__).parent / "fixtures" / "checkpoint-v2" / "last.ckpt")
    np.testing.assert_array_equal(
        loaded["model"]["fc.weight"].numpy(), np.arange(6, dtype=np.float32).reshape(3, 2) / 4
    )
    assert loaded["model"]["fc.weight"].dtype == np.float32
    np.testing.assert_array_equal(loaded["model"]["fc.bias"].numpy(), [0.5, -1.0, 2.0])
    assert loaded["model"]["fc.bias"].dtype == np.float64
    assert loaded["optimizer"]["state"][0]["step"] == 7
    np.testing.assert_array_equal(loaded["optimizer"]["state"][0]["buf"], [1.0, -2.0])
    assert loaded["epoch"] == 3 and loaded["history"][0] == 0.25
    assert math.isnan(loaded["history"][1]) and loaded["tag"] == ("a", 1)


# -- checkpoints: damaged or hostile files ----------------------------------------------------


def saved_checkpoint(tmp_path):
    save({"w": np.arange(100, dtype=np.float32)}, tmp_path / "ckpt")
    document = json.loads((tmp_path / "ckpt").read_text())
    return tmp_path / "ckpt", tmp_path / document["tensor_file"], document


def rewrite(path, document):
    """Write an edited checkpoint document with its structure's SHA-256 recomputed from the
    format's definition (the compact JSON text of "object"), so only the edit is tested."""
    text = json.dumps(document["object"], separators=(",", ":"), allow_nan=False)
    document = dict(document, object_sha256=hashlib.sha256(text.encode()).hexdigest())
    path.write_text(json.dumps(document))


def test_truncated_tensor_file_is_named(tmp_path):
    path, tensor_file, _ = saved_checkpoint(tmp_path)
    tensor_file.write_bytes(tensor_file.read_bytes()[:-10])
    with pytest.raises(SerializationError, match=f"{tensor_file.name}.*corrupt or truncated"):
        load(path)


def test_flipped_byte_is_caught_by_the_digest(tmp_path):
    path, tensor_file, _ = saved_checkpoint(tmp_path)
    raw = bytearray(tensor_file.read_bytes())
    raw[-1] ^= 1
    tensor_file.write_bytes(bytes(raw))
    with pytest.raises(SerializationError, match=f"{tensor_file.name}.*corrupt"):
        load(path)


def test_missing_tensor_file_is_named(tmp_path):
    path, tensor_file, _ = saved_checkpoint(tmp_path)
    tensor_file.unlink()
    with pytest.raises(SerializationError, match=f"ckpt.*{tensor_file.name} is missing"):
        load(path)


@pytest.mark.parametrize(
    "edit",
    [
        lambda text: text.replace('"epoch": 3', '"epoch": 7'),
        lambda text: text.replace('"loss": 0.125', '"loss": 0.375'),
        lambda text: text.replace('"done": false', '"done": true'),
        lambda text: text.replace('"name": "run', '"name": "rub'),
        lambda text: text.replace('"loss": 0.125', '"loss": 1e999'),
    ],
)
def test_a_damaged_structure_fails_instead_of_loading_a_wrong_value(tmp_path, edit):
    save(nested_checkpoint(), tmp_path / "ckpt")
    text = (tmp_path / "ckpt").read_text()
    assert edit(text) != text
    (tmp_path / "ckpt").write_text(edit(text))
    with pytest.raises(SerializationError, match="ckpt: corrupt: its structure"):
        load(tmp_path / "ckpt")


def test_layout_changes_that_keep_the_values_still_load(tmp_path):
    save(nested_checkpoint(), tmp_path / "ckpt")
    document = json.loads((tmp_path / "ckpt").read_text())
    (tmp_path / "ckpt").write_text(json.dumps(document, indent=4, ensure_ascii=False))
    assert_same(load(tmp_path / "ckpt"), nested_checkpoint())


def test_version_1_checkpoints_without_a_structure_digest_still_load(tmp_path):
    path, _, document = saved_checkpoint(tmp_path)
    del document["object_sha256"]
    path.write_text(json.dumps(dict(document, version=1)))
    np.testing.assert_array_equal(load(path)["w"], np.arange(100, dtype=np.float32))


def test_json_nested_200000_deep_in_a_checkpoint_is_named(tmp_path):
    (tmp_path / "ckpt").write_bytes(b'{"format": ' + b"[" * 200_000 + b"]" * 200_000 + b"}")
    with pytest.raises(SerializationError, match="ckpt.*nested too deeply"):
        load(tmp_path / "ckpt")


def test_absurd_shape_in_a_checkpoints_tensor_file_is_named(tmp_path):
    path, tensor_file, document = saved_checkpoint(tmp_path)
    raw = handmade_safetensors(
        {"w": {"dtype": "U8", "shape": [2**32, 2**32], "data_offsets": [0, 0]}}, b""
    )
    tensor_file.write_bytes(raw)
    document.update(sha256=hashlib.sha256(raw).hexdigest(), bytes=len(raw))
    rewrite(path, document)
    with pytest.raises(SerializationError, match=f"{tensor_file.name}.*overflow"):
        load(path)


def test_missing_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        load(tmp_path / "nope")


@pytest.mark.parametrize(
    "content, message",
    [
        (b'{"model": {}}', "not a chainrule checkpoint"),
        (b"\x89PNG....", "not a chainrule checkpoint.*not a JSON"),
        (b'{"format": "chainrule-checkpoint", "version": 99}', "version 99"),
        (b'{"format": "chainrule-checkpoint", "version": 2.0}', "version 2.0"),
        (b'["format"]', "not a chainrule checkpoint"),
    ],
)
def test_foreign_files_are_refused(tmp_path, content, message):
    (tmp_path / "ckpt").write_bytes(content)
    with pytest.raises(SerializationError, match=message):
        load(tmp_path / "ckpt")


def test_a_safetensors_file_is_pointed_to_load_file(tmp_path):
    save_file({"w": np.zeros(2)}, tmp_path / "m.safetensors")
    with pytest.raises(SerializationError, match="load_file"):
        load(tmp_path / "m.safetensors")


@pytest.mark.parametrize(
    "node, message",
    [
        ({"__tensor__": 5}, "names 5"),
        ({"__tensor__": "absent"}, "not in the tensor file"),
        ({"__tensor__": "w", "code": "import os"}, "unexpected entry"),
        ({"__reduce__": ["os.system", ["echo hi"]]}, "unexpected entry"),
        ({"__float__": "1e308"}, "__float__"),
        ({"__dict__": [[1]]}, "pairs"),
        ({"__dict__": [[[1], 2]]}, "not hashable"),
        ({"__tuple__": "abc"}, "list"),
        ({"__numpy_scalar__": "w"}, "shape"),
        ({"__tensor__": "w", "requires_grad": "yes"}, "bool"),
    ],
)
def test_unexpected_structure_is_rejected(tmp_path, node, message):
    path, _, document = saved_checkpoint(tmp_path)
    document["object"] = {"x": [node]}
    rewrite(path, document)
    with pytest.raises(SerializationError, match=f"ckpt: .*{message}"):
        load(path)


@pytest.mark.parametrize("tensor_file", ["../elsewhere.safetensors", "/etc/passwd", ""])
def test_tensor_file_must_sit_beside_the_checkpoint(tmp_path, tensor_file):
    path, _, document = saved_checkpoint(tmp_path)
    document["tensor_file"] = tensor_file
    rewrite(path, document)
    with pytest.raises(SerializationError, match="plain file name"):
        load(path)


def test_nan_literal_and_duplicate_keys_are_rejected(tmp_path):
    path, _, document = saved_checkpoint(tmp_path)
    text = json.dumps(document)
    path.write_text(text.replace('"object": {', '"object": {"a": NaN, '))
    with pytest.raises(SerializationError, match="NaN"):
        load(path)
    path.write_text(text.replace('"object": {', '"object": {"w": 1, '))
    with pytest.raises(SerializationError, match="duplicate"):
        load(path)


@pytest.mark.skipif(not cr.cuda_is_available(), reason="needs CuPy and a GPU")
def test_map_location_cuda(tmp_path):
    save({"w": cr.tensor([1.0, 2.0]), "a": np.ones(2)}, tmp_path / "ckpt")
    loaded = load(tmp_path / "ckpt", map_location="cuda")
    assert loaded["w"].device == "cuda" and isinstance(loaded["a"], np.ndarray)
    save({"w": loaded["w"]}, tmp_path / "ckpt")
    assert load(tmp_path / "ckpt")["w"].device == "cpu"
