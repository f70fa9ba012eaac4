"""chainrule summary (a zoo model's layer table) and chainrule viz deconv, through main()."""

import json

import pytest

from chainrule.cli import main
from chainrule.models import zoo
from chainrule.nn.utils.complexity import layer_table

from .data.conftest import data_root  # noqa: F401  (tiny_run's data root fixture)
from .viz.conftest import png_size, tiny_run  # noqa: F401  (the trained run fixture)


def test_summary_prints_the_table_and_its_totals(capsys):
    assert main(["summary", "resnet20"]) == 0
    lines = capsys.readouterr().out.splitlines()
    model, size = zoo.build("resnet20")
    totals = layer_table(model, size)["totals"]
    assert lines[0].split()[:2] == ["layer", "type"]
    assert lines[-1].split() == [
        "total",
        f"{totals['parameters']:,}",
        f"{totals['multiply_adds']:,}",
    ]
    assert totals["parameters"] == 269_722  # He et al. 2016: ResNet-20, 0.27M


def test_summary_json_at_another_input_size(capsys):
    assert main(["summary", "nin-cifar10", "--input", "3x64x64", "--json", "--depth", "2"]) == 0
    table = json.loads(capsys.readouterr().out)
    model, _ = zoo.build("nin-cifar10")
    assert table == layer_table(model, (3, 64, 64), 2)
    assert max(row["depth"] for row in table["rows"]) == 2


def test_summary_takes_torchvisions_vgg_names(capsys):
    """vgg11 is configuration A, as torchvision names it: the same table, and torchvision's
    parameter count."""
    tables = []
    for name in ("vgg11", "vgg-a"):
        assert main(["summary", name, "--json", "--input", "3x32x32"]) == 0
        tables.append(json.loads(capsys.readouterr().out))
    assert tables[0] == tables[1]
    assert tables[0]["totals"]["parameters"] == 132_863_336  # torchvision.models.vgg11()


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["summary", "resnet7"], "invalid choice: 'resnet7'"),
        (["summary", "vgg-d", "--input", "3x224"], "must be CxHxW"),
        (["summary", "vgg-d", "--input", "0x224x224"], "must be CxHxW"),
        (["summary", "googlenet", "--input", "3x8x8"], "googlenet cannot take a 3×8×8 input"),
    ],
)
def test_summary_mistakes_are_one_sentence_and_exit_2(argv, fragment, capsys):
    try:
        code = main(argv)
    except SystemExit as exit:
        code = exit.code
    assert code == 2
    error = capsys.readouterr().err
    assert fragment in error and "Traceback" not in error


def test_viz_deconv_of_a_trained_run(tiny_run, tmp_path, capsys):  # noqa: F811
    out = tmp_path / "deconv.png"
    argv = ["viz", "deconv", str(tiny_run), "--layer", "c3", "--features", "3", "--images", "100"]
    assert main([*argv, "--out", str(out)]) == 0
    assert "top-9 projections of 3 feature maps of c3" in capsys.readouterr().out
    width, height = png_size(out)
    assert width > 600 and height > 150


def test_viz_deconv_of_a_layer_it_cannot_project_names_it(tiny_run, capsys):  # noqa: F811
    assert main(["viz", "deconv", str(tiny_run), "--layer", "f6", "--images", "10"]) == 2
    assert "projects through Conv2d, ReLU and MaxPool2d only" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, distort",
    [
        (["train", "resnet20"], True),  # He et al. 2016 train with crops and flips
        (["train", "resnet20", "--no-distort"], False),
        (["train", "nin"], False),
        (["train", "lenet5"], False),
        (["train", "lenet5", "--distort"], True),
    ],
)
def test_distort_defaults_to_the_models_recipe(argv, distort):
    from chainrule.cli import _parser

    assert _parser().parse_args([*argv, "--out", "run"]).distort is distort


@pytest.mark.parametrize(
    "options, expected",
    [
        ([], dict(variant="cifar10", dataset="cifar10", epochs=100, lr_schedule="multistep")),
        (["--variant", "mnist"], dict(dataset="mnist", epochs=20, lr_schedule="cosine")),
        (["--variant", "mnist", "--epochs", "3"], dict(dataset="mnist", epochs=3)),
        (["--variant", "mnist", "--lr-schedule", "constant"], dict(lr_schedule="constant")),
    ],
)
def test_each_nin_form_trains_by_its_own_recipe_unless_told_otherwise(options, expected):
    from chainrule import models
    from chainrule.cli import _classifier_config, _parser

    config = _classifier_config(_parser().parse_args(["train", "nin", *options, "--out", "run"]))
    assert {key: getattr(config, key) for key in expected} == expected
    assert config.optimizer == models.RECIPES["nin"]["optimizer"] == "adam"


def test_the_help_of_a_recipe_that_differs_by_variant_gives_each_default(capsys):
    with pytest.raises(SystemExit):
        main(["train", "nin", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "epochs in all (default: 100 with --variant cifar10, 20 with --variant mnist)" in out
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "(nin) on CIFAR-10 or MNIST by --variant" in " ".join(capsys.readouterr().out.split())


def test_train_help_names_the_recipes_data_set(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "an image classifier (resnet20) on CIFAR-10" in out
    assert "an image classifier (lenet5) on MNIST" in out
