"""The captioning trainer on a few hundred real MNIST scenes: caption ids as written by hand,
the run folder, and held-out figures that are what the saved model's captions give."""

import json

import numpy as np
import pytest

from chainrule.apps import captioner
from chainrule.data.captions import WORDS
from chainrule.train import checkpoint
from tests.train.conftest import mnist_root


@pytest.fixture
def data_dir():
    root = mnist_root()
    if root is None:
        pytest.skip("MNIST not found (set CHAINRULE_DATA to the data mirror)")
    return root


def test_captions_become_padded_ids_between_bos_and_eos():
    ids = captioner.encode_captions(
        [["a", "small", "3"], ["a", "large", "7", "above", "a", "small", "2"]]
    )
    words = [[WORDS[i] for i in column] for column in ids.T]
    assert words[0] == ["<bos>", "a", "small", "3", "<eos>"] + ["<pad>"] * 4
    assert words[1] == ["<bos>", "a", "large", "7", "above", "a", "small", "2", "<eos>"]


def test_trains_and_scores_the_held_out_scenes(data_dir, tmp_path):
    config = captioner.CaptionConfig(
        train_scenes=200, test_scenes=40, epochs=1, attention="additive", data_dir=data_dir
    )
    metrics = captioner.train_captioner(config, str(tmp_path), log=lambda line: None)
    assert (tmp_path / "captions.png").stat().st_size > 1000
    assert json.loads((tmp_path / "metrics.json").read_text())["epoch"] == 1
    model = captioner.build_model(config)
    model.load_state_dict(checkpoint.load(tmp_path / "checkpoints" / "last.ckpt")["model"])
    _, test = captioner.make_corpus(config)
    written = captioner.caption(model, test.images)
    exact = np.mean([w == c for w, c in zip(written, test.captions)])
    assert metrics["exact_match"] == pytest.approx(exact)
    assert 0 <= metrics["bleu"] <= 100 and 0 <= metrics["unseen_exact_match"] <= 1


def test_command_line_trains_a_tiny_run(data_dir, tmp_path, capsys):
    from chainrule.cli import main

    argv = ["train", "captioner", "--train-scenes", "100", "--test-scenes", "20", "--epochs", "1"]
    assert main([*argv, "--data-dir", data_dir, "--out", str(tmp_path / "run")]) == 0
    assert "held-out exact match" in capsys.readouterr().out
    assert (tmp_path / "run" / "checkpoints" / "last.ckpt").is_file()
