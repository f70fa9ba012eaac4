"""chainrule train textcnn: splits, the run folder, resume, and the command line's errors."""

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from chainrule import serialization
from chainrule.apps.common import ConfigError
from chainrule.apps.textcnn import TextCNNConfig, batch_order, split_indices
from chainrule.cli import main

SMALL = ["--embedding-dim", "8", "--maps", "4", "--windows", "2", "3", "--no-progress"]


@pytest.fixture
def sentences(tmp_path):
    """40 sentences: "good" words for label pos, "bad" words for neg, Latin-1 with a \\x85."""
    rng = np.random.default_rng(0)
    good, bad, filler = ["fine", "great", "superb"], ["awful", "dull", "poor"], ["a", "the", "film"]
    lines = []
    for i in range(40):
        label, words = ("pos", good) if i % 2 else ("neg", bad)
        sentence = list(rng.choice(filler, 4)) + [str(rng.choice(words))]
        lines.append(f"{label} {' '.join(sentence)} \x85 !")
    path = tmp_path / "tiny.txt"
    path.write_bytes("\n".join(lines).encode("latin-1"))
    return str(path)


def _train(path, out, *options):
    return main(["train", "textcnn", "--dataset", path, *SMALL, "--out", str(out), *options])


def test_cross_validation_splits_are_disjoint_and_the_test_folds_cover_the_set():
    splits = split_indices((95, None, None), TextCNNConfig(folds=None))
    assert len(splits) == 10
    for split in splits:
        parts = [set(split.train), set(split.dev), set(split.test)]
        assert sum(map(len, parts)) == 95 and len(set.union(*parts)) == 95
        assert len(split.dev) == round(0.1 * (95 - len(split.test)))
    assert sorted(i for s in splits for i in s.test) == list(range(95))
    assert len(split_indices((95, None, None), TextCNNConfig(folds=3))) == 3


def test_a_set_with_a_test_split_holds_out_a_tenth_of_train_only_without_a_dev_set():
    (trec,) = split_indices((100, None, 20), TextCNNConfig())
    assert len(trec.dev) == 10 and set(trec.dev) | set(trec.train) == set(range(100))
    assert trec.test.tolist() == list(range(100, 120))
    (sst,) = split_indices((100, 30, 20), TextCNNConfig())
    assert sst.train.tolist() == list(range(100)) and sst.dev.tolist() == list(range(100, 130))
    with pytest.raises(ConfigError, match="own test split"):
        split_indices((100, 30, 20), TextCNNConfig(dataset="sst2", folds=2))


def test_batch_order_depends_on_seed_split_and_epoch_only():
    first = batch_order(50, 0, 1, 2)
    assert sorted(first) == list(range(50))
    assert np.array_equal(first, batch_order(50, 0, 1, 2))
    assert not np.array_equal(first, batch_order(50, 0, 1, 3))


def test_the_command_trains_each_fold_and_writes_the_run_folder(sentences, tmp_path, capsys):
    run = tmp_path / "run"
    assert _train(sentences, run, "--folds", "2", "--epochs", "3") == 0
    assert "test accuracy" in capsys.readouterr().out
    metrics = json.loads((run / "metrics.json").read_text())
    assert [f["fold"] for f in metrics["folds"]] == [1, 2]
    assert metrics["test_accuracy"] == pytest.approx(
        np.mean([f["test_accuracy"] for f in metrics["folds"]])
    )
    with open(run / "log.csv") as f:
        rows = list(csv.DictReader(f))
    assert [(r["fold"], r["epoch"]) for r in rows] == [(f, e) for f in "12" for e in "123"]
    for fold in metrics["folds"]:  # the reported test accuracy is that of the best dev epoch
        at_best = rows[3 * (fold["fold"] - 1) + fold["best_epoch"] - 1]
        assert float(at_best["test_accuracy"]) == fold["test_accuracy"]
        assert float(at_best["dev_accuracy"]) == max(
            float(r["dev_accuracy"]) for r in rows if int(r["fold"]) == fold["fold"]
        )
    assert (run / "checkpoints" / "fold-2.ckpt").is_file()
    vocab = json.loads((run / "vocab.json").read_text())
    assert vocab["classes"] == ["neg", "pos"] and "superb" in vocab["words"]


def test_a_run_resumed_with_more_epochs_then_more_folds_ends_as_one_trained_straight(
    sentences, tmp_path
):
    assert _train(sentences, tmp_path / "straight", "--folds", "2", "--epochs", "2") == 0
    resumed = tmp_path / "resumed"
    assert _train(sentences, resumed, "--folds", "1", "--epochs", "1") == 0
    assert _train(sentences, resumed, "--folds", "1", "--epochs", "2", "--resume") == 0
    assert _train(sentences, resumed, "--folds", "2", "--epochs", "2", "--resume") == 0
    straight_ckpt, resumed_ckpt = (
        serialization.load(tmp_path / name / "checkpoints" / "last.ckpt")["model"]
        for name in ("straight", "resumed")
    )
    for name, weight in straight_ckpt.items():
        np.testing.assert_array_equal(np.asarray(resumed_ckpt[name]), np.asarray(weight), name)
    straight, again = (
        json.loads((tmp_path / name / "metrics.json").read_text())["folds"]
        for name in ("straight", "resumed")
    )
    assert straight == again


def _command(*options):
    command = [sys.executable, "-m", "chainrule", "train", "textcnn", *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_a_path_that_is_no_file_is_one_usage_error(tmp_path):
    finished = _command("--dataset", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "r"))
    assert finished.returncode == 2
    assert "--dataset: must be one of mr, sst1, sst2, subj, trec or a file" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_a_malformed_file_and_too_many_folds_are_one_sentence_each(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("pos good film\nneg\n")
    finished = _command("--dataset", str(bad), "--out", str(tmp_path / "r"))
    assert finished.returncode == 2
    assert finished.stderr.strip().splitlines() == [
        f"chainrule: error: {bad}: line 2 has no sentence after its label ('neg'); "
        "each line must be 'label sentence'"
    ]
    folds = _command("--dataset", str(bad), "--folds", "11", "--out", str(tmp_path / "r"))
    assert folds.returncode == 2 and "--folds: must be a whole number from 1 to 10" in folds.stderr
