"""Every mistake a user can make at the command line: one sentence on stderr naming what was
wrong, exit code 2, no traceback; and no setting that trains the wrong way silently. Each case
runs the real ``chainrule`` (``main``) on tiny data."""

import dataclasses
import json
import re
import shutil
from pathlib import Path

import pytest

from chainrule.apps import char_lm
from chainrule.apps import seq2seq as translation
from chainrule.cli import main

TINY = ["--epochs", "1", "--limit-train", "600", "--val-size", "500", "--batch-size", "100"]
DIVERGES = [*TINY, "--optimizer", "sgd", "--lr", "1e6"]  # the loss is NaN by the third step


@pytest.fixture(scope="module")
def paths(tmp_path_factory, data_dir):
    """The folders and files the cases name: a finished classifier run, the config.json of a
    char-lm and of a seq2seq run, a torn checkpoint, a torn config.json, an empty folder, a
    plain and a binary file."""
    root = tmp_path_factory.mktemp("cli")
    run = root / "run"
    assert main(["train", "mlp", "--data-dir", data_dir, "--out", str(run), *TINY]) == 0
    torn = root / "torn"
    shutil.copytree(run, torn)
    checkpoint = torn / "checkpoints" / "last.ckpt"
    checkpoint.write_bytes(checkpoint.read_bytes()[:300])
    for name, config in (
        ("lm", char_lm.LMConfig()),
        ("s2s", translation.Seq2SeqConfig()),
    ):
        (root / name).mkdir()
        (root / name / "config.json").write_text(json.dumps(dataclasses.asdict(config)))
    (root / "s2s" / "model.safetensors").write_bytes(b"")
    (root / "empty").mkdir()
    (root / "garbled").mkdir()
    (root / "garbled" / "config.json").write_text('{"model": "mlp", ')
    (root / "file.txt").write_text("not an image, not a folder\n")
    (root / "binary").write_bytes(bytes(range(256)) * 40)
    return {
        "run": str(run),
        "torn": str(torn),
        "lm": str(root / "lm"),
        "s2s": str(root / "s2s"),
        "empty": str(root / "empty"),
        "garbled": str(root / "garbled"),
        "file": str(root / "file.txt"),
        "binary": str(root / "binary"),
        "new": str(root / "new"),
        "data": data_dir,
    }


BAD_NUMBERS = [
    ("mlp", "--lr", "-1", "a finite number above 0"),
    ("mlp", "--lr", "nan", "a finite number above 0"),
    ("mlp", "--lr", "inf", "a finite number above 0"),
    ("mlp", "--lr", "fast", "a finite number above 0"),
    ("mlp", "--batch-size", "0", "a whole number above 0"),
    ("mlp", "--epochs", "0", "a whole number above 0"),
    ("mlp", "--epochs", "-1", "a whole number above 0"),
    ("lenet5", "--epochs", "2.5", "a whole number above 0"),
    ("mlp", "--limit-train", "0", "a whole number above 0"),
    ("mlp", "--limit-train", "-5", "a whole number above 0"),
    ("mlp", "--patience", "-1", "a whole number above 0"),
    ("mlp", "--val-size", "-1", "a whole number, 0 or more"),
    ("mlp", "--weight-decay", "-0.1", "a finite number, 0 or more"),
    ("mlp", "--seed", "-1", "a whole number, 0 or more"),
    ("char-lm", "--seq-len", "0", "a whole number above 0"),
    ("char-lm", "--hidden", "0", "a whole number above 0"),
    ("char-lm", "--layers", "0", "a whole number above 0"),
    ("char-lm", "--steps", "0", "a whole number above 0"),
    ("char-lm", "--dropout", "2", "a number from 0 up to (not including) 1"),
    ("char-lm", "--dropout", "1", "a number from 0 up to (not including) 1"),
    ("char-lm", "--clip", "-1", "a finite number above 0"),
    ("char-lm", "--lr", "1e999", "a finite number above 0"),
    ("seq2seq", "--embedding", "0", "a whole number above 0"),
    ("seq2seq", "--max-tokens", "0", "a whole number above 0"),
    ("seq2seq", "--min-freq", "0", "a whole number above 0"),
    ("seq2seq", "--beam", "-1", "a whole number, 0 or more"),
    ("seq2seq", "--clip", "0", "a finite number above 0"),
    ("seq2seq", "--dropout", "-0.5", "a number from 0 up to (not including) 1"),
]


