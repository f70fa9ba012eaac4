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
    assert_matches_torch(
        F.cross_entropy,
        TF.cross_entropy,
        LOGITS.astype(dtype),
        np.array([1, 0, 1]),
        reduction=reduction,
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_with_huge_logits_and_smoothing_matches_torch(dtype):
    assert_matches_torch(
        F.cross_entropy,
        TF.cross_entropy,
        LOGITS.astype(dtype),
        np.array([1, 0, 1]),
        label_smoothing=0.1,
    )


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_at_1000_matches_torch(dtype, reduction):
    targets = np.array([[1.0, 0.0, 0.3], [0.0, 1.0, 1.0], [0.5, 0.0, 1.0]], dtype)
    assert_matches_torch(
        F.binary_cross_entropy_with_logits,
        TF.binary_cross_entropy_with_logits,
        LOGITS.astype(dtype),
        targets,
        reduction=reduction,
    )
    pos_weight = np.array([0.5, 2.0, 3.0], dtype)
    ours = lambda x, t: F.binary_cross_entropy_with_logits(  # noqa: E731
        x, t, pos_weight=cr.tensor(pos_weight), reduction=reduction
    )
    theirs = lambda x, t: TF.binary_cross_entropy_with_logits(  # noqa: E731
        x, t, pos_weight=torch.tensor(pos_weight), reduction=reduction
    )
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
        torch_grad[interior],
        rtol=1e-6,
    )


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
        "binary_cross_entropy_with_logits": (
            F.binary_cross_entropy_with_logits,
            x,
            targets,
            {"pos_weight": cr.tensor(weights)},
        ),
        "cross_entropy": (
            F.cross_entropy,
            x,
            classes,
            {"weight": cr.tensor(weights), "label_smoothing": 0.1},
        ),
        "nll_loss": (F.nll_loss, x, classes, {"weight": cr.tensor(weights)}),
        "cross_entropy/probabilities": (
            F.cross_entropy,
            x,
            probabilities / 2,
            {"weight": cr.tensor(weights), "label_smoothing": 0.1},
        ),
        "l1_loss": (F.l1_loss, x, targets, {}),
        "smooth_l1_loss": (F.smooth_l1_loss, x, targets, {"beta": 0.5}),
        "huber_loss": (F.huber_loss, x, targets, {"delta": 0.5}),
        "kl_div": (F.kl_div, np.log(probabilities), targets, {"log_target": True}),
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
    np.testing.assert_allclose(grad, [[0.125, -0.375, 0.125, 0.125], [0.125, 0.125, 0.125, -0.375]])


def test_nll_loss_refuses_a_float_target():
    with pytest.raises(
        TypeError,
        match=r"nll_loss: target must hold class indices.*"
        r"\(4,\).*\(4, 3\).*float32",
    ):
        F.nll_loss(cr.zeros(4, 3), cr.zeros(4))


def test_cross_entropy_probability_target_of_another_shape():
    with pytest.raises(
        ValueError,
        match=r"cross_entropy: a floating target holds class "
        r"probabilities and must have the input's shape "
        r"\(4, 3\); got \(4,\)",
    ):
        F.cross_entropy(cr.zeros(4, 3), cr.zeros(4))


def test_cross_entropy_probability_target_refuses_ignore_index_as_torch():
    with pytest.raises(RuntimeError, match="ignore_index is not supported"):
        TF.cross_entropy(torch.zeros(4, 3), torch.zeros(4, 3), ignore_index=1)
    with pytest.raises(
        ValueError,
        match="cross_entropy: ignore_index is not supported for class-probability targets",
    ):
        F.cross_entropy(cr.zeros(4, 3), cr.zeros(4, 3), ignore_index=1)


def test_cross_entropy_one_hot_probabilities_equal_class_indices():
    x = np.random.default_rng(1).standard_normal((5, 4))
    classes = np.array([0, 3, 1, 1, 2])
    by_index = loss_and_grad(F.cross_entropy, x, classes, label_smoothing=0.1)
    by_probability = loss_and_grad(F.cross_entropy, x, np.eye(4)[classes], label_smoothing=0.1)
    for ours, expected in zip(by_probability, by_index):
        np.testing.assert_allclose(ours, expected, rtol=1e-12)


@pytest.mark.parametrize("op", [F.cross_entropy, F.nll_loss])
class TestClassTargetErrors:
    def test_target_shape_mismatch(self, op):
        with pytest.raises(
            ValueError,
            match=rf"{op.__name__}: input of shape \(4, 3\) needs a "
            r"target of shape \(4,\); got .*\(4, 1\)",
        ):
            op(cr.zeros(4, 3), cr.tensor(np.zeros((4, 1), np.int64)))

    def test_spatial_target_shape_mismatch(self, op):
        with pytest.raises(ValueError, match=r"\(2, 3, 5, 5\).*\(2, 5, 5\).*\(2, 5\)"):
            op(cr.zeros(2, 3, 5, 5), cr.tensor(np.zeros((2, 5), np.int64)))

    def test_class_index_out_of_range(self, op):
        with pytest.raises(
            IndexError,
            match=rf"{op.__name__}: target holds class index 3, out "
            r"of range for input of shape \(4, 3\) with 3",
        ):
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


