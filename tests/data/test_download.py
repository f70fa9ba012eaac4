"""The data root, the not-found message, checksums, and downloading from file:// and http://.

There is no internet here, so mirrors are a local folder (``file://``) and an ``http.server``
on 127.0.0.1 serving a small synthetic IDX file whose MD5 is computed in the test.
"""

import functools
import gzip
import hashlib
import http.server
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from chainrule.data import ChecksumError, DatasetNotFoundError, DownloadError, RemoteFile, data_root
from chainrule.data.download import fetch, locate, read_verified
from chainrule.data.idx import parse_idx

from .test_idx import idx_bytes

CONTENT = idx_bytes(0x08, np.arange(60, dtype=np.uint8).reshape(3, 4, 5))
MD5 = hashlib.md5(CONTENT).hexdigest()


@pytest.fixture
def mirror(tmp_path):
    """A folder holding ``tiny-idx3-ubyte.gz``, and its file:// URL."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    (folder / "tiny-idx3-ubyte.gz").write_bytes(gzip.compress(CONTENT))
    return folder, folder.as_uri() + "/"


@pytest.fixture
def http_mirror(mirror):
    """The same folder served over HTTP on 127.0.0.1 (a free port)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(mirror[0]))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_root_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    assert data_root()[0] == tmp_path / "xdg" / "chainrule"
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "env"))
    assert data_root()[0] == tmp_path / "env"
    assert data_root(tmp_path / "arg")[0] == tmp_path / "arg"


def test_missing_files_list_every_path_and_the_remedies(tmp_path):
    files = [
        RemoteFile("a-idx3-ubyte.gz", MD5, ("https://example.org/d/",)),
        RemoteFile("b-idx1-ubyte.gz", MD5, ("https://example.org/d/",)),
    ]
    folder = tmp_path / "set"
    with pytest.raises(DatasetNotFoundError) as caught:
        locate(files, folder, data_root(tmp_path)[1], download=False, dataset="Tiny")
    message = str(caught.value)
    for name in ("a-idx3-ubyte.gz", "a-idx3-ubyte", "b-idx1-ubyte.gz", "b-idx1-ubyte"):
        assert f"{folder / name}\n" in message + "\n"
    assert "CHAINRULE_DATA" in message and "download=True" in message
    assert "chosen by the root argument" in message
    assert "https://example.org/d/a-idx3-ubyte.gz" in message
    on_the_command_line = caught.value.message("--data-dir", "--download")
    assert "chosen by --data-dir;" in on_the_command_line
    assert "--download" in on_the_command_line and "argument" not in on_the_command_line


def test_locate_prefers_existing_raw_file(tmp_path):
    (tmp_path / "tiny-idx3-ubyte").write_bytes(CONTENT)
    remote = RemoteFile("tiny-idx3-ubyte.gz", MD5, ())
    assert locate([remote], tmp_path, "test", download=False, dataset="Tiny") == [
        tmp_path / "tiny-idx3-ubyte"
    ]


def test_read_verified_accepts_raw_and_gzipped_with_the_same_md5(tmp_path):
    (tmp_path / "raw").write_bytes(CONTENT)
    (tmp_path / "packed.gz").write_bytes(gzip.compress(CONTENT, compresslevel=1))
    assert read_verified(tmp_path / "raw", MD5) == CONTENT
    assert read_verified(tmp_path / "packed.gz", MD5) == CONTENT


def test_read_verified_rejects_a_corrupt_file_by_name(tmp_path):
    damaged = bytearray(CONTENT)
    damaged[-1] ^= 0xFF
    path = tmp_path / "tiny-idx3-ubyte"
    path.write_bytes(bytes(damaged))
    with pytest.raises(ChecksumError, match="tiny-idx3-ubyte.*checksum mismatch"):
        read_verified(path, MD5)


def test_read_verified_notices_a_file_changed_after_it_was_verified(tmp_path):
    path = tmp_path / "tiny"
    path.write_bytes(CONTENT)
    read_verified(path, MD5)
    verified_at = path.stat().st_mtime_ns
    path.write_bytes(CONTENT[:-1] + b"\x07")  # same size: only the time tells it changed
    os.utime(path, ns=(verified_at + 10**9, verified_at + 10**9))
    with pytest.raises(ChecksumError):
        read_verified(path, MD5)


def test_fetch_from_a_file_url(tmp_path, mirror):
    remote = RemoteFile("tiny-idx3-ubyte.gz", MD5, (mirror[1],))
    path = fetch(remote, tmp_path / "cache" / "tiny")
    assert path == tmp_path / "cache" / "tiny" / "tiny-idx3-ubyte.gz"
    np.testing.assert_array_equal(
        parse_idx(read_verified(path, MD5)), np.arange(60).reshape(3, 4, 5)
    )
    assert [p.name for p in path.parent.iterdir()] == ["tiny-idx3-ubyte.gz"]


def test_fetch_over_http_after_a_dead_mirror(tmp_path, http_mirror):
    dead = (tmp_path / "nowhere").as_uri() + "/"
    remote = RemoteFile("tiny-idx3-ubyte.gz", MD5, (dead, http_mirror))
    path = fetch(remote, tmp_path / "cache")
    assert read_verified(path, MD5) == CONTENT


def test_locate_downloads_only_when_asked(tmp_path, mirror):
    remote = RemoteFile("tiny-idx3-ubyte.gz", MD5, (mirror[1],))
    with pytest.raises(DatasetNotFoundError):
        locate([remote], tmp_path / "root", "test", download=False, dataset="Tiny")
    assert locate([remote], tmp_path / "root", "test", download=True, dataset="Tiny") == [
        tmp_path / "root" / "tiny-idx3-ubyte.gz"
    ]


def test_a_bad_download_leaves_nothing_and_says_why(tmp_path, mirror):
    remote = RemoteFile("tiny-idx3-ubyte.gz", "0" * 32, (mirror[1],))
    target = tmp_path / "cache"
    with pytest.raises(DownloadError, match="tiny-idx3-ubyte.gz.*checksum mismatch"):
        fetch(remote, target)
    assert list(target.iterdir()) == []


def test_a_truncated_download_is_rejected(tmp_path, mirror):
    folder, url = mirror
    packed = (folder / "tiny-idx3-ubyte.gz").read_bytes()
    (folder / "tiny-idx3-ubyte.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(DownloadError, match="gzip"):
        fetch(RemoteFile("tiny-idx3-ubyte.gz", MD5, (url,)), tmp_path / "cache")
    assert not Path(tmp_path / "cache" / "tiny-idx3-ubyte.gz").exists()
