"""``chainrule viz ...`` end to end: each picture command writes its PNG; errors are sentences."""

import numpy as np
import pytest

from chainrule import cli

from .conftest import png_size


def test_viz_kernels_of_an_mnist_digit(data_root, tmp_path, capsys):
    out = tmp_path / "k.png"
    assert (
        cli.main(
            ["viz", "kernels", "--mnist-index", "3", "--data-dir", data_root, "--out", str(out)]
        )
        == 0
    )
    assert png_size(out)[0] > 0
    assert "MNIST test digit 3" in capsys.readouterr().out


def test_viz_kernels_of_an_image_file(tmp_path):
    image = pytest.importorskip("PIL.Image")
    pixels = np.random.default_rng(0).integers(0, 256, (20, 24, 3), dtype=np.uint8)
    image.fromarray(pixels).save(tmp_path / "photo.png")
    assert (
        cli.main(
            [
                "viz",
                "kernels",
                "--image",
                str(tmp_path / "photo.png"),
                "--out",
                str(tmp_path / "k.png"),
            ]
        )
        == 0
    )
    assert png_size(tmp_path / "k.png")[0] > 0


def test_viz_of_a_run_folder_writes_every_picture(tiny_run, capsys):
    assert cli.main(["viz", "filters", str(tiny_run)]) == 0
    assert cli.main(["viz", "features", str(tiny_run), "--index", "5"]) == 0
    assert cli.main(["viz", "errors", str(tiny_run)]) == 0
    for name in ("filters.png", "features_5.png", "errors.png", "confusion.png"):
        assert png_size(tiny_run / name)[0] > 0
    assert "test images misclassified" in capsys.readouterr().out


def test_viz_errors_are_sentences(tiny_run, tmp_path, capsys):
    assert cli.main(["viz", "features", str(tiny_run), "--index", "10000"]) == 2
    assert "--index must be between 0 and 9999" in capsys.readouterr().err
    assert cli.main(["viz", "filters", str(tmp_path)]) == 2
    assert "not a chainrule run folder" in capsys.readouterr().err
