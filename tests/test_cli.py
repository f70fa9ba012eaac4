"""The chainrule command end to end on tiny real-data runs, its sub-commands' options and true
defaults, and its error messages."""

import dataclasses
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from chainrule import models
from chainrule.apps import autoencoder, captioner, char_lm, classify, textcnn
from chainrule.apps import detect as detection
from chainrule.apps import seq2seq as translation
from chainrule.apps.common import OPTIMIZERS
from chainrule.cli import main

TINY = [
    "--epochs",
    "1",
    "--limit-train",
    "600",
    "--val-size",
    "500",
    "--batch-size",
    "100",
    "--no-progress",
]


def test_train_writes_a_complete_run_folder_and_eval_reproduces_it(data_dir, tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "mlp",
                "--data-dir",
                data_dir,
                "--optimizer",
                "adam",
                "--lr",
                "0.002",
                "--out",
                str(out),
                *TINY,
            ]
        )
        == 0
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 1 and metrics["seconds"] > 0
    assert metrics["test_accuracy"] > 0.5  # 600 images, one epoch; chance is 0.1
    assert metrics["config"]["optimizer"] == "adam" and metrics["config"]["lr"] == 0.002
    for name in (
        "config.json",
        "log.csv",
        "log.jsonl",
        "curves.png",
        "confusion.csv",
        "checkpoints/last.ckpt",
        "checkpoints/best.ckpt",
    ):
        assert (out / name).is_file(), name
    capsys.readouterr()
    assert main(["eval", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out.splitlines()[0])
    assert printed["test_accuracy"] == metrics["test_accuracy"]


def test_resume_continues_the_run(data_dir, tmp_path):
    out = str(tmp_path / "run")
    assert main(["train", "mlp", "--data-dir", data_dir, "--out", out, *TINY]) == 0
    extended = [a if a != "1" else "2" for a in TINY]  # --epochs 2
    assert main(["train", "mlp", "--data-dir", data_dir, "--out", out, "--resume", *extended]) == 0
    metrics = json.loads(open(os.path.join(out, "metrics.json")).read())
    assert metrics["resumed_from_epoch"] == 1 and metrics["epochs"] == 2
    assert len(open(os.path.join(out, "log.jsonl")).read().splitlines()) == 2


def test_resume_with_other_options_is_refused(data_dir, tmp_path, capsys):
    out = str(tmp_path / "run")
    assert main(["train", "mlp", "--data-dir", data_dir, "--out", out, *TINY]) == 0
    assert (
        main(
            [
                "train",
                "mlp",
                "--data-dir",
                data_dir,
                "--out",
                out,
                "--resume",
                "--optimizer",
                "sgd",
                *TINY,
            ]
        )
        == 2
    )
    assert "optimizer: 'adam' in the run, 'sgd' now" in capsys.readouterr().err


def test_unknown_optimizer_lists_the_valid_ones(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "mlp", "--optimizer", "adamax", "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    for name in ("sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "adamw"):
        assert name in err


def test_unknown_model_lists_the_valid_ones(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "resnet1000", "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "mlp" in capsys.readouterr().err


def test_missing_data_is_a_sentence_naming_the_path(tmp_path, capsys):
    missing = tmp_path / "no-data-here"
    code = main(["train", "mlp", "--data-dir", str(missing), "--out", str(tmp_path / "run"), *TINY])
    err = capsys.readouterr().err
    assert code == 2
    assert str(missing) in err and "Traceback" not in err and "CHAINRULE_DATA" in err


def test_eval_of_a_folder_that_is_no_run(tmp_path, capsys):
    assert main(["eval", str(tmp_path)]) == 2
    assert "not a chainrule run folder" in capsys.readouterr().err


def test_info_runs_as_a_module(data_dir):
    result = subprocess.run(
        [sys.executable, "-m", "chainrule", "info"],
        capture_output=True,
        text=True,
        env={**os.environ, "CHAINRULE_DATA": data_dir},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "numpy" in result.stdout
    listed = dict(line.split() for line in result.stdout.split("\n  ")[1:])
    names = ("mnist", "tinyshakespeare", "c-code", "multi30k", "cifar10", "sentence")
    assert {name: listed.get(name) for name in names} == dict.fromkeys(names, "found")


def test_info_names_what_is_missing(tmp_path, capsys):
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / "t10k-labels-idx1-ubyte").write_bytes(b"")
    assert main(["info", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"mnist            missing 3 of 4 files in {tmp_path / 'mnist'}" in out
    assert f"cifar10          missing: no files in {tmp_path / 'cifar10'}" in out


# -- one sub-command per app: its own options, its true defaults ------------------------------


def _help_defaults(capsys, app):
    """``{option: default text}`` as ``chainrule train APP --help`` prints them."""
    with pytest.raises(SystemExit) as exit_info:
        main(["train", app, "--help"])
    assert exit_info.value.code == 0
    options = capsys.readouterr().out.split("options:\n", 1)[1]
    entries = re.split(r"\n(?=  -)", options)  # one entry per option, help lines joined
    found = {}
    for entry in entries:
        default = re.search(r"\(default: ([^()]*(?:\([^()]*\))?[^()]*)\)$", " ".join(entry.split()))
        if default:
            found[entry.split()[0].rstrip(",")] = default.group(1)  # "--distort, --no-distort"
    return found


def _expected_defaults(app):
    """The config a run of APP gets when no option is given: the oracle for --help."""
    if app == "char-lm":
        config = dataclasses.asdict(char_lm.LMConfig())
    elif app == "seq2seq":
        config = dataclasses.asdict(translation.Seq2SeqConfig())
    else:
        config = dataclasses.asdict(classify.RunConfig(model=app, **models.RECIPES[app]))
    expected = {
        f"--{k.replace('_', '-')}": str(v)
        for k, v in config.items()
        if v is not None and v is not False and k not in ("model", "val_fraction")
    }
    expected["--data-dir"] = "$CHAINRULE_DATA, else ~/.cache/chainrule"
    if config.get("lr", 0) is None:  # the optimiser's standard rate, listed
        expected["--lr"] = "the optimiser's own: " + ", ".join(
            f"{name} {lr:g}" for name, (_, lr) in OPTIMIZERS.items()
        )
    return expected


@pytest.mark.parametrize("app", ["mlp", "lenet5", "resnet18", "char-lm", "seq2seq"])
def test_help_states_each_apps_true_defaults(app, capsys):
    shown = _help_defaults(capsys, app)
    expected = _expected_defaults(app)
    if app == "lenet5":
        expected["--variant"] = "classic"
    assert shown == expected


@pytest.mark.parametrize(
    "app, config",
    [
        ("textcnn", textcnn.TextCNNConfig()),
        ("autoencoder", autoencoder.AutoencoderConfig()),
        ("captioner", captioner.CaptionConfig()),
        ("yolo", detection.DetectConfig()),
    ],
)
def test_help_of_the_applications_states_their_configs_defaults(app, config, capsys):
    shown = _help_defaults(capsys, app)
    fields = {f"--{k.replace('_', '-')}": v for k, v in dataclasses.asdict(config).items()}
    shown.pop("--data-dir")
    assert shown and set(shown) <= set(fields)
    for option, text in shown.items():
        value = fields[option]
        if value is not None:  # None is said in words ("all" folds)
            assert text == str(value)


def test_help_defaults_are_the_recipes_not_the_classifiers(capsys):
    lm_defaults = _help_defaults(capsys, "char-lm")
    assert lm_defaults["--batch-size"] == "64" and lm_defaults["--lr"] == "0.002"
    assert _help_defaults(capsys, "lenet5")["--epochs"] == "20"
    assert _help_defaults(capsys, "mlp")["--epochs"] == "10"


@pytest.mark.parametrize(
    "app, option",
    [
        ("char-lm", ["--weight-decay", "0.1"]),
        ("char-lm", ["--patience", "2"]),
        ("char-lm", ["--distort"]),
        ("char-lm", ["--model", "lstm"]),
        ("mlp", ["--cell", "gru"]),
        ("mlp", ["--variant", "classic"]),
        ("mlp", ["--steps", "3"]),
        ("lenet5", ["--corpus", "c-code"]),
        ("seq2seq", ["--resume"]),
        ("seq2seq", ["--device", "cuda"]),
        ("seq2seq", ["--optimizer", "sgd"]),
    ],
)
def test_an_option_the_app_does_not_take_is_an_error_naming_it(app, option, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", app, *option, "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments" in err and option[0] in err


def test_the_recurrent_cell_is_cell_in_both_recurrent_apps(capsys):
    with pytest.raises(SystemExit):
        main(["train", "seq2seq", "--cell", "rnn", "--out", "x"])
    assert "--cell: invalid choice: 'rnn'" in capsys.readouterr().err


def test_char_lm_trains_on_tinyshakespeare_and_samples(tmp_path, capsys):
    root = os.environ.get("CHAINRULE_DATA")
    if not root or not os.path.isdir(os.path.join(root, "tinyshakespeare")):
        pytest.skip("tinyshakespeare not found (set CHAINRULE_DATA to the data mirror)")
    out = str(tmp_path / "run")
    assert (
        main(
            [
                "train",
                "char-lm",
                "--data-dir",
                root,
                "--cell",
                "gru",
                "--layers",
                "1",
                "--hidden",
                "16",
                "--seq-len",
                "20",
                "--batch-size",
                "8",
                "--steps",
                "20",
                "--epochs",
                "1",
                "--no-progress",
                "--out",
                out,
            ]
        )
        == 0
    )
    metrics = json.loads(open(os.path.join(out, "metrics.json")).read())
    assert metrics["steps"] == 20 and metrics["config"]["cell"] == "gru"
    assert metrics["val_loss"] < np.log(65)  # below a uniform guess over the 65 characters
    capsys.readouterr()
    assert main(["sample", out, "--prime", "ROMEO:", "--length", "30"]) == 0
    assert capsys.readouterr().out.startswith("ROMEO:")
