"""Where data sets live, how they are fetched, and how a file is proven to be the right one.

The data root is, in order: the ``data_dir`` a dataset is given, else the environment variable
``CHAINRULE_DATA``, else the cache ``~/.cache/chainrule`` (``$XDG_CACHE_HOME/chainrule`` when
that is set). A data set keeps its files under ``<root>/<folder>/`` with their canonical names.

Each file is declared as a ``RemoteFile``: its canonical name, the MD5 of its *uncompressed*
content, and the mirrors it can be downloaded from. Checksumming the uncompressed bytes lets one
declaration accept the canonical ``.gz``, a re-compressed copy of it, and the raw file alike.

``fetch`` downloads with ``urllib`` to a temporary file in the target folder, checks it, and only
then renames it into place, so an interrupted download never leaves a file that looks complete.
"""

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..errors import ChecksumError, DatasetNotFoundError, DownloadError
from .idx import read_bytes

ENV_VAR = "CHAINRULE_DATA"
DOWNLOAD_TIMEOUT_S = 60


@dataclass(frozen=True)
class RemoteFile:
    """One file of a data set: canonical ``name``, ``md5`` of the uncompressed content, mirrors.

    ``mirrors`` are base URLs (ending in ``/``); the file's URL is mirror + name. An ``archive``
    (a ``.tar.gz`` read as it is) is kept compressed and its ``md5`` is that of the file as
    stored, as its publisher gives it.
    """

    name: str
    md5: str
    mirrors: tuple
    archive: bool = False

    @property
    def urls(self):
        return tuple(mirror + self.name for mirror in self.mirrors)

    def candidates(self, folder):
        """The paths the file may have in ``folder``: as named, and uncompressed if gzipped."""
        paths = [Path(folder) / self.name]
        if self.name.endswith(".gz") and not self.archive:
            paths.append(Path(folder) / self.name[: -len(".gz")])
        return paths


def cache_dir():
    """The default data root: ``$XDG_CACHE_HOME/chainrule`` or ``~/.cache/chainrule``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "chainrule"


ROOT_ARGUMENT = "the root argument"


def data_root(data_dir=None):
    """The data root and how it was chosen: ``(path, reason)``; see the module docstring."""
    if data_dir is not None:
        return Path(data_dir), ROOT_ARGUMENT
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]), f"${ENV_VAR}"
    return cache_dir(), f"the default cache (${ENV_VAR} is not set)"


def locate(files, folder, root_reason, download, dataset, alternative=None):
    """The path of each of ``files`` in ``folder``, downloading missing ones if ``download``.

    Raises ``MissingFilesError`` listing every path looked at and how to get the files
    (``alternative``: another file that would do, named at the end).
    """
    found = [_first_existing(f.candidates(folder)) for f in files]
    missing = [f for f, path in zip(files, found) if path is None]
    if missing and download:
        for f in missing:
            found[files.index(f)] = fetch(f, folder)
        missing = []
    if missing:
        raise MissingFilesError(dataset, missing, folder, root_reason, alternative)
    return found


def _first_existing(paths):
    return next((p for p in paths if p.is_file()), None)


class MissingFilesError(DatasetNotFoundError):
    """Files of a data set are in none of the places looked at. The message lists the paths and
    says how to get the files, in a library user's words (``str(error)``: the ``root`` argument,
    ``download=True``) or a program's own (``message("--data-dir", "--download")``)."""

    def __init__(self, dataset, missing, folder, root_reason, alternative=None):
        self.dataset, self.missing, self.folder = dataset, missing, folder
        self.root_reason, self.alternative = root_reason, alternative
        super().__init__(self.message())

    def message(self, root_option=ROOT_ARGUMENT, download_option="download=True"):
        reason = root_option if self.root_reason == ROOT_ARGUMENT else self.root_reason
        looked = "\n".join(f"  {path}" for f in self.missing for path in f.candidates(self.folder))
        urls = "\n".join(f"  {url}" for f in self.missing for url in f.urls[:1])
        return (
            f"{self.dataset}: data files not found. The data root was chosen by "
            f"{reason}; looked for:\n{looked}\n"
            f"To fix: point ${ENV_VAR} (or {root_option}) at a folder holding "
            f"{Path(self.folder).name}/ with these files, or pass {download_option} to fetch "
            f"them from:\n{urls}" + (f"\n(or {self.alternative})" if self.alternative else "")
        )


_verified = {}


def read_verified(path, md5, decompress=True):
    """The uncompressed content of ``path`` after checking its MD5 against ``md5``
    (``decompress=False``: the content and MD5 of the file as stored).

    A file already verified in this process (same size and modification time) is not hashed
    again. A mismatch raises ``ChecksumError`` naming the file.
    """
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    content = read_bytes(path) if decompress else path.read_bytes()
    if _verified.get(key) != md5:
        actual = hashlib.md5(content).hexdigest()
        if actual != md5:
            checked = "uncompressed content" if decompress else "file"
            raise ChecksumError(
                f"{path}: checksum mismatch (MD5 of the {checked} is "
                f"{actual}, expected {md5}); the file is corrupt or truncated — "
                "delete it and download it again"
            )
        _verified[key] = md5
    return content


def fetch(remote, folder):
    """Download ``remote`` into ``folder`` from the first mirror that delivers a good copy.

    Each try streams to a temporary file beside the target, checks its MD5, and renames it into
    place; a failed try leaves nothing behind. Returns the file's path.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / remote.name
    failures = []
    for url in remote.urls:
        try:
            _download_verified(url, target, remote)
            return target
        except (OSError, ValueError, urllib.error.URLError) as error:
            failures.append(f"  {url}: {error}")
    raise DownloadError(
        f"could not download {remote.name} into {folder}; tried:\n" + "\n".join(failures)
    )


def _download_verified(url, target, remote):
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".part"
    )
    try:
        with (
            os.fdopen(handle, "wb") as out,
            urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response,
        ):
            shutil.copyfileobj(response, out)
        read_verified(temporary, remote.md5, decompress=not remote.archive)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise
