"""Tests of chainrule.functional.loss beyond the differential table: stability for logits of
±1000 and probabilities of exactly 0 and 1 (against PyTorch), float32 kept float32, torch's
edge cases, and errors that name the op and the shapes."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import chainrule as cr
import chainrule.functional as F


def loss_and_grad(f, x, *rest, **options):
    """chainrule's loss and its gradient with respect to the first argument."""
    t = cr.tensor(x, requires_grad=True)
    loss = f(t, *[cr.tensor(r) for r in rest], **options)
    loss.backward(np.ones(loss.shape, x.dtype))
    return loss.data, t.grad.data


def torch_loss_and_grad(f, x, *rest, **options):
    t = torch.tensor(x, requires_grad=True)
    loss = f(t, *[torch.tensor(r) for r in rest], **options)
    loss.backward(torch.ones(loss.shape, dtype=t.dtype))
    return loss.detach().numpy(), t.grad.numpy()


def assert_matches_torch(ours, theirs, x, *rest, rtol=1e-6, **options):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, grad = loss_and_grad(ours, x, *rest, **options)
    torch_loss, torch_grad = torch_loss_and_grad(theirs, x, *rest, **options)
    assert np.isfinite(loss).all() and np.isfinite(grad).all()
    np.testing.assert_allclose(loss, torch_loss, rtol=rtol)
    np.testing.assert_allclose(grad, torch_grad, rtol=rtol, atol=1e-12)


LOGITS = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 999.0, 1000.0], [5.0, 1000.0, -3.0]])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_with_huge_logits_matches_torch(dtype, reduction):
    assert_matches_torch(F.cross_entropy, TF.cross_entropy, LOGITS.astype(dtype),
                         np.array([1, 0, 1]), reduction=reduction)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_with_huge_logits_and_smoothing_matches_torch(dtype):
    assert_matches_torch(F.cross_entropy, TF.cross_entropy, LOGITS.astype(dtype),
                         np.array([1, 0, 1]), label_smoothing=0.1)


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_at_1000_matches_torch(dtype, reduction):
    targets = np.array([[1.0, 0.0, 0.3], [0.0, 1.0, 1.0], [0.5, 0.0, 1.0]], dtype)
    assert_matches_torch(F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits,
                         LOGITS.astype(dtype), targets, reduction=reduction)
    pos_weight = np.array([0.5, 2.0, 3.0], dtype)
    ours = lambda x, t: F.binary_cross_entropy_with_logits(  # noqa: E731
        x, t, pos_weight=cr.tensor(pos_weight), reduction=reduction)
    theirs = lambda x, t: TF.binary_cross_entropy_with_logits(  # noqa: E731
        x, t, pos_weight=torch.tensor(pos_weight), reduction=reduction)
    assert_matches_torch(ours, theirs, LOGITS.astype(dtype), targets)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_clamps_its_logs_at_minus_100_like_torch(dtype):
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5], dtype)
    t = np.array([1.0, 0.0, 0.0, 1.0, 1.0], dtype)
    loss, _ = loss_and_grad(F.binary_cross_entropy, p, t, reduction="none")
    torch_loss, torch_grad = torch_loss_and_grad(TF.binary_cross_entropy, p, t, reduction="none")
    np.testing.assert_allclose(loss, torch_loss, rtol=1e-6)
    assert loss[0] == pytest.approx(100.0)
    # the gradient at p = 0 or 1 is (p − t)/ε, huge but finite, as in torch
    interior = slice(4, 5)
    np.testing.assert_allclose(
        loss_and_grad(F.binary_cross_entropy, p, t, reduction="none")[1][interior],
        torch_grad[interior], rtol=1e-6)


def _float32_losses():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    probabilities = rng.uniform(0.1, 0.9, (4, 3)).astype(np.float32)
    targets = rng.uniform(0, 1, (4, 3)).astype(np.float32)
    classes = np.array([0, 2, 1, -100])
    weights = np.array([0.5, 1.0, 2.0], np.float32)
    return {
        "mse_loss": (F.mse_loss, x, targets, {}),
        "binary_cross_entropy": (F.binary_cross_entropy, probabilities, targets, {}),
        "binary_cross_entropy_with_logits": (F.binary_cross_entropy_with_logits, x, targets,
                                             {"pos_weight": cr.tensor(weights)}),
        "cross_entropy": (F.cross_entropy, x, classes,
                          {"weight": cr.tensor(weights), "label_smoothing": 0.1}),
        "nll_loss": (F.nll_loss, x, classes, {"weight": cr.tensor(weights)}),
    }


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", sorted(_float32_losses()))
def test_float32_stays_float32(name, reduction):
    f, x, target, options = _float32_losses()[name]
    loss, grad = loss_and_grad(f, x, target, reduction=reduction, **options)
    assert loss.dtype == np.float32
    assert grad.dtype == np.float32


