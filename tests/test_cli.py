"""The chainrule command end to end on tiny real-MNIST runs, and its error messages."""

import json
import os
import subprocess
import sys

import pytest

from chainrule.cli import main
from tests.train.conftest import mnist_root

TINY = ["--epochs", "1", "--limit-train", "600", "--val-size", "500", "--batch-size", "100",
        "--no-progress"]


@pytest.fixture
def data_dir():
    root = mnist_root()
    if root is None:
        pytest.skip("MNIST not found (set CHAINRULE_DATA to the data mirror)")
    return root


def test_train_writes_a_complete_run_folder_and_eval_reproduces_it(data_dir, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "mlp", "--data-dir", data_dir, "--optimizer", "adam", "--lr", "0.002",
                 "--out", str(out), *TINY]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 1 and metrics["seconds"] > 0
    assert metrics["test_accuracy"] > 0.5  # 600 images, one epoch; chance is 0.1
    assert metrics["config"]["optimizer"] == "adam" and metrics["config"]["lr"] == 0.002
    for name in ("config.json", "log.csv", "log.jsonl", "curves.png", "confusion.csv",
                 "checkpoints/last.ckpt", "checkpoints/best.ckpt"):
        assert (out / name).is_file(), name
    capsys.readouterr()
    assert main(["eval", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out.splitlines()[0])
    assert printed["test_accuracy"] == metrics["test_accuracy"]


def test_resume_continues_the_run(data_dir, tmp_path):
    out = str(tmp_path / "run")
    assert main(["train", "mlp", "--data-dir", data_dir, "--out", out, *TINY]) == 0
    extended = [a if a != "1" else "2" for a in TINY]  # --epochs 2
    assert main(["train", "mlp", "--data-dir", data_dir, "--out", out, "--resume",
                 *extended]) == 0
    metrics = json.loads(open(os.path.join(out, "metrics.json")).read())
    assert metrics["resumed_from_epoch"] == 1 and metrics["epochs"] == 2
    assert len(open(os.path.join(out, "log.jsonl")).read().splitlines()) == 2


def test_resume_with_other_options_is_refused(data_dir, tmp_path, capsys):
    out = str(tmp_path / "run")
    assert main(["train", "mlp", "--data-dir", data_dir, "--out", out, *TINY]) == 0
    assert main(["train", "mlp", "--data-dir", data_dir, "--out", out, "--resume",
                 "--optimizer", "sgd", *TINY]) == 2
    assert "optimizer: 'adam' in the run, 'sgd' now" in capsys.readouterr().err


def test_unknown_optimizer_lists_the_valid_ones(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "mlp", "--optimizer", "adamax", "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    for name in ("sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam",
                 "adamw"):
        assert name in err


def test_unknown_model_lists_the_valid_ones(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "resnet1000", "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "mlp" in capsys.readouterr().err


def test_missing_data_is_a_sentence_naming_the_path(tmp_path, capsys):
    missing = tmp_path / "no-data-here"
    code = main(["train", "mlp", "--data-dir", str(missing), "--out", str(tmp_path / "run"),
                 *TINY])
    err = capsys.readouterr().err
    assert code == 2
    assert str(missing) in err and "Traceback" not in err and "CHAINRULE_DATA" in err


def test_eval_of_a_folder_that_is_no_run(tmp_path, capsys):
    assert main(["eval", str(tmp_path)]) == 2
    assert "not a chainrule run folder" in capsys.readouterr().err


def test_info_runs_as_a_module(data_dir):
    result = subprocess.run([sys.executable, "-m", "chainrule", "info"], capture_output=True,
                            text=True, env={**os.environ, "CHAINRULE_DATA": data_dir},
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "numpy" in result.stdout and "MNIST" in result.stdout and "found" in result.stdout
