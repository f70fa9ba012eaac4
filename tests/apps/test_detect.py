"""chainrule train yolo and chainrule detect on a few scenes: the run folder, resuming to the
same weights, the pictures, and the errors a user can fix."""

import json

import numpy as np
import pytest
from PIL import Image

from chainrule.cli import main
from chainrule.serialization import load

TINY = ["--train-scenes", "24", "--test-scenes", "6", "--batch-size", "8", "--width", "2"]


def train(data_root, out, *options):
    argv = ["train", "yolo", "--data-dir", data_root, "--out", str(out), *TINY, *options]
    assert main([*argv, "--no-progress"]) == 0


def test_train_writes_a_run_with_test_map(tmp_path, data_root):
    train(data_root, tmp_path / "run", "--epochs", "1")
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert 0.0 <= metrics["test_map50"] <= 1.0 and metrics["epochs"] == 1
    coco = json.loads((tmp_path / "run" / "scenes" / "test.json").read_text())
    assert len(coco["images"]) == 6 and coco["annotations"][0]["bbox"]
    assert len((tmp_path / "run" / "log.jsonl").read_text().splitlines()) == 1


def test_a_resumed_run_ends_with_the_weights_of_an_uninterrupted_one(tmp_path, data_root):
    train(data_root, tmp_path / "straight", "--epochs", "2")
    train(data_root, tmp_path / "resumed", "--epochs", "1")
    train(data_root, tmp_path / "resumed", "--epochs", "2", "--resume")
    straight = load(tmp_path / "straight" / "checkpoints" / "last.ckpt")["model"]
    resumed = load(tmp_path / "resumed" / "checkpoints" / "last.ckpt")["model"]
    assert straight.keys() == resumed.keys()
    for name in straight:
        np.testing.assert_array_equal(np.asarray(resumed[name]), np.asarray(straight[name]))
    log = (tmp_path / "resumed" / "log.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in log] == [1, 2]


@pytest.fixture
def trained(tmp_path_factory, data_root):
    run = tmp_path_factory.mktemp("detect") / "run"
    train(data_root, run, "--epochs", "1")
    return run


def test_detect_draws_a_test_scene(trained, tmp_path, capsys):
    assert main(["detect", str(trained), "--scene", "2", "--out", str(tmp_path / "boxes.png")]) == 0
    assert Image.open(tmp_path / "boxes.png").size == (448, 448)
    for line in capsys.readouterr().out.splitlines():
        label, score, *box = line.split()
        assert 0 <= int(label) <= 9 and 0 <= float(score) <= 1 and len(box) == 4


def test_detect_reads_an_image_file(trained, tmp_path):
    scene = np.load(trained / "scenes" / "test.npy")[0]
    Image.fromarray(scene).save(tmp_path / "scene.png")
    argv = ["detect", str(trained), str(tmp_path / "scene.png"), "--out", str(tmp_path / "b.png")]
    assert main([*argv, "--threshold", "0"]) == 0
    assert Image.open(tmp_path / "b.png").mode == "RGB"


def test_detect_refuses_an_image_of_another_size_in_one_sentence(trained, tmp_path, capsys):
    Image.new("L", (64, 64)).save(tmp_path / "small.png")
    argv = ["detect", str(trained), str(tmp_path / "small.png"), "--out", str(tmp_path / "b.png")]
    assert main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert "112×112" in error and "Traceback" not in error and len(error.splitlines()) == 1


def test_detect_refuses_a_folder_without_a_detector(tmp_path, capsys):
    (tmp_path / "config.json").write_text('{"model": "mlp"}')
    assert main(["detect", str(tmp_path), "--scene", "0", "--out", str(tmp_path / "b.png")]) == 2
    assert "chainrule train yolo" in capsys.readouterr().err


def test_the_options_default_to_the_configs_defaults():
    from chainrule import cli
    from chainrule.apps.detect import DetectConfig

    args = cli._parser().parse_args(["train", "yolo", "--out", "run"])
    assert cli._config(DetectConfig, args) == DetectConfig()