@pytest.mark.parametrize("op", ["cross_entropy", "nll_loss"])
def test_mean_with_every_target_ignored_is_nan_with_zero_gradient_like_torch(op):
    x = np.random.default_rng(3).standard_normal((3, 4))
    target = np.full(3, -100)
    loss, grad = loss_and_grad(getattr(F, op), x, target)
    torch_loss, torch_grad = torch_loss_and_grad(getattr(TF, op), x, target)
    assert np.isnan(loss) and np.isnan(torch_loss)
    np.testing.assert_array_equal(grad, torch_grad)


def test_cross_entropy_of_a_known_example():
    # uniform scores over C classes: loss log C, gradient (1/C − onehot)/N
    loss, grad = loss_and_grad(F.cross_entropy, np.zeros((2, 4)), np.array([1, 3]))
    assert loss == pytest.approx(np.log(4))
    np.testing.assert_allclose(grad, [[0.125, -0.375, 0.125, 0.125],
                                      [0.125, 0.125, 0.125, -0.375]])


@pytest.mark.parametrize("op", [F.cross_entropy, F.nll_loss])
class TestClassTargetErrors:
    def test_float_target(self, op):
        with pytest.raises(TypeError, match=rf"{op.__name__}: target must hold class indices.*"
                                            r"\(4,\).*\(4, 3\).*float32"):
            op(cr.zeros(4, 3), cr.zeros(4))

    def test_target_shape_mismatch(self, op):
        with pytest.raises(ValueError, match=rf"{op.__name__}: input of shape \(4, 3\) needs a "
                                             r"target of shape \(4,\); got .*\(4, 1\)"):
            op(cr.zeros(4, 3), cr.tensor(np.zeros((4, 1), np.int64)))

    def test_spatial_target_shape_mismatch(self, op):
        with pytest.raises(ValueError, match=r"\(2, 3, 5, 5\).*\(2, 5, 5\).*\(2, 5\)"):
            op(cr.zeros(2, 3, 5, 5), cr.tensor(np.zeros((2, 5), np.int64)))

    def test_class_index_out_of_range(self, op):
        with pytest.raises(IndexError, match=rf"{op.__name__}: target holds class index 3, out "
                                             r"of range for input of shape \(4, 3\) with 3"):
            op(cr.zeros(4, 3), cr.tensor([0, 1, 3, 2]))

    def test_negative_class_index_that_is_not_ignored(self, op):
        with pytest.raises(IndexError, match=r"class index -1"):
            op(cr.zeros(4, 3), cr.tensor([0, 1, -1, 2]))

    def test_weight_of_the_wrong_size(self, op):
        with pytest.raises(ValueError, match=rf"{op.__name__}: weight .* \(3,\); got \(4,\)"):
            op(cr.zeros(4, 3), cr.tensor([0, 1, 2, 2]), weight=cr.ones(4))

    def test_unknown_reduction(self, op):
        with pytest.raises(ValueError, match=rf"{op.__name__}: reduction must be one of"):
            op(cr.zeros(4, 3), cr.tensor([0, 1, 2, 2]), reduction="average")


def test_label_smoothing_out_of_range():
    with pytest.raises(ValueError, match=r"cross_entropy: label_smoothing"):
        F.cross_entropy(cr.zeros(2, 3), cr.tensor([0, 1]), label_smoothing=1.5)


@pytest.mark.parametrize("op", [F.mse_loss, F.binary_cross_entropy,
                                F.binary_cross_entropy_with_logits])
def test_elementwise_losses_reject_mismatched_shapes(op):
    with pytest.raises(ValueError, match=rf"{op.__name__}: target of shape \(4, 1\) must have "
                                         r"the shape of input, \(4, 3\)"):
        op(cr.tensor(np.full((4, 3), 0.5, np.float32)), cr.tensor(np.ones((4, 1), np.float32)))
