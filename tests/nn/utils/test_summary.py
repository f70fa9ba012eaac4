"""nn.utils.parameter_count and summary against PyTorch's parameter counts."""

import torch

import chainrule as cr
from chainrule import nn


def lenet5(lib):
    return lib.nn.Sequential(
        lib.nn.Conv2d(1, 6, 5, padding=2),
        lib.nn.Tanh(),
        lib.nn.AvgPool2d(2),
        lib.nn.Conv2d(6, 16, 5),
        lib.nn.Tanh(),
        lib.nn.AvgPool2d(2),
        lib.nn.Flatten(),
        lib.nn.Linear(400, 120),
        lib.nn.Tanh(),
        lib.nn.Linear(120, 84),
        lib.nn.Tanh(),
        lib.nn.Linear(84, 10),
    )


def torch_count(model, trainable_only=False):
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def test_parameter_counts_equal_torch():
    for make in (
        lambda lib: lib.nn.Linear(784, 256),
        lenet5,
        lambda lib: lib.nn.Sequential(
            lib.nn.Embedding(100, 8), lib.nn.LayerNorm(8), lib.nn.BatchNorm1d(8), lib.nn.PReLU(8)
        ),
    ):
        assert nn.utils.parameter_count(make(cr)) == torch_count(make(torch))
    assert nn.utils.parameter_count(nn.Linear(784, 256)) == 200_960


def test_trainable_only_skips_frozen_parameters():
    ours, theirs = lenet5(cr), lenet5(torch)
    ours[0].requires_grad_(False)
    theirs[0].requires_grad_(False)
    assert nn.utils.parameter_count(ours, trainable_only=True) == torch_count(theirs, True)
    assert nn.utils.parameter_count(ours, trainable_only=True) == torch_count(theirs) - 156


def test_summary_lists_layers_with_their_counts_and_the_total():
    model = lenet5(cr)
    lines = nn.utils.summary(model).splitlines()
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["0"][1:] == ["Conv2d", "156"]
    assert rows["7"][1:] == ["Linear", "48,120"]
    assert set(rows) == {"0", "3", "7", "9", "11", "total"}
    assert rows["total"][1] == f"{torch_count(lenet5(torch)):,}"
