"""``chainrule train … --workers 2`` as a user runs it: a real process that relaunches itself
under mpiexec, and its run folder, written once, by rank 0."""

import json
import os
import subprocess
import sys

import pytest

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
