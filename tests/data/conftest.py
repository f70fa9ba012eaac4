"""Where the data tests find real data: ``$CHAINRULE_DATA``, else the mirror beside the repo,
else the default cache.

CI sets ``CHAINRULE_DATA`` to ``../shared/data``; on a machine without it the mirror at
``<repo>/../shared/data`` or ``~/.cache/chainrule`` is used when it holds mnist/, and the MNIST
tests skip otherwise.
"""

import os
from pathlib import Path

import pytest

from chainrule.data import MNIST
from chainrule.data.download import cache_dir

MIRROR_BESIDE_REPO = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_root():
    """The data root holding MNIST, or a skip saying why there is none."""
    if os.environ.get("CHAINRULE_DATA"):
        root = Path(os.environ["CHAINRULE_DATA"])
        if not (root / "mnist").is_dir():
            pytest.skip(f"CHAINRULE_DATA={root} holds no mnist/ folder")
        return str(root)
    for root in (MIRROR_BESIDE_REPO, cache_dir()):
        if (root / "mnist").is_dir():
            return str(root)
    pytest.skip(
        f"CHAINRULE_DATA is not set and neither {MIRROR_BESIDE_REPO} nor the cache "
        f"{cache_dir()} holds mnist/: set CHAINRULE_DATA to the shared data mirror"
    )


@pytest.fixture(scope="session")
def mnist_test(data_root):
    return MNIST(data_root, train=False)


@pytest.fixture(scope="session")
def mnist_train(data_root):
    return MNIST(data_root, train=True)
