"""Helpers for the picture tests: the pixel size of a PNG (read from its header), and a tiny
trained run folder."""

import struct

import pytest

from tests.data.conftest import data_root  # noqa: F401  (the MNIST data root fixture)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path):
    """(width, height) of a PNG file; fails unless the file starts like a valid PNG."""
    with open(path, "rb") as f:
        header = f.read(24)
    assert header[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert header[12:16] == b"IHDR"
    return struct.unpack(">II", header[16:24])


@pytest.fixture
def assert_png():
    """``assert_png(path, figsize)``: a valid PNG of figsize × DPI pixels."""
    from chainrule.viz.figure import DPI

    def check(path, figsize):
        width, height = png_size(path)
        assert (width, height) == (round(figsize[0] * DPI), round(figsize[1] * DPI))

    return check


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, data_root):  # noqa: F811  (the fixture imported above)
    """A run folder as ``chainrule train`` writes it (config.json, checkpoints/last.ckpt) for a
    modern LeNet-5 fitted for one epoch on 512 MNIST digits: quick, and better than chance."""
    import dataclasses
    import json

    import chainrule as cr
    from chainrule import data, models, optim
    from chainrule.apps.classify import RunConfig
    from chainrule.data.mnist import MNIST_MEAN, MNIST_STD
    from chainrule.train import ModelCheckpoint, fit

    directory = tmp_path_factory.mktemp("run")
    config = RunConfig(
        model="lenet5", variant="modern", epochs=1, batch_size=32, data_dir=data_root
    )
    (directory / "config.json").write_text(json.dumps(dataclasses.asdict(config)))
    cr.manual_seed(0)
    mnist = data.MNIST(
        data_root,
        train=True,
        transform=data.transforms.Compose(
            [data.transforms.ToTensor(), data.transforms.Normalize(MNIST_MEAN, MNIST_STD)]
        ),
    )
    model = models.build("lenet5", (1, 28, 28), 10, "modern")
    loader = data.DataLoader(data.Subset(mnist, range(512)), batch_size=32, shuffle=True, seed=0)
    fit(
        model,
        optim.Adam(model.parameters(), lr=3e-3),
        loader,
        1,
        callbacks=[ModelCheckpoint(directory / "checkpoints", monitor="loss")],
    )
    return directory


@pytest.fixture(scope="session")
def trained(tiny_run):
    """``tiny_run`` loaded back by ``apps.runs.load_run`` (model, test images and labels)."""
    from chainrule.apps import runs

    return runs.load_run(tiny_run)
