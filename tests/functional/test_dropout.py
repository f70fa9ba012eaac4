"""Training-mode dropout: the mask's statistics, its exact gradient, seeding and dtype."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F


def test_gradient_is_the_kept_mask_over_one_minus_p():
    x = cr.tensor(np.random.default_rng(0).uniform(1, 2, (50, 40)), requires_grad=True)
    y = F.dropout(x, 0.3)
    g = np.random.default_rng(1).normal(size=y.shape)
    y.backward(g)
    kept = y.numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, g / 0.7, 0.0), rtol=1e-15)
    np.testing.assert_allclose(y.numpy(), np.where(kept, x.numpy() / 0.7, 0.0), rtol=1e-15)


def test_drop_rate_and_mean_are_preserved_statistically():
    cr.manual_seed(3)
    n = 200_000
    y = F.dropout(cr.ones(n), 0.25).numpy()
    dropped = np.mean(y == 0)
    # Binomial(n, 0.25): standard deviation of the fraction is sqrt(0.25·0.75/n) ≈ 0.001.
    assert abs(dropped - 0.25) < 0.005
    assert abs(y.mean() - 1.0) < 0.01


def test_manual_seed_makes_the_mask_reproducible():
    cr.manual_seed(7)
    first = F.dropout(cr.ones(100), 0.5).numpy()
    cr.manual_seed(7)
    second = F.dropout(cr.ones(100), 0.5).numpy()
    third = F.dropout(cr.ones(100), 0.5).numpy()
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(second, third)


def test_float32_stays_float32():
    x = cr.randn(8, 8, requires_grad=True)
    y = F.dropout(x, 0.5)
    y.backward(np.ones(y.shape, np.float32))
    assert y.dtype == cr.float32 and x.grad.dtype == cr.float32


def test_evaluation_and_p0_are_the_identity_and_p1_gives_zeros():
    x = cr.randn(3, 4)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), np.zeros((3, 4), np.float32))


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_probability_outside_unit_interval_is_an_error(p):
    with pytest.raises(ValueError, match="dropout.*p"):
        F.dropout(cr.randn(2), p)
