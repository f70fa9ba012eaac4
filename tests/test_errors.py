"""chainrule.errors: one family for the errors a user can fix, each keeping its built-in base,
so ``except ChainruleError`` reports them all and older ``except ValueError`` clauses still
work."""

import ast
from pathlib import Path

import pytest

import chainrule
from chainrule import backend, data, errors, serialization
from chainrule.errors import ChainruleError

FAMILY = [
    (errors.DeviceError, RuntimeError, backend.DeviceError),
    (errors.SerializationError, ValueError, serialization.SerializationError),
    (errors.IDXFormatError, ValueError, data.IDXFormatError),
    (errors.DatasetNotFoundError, FileNotFoundError, data.DatasetNotFoundError),
    (errors.ChecksumError, ValueError, data.ChecksumError),
    (errors.DownloadError, OSError, data.DownloadError),
]


@pytest.mark.parametrize("error, builtin, where_it_was", FAMILY)
def test_each_error_is_a_chainrule_error_and_keeps_its_builtin_base(error, builtin, where_it_was):
    assert where_it_was is error  # the names it had still import
    raised = error("model.ckpt: corrupt")
    assert isinstance(raised, ChainruleError) and isinstance(raised, builtin)
    assert str(raised) == "model.ckpt: corrupt"


def test_one_except_clause_reports_errors_from_every_layer(tmp_path):
    caught = []
    for fail in (
        lambda: backend.normalize_device("tpu"),
        lambda: serialization.load_file(write(tmp_path, b"x")),
        lambda: data.read_idx(write(tmp_path, b"\x1f\x8b\x08\x00broken")),
    ):
        with pytest.raises(ChainruleError) as error:
            fail()
        caught.append(type(error.value).__name__)
    assert caught == ["DeviceError", "SerializationError", "IDXFormatError"]


def write(folder, content):
    path = folder / "file.bin"
    path.write_bytes(content)
    return path


def test_errors_module_imports_nothing_from_chainrule():
    """It sits above every layer (docs/architecture.md), so any module may import it."""
    tree = ast.parse(Path(errors.__file__).read_text())
    imports = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert imports == []
    assert chainrule.errors is errors
