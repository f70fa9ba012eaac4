"""reproductions/resnet20_twin.py's PyTorch ResNet-20 is chainrule's network: with chainrule's
weights copied in, the same loss and every parameter's gradient (float64, batch norm in training
mode, option-A shortcuts), and the two trainers stay together over SGD steps on the same
batches."""

import json

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import models
from chainrule.apps import classify
from tests.conftest import assert_gradients_equal_torch
from tests.reproductions.conftest import load_script


@pytest.fixture(scope="module")
def script():
    return load_script("resnet20_twin")


def batch(seed, size=6):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((size, 3, 32, 32)), rng.integers(0, 10, size)


def test_the_twin_gives_chainrules_loss_and_gradients(script, float64):
    cr.manual_seed(0)
    model = models.build("resnet20", (3, 32, 32), 10)
    twin = script.twin_of(model)
    x, y = batch(0)
    loss = cr.functional.cross_entropy(model(cr.as_tensor(x)), cr.as_tensor(y))
    loss.backward()
    expected = torch.nn.functional.cross_entropy(twin(torch.from_numpy(x)), torch.from_numpy(y))
    expected.backward()
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-10)
    assert_gradients_equal_torch(model, twin, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("schedule", ["constant", "cosine", "multistep"])
def test_the_two_trainers_stay_together_on_the_same_batches(script, float64, schedule):
    recipe = {**models.RECIPES["resnet20"], "epochs": 4, "lr_schedule": schedule}
    config = classify.RunConfig(model="resnet20", **recipe)
    cr.manual_seed(1)
    model = models.build("resnet20", (3, 32, 32), 10)
    ours = script.Chainrule(model, config)
    theirs = script.Torch(script.twin_of(model), config)
    for epoch in range(3):
        x, y = batch(epoch + 10)
        np.testing.assert_allclose(ours.step(x, y), theirs.step(x, y), rtol=1e-8)
        for trainer in (ours, theirs):
            if trainer.scheduler is not None:
                trainer.scheduler.step()
        assert ours.optimizer.param_groups[0]["lr"] == pytest.approx(
            theirs.optimizer.param_groups[0]["lr"], rel=1e-12
        )
    x, y = batch(99, 40)
    assert ours.accuracy(x, y) == theirs.accuracy(x, y)
    state = theirs.model.state_dict()
    for name, value in model.state_dict().items():
        np.testing.assert_allclose(
            np.asarray(value.numpy()), state[name].numpy(), rtol=1e-6, atol=1e-9, err_msg=name
        )


def test_each_framework_adds_its_curves_for_the_same_configuration(script, tmp_path):
    path = tmp_path / "twin.json"
    config = {"epochs": 2, "lr_schedule": "cosine"}
    script.save(path, config, {"torch": [{"epoch": 1}]})
    written = script.save(path, config, {"chainrule": [{"epoch": 1}]})
    assert set(written) == {"config", "torch", "chainrule"}
    assert json.loads(path.read_text()) == written
    other = script.save(path, {**config, "epochs": 3}, {"chainrule": [{"epoch": 1}]})
    assert set(other) == {"config", "chainrule"}
