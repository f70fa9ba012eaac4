"""Character corpora for language models: tiny-shakespeare, glibc C source, or any text file.

``load_corpus(name_or_path, root=None, download=False)`` returns the corpus as one ``str``:

- ``"tinyshakespeare"``: ``<root>/tinyshakespeare/input.txt``, Karpathy's char-rnn corpus
  (1,115,394 characters, 65 distinct), MD5 6fb458f1232090904fb40fe944165e91;
- ``"c-code"``: ``<root>/c-code/glibc-2.36-string-stdlib-stdio.tar.gz``, glibc 2.36's
  ``string/``, ``stdlib/`` and ``stdio-common/`` folders. The text is every ``.c`` and ``.h``
  member read from the tarball in memory, in sorted path order, decoded as UTF-8 (invalid bytes
  replaced) and joined as they are (each file keeps its own final newline), so the corpus is
  the same on every machine;
- anything else is taken as the path of a UTF-8 text file.

The data root is chosen as for every data set (``download.data_root``); files are checked
against their MD5 (of the uncompressed content) before use. ``split_text`` cuts a corpus into
a contiguous training part (the first 90 %) and validation part (the rest).
"""

import io
import os
import tarfile
from pathlib import Path

from .download import DatasetNotFoundError, RemoteFile, data_root, locate, read_verified

__all__ = ["CORPORA", "load_corpus", "split_text", "c_sources_from_tar"]

TINYSHAKESPEARE = RemoteFile(
    "input.txt",
    "6fb458f1232090904fb40fe944165e91",
    ("https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/",),
)

# MD5 of the uncompressed tar; the .tar.gz itself has SHA256
# f1d1db83c2d650996577b1bce410be2056c6f4c0e0eef31ea5ac9de9b381c05f. The tarball is a subset of
# https://ftp.gnu.org/gnu/glibc/glibc-2.36.tar.xz built for this project: no mirror holds it.
GLIBC_STRING_STDLIB_STDIO = RemoteFile(
    "glibc-2.36-string-stdlib-stdio.tar.gz", "9378609095ef9bab6631d9ffa83ac48d", ()
)

# name -> (folder under the data root, file)
CORPORA = {
    "tinyshakespeare": ("tinyshakespeare", TINYSHAKESPEARE),
    "c-code": ("c-code", GLIBC_STRING_STDLIB_STDIO),
}

C_SUFFIXES = (".c", ".h")


def load_corpus(name_or_path, root=None, download=False):
    """The text of corpus ``name_or_path`` (a key of ``CORPORA`` or a file path) as a str."""
    if name_or_path in CORPORA:
        folder, remote = CORPORA[name_or_path]
        base, reason = data_root(root)
        (path,) = locate([remote], base / folder, reason, download, name_or_path)
        content = read_verified(path, remote.md5)
        if remote is GLIBC_STRING_STDLIB_STDIO:
            return c_sources_from_tar(content)
        return content.decode("utf-8")
    path = Path(name_or_path)
    if not path.is_file():
        raise DatasetNotFoundError(
            f"corpus {os.fspath(name_or_path)!r} is neither a known corpus "
            f"({', '.join(CORPORA)}) nor a file: no file at {path.resolve()}"
        )
    return path.read_text(encoding="utf-8")


def c_sources_from_tar(tar_bytes):
    """The ``.c``/``.h`` members of an (uncompressed) tar, sorted by path, concatenated."""
    with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:") as archive:
        members = sorted(
            (m for m in archive.getmembers() if m.isfile() and m.name.endswith(C_SUFFIXES)),
            key=lambda m: m.name,
        )
        return "".join(
            archive.extractfile(m).read().decode("utf-8", errors="replace") for m in members
        )


def split_text(text, val_fraction=0.1):
    """``(train, val)``: the first ``1 − val_fraction`` of ``text`` and the rest, contiguous."""
    if not 0 < val_fraction < 1:
        raise ValueError(f"split_text: val_fraction must be in (0, 1), got {val_fraction}")
    cut = int(round(len(text) * (1 - val_fraction)))
    return text[:cut], text[cut:]
