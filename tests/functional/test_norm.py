"""batch_norm's running statistics and modes, and layer_norm's checks, against PyTorch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import chainrule as cr
import chainrule.functional as F


def test_running_statistics_follow_torch_over_three_training_calls():
    rng = np.random.default_rng(0)
    batches = [rng.normal(2.0, 3.0, (4, 3, 5)) for _ in range(3)]
    mean, var = cr.zeros(3, dtype=cr.float64), cr.ones(3, dtype=cr.float64)
    torch_mean, torch_var = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    for x in batches:
        F.batch_norm(cr.tensor(x), mean, var, training=True, momentum=0.2)
        TF.batch_norm(torch.tensor(x), torch_mean, torch_var, training=True, momentum=0.2)
    np.testing.assert_allclose(mean.numpy(), torch_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(var.numpy(), torch_var.numpy(), rtol=1e-12)


def test_running_var_uses_the_unbiased_variance():
    x = np.array([[1.0], [2.0], [4.0]])
    var = np.zeros(1)
    F.batch_norm(cr.tensor(x), None, var, training=True, momentum=1.0)
    assert var[0] == pytest.approx(np.var(x, ddof=1))


def test_evaluation_normalises_with_the_running_statistics():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 4, 3, 3))
    mean, var = rng.normal(size=4), rng.uniform(0.5, 2.0, 4)
    weight, bias = rng.normal(size=4), rng.normal(size=4)
    ours = F.batch_norm(cr.tensor(x), mean, var, cr.tensor(weight), cr.tensor(bias))
    expected = ((x - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-5)
                * weight[:, None, None] + bias[:, None, None])
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-12)


def test_evaluation_does_not_change_running_statistics():
    mean, var = np.array([0.5, -1.0]), np.array([2.0, 0.5])
    F.batch_norm(cr.tensor(np.ones((3, 2))), mean, var, training=False)
    np.testing.assert_array_equal(mean, [0.5, -1.0])
    np.testing.assert_array_equal(var, [2.0, 0.5])


def test_training_with_one_value_per_channel_is_an_error_naming_the_shape():
    with pytest.raises(ValueError, match=r"batch_norm.*\(1, 3\)"):
        F.batch_norm(cr.randn(1, 3), None, None, training=True)
    with pytest.raises(ValueError):
        TF.batch_norm(torch.randn(1, 3), None, None, training=True)


def test_evaluation_without_running_statistics_is_an_error():
    with pytest.raises(ValueError, match="running_mean"):
        F.batch_norm(cr.randn(4, 3), None, None, training=False)


def test_parameter_of_the_wrong_shape_is_an_error():
    with pytest.raises(ValueError, match=r"weight has shape \(4,\)"):
        F.batch_norm(cr.randn(4, 3), None, None, cr.ones(4), training=True)


def test_float32_stays_float32_forward_and_backward():
    x = cr.randn(4, 3, 5, requires_grad=True)
    weight, bias = cr.ones(3, requires_grad=True), cr.zeros(3, requires_grad=True)
    mean, var = cr.zeros(3), cr.ones(3)
    y = F.batch_norm(x, mean, var, weight, bias, training=True)
    y.backward(np.ones(y.shape, np.float32))
    assert y.dtype == cr.float32 and mean.dtype == cr.float32 and var.dtype == cr.float32
    assert x.grad.dtype == cr.float32 and weight.grad.dtype == cr.float32
    z = F.layer_norm(x.detach(), (5,))
    assert z.dtype == cr.float32


def test_layer_norm_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match=r"layer_norm.*\(4,\).*\(2, 3\)"):
        F.layer_norm(cr.randn(2, 3), (4,))
