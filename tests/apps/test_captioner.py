"""The captioning trainer on a few hundred real MNIST scenes: caption ids as written by hand,
the run folder, and held-out figures that are what the saved model's captions give."""

import dataclasses
import json

import numpy as np
import pytest

from chainrule.apps import captioner
from chainrule.data.captions import WORDS
from chainrule.train import checkpoint


def test_captions_become_padded_ids_between_bos_and_eos():
    ids = captioner.encode_captions(
        [["a", "small", "3"], ["a", "large", "7", "above", "a", "small", "2"]]
    )
    words = [[WORDS[i] for i in column] for column in ids.T]
    assert words[0] == ["<bos>", "a", "small", "3", "<eos>"] + ["<pad>"] * 4
    assert words[1] == ["<bos>", "a", "large", "7", "above", "a", "small", "2", "<eos>"]


def test_trains_and_scores_the_held_out_scenes(data_dir, tmp_path):
    config = captioner.CaptionConfig(
        train_scenes=200, test_scenes=40, epochs=1, beam=3, data_dir=data_dir
    )
    metrics = captioner.train_captioner(config, str(tmp_path), log=lambda line: None)
    assert (tmp_path / "captions.png").stat().st_size > 1000
    assert json.loads((tmp_path / "metrics.json").read_text())["epoch"] == 1
    model, saved = captioner.load_captioner(tmp_path)
    assert saved == config
    _, test = captioner.make_corpus(config)
    for prefix, beam in (("", 0), ("beam_", 3)):
        written = captioner.caption(model, test.images, beam)
        exact = np.mean([w == c for w, c in zip(written, test.captions)])
        assert metrics[f"{prefix}exact_match"] == pytest.approx(exact)
    assert 0 <= metrics["bleu"] <= 100 and 0 <= metrics["unseen_exact_match"] <= 1


def test_resume_follows_the_cosine_and_ends_where_a_straight_run_ends(data_dir, tmp_path):
    config = captioner.CaptionConfig(
        train_scenes=64, test_scenes=8, epochs=2, batch_size=32, beam=0, data_dir=data_dir
    )
    straight = captioner.train_captioner(config, str(tmp_path / "a"), log=lambda line: None)
    half = dataclasses.replace(config, epochs=1)
    captioner.train_captioner(half, str(tmp_path / "b"), log=lambda line: None)
    resumed = captioner.train_captioner(
        config, str(tmp_path / "b"), resume=True, log=lambda line: None
    )
    assert resumed["loss"] == straight["loss"]
    again = captioner.train_captioner(
        config, str(tmp_path / "b"), resume=True, log=lambda line: None
    )
    assert again["epoch"] == 2 and again["exact_match"] == resumed["exact_match"]
    saved = checkpoint.load(tmp_path / "b" / "checkpoints" / "last.ckpt")
    expected = checkpoint.load(tmp_path / "a" / "checkpoints" / "last.ckpt")
    for name, value in expected["model"].items():
        np.testing.assert_array_equal(saved["model"][name], value, err_msg=name)


def test_command_line_trains_a_tiny_run(data_dir, tmp_path, capsys):
    from chainrule.cli import main

    argv = ["train", "captioner", "--train-scenes", "100", "--test-scenes", "20", "--epochs", "1"]
    assert main([*argv, "--data-dir", data_dir, "--out", str(tmp_path / "run")]) == 0
    assert "held-out exact match" in capsys.readouterr().out
    assert (tmp_path / "run" / "checkpoints" / "last.ckpt").is_file()


def test_caption_command_writes_what_the_model_writes(data_dir, tmp_path, capsys):
    from PIL import Image

    from chainrule.cli import main

    run = tmp_path / "run"
    argv = ["train", "captioner", "--train-scenes", "64", "--test-scenes", "4", "--epochs", "1"]
    assert main([*argv, "--beam", "0", "--data-dir", data_dir, "--out", str(run)]) == 0
    capsys.readouterr()
    model, config = captioner.load_captioner(run)
    _, test = captioner.make_corpus(config)
    expected = " ".join(captioner.caption(model, test.images[2:3], beam_width=2)[0])
    assert main(["caption", str(run), "--scene", "2", "--beam", "2"]) == 0
    assert capsys.readouterr().out.strip() == expected
    picture = tmp_path / "scene.png"
    Image.fromarray(np.round(test.images[2, 0] * 255).astype(np.uint8)).save(picture)
    assert main(["caption", str(run), str(picture), "--beam", "2"]) == 0
    assert capsys.readouterr().out.strip() == expected


def test_caption_command_refuses_bad_input_in_one_sentence(data_dir, tmp_path, capsys):
    from PIL import Image

    from chainrule.cli import main

    assert main(["caption", str(tmp_path), "--scene", "0"]) == 2
    assert "is not a chainrule run folder" in capsys.readouterr().err
    (tmp_path / "config.json").write_text('{"model": "lenet5"}')
    assert main(["caption", str(tmp_path), "--scene", "0"]) == 2
    assert "holds no trained captioner" in capsys.readouterr().err
    run = tmp_path / "run"
    argv = ["train", "captioner", "--train-scenes", "32", "--test-scenes", "4", "--epochs", "1"]
    assert main([*argv, "--beam", "0", "--data-dir", data_dir, "--out", str(run)]) == 0
    assert main(["caption", str(run), "--scene", "4"]) == 2
    assert "out of range" in capsys.readouterr().err
    small = tmp_path / "small.png"
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(small)
    assert main(["caption", str(run), str(small)]) == 2
    assert "96×96" in capsys.readouterr().err