@pytest.mark.parametrize("app, option, value, wanted", BAD_NUMBERS)
def test_a_number_out_of_range_is_a_usage_error_naming_the_option(
    app, option, value, wanted, tmp_path, capsys
):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", app, option, value, "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert f"argument {option}: must be {wanted}, got {value!r}" in err
    assert "Traceback" not in err and not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["sample", "r", "--temperature", "0"], "argument --temperature: must be a finite"),
        (["sample", "r", "--top-k", "0"], "argument --top-k: must be a whole number above 0"),
        (["translate", "r", "Hallo", "--beam", "-2"], "argument --beam: must be a whole"),
        (["viz", "kernels", "--mnist-index", "-1"], "argument --mnist-index: must be a whole"),
        (["viz", "features", "r", "--index", "-1"], "argument --index: must be a whole"),
    ],
)
def test_other_commands_check_their_numbers_too(argv, fragment, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2 and fragment in capsys.readouterr().err


SENTENCES = [
    (
        ["eval", "{lm}"],
        "{lm} is a char-lm run, which chainrule eval cannot read; use chainrule sample with it",
    ),
    (["viz", "filters", "{lm}"], "which chainrule viz filters cannot read; use chainrule sample"),
    (["viz", "errors", "{s2s}"], "{s2s} is a seq2seq run, which chainrule viz errors cannot"),
    (["eval", "{s2s}"], "use chainrule translate with it"),
    (
        ["sample", "{run}"],
        "{run} is a classifier run, which chainrule sample cannot read; "
        "use chainrule eval or chainrule viz with it",
    ),
    (["translate", "{lm}", "Hallo"], "a char-lm run, which chainrule translate cannot read"),
    (["eval", "{empty}"], "{empty} is not a chainrule run folder"),
    (["sample", "{garbled}"], "{garbled}/config.json is not valid JSON"),
    (["eval", "{torn}"], "{torn}/checkpoints/last.ckpt"),
    (
        ["train", "mlp", "--out", "{run}", *TINY],
        "{run} already holds a run; pass --resume to continue it or choose another --out",
    ),
    (["train", "seq2seq", "--out", "{s2s}"], "{s2s} already holds a run; choose another --out"),
    (
        ["train", "mlp", "--out", "{empty}", "--resume"],
        "{empty} holds no checkpoint to resume "
        "from (no {empty}/checkpoints/last.ckpt); leave out --resume",
    ),
    (["train", "mlp", "--out", "{file}"], "--out {file} is a file, not a folder"),
    (
        ["train", "char-lm", "--corpus", "{binary}", "--out", "{new}"],
        "the corpus {binary} is not UTF-8 text",
    ),
    (
        ["train", "char-lm", "--corpus", "{new}/none.txt", "--out", "{new}"],
        "is neither a known corpus",
    ),
    (
        ["train", "mlp", "--data-dir", "{empty}", "--out", "{new}"],
        "point $CHAINRULE_DATA (or --data-dir) at a folder holding mnist/ with these files, or "
        "pass --download to fetch them",
    ),
    (
        ["train", "resnet20", "--data-dir", "{empty}", "--out", "{new}"],
        "point $CHAINRULE_DATA (or --data-dir) at a folder holding cifar10/ with these files, or "
        "pass --download to fetch them",
    ),
    (
        ["train", "mlp", "--data-dir", "{data}", "--val-size", "60000", "--out", "{new}"],
        "val_size must be between 0 and 59999, got 60000: the data set has 60000 training "
        "samples (--val-size N holds out the last N)",
    ),
    (
        ["viz", "kernels", "--mnist-index", "99999", "--data-dir", "{data}"],
        "--mnist-index must be between 0 and 9999, got 99999",
    ),
    (["viz", "kernels", "--image", "{file}"], "{file} is not an image that Pillow can read"),
    (["viz", "kernels", "--image", "{new}/photo.jpg"], "no file at {new}/photo.jpg"),
    (["viz", "kernels", "--image", "{file}.zip:a.png"], "no file at {file}.zip"),
    (
        ["viz", "kernels", "--mnist-index", "3", "--data-dir", "{data}", "--out", "{empty}"],
        "--out {empty} is a folder; give the path of a PNG file",
    ),
    (
        ["train", "mlp", "--data-dir", "{data}", "--out", "{new}", *DIVERGES],
        "the training loss became nan at epoch 1, step 3; training stopped there. "
        "Try a lower learning rate (--lr), or run under chainrule.autograd.detect_anomaly() "
        "(--detect-anomaly)",
    ),
    (
        ["train", "mlp", "--data-dir", "{data}", "--out", "{new}", *DIVERGES, "--detect-anomaly"],
        # NaN or infinite: which one overflows first depends on the BLAS kernel's summation order
        re.compile(
            r"training stopped: detect_anomaly: Linear's forward returned (NaN|infinite) values "
            r"in its output 0 \(shape \(100, 10\)\); try a lower learning rate"
        ),
    ),
]


@pytest.mark.parametrize("argv, fragment", SENTENCES, ids=[" ".join(a[:3]) for a, _ in SENTENCES])
def test_a_mistake_is_one_sentence_and_exit_2(argv, fragment, paths, capsys):
    shutil.rmtree(paths["new"], ignore_errors=True)
    before = _files(paths["run"])
    code = main([arg.format(**paths) for arg in argv])
    err = capsys.readouterr().err
    assert code == 2
    if isinstance(fragment, re.Pattern):
        assert fragment.search(err), err
    else:
        assert fragment.format(**paths) in err
    assert "Traceback" not in err and err.count("chainrule: error:") == 1
    assert _files(paths["run"]) == before  # the finished run is left as it was


def _files(folder):
    return {p: p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}
