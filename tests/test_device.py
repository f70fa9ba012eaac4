"""chainrule.device and chainrule.accelerator against torch's, and the other places torch code
looks for names: chainrule.utils.data, chainrule.nn.functional, chainrule.nn.init,
chainrule.nn.utils.clip_grad_*."""

import math

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn


@pytest.mark.parametrize("args", [("cpu",), ("cuda",), ("cuda:1",), ("cuda", 0), ("cpu", 0)])
def test_device_has_torchs_type_index_and_name(args):
    ours, theirs = cr.device(*args), torch.device(*args)
    assert (ours.type, ours.index, str(ours)) == (theirs.type, theirs.index, str(theirs))
    assert repr(ours) == repr(theirs)
    assert ours == str(theirs) and cr.device(ours) == ours


@pytest.mark.parametrize(
    "args, message",
    [
        (("gpu",), "expected one of cpu, cuda"),
        (("cuda:x",), "invalid device index"),
        (("cuda:0", 1), "may not be passed as well"),
        (("cuda", -1), "non-negative"),
    ],
)
def test_bad_devices_are_refused_naming_the_problem(args, message):
    with pytest.raises(ValueError, match=message):
        cr.device(*args)


def test_a_device_goes_wherever_a_device_string_goes():
    cpu = cr.device("cpu")
    t = cr.zeros(2, 3, device=cpu).to(cpu)
    model = nn.Linear(3, 2).to(cpu)
    assert t.device == cpu and model.weight.device == cpu
    assert cr.tensor([1.0], device=cpu).to(cpu, cr.float64).dtype == cr.float64
    assert model(t).shape == (2, 2)


def test_accelerator_answers_as_torch_does_without_a_gpu():
    available = cr.cuda_is_available()
    assert cr.accelerator.is_available() == available
    assert cr.accelerator.device_count() == (
        cr.backend.cupy.cuda.runtime.getDeviceCount() if available else 0
    )
    current = cr.accelerator.current_accelerator(check_available=True)
    assert (current == "cuda" and current.type == "cuda") if available else current is None


def test_the_mnist_example_device_choice_runs():
    use_accel = cr.accelerator.is_available()
    device = cr.accelerator.current_accelerator() if use_accel else cr.device("cpu")
    assert cr.ones(2, device=device).device == device.type


def test_utils_data_is_chainrule_data():
    from chainrule.utils.data import (
        DataLoader,
        Dataset,
        Subset,
        TensorDataset,
        random_split,
    )

    assert (DataLoader, Dataset, Subset, TensorDataset, random_split) == (
        cr.data.DataLoader,
        cr.data.Dataset,
        cr.data.Subset,
        cr.data.TensorDataset,
        cr.data.random_split,
    )


def test_nn_functional_is_chainrule_functional():
    import chainrule.nn.functional as F
    from chainrule.nn.functional import relu

    assert F is cr.functional and nn.functional is cr.functional and relu is cr.functional.relu


def test_clip_grad_is_under_nn_utils_as_in_torch():
    assert nn.utils.clip_grad_norm_ is cr.optim.clip_grad_norm_
    assert nn.utils.clip_grad_value_ is cr.optim.clip_grad_value_


# -- nn.init: torch's names, torch's bounds and standard deviations --------------------------

_SHAPE = (256, 128, 3)  # fan_in 384, fan_out 768


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("uniform_", {"a": -0.3, "b": 0.7}),
        ("normal_", {"mean": 0.5, "std": 2.0}),
        ("xavier_uniform_", {"gain": 2.0}),
        ("xavier_normal_", {}),
        ("kaiming_uniform_", {"a": math.sqrt(5)}),
        ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
        ("kaiming_normal_", {"nonlinearity": "relu"}),
        ("kaiming_normal_", {"mode": "fan_out"}),
        ("trunc_normal_", {"std": 0.5, "a": -0.4, "b": 1.0}),
        ("orthogonal_", {"gain": 1.5}),
    ],
)
def test_random_initialisers_draw_torchs_distribution(name, kwargs):
    ours = getattr(nn.init, name)(cr.zeros(*_SHAPE, dtype=cr.float64), **kwargs).numpy()
    theirs = getattr(torch.nn.init, name)(
        torch.zeros(_SHAPE, dtype=torch.float64), **kwargs
    ).numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours.mean(), theirs.mean(), atol=0.02 * theirs.std() + 1e-3)
    np.testing.assert_allclose(ours.std(), theirs.std(), rtol=0.02)
    if "uniform" in name or "trunc" in name:  # bounded: the extremes sit at the bounds
        np.testing.assert_allclose(
            [ours.min(), ours.max()],
            [theirs.min(), theirs.max()],
            rtol=0.01,
            atol=0.01 * theirs.std(),
        )


@pytest.mark.parametrize(
    "name, args",
    [
        ("zeros_", ()),
        ("ones_", ()),
        ("constant_", (0.25,)),
        ("eye_", ()),
    ],
)
def test_constant_initialisers_match_torch(name, args):
    ours = getattr(nn.init, name)(cr.randn(3, 4), *args)
    theirs = getattr(torch.nn.init, name)(torch.randn(3, 4), *args)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_orthogonal_rows_or_columns_are_orthonormal_times_gain():
    for shape in ((3, 5), (6, 2, 2)):
        flat = nn.init.orthogonal_(cr.zeros(*shape, dtype=cr.float64), gain=2.0).numpy()
        flat = flat.reshape(shape[0], -1)
        small = flat @ flat.T if flat.shape[0] < flat.shape[1] else flat.T @ flat
        np.testing.assert_allclose(small, 4.0 * np.eye(len(small)), atol=1e-12)


def test_nn_init_names_are_torchs():
    assert set(nn.init.__all__) <= set(dir(torch.nn.init))
    assert nn.init.calculate_gain("leaky_relu", 0.2) == torch.nn.init.calculate_gain(
        "leaky_relu", 0.2
    )
