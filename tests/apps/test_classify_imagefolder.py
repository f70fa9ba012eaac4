"""``chainrule train MODEL --dataset imagefolder:PATH``: a zoo model trained on the user's own
class folders (train/ and test/), read back by ``chainrule eval``, and the layout's mistakes
as one sentence with exit code 2."""

import json

import numpy as np
import pytest
from PIL import Image

from chainrule.apps import classify
from chainrule.cli import EXIT_USAGE, main

SIZE = 12


def _write_split(root, split, counts, seed):
    """Class 'bright' images are light, class 'dark' ones dark: a learnable toy task."""
    rng = np.random.default_rng(seed)
    for name, count in counts.items():
        base = 200 if name == "bright" else 40
        for i in range(count):
            pixels = np.clip(base + rng.normal(0, 20, (SIZE, SIZE, 3)), 0, 255).astype(np.uint8)
            path = root / split / name / f"{i:03d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(pixels).save(path)


@pytest.fixture
def images(tmp_path):
    root = tmp_path / "images"
    _write_split(root, "train", {"bright": 24, "dark": 24}, seed=0)
    _write_split(root, "test", {"bright": 8, "dark": 8}, seed=1)
    return root


def test_splits_are_the_folders_normalised_by_the_training_images(images):
    config = classify.RunConfig(model="resnet20", dataset=f"imagefolder:{images}", val_size=8)
    splits = classify.load_splits(config)
    assert splits.input_shape == (3, SIZE, SIZE) and splits.num_classes == 2
    assert (len(splits.train), len(splits.val), len(splits.test)) == (40, 8, 16)
    train = np.concatenate([splits.train.arrays[0], splits.val.arrays[0]])
    np.testing.assert_allclose(train.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(train.std(axis=(0, 2, 3)), 1, atol=1e-5)
    np.testing.assert_array_equal(splits.test.arrays[1], [0] * 8 + [1] * 8)  # bright, dark
    assert np.bincount(splits.val.arrays[1]).tolist() == [4, 4]  # not the last folder's alone
    assert np.bincount(splits.train.arrays[1]).tolist() == [20, 20]


def test_a_zoo_model_trains_on_the_folders_and_eval_reads_the_run(images, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "resnet20", "--dataset", f"imagefolder:{images}", "--epochs", "2"]
    argv += ["--batch-size", "8", "--val-size", "8", "--lr", "0.05", "--no-progress"]
    assert main([*argv, "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_accuracy"] >= 0.9
    assert json.loads((out / "config.json").read_text())["dataset"] == f"imagefolder:{images}"
    capsys.readouterr()
    assert main(["eval", str(out)]) == 0
    measured = json.loads(capsys.readouterr().out.splitlines()[0])
    assert measured["test_accuracy"] == metrics["test_accuracy"]


def test_layout_mistakes_are_one_sentence(images, tmp_path, capsys):
    (images / "test" / "dark").rename(images / "test" / "night")
    no_test = tmp_path / "no-test"
    _write_split(no_test, "train", {"a": 2, "b": 2}, seed=2)
    cases = [
        (images, "test/ has the classes bright, night but train/ has bright, dark"),
        (no_test, "needs a train/ and a test/ (or val/) folder"),
        (tmp_path / "nowhere", "needs a train/ and a test/ (or val/) folder"),
    ]
    for root, fragment in cases:
        argv = ["train", "resnet20", "--dataset", f"imagefolder:{root}", "--epochs", "1"]
        assert main([*argv, "--out", str(tmp_path / "run")]) == EXIT_USAGE
        err = capsys.readouterr().err.strip()
        assert err.startswith("chainrule: error: ") and fragment in err and "\n" not in err


def test_a_model_that_cannot_take_the_images_says_so(images, tmp_path, capsys):
    argv = ["train", "lenet5", "--dataset", f"imagefolder:{images}", "--val-size", "8"]
    assert main([*argv, "--out", str(tmp_path / "run")]) == EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert err.startswith("chainrule: error: lenet5: needs single-channel") and "\n" not in err
    assert f"(--dataset imagefolder:{images})" in err and not (tmp_path / "run").exists()


def test_an_imagenet_network_trains_on_the_folders_by_its_papers_recipe(images, tmp_path):
    """ResNet-18 with He et al.'s recipe (SGD with momentum, lr 0.1 ÷10 twice, weight decay
    10⁻⁴, crops and flips) on 12×12 images; no validation split unless asked for."""
    out = tmp_path / "run"
    argv = ["train", "resnet18", "--dataset", f"imagefolder:{images}", "--epochs", "2"]
    assert main([*argv, "--batch-size", "16", "--no-progress", "--out", str(out)]) == 0
    config = json.loads((out / "config.json").read_text())
    expected = {"optimizer": "momentum", "lr": 0.1, "lr_schedule": "multistep", "val_size": 0}
    assert {k: config[k] for k in expected} == expected
    assert config["weight_decay"] == 1e-4 and config["distort"] is True
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 2 and 0 <= metrics["test_accuracy"] <= 1


@pytest.mark.parametrize(
    "options, fragment",
    [
        ([], "alexnet cannot take 12×12 images: max_pool2d: kernel (3, 3)"),
        (["--variant", "paper"], "alexnet cannot take 12×12 images"),
        (["--dataset", "mnist"], "alexnet takes colour (3-channel) images; the data set's have 1"),
    ],
)
def test_an_imagenet_network_refuses_images_it_cannot_take(
    images, data_dir, tmp_path, capsys, options, fragment
):
    argv = ["train", "alexnet", *options, "--out", str(tmp_path / "run")]
    if "--dataset" not in options:
        argv += ["--dataset", f"imagefolder:{images}"]
    assert main([*argv, "--data-dir", data_dir, "--limit-train", "8"]) == EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert err.startswith("chainrule: error: ") and fragment in err and "\n" not in err
    assert not (tmp_path / "run").exists()


def test_an_imagenet_network_needs_a_data_set(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["train", "vgg", "--variant", "e-bn", "--out", "run"])
    assert stop.value.code == EXIT_USAGE
    assert "the following arguments are required: --dataset" in capsys.readouterr().err


def test_an_unknown_dataset_names_the_choices(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["train", "resnet20", "--dataset", "imagenet", "--out", "run"])
    assert stop.value.code == EXIT_USAGE
    assert "must be one of cifar10, mnist or imagefolder:PATH, got 'imagenet'" in (
        capsys.readouterr().err
    )
