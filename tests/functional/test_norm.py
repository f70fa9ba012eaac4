"""batch_norm's running statistics and modes, layer_norm's checks, instance_norm's running
statistics, local response normalisation against the formula as Krizhevsky et al. (2012) print it,
and the new ops' errors, against PyTorch."""

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
    expected = (x - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-5) * weight[
        :, None, None
    ] + bias[:, None, None]
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


@pytest.mark.parametrize(
    "op",
    [
        lambda x, w, b: F.group_norm(x, 3, w, b),
        lambda x, w, b: F.instance_norm(x, cr.zeros(3), cr.ones(3), w, b),
        lambda x, w, b: F.local_response_norm(x, 2) * w[:, None] + b[:, None],
    ],
)
def test_new_norms_keep_float32_forward_and_backward(op):
    x = cr.randn(4, 3, 5, requires_grad=True)
    weight, bias = cr.ones(3, requires_grad=True), cr.zeros(3, requires_grad=True)
    y = op(x, weight, bias)
    y.backward(np.ones(y.shape, np.float32))
    assert y.dtype == x.grad.dtype == weight.grad.dtype == bias.grad.dtype == cr.float32


def test_layer_norm_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match=r"layer_norm.*\(4,\).*\(2, 3\)"):
        F.layer_norm(cr.randn(2, 3), (4,))


def test_instance_norm_running_statistics_follow_torch_over_three_calls():
    rng = np.random.default_rng(1)
    mean, var = cr.zeros(3, dtype=cr.float64), cr.ones(3, dtype=cr.float64)
    torch_mean, torch_var = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    for _ in range(3):
        x = rng.normal(1.0, 2.0, (4, 3, 6))
        F.instance_norm(cr.tensor(x), mean, var, momentum=0.2)
        TF.instance_norm(torch.tensor(x), torch_mean, torch_var, momentum=0.2)
    np.testing.assert_allclose(mean.numpy(), torch_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(var.numpy(), torch_var.numpy(), rtol=1e-12)


def _alexnet_lrn(a, n, alpha, beta, k):
    """Krizhevsky et al. (2012), section 3.3, as printed: b_i = a_i / (k + α Σ_j a_j²)^β over
    j = max(0, i − n/2) … min(N − 1, i + n/2), one channel at a time."""
    b = np.empty_like(a)
    channels = a.shape[1]
    for i in range(channels):
        window = range(max(0, i - n // 2), min(channels - 1, i + n // 2) + 1)
        energy = sum(a[:, j] ** 2 for j in window)
        b[:, i] = a[:, i] / (k + alpha * energy) ** beta
    return b


def test_local_response_norm_is_alexnets_with_alpha_divided_by_the_window():
    # the paper's constants: k = 2, n = 5, α = 1e-4, β = 0.75; torch and chainrule take n·α
    a = np.random.default_rng(2).normal(0.0, 30.0, (2, 8, 3, 3))
    ours = F.local_response_norm(cr.tensor(a), 5, alpha=5 * 1e-4, beta=0.75, k=2.0)
    np.testing.assert_allclose(ours.numpy(), _alexnet_lrn(a, 5, 1e-4, 0.75, 2.0), rtol=1e-12)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: F.group_norm(cr.zeros(2, 6, 3), 4),
            r"group_norm: the 6 channels of input of shape \(2, 6, 3\) do not split into "
            r"num_groups=4 equal groups",
        ),
        (
            lambda: F.group_norm(cr.zeros(2, 6, 3), 3, weight=cr.ones(3)),
            r"group_norm: weight has shape \(3,\), expected \(6,\)",
        ),
        (
            lambda: F.instance_norm(cr.zeros(2, 3)),
            r"instance_norm: expected more than 1 spatial element per channel, got input of shape "
            r"\(2, 3\)",
        ),
        (
            lambda: F.instance_norm(cr.zeros(2, 3, 4), cr.zeros(4), cr.ones(4)),
            r"instance_norm: running_mean has shape \(4,\), expected \(3,\)",
        ),
        (
            lambda: F.instance_norm(cr.zeros(2, 3, 4), use_input_stats=False),
            r"instance_norm: running_mean and running_var are required when use_input_stats=False",
        ),
        (
            lambda: F.local_response_norm(cr.zeros(2, 3), 2),
            r"local_response_norm: expected 3-D or higher input \(N, C, ...\), got shape \(2, 3\)",
        ),
    ],
)
def test_normalisation_errors_name_the_op_and_the_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()
