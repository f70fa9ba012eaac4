"""What ``chainrule train`` shows and keeps while it runs: a resumed cosine schedule laid out
over the new length, one line per epoch off a terminal and a bar on one, the loss and the
checkpoint choice named, Ctrl-C answered with the resume command; and what the apps and the
Makefile set up around a run."""

import fcntl
import os
import pty
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time

import numpy as np
import pytest
import torch

from chainrule import serialization
from chainrule.apps import char_lm
from chainrule.apps import seq2seq as translation
from chainrule.cli import main

TINY = ["--limit-train", "600", "--val-size", "500", "--batch-size", "100"]
REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _train(data_dir, out, *options):
    argv = ["train", "mlp", "--data-dir", data_dir, "--out", str(out), *TINY, *options]
    assert main(argv) == 0


TORCH_SCHEDULES = {  # the oracle: torch's schedulers as chainrule's LR_SCHEDULES lay them out
    "cosine": lambda optimizer, epochs: torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=epochs
    ),
    "multistep": lambda optimizer, epochs: torch.optim.lr_scheduler.MultiStepLR(
        optimizer, milestones=[epochs // 2, epochs * 3 // 4], gamma=0.1
    ),
}


def _torch_lrs(schedule, lr, epochs):
    """The learning rate of each epoch of a run of ``epochs`` under torch's ``schedule``."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = TORCH_SCHEDULES[schedule](optimizer, epochs)
    lrs = []
    for _ in range(epochs):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


@pytest.mark.parametrize("schedule", ["cosine", "multistep"])
def test_resuming_with_more_epochs_lays_the_schedule_over_the_new_length(
    schedule, data_dir, tmp_path
):
    out = tmp_path / "run"
    options = ["--lr-schedule", schedule, "--lr", "0.01", "--no-progress"]
    _train(data_dir, out, "--epochs", "2", *options)
    _train(data_dir, out, "--epochs", "4", "--resume", *options)
    header, *rows = (out / "log.csv").read_text().splitlines()
    lrs = [float(row.split(",")[header.split(",").index("lr")]) for row in rows]
    expected = _torch_lrs(schedule, 0.01, 2) + _torch_lrs(schedule, 0.01, 4)[2:]
    assert lrs == pytest.approx(expected, abs=1e-12)


def test_a_cosine_run_stopped_and_resumed_longer_ends_as_one_trained_straight(data_dir, tmp_path):
    cosine = ["--lr-schedule", "cosine", "--no-progress"]
    _train(data_dir, tmp_path / "straight", "--epochs", "2", *cosine)
    _train(data_dir, tmp_path / "resumed", "--epochs", "1", *cosine)  # its cosine: 1 epoch
    _train(data_dir, tmp_path / "resumed", "--epochs", "2", "--resume", *cosine)
    straight, resumed = (
        serialization.load(tmp_path / name / "checkpoints" / "last.ckpt")["model"]
        for name in ("straight", "resumed")
    )
    for name, weight in straight.items():
        np.testing.assert_array_equal(np.asarray(resumed[name]), np.asarray(weight), name)


def test_a_char_lm_stopped_and_resumed_longer_ends_as_one_trained_straight(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the quick brown fox jumps over the lazy dog; " * 60)
    options = ["--corpus", str(corpus), "--hidden", "16", "--layers", "1", "--seq-len", "10"]
    options += ["--batch-size", "4", "--lr-schedule", "cosine", "--no-progress"]

    def train(name, *more):
        assert main(["train", "char-lm", *options, "--out", str(tmp_path / name), *more]) == 0

    train("straight", "--epochs", "2")
    train("resumed", "--epochs", "1")
    train("resumed", "--epochs", "2", "--resume")
    straight, resumed = (
        serialization.load(tmp_path / name / "checkpoints" / "last.ckpt")["model"]
        for name in ("straight", "resumed")
    )
    for name, weight in straight.items():
        np.testing.assert_array_equal(np.asarray(resumed[name]), np.asarray(weight), name)


def test_no_progress_prints_one_line_per_epoch(data_dir, tmp_path, capsys):
    _train(data_dir, tmp_path / "run", "--epochs", "2", "--no-progress")
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch 1/2", "epoch 2/2"]
    for line in lines:
        assert all(f" {name} " in line for name in ("loss", "accuracy", "val_loss"))
    assert ", about " in lines[0] and lines[0].endswith(" left")  # the time the rest takes
    assert lines[1].endswith(" s")


def _command(data_dir, out, *options):
    return [
        sys.executable,
        "-m",
        "chainrule",
        "train",
        "mlp",
        "--data-dir",
        data_dir,
        "--out",
        str(out),
        *TINY,
        *options,
    ]


def test_stderr_off_a_terminal_gets_lines_and_on_a_terminal_a_bar(data_dir, tmp_path):
    piped = subprocess.run(
        _command(data_dir, tmp_path / "piped", "--epochs", "1"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr.startswith("epoch 1/1: loss ") and "\r" not in piped.stderr
    leader, follower = pty.openpty()
    rows_columns = struct.pack("HHHH", 24, 120, 0, 0)  # room for the bar
    fcntl.ioctl(follower, termios.TIOCSWINSZ, rows_columns)
    on_terminal = subprocess.run(
        _command(data_dir, tmp_path / "tty", "--epochs", "1"),
        stderr=follower,
        stdout=subprocess.DEVNULL,
        timeout=120,
    )
    os.close(follower)
    shown = _read_all(leader)
    assert on_terminal.returncode == 0
    assert "epoch 1/1: 100%|" in shown and "batch/s" in shown  # tqdm's bar
    assert "epoch 1/1: loss " not in shown


def _read_all(leader):
    """Everything written to a pseudo-terminal whose other end is closed."""
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 1 << 16)
        except OSError:  # EIO: nothing left
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return b"".join(chunks).decode()


def test_the_classic_recipe_says_it_validates_on_nothing_and_names_its_loss(
    data_dir, tmp_path, capsys
):
    out = tmp_path / "classic"
    argv = ["train", "lenet5", "--data-dir", data_dir, "--out", str(out)]
    assert main([*argv, "--limit-train", "200", "--epochs", "1", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "no validation split (--val-size 0): best.ckpt is chosen by training loss" in printed
    assert "test MAP loss " in printed
    modern = tmp_path / "modern"
    argv = ["train", "lenet5", "--variant", "modern", "--data-dir", data_dir, "--out", str(modern)]
    assert main([*argv, *TINY, "--epochs", "1", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "test cross-entropy " in printed and "no validation split" not in printed


def _interruptible(command):
    """``command`` started with Ctrl-C's default action: a test suite run as a background job
    (``cmd &`` in a script) inherits SIGINT ignored, and Python then never raises
    KeyboardInterrupt."""
    return subprocess.Popen(
        command,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def test_ctrl_c_names_the_last_checkpoint_and_the_command_that_resumes(data_dir, tmp_path):
    out = tmp_path / "run"
    command = _command(data_dir, out, "--epochs", "100", "--no-progress")
    process = _interruptible(command)
    checkpoint = out / "checkpoints" / "last.ckpt"
    deadline = time.monotonic() + 120
    while not checkpoint.is_file() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    err = process.communicate(timeout=60)[1]
    assert process.returncode == 130
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert f"chainrule: interrupted; the last checkpoint is {checkpoint}" in err
    resume = shlex.split(err.splitlines()[-1])
    assert resume == ["chainrule", *command[3:], "--resume"]


def test_ctrl_c_before_the_first_checkpoint_says_to_start_again(data_dir, tmp_path):
    out = tmp_path / "run"
    command = _command(data_dir, out, "--epochs", "1", "--no-progress")
    command[command.index("600")] = "5000"  # a first epoch of seconds
    process = _interruptible(command)
    deadline = time.monotonic() + 120
    while not (out / "config.json").is_file() and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    err = process.communicate(timeout=60)[1]
    assert process.returncode == 130, err
    assert err == (
        "chainrule: interrupted; no epoch had finished; run the same command to start again\n"
    )
    assert not (out / "checkpoints").exists()


@pytest.mark.parametrize(
    "train, config",
    [
        (char_lm.train_lm, char_lm.LMConfig(corpus="no-such-corpus")),
        (translation.train_seq2seq, translation.Seq2SeqConfig(data_dir="no-such-root")),
    ],
)
def test_the_recurrent_apps_turn_on_the_malloc_policy_first(train, config, tmp_path, monkeypatch):
    class Called(Exception):
        pass

    def keep_freed_memory():
        raise Called

    monkeypatch.setattr("chainrule.kernels.memory.keep_freed_memory", keep_freed_memory)
    with pytest.raises(Called):
        train(config, str(tmp_path / "run"))


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_installs_only_the_runtime_dependencies(tmp_path):
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(os.path.join(REPOSITORY, name), tmp_path)

    def planned(target):
        return subprocess.run(
            ["make", "-n", target], cwd=tmp_path, capture_output=True, text=True, check=True
        ).stdout

    demo, test = planned("demo"), planned("test")
    assert "pip install --quiet -e .\n" in demo and "[test]" not in demo
    assert ".venv/.installed-runtime" in demo and "--resume" not in demo
    assert "pip install --quiet -e '.[test]'" in test
    (tmp_path / "runs" / "lenet5-classic" / "checkpoints").mkdir(parents=True)
    (tmp_path / "runs" / "lenet5-classic" / "checkpoints" / "last.ckpt").write_bytes(b"")
    assert "--out runs/lenet5-classic --resume" in planned("demo")


def test_viz_kernels_writes_into_a_pictures_folder_named_after_the_image(
    data_dir, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    assert main(["viz", "kernels", "--mnist-index", "7", "--data-dir", data_dir]) == 0
    written = os.path.join("pictures", "kernels", "mnist-test-7.png")
    assert capsys.readouterr().out == f"MNIST test digit 7: classic kernels written to {written}\n"
    assert os.listdir(tmp_path) == ["pictures"]
    assert (tmp_path / written).read_bytes().startswith(b"\x89PNG")
