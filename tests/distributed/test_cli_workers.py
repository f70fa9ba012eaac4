"""``chainrule train … --workers 2`` as a user runs it: a real process that relaunches itself
under mpiexec, and its run folder, written once, by rank 0. The char-lm's oracle is the same
command with one worker: the two ranks share the parallel streams, so they take the same SGD
steps (float32: 1e-5)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from chainrule.train import checkpoint
from tests.distributed.test_data_parallel import mpi_missing
from tests.train.conftest import mnist_root

pytestmark = [
    pytest.mark.skipif(mpi_missing() is not None, reason=str(mpi_missing())),
    pytest.mark.skipif(mnist_root() is None, reason="MNIST not found (set CHAINRULE_DATA)"),
]


def chainrule(*args):
    env = {**os.environ, "CHAINRULE_DATA": mnist_root()}
    command = [sys.executable, "-m", "chainrule", *map(str, args)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def test_train_with_two_workers_writes_one_run_folder(tmp_path):
    run = tmp_path / "run"
    options = ["--epochs", 1, "--limit-train", 512, "--batch-size", 64, "--no-progress"]
    result = chainrule("train", "mlp", "--workers", 2, *options, "--out", run)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("test accuracy") == 1
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["workers"] == 2 and metrics["epochs"] == 1
    assert len((run / "log.jsonl").read_text().splitlines()) == 1


def test_a_batch_that_does_not_split_into_the_workers_is_one_sentence(tmp_path):
    result = chainrule("train", "mlp", "--workers", 2, "--batch-size", 127, "--out", tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "chainrule: error: --batch-size 127 does not split into 2 equal worker batches; "
        "choose a multiple of --workers"
    ]


def test_char_lm_on_two_workers_takes_the_steps_of_one_process(tmp_path):
    corpus = tmp_path / "corpus.txt"
    rng = np.random.default_rng(0)
    corpus.write_text("".join(rng.choice(list("abcde fgh\n"), 4000)), encoding="utf-8")
    options = ["--corpus", corpus, "--hidden", 16, "--seq-len", 8, "--batch-size", 8]
    options += ["--dropout", 0, "--optimizer", "sgd", "--steps", 6, "--no-progress"]
    for workers, run in ((2, "two"), (1, "one")):
        result = chainrule(
            "train", "char-lm", "--workers", workers, *options, "--out", tmp_path / run
        )
        assert result.returncode == 0, result.stderr
    two = checkpoint.load(tmp_path / "two" / "checkpoints" / "last.ckpt")
    one = checkpoint.load(tmp_path / "one" / "checkpoints" / "last.ckpt")
    assert two["step"] == one["step"] == 6
    for name, value in one["model"].items():
        np.testing.assert_allclose(
            two["model"][name].numpy(), value.numpy(), rtol=0, atol=1e-5, err_msg=name
        )
    assert two["history"][-1]["loss"] == pytest.approx(one["history"][-1]["loss"], abs=1e-5)
