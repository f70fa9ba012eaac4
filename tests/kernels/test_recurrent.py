"""chainrule.kernels.recurrent against the step-by-step references of
chainrule.functional.recurrent, forward and backward, float64, on shapes that take every path of
the kernels: one step at batch 1 (the LSTM scales its pre-activations, not its weights), fewer
than 8 steps (plain per-step products), 8 or more steps too small to tile, and batch 32 with
hidden sizes whose per-step products are tiled (in one block of K, and in two); odd hidden
sizes, each bias present or absent, and the LSTM's projection."""

import numpy as np
import pytest

from chainrule.functional import recurrent as reference
from chainrule.kernels import recurrent as kernels
from chainrule.kernels.recurrent import StepProduct

TOLERANCE = dict(rtol=1e-10, atol=1e-12)

SHAPES = [  # steps, batch, inputs, hidden
    pytest.param(1, 1, 3, 5, id="one-step-batch1"),
    pytest.param(5, 3, 4, 7, id="short-odd"),
    pytest.param(9, 2, 3, 5, id="long-untiled"),
    pytest.param(8, 32, 5, 96, id="tiled"),
    pytest.param(8, 32, 3, 352, id="tiled-in-blocks"),
]
BIASES = ["both", "none", "ih-only", "hh-only"]


def _weights(rng, gates, inputs, hidden, biases, state=None):
    """w_ih, w_hh, b_ih, b_hh for ``gates`` gates; w_hh multiplies a state of size ``state``."""
    rows = gates * hidden
    w_ih = rng.normal(scale=0.5, size=(rows, inputs))
    w_hh = rng.normal(scale=0.5 / np.sqrt(hidden), size=(rows, state or hidden))
    b_ih = rng.normal(size=rows) if biases in ("both", "ih-only") else None
    b_hh = rng.normal(size=rows) if biases in ("both", "hh-only") else None
    return w_ih, w_hh, b_ih, b_hh


def _assert_all_close(ours, theirs, names):
    assert len(ours) == len(theirs) == len(names)
    for a, b, name in zip(ours, theirs, names):
        if b is None:
            assert a is None, name
            continue
        assert a.shape == b.shape, name
        np.testing.assert_allclose(a, b, err_msg=name, **TOLERANCE)


@pytest.mark.parametrize("biases", BIASES)
@pytest.mark.parametrize("steps, batch, inputs, hidden", SHAPES)
def test_lstm_kernel_matches_reference(steps, batch, inputs, hidden, biases):
    rng = np.random.default_rng(hidden + steps)
    x = rng.normal(size=(steps, batch, inputs))
    h0, c0 = rng.normal(size=(2, batch, hidden))
    weights = _weights(rng, 4, inputs, hidden, biases)
    forward = kernels.lstm_forward(x, h0, c0, *weights)
    _assert_all_close(
        forward, reference.lstm_reference(x, h0, c0, *weights), ["gates", "hs", "cs", "tanh_cs"]
    )
    gates, _, cs, tanh_cs = forward
    g_out, g_h, g_c = rng.normal(size=(steps, batch, hidden)), *rng.normal(size=(2, batch, hidden))
    backward = (weights[1], gates, cs, tanh_cs, g_out, g_h, g_c)
    _assert_all_close(
        kernels.lstm_backward(*backward),
        reference.lstm_reference_backward(*backward),
        ["dA", "dh0", "dc0", "dw_hr"],
    )


