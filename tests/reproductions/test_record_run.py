"""reproductions/record_run.py records a real run folder of ``chainrule train``: a stopped run
as "stopped after k of E epochs" with no test figure, a finished one with its test figures and
whether they meet the target."""

import json

import numpy as np

from chainrule import cli
from tests.reproductions.conftest import load_script

TINY = ["--limit-train", "600", "--val-size", "500", "--batch-size", "100", "--no-progress"]


def train(data_dir, out, epochs):
    argv = ["train", "mlp", "--data-dir", data_dir, "--epochs", str(epochs), "--out", str(out)]
    assert cli.main([*argv, *TINY]) == 0


def test_a_finished_run_is_recorded_with_its_test_figures(data_dir, tmp_path):
    run = tmp_path / "run"
    train(data_dir, run, 2)
    result = load_script("record_run").record(run, "chainrule train mlp", target=0.0)
    metrics = json.loads((run / "metrics.json").read_text())
    assert result["status"].startswith("finished: 2 epochs")
    assert result["test_accuracy"] == metrics["test_accuracy"]
    assert result["target_met"] is True
    assert [e["epoch"] for e in result["epochs"]] == [1, 2]
    assert result["resume"] == "chainrule train mlp --resume"
    assert result["workers"] == 1


def test_a_stopped_run_is_recorded_without_a_test_figure(data_dir, tmp_path):
    run = tmp_path / "run"
    train(data_dir, run, 2)
    (run / "metrics.json").unlink()  # as a run interrupted before its test measurement
    result = load_script("record_run").record(run, "chainrule train mlp")
    assert result["status"].startswith("stopped after 2 of 2 epochs")
    assert not any(key.startswith("test_") for key in result)
    seconds = [e["seconds"] for e in result["epochs"]]
    assert np.isclose(result["train_seconds"], sum(seconds))
