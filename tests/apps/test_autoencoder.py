"""``chainrule train autoencoder`` on a few hundred real MNIST digits: the run folder, its
pictures, a test MSE that is what the saved model gives, a resume, and the denoising run's
second figure."""

import json

import numpy as np
import pytest
from PIL import Image

from chainrule import data
from chainrule.apps import autoencoder
from chainrule.cli import main
from chainrule.train import checkpoint

TINY = ["--limit-train", "300", "--val-size", "100", "--batch-size", "50", "--no-progress"]


def _train(data_dir, out, *options):
    argv = ["train", "autoencoder", "--data-dir", data_dir, "--out", str(out), *TINY, *options]
    return main(argv)


def _test_mse_by_hand(run):
    """The saved model's reconstruction error on the test digits, computed here with NumPy."""
    config = autoencoder.read_autoencoder_config(run)
    model = autoencoder.build_model(config)
    model.load_state_dict(checkpoint.load(run / "checkpoints" / "last.ckpt")["model"])
    test = data.MNIST(config.data_dir, train=False)
    images = test.data.astype(np.float32)[:, None] / 255
    return float(((autoencoder.reconstruct(model, images) - images) ** 2).mean())


def test_trains_writes_pictures_and_resumes(data_dir, tmp_path, capsys):
    run = tmp_path / "ae"
    assert _train(data_dir, run, "--epochs", "1", "--latent", "2", "--lr", "0.01") == 0
    assert "test reconstruction MSE" in capsys.readouterr().out
    for picture in ("reconstructions.png", "latent.png", "curves.png"):
        assert Image.open(run / picture).size[0] > 100
    first = json.loads((run / "metrics.json").read_text())
    assert first["epochs"] == 1
    assert first["test_mse"] == pytest.approx(_test_mse_by_hand(run), rel=1e-5)
    assert _train(data_dir, run, "--epochs", "3", "--latent", "2", "--lr", "0.01", "--resume") == 0
    resumed = json.loads((run / "metrics.json").read_text())
    assert resumed["resumed_from_epoch"] == 1 and resumed["epochs"] == 3
    assert resumed["test_mse"] < first["test_mse"]


def test_denoising_run_reports_both_errors(data_dir, tmp_path):
    run = tmp_path / "dae"
    options = ["--epochs", "1", "--decoder", "upsample", "--noise", "0.5", "--noise-kind", "mask"]
    assert _train(data_dir, run, *options) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test_denoised_mse"] > 0 and metrics["test_mse"] > 0
    assert metrics["config"]["noise_kind"] == "mask"
    assert not (run / "latent.png").exists()


def test_resume_with_another_decoder_is_one_sentence(data_dir, tmp_path, capsys):
    run = tmp_path / "ae"
    assert _train(data_dir, run, "--epochs", "1") == 0
    assert _train(data_dir, run, "--epochs", "2", "--decoder", "upsample", "--resume") == 2
    error = capsys.readouterr().err
    assert "decoder" in error and "Traceback" not in error
