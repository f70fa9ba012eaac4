"""Text corpora: the real files against their published sizes and checksums, the C corpus
built deterministically from a tarball, the 90/10 split, and errors that say what is wrong."""

import hashlib
import io
import os
import tarfile
from pathlib import Path

import pytest

from chainrule.data import ChecksumError, DatasetNotFoundError
from chainrule.data.text import CORPORA, c_sources_from_tar, load_corpus, split_text

MIRROR = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _root_with(folder):
    for root in (os.environ.get("CHAINRULE_DATA"), MIRROR):
        if root and (Path(root) / folder).is_dir():
            return Path(root)
    pytest.skip(f"no data root with {folder}/ (set CHAINRULE_DATA to the data mirror)")


def test_tinyshakespeare_is_karpathys_corpus():
    text = load_corpus("tinyshakespeare", _root_with("tinyshakespeare"))
    assert len(text) == 1_115_394 and len(set(text)) == 65  # char-rnn's published figures
    assert text.startswith("First Citizen:\nBefore we proceed any further, hear me speak.")


def test_c_code_is_the_sorted_c_and_h_files_of_the_glibc_tarball():
    root = _root_with("c-code")
    tarball = root / "c-code" / CORPORA["c-code"][1].name
    sha256 = hashlib.sha256(tarball.read_bytes()).hexdigest()
    listed = (root / "SHA256SUMS").read_text() if (root / "SHA256SUMS").is_file() else ""
    assert f"{sha256}  c-code/{tarball.name}" in listed
    text = load_corpus("c-code", root)
    with tarfile.open(tarball) as archive:  # an independent reading: members in sorted order
        names = sorted(
            m.name for m in archive.getmembers() if m.isfile() and m.name.endswith((".c", ".h"))
        )
        first = archive.extractfile(names[0]).read().decode("utf-8")
        last = archive.extractfile(names[-1]).read().decode("utf-8")
    assert len(names) > 500 and text.startswith(first) and text.endswith(last)
    assert "#include" in text and "Makefile" not in names[0]


def _tar(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, content in members:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def test_c_sources_are_joined_in_path_order_whatever_the_tar_order():
    members = [
        ("g/z.c", b"int z;\n"),
        ("g/Makefile", b"all:\n"),
        ("g/a.h", b"#define A\n"),
        ("g/m.c", b"char m = '\xc3\xa9';\n"),
    ]
    assert c_sources_from_tar(_tar(members)) == "#define A\nchar m = 'é';\nint z;\n"
    assert c_sources_from_tar(_tar(members[::-1])) == c_sources_from_tar(_tar(members))


def test_any_text_file_is_a_corpus(tmp_path):
    path = tmp_path / "poem.txt"
    path.write_text("to be or not to be\n", encoding="utf-8")
    assert load_corpus(str(path)) == "to be or not to be\n"


def test_unknown_corpus_lists_the_known_ones_and_names_the_path(tmp_path):
    with pytest.raises(DatasetNotFoundError) as error:
        load_corpus(str(tmp_path / "missing.txt"))
    message = str(error.value)
    assert "tinyshakespeare, c-code" in message and str(tmp_path / "missing.txt") in message


def test_missing_corpus_file_names_where_it_was_looked_for(tmp_path):
    with pytest.raises(DatasetNotFoundError) as error:
        load_corpus("tinyshakespeare", tmp_path)
    assert str(tmp_path / "tinyshakespeare" / "input.txt") in str(error.value)


def test_a_corrupt_corpus_fails_its_checksum(tmp_path):
    (tmp_path / "tinyshakespeare").mkdir()
    (tmp_path / "tinyshakespeare" / "input.txt").write_text("First Citizen:\n")
    with pytest.raises(ChecksumError, match="checksum mismatch"):
        load_corpus("tinyshakespeare", tmp_path)


def test_split_is_contiguous_ninety_ten():
    text = "".join(chr(65 + i % 26) for i in range(1000))
    train, val = split_text(text)
    assert (len(train), len(val)) == (900, 100) and train + val == text
    with pytest.raises(ValueError, match="val_fraction"):
        split_text(text, 1.0)