@pytest.mark.parametrize(
    "op",
    [
        F.mse_loss,
        F.binary_cross_entropy,
        F.binary_cross_entropy_with_logits,
        F.l1_loss,
        F.smooth_l1_loss,
        F.huber_loss,
        F.kl_div,
    ],
)
def test_elementwise_losses_reject_mismatched_shapes(op):
    with pytest.raises(
        ValueError,
        match=rf"{op.__name__}: target of shape \(4, 1\) must have "
        r"the shape of input, \(4, 3\)",
    ):
        op(cr.tensor(np.full((4, 3), 0.5, np.float32)), cr.tensor(np.ones((4, 1), np.float32)))


def test_huber_and_smooth_l1_parameters_are_checked():
    x = cr.zeros(3)
    with pytest.raises(ValueError, match="huber_loss: delta must be positive, got 0"):
        F.huber_loss(x, x, delta=0)
    with pytest.raises(ValueError, match="smooth_l1_loss: beta must be non-negative, got -1"):
        F.smooth_l1_loss(x, x, beta=-1)


def test_smooth_l1_is_huber_over_beta():
    x, t = np.random.default_rng(2).standard_normal((2, 10))
    smooth = F.smooth_l1_loss(cr.tensor(x), cr.tensor(t), beta=0.3, reduction="none")
    huber = F.huber_loss(cr.tensor(x), cr.tensor(t), delta=0.3, reduction="none")
    np.testing.assert_allclose(smooth.numpy(), huber.numpy() / 0.3, rtol=1e-12)


def test_kl_div_of_a_distribution_from_itself_is_zero_and_zero_targets_cost_nothing():
    p = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    with np.errstate(divide="ignore"):
        log_p = np.log(np.where(p > 0, p, 1e-300))
    loss = F.kl_div(cr.tensor(log_p), cr.tensor(p), reduction="batchmean")
    assert loss.item() == pytest.approx(0.0, abs=1e-12)


def test_kl_div_unknown_reduction():
    with pytest.raises(ValueError, match=r"kl_div: reduction must be one of .*batchmean"):
        F.kl_div(cr.zeros(2, 3), cr.zeros(2, 3), reduction="average")


def test_cosine_similarity_dim_out_of_range():
    with pytest.raises(IndexError, match=r"cosine_similarity: dim 2 is out of range"):
        F.cosine_similarity(cr.zeros(2, 3), cr.zeros(2, 3), dim=2)


def test_cosine_similarity_of_a_zero_vector_is_zero_with_gradient_u_over_eps():
    other = np.array([[3.0, 4.0]])
    x = cr.tensor(np.zeros((1, 2)), requires_grad=True)
    cos = F.cosine_similarity(x, cr.tensor(other), eps=1e-8)
    cos.sum().backward()
    assert cos.item() == 0.0
    np.testing.assert_allclose(x.grad.numpy(), other / 5 / 1e-8)


def test_pair_losses_check_their_shapes():
    with pytest.raises(
        ValueError,
        match=r"cosine_embedding_loss: input1 and input2 must share "
        r"one shape, \(N, D\) or \(D,\); got \(3, 4\) and "
        r"\(3, 5\)",
    ):
        F.cosine_embedding_loss(cr.zeros(3, 4), cr.zeros(3, 5), cr.ones(3))
    with pytest.raises(
        ValueError,
        match=r"cosine_embedding_loss: target must have shape "
        r"\(3,\) .*got \(3, 1\)",
    ):
        F.cosine_embedding_loss(cr.zeros(3, 4), cr.zeros(3, 4), cr.ones(3, 1))
    with pytest.raises(
        ValueError,
        match=r"margin_ranking_loss: input1, input2 and target must "
        r"share one shape; got \(3,\), \(3,\) and \(1,\)",
    ):
        F.margin_ranking_loss(cr.zeros(3), cr.zeros(3), cr.ones(1))


@pytest.mark.parametrize(
    "op, arity, keyword",
    [
        ("l1_loss", 2, "size_average"),
        ("l1_loss", 2, "weight"),
        ("smooth_l1_loss", 2, "reduce"),
        ("huber_loss", 2, "weight"),
        ("kl_div", 2, "size_average"),
        ("mse_loss", 2, "weight"),
        ("cross_entropy", 2, "reduce"),
        ("cosine_embedding_loss", 3, "size_average"),
        ("margin_ranking_loss", 3, "reduce"),
    ],
)
def test_a_torch_keyword_chainrule_lacks_is_an_error_naming_it(op, arity, keyword):
    inputs = (cr.zeros(3, 2),) * arity
    with pytest.raises(TypeError, match=keyword):
        getattr(F, op)(*inputs, **{keyword: None})
