"""load_run rebuilds the trained model of a run folder with its checkpoint's weights."""

import numpy as np
import pytest

from chainrule.apps import runs
from chainrule.data import MNIST
from chainrule.train import checkpoint


def test_load_run_restores_the_checkpoint_weights_and_the_test_set(tiny_run, data_root):
    trained = runs.load_run(tiny_run)
    saved = checkpoint.load(tiny_run / "checkpoints" / "last.ckpt")["model"]
    state = trained.model.state_dict()
    assert set(state) == set(saved)
    for name, value in saved.items():
        np.testing.assert_array_equal(np.asarray(state[name].data), np.asarray(value))
    assert not trained.model.training
    assert trained.images.shape == (10000, 1, 28, 28) and trained.labels.shape == (10000,)
    np.testing.assert_array_equal(trained.labels, MNIST(data_root, train=False).targets)


def test_a_folder_without_checkpoint_or_config_is_a_clear_error(tiny_run, tmp_path):
    (tmp_path / "config.json").write_bytes((tiny_run / "config.json").read_bytes())
    with pytest.raises(FileNotFoundError, match="no 'last' checkpoint"):
        runs.load_run(tmp_path)
    with pytest.raises(FileNotFoundError, match="not a chainrule run folder"):
        runs.load_run(tmp_path / "elsewhere")
