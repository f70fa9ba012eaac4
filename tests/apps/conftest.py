"""The apps' tests share the picture tests' fixtures: the MNIST data root and a tiny run."""

from tests.viz.conftest import data_root, tiny_run  # noqa: F401  (fixtures)