@pytest.mark.parametrize(
    "steps, batch, inputs, hidden, proj", [(1, 1, 3, 5, 2), (5, 3, 4, 7, 3), (9, 32, 3, 96, 33)]
)
def test_lstm_kernel_with_projection_matches_reference(steps, batch, inputs, hidden, proj):
    rng = np.random.default_rng(steps)
    x = rng.normal(size=(steps, batch, inputs))
    h0, c0 = rng.normal(size=(batch, proj)), rng.normal(size=(batch, hidden))
    weights = (
        *_weights(rng, 4, inputs, hidden, "both", state=proj),
        rng.normal(scale=0.5, size=(proj, hidden)),
    )
    forward = kernels.lstm_forward(x, h0, c0, *weights)
    _assert_all_close(
        forward, reference.lstm_reference(x, h0, c0, *weights), ["gates", "hs", "cs", "tanh_cs"]
    )
    gates, hs, cs, tanh_cs = forward
    assert hs.shape == (steps + 1, batch, proj)
    g_out, g_h = rng.normal(size=(steps, batch, proj)), rng.normal(size=(batch, proj))
    backward = (
        weights[1],
        gates,
        cs,
        tanh_cs,
        g_out,
        g_h,
        rng.normal(size=(batch, hidden)),
        weights[4],
    )
    _assert_all_close(
        kernels.lstm_backward(*backward),
        reference.lstm_reference_backward(*backward),
        ["dA", "dh0", "dc0", "dw_hr"],
    )


@pytest.mark.parametrize("biases", BIASES)
@pytest.mark.parametrize("steps, batch, inputs, hidden", SHAPES)
def test_gru_kernel_matches_reference(steps, batch, inputs, hidden, biases):
    rng = np.random.default_rng(hidden + steps)
    x, h0 = rng.normal(size=(steps, batch, inputs)), rng.normal(size=(batch, hidden))
    weights = _weights(rng, 3, inputs, hidden, biases)
    forward = kernels.gru_forward(x, h0, *weights)
    _assert_all_close(forward, reference.gru_reference(x, h0, *weights), ["hs", "rzs", "ns", "ms"])
    g_out, g_h = rng.normal(size=(steps, batch, hidden)), rng.normal(size=(batch, hidden))
    backward = (weights[1], *forward, g_out, g_h)
    _assert_all_close(
        kernels.gru_backward(*backward),
        reference.gru_reference_backward(*backward),
        ["dA_x", "dA_h", "dh0"],
    )


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("biases", BIASES)
@pytest.mark.parametrize("steps, batch, inputs, hidden", SHAPES)
def test_rnn_kernel_matches_reference(steps, batch, inputs, hidden, biases, nonlinearity):
    rng = np.random.default_rng(hidden + steps)
    x, h0 = rng.normal(size=(steps, batch, inputs)), rng.normal(size=(batch, hidden))
    weights = _weights(rng, 1, inputs, hidden, biases)
    hs = kernels.rnn_forward(x, h0, *weights, nonlinearity)
    _assert_all_close([hs], [reference.rnn_reference(x, h0, *weights, nonlinearity)], ["hs"])
    g_out, g_h = rng.normal(size=(steps, batch, hidden)), rng.normal(size=(batch, hidden))
    backward = (weights[1], hs, g_out, g_h, nonlinearity)
    _assert_all_close(
        kernels.rnn_backward(*backward), reference.rnn_reference_backward(*backward), ["dA", "dh0"]
    )


@pytest.mark.parametrize(
    "rows, depth, width, steps, blocks",
    [
        (3, 5, 7, 8, None),  # too small to tile
        (32, 96, 384, 4, None),  # tileable, but too few steps to earn the copy back
        (32, 96, 384, 8, 1),
        (32, 1408, 352, 8, 2),
        (32, 2048, 512, 8, 4),
        (32, 100, 1000, 8, None),  # width not a multiple of the tile
    ],
)
def test_step_product_is_the_matrix_product(rows, depth, width, steps, blocks):
    rng = np.random.default_rng(rows + depth)
    b = rng.normal(size=(depth, width))
    scale = rng.normal(size=width)
    for column_scale, expected_b in ((None, b), (scale, b * scale)):
        product = StepProduct(b, rows, steps, column_scale=column_scale)
        assert product.blocks == blocks
        a = rng.normal(size=(rows, depth))
        out = np.empty((rows, width))
        product.write_into(a, out)
        np.testing.assert_allclose(out, a @ expected_b, **TOLERANCE)
