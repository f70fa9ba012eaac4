"""reproductions/textcnn.py's PyTorch twin starts from chainrule's weights and computes the same
function; its max-norm step is chainrule's."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.apps.textcnn import TextCNNConfig, build_model
from chainrule.models.textcnn import max_norm_
from tests.reproductions.conftest import load_script

CONFIG = TextCNNConfig(embedding_dim=10, windows=[2, 4], maps=3, dropout=0.5)


@pytest.fixture(scope="module")
def script():
    return load_script("textcnn")


def test_the_twin_starts_with_chainrules_weights_and_gives_its_logits(script):
    model = build_model(CONFIG, 30, 4).eval()
    twin = script.torch_twin(model, CONFIG, 4).eval()
    ids = np.random.default_rng(0).integers(0, 30, size=(6, 11))
    with cr.no_grad():
        ours = model(cr.tensor(ids)).numpy()
    np.testing.assert_allclose(
        twin(torch.from_numpy(ids)).detach().numpy(), ours, rtol=1e-5, atol=1e-6
    )


def test_the_twins_step_constrains_the_output_rows_as_chainrule_does(script):
    model = build_model(CONFIG, 30, 4)
    model.fc.weight.data[...] = np.arange(24, dtype=np.float32).reshape(4, 6) / 4
    twin = script.torch_twin(model, CONFIG, 4)
    labels = np.array([0, 1, 2, 3], np.int64)
    ids = np.ones((4, 8), np.int64)
    frozen = torch.optim.SGD(twin.parameters(), lr=0.0)  # only the constraint moves weights
    script.torch_epoch(twin, frozen, ids, labels, np.arange(4), CONFIG)
    max_norm_(model.fc.weight, CONFIG.max_norm)
    np.testing.assert_allclose(twin.fc.weight.detach().numpy(), model.fc.weight.numpy(), rtol=1e-6)


def test_the_results_table_and_chart_are_drawn_from_the_results(script, tmp_path, monkeypatch):
    monkeypatch.setattr(script, "RESULTS", str(tmp_path))
    split = {"test_accuracy": 0.9, "seconds": 20.0}
    entry = {"chainrule": 0.906, "torch": 0.922, "splits_run": 1, "epochs": 2}
    entry["splits"] = [{"chainrule": split, "torch": {**split, "seconds": 10.0}}]
    script.write_table({"trec": entry})
    table = (tmp_path / "textcnn.md").read_text()
    assert "| trec | 91.2 | 90.6 | 92.2 | 1 | 2 | 10.0, 5.0 |" in table
    assert (tmp_path / "textcnn.png").stat().st_size > 5000
