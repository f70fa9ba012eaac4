"""The fused cells unrolled over several steps against torch.nn's cells with copied weights,
plus dtype, stability and shape checks."""

import warnings

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.functional as F
from chainrule.functional import recurrent

STEPS, BATCH, INPUTS, HIDDEN = 3, 2, 5, 4


def _leaves(module):
    """(name, chainrule leaf) for each of a torch module's parameters, weights copied."""
    return {
        name: cr.tensor(p.detach().numpy(), requires_grad=True)
        for name, p in module.named_parameters()
    }


def _sequence(rng):
    return [rng.normal(size=(BATCH, INPUTS)) for _ in range(STEPS)]


def _compare_parameter_grads(module, params):
    for name, p in module.named_parameters():
        np.testing.assert_allclose(
            params[name].grad.numpy(),
            p.grad.numpy(),
            rtol=1e-9,
            atol=1e-12,
            err_msg=f"gradient of {name}",
        )


def test_lstm_cell_unrolled_three_steps_matches_torch_lstmcell():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    module = torch.nn.LSTMCell(INPUTS, HIDDEN).double()
    params = _leaves(module)
    xs = _sequence(rng)
    h0, c0 = rng.normal(size=(BATCH, HIDDEN)), rng.normal(size=(BATCH, HIDDEN))
    seed = rng.normal(size=(BATCH, HIDDEN))

    h, c = cr.tensor(h0, requires_grad=True), cr.tensor(c0)
    h_first = h
    for x in xs:
        h, c = F.lstm_cell(
            cr.tensor(x),
            h,
            c,
            params["weight_ih"],
            params["weight_hh"],
            params["bias_ih"],
            params["bias_hh"],
        )
    h.backward(seed)

    th, tc = torch.tensor(h0, requires_grad=True), torch.tensor(c0)
    th_first = th
    for x in xs:
        th, tc = module(torch.tensor(x), (th, tc))
    th.backward(torch.tensor(seed))

    np.testing.assert_allclose(h.numpy(), th.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(c.numpy(), tc.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(h_first.grad.numpy(), th_first.grad.numpy(), rtol=1e-9)
    _compare_parameter_grads(module, params)


def test_gru_cell_unrolled_three_steps_matches_torch_grucell():
    torch.manual_seed(1)
    rng = np.random.default_rng(1)
    module = torch.nn.GRUCell(INPUTS, HIDDEN).double()
    params = _leaves(module)
    xs = _sequence(rng)
    h0, seed = rng.normal(size=(BATCH, HIDDEN)), rng.normal(size=(BATCH, HIDDEN))

    inputs = [cr.tensor(x, requires_grad=True) for x in xs]
    h = cr.tensor(h0)
    for x in inputs:
        h = F.gru_cell(
            x, h, params["weight_ih"], params["weight_hh"], params["bias_ih"], params["bias_hh"]
        )
    h.backward(seed)

    torch_inputs = [torch.tensor(x, requires_grad=True) for x in xs]
    th = torch.tensor(h0)
    for x in torch_inputs:
        th = module(x, th)
    th.backward(torch.tensor(seed))

    np.testing.assert_allclose(h.numpy(), th.detach().numpy(), rtol=1e-12)
    for ours, theirs in zip(inputs, torch_inputs):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-9, atol=1e-12)
    _compare_parameter_grads(module, params)


def test_rnn_tanh_cell_unrolled_three_steps_matches_torch_rnncell():
    torch.manual_seed(2)
    rng = np.random.default_rng(2)
    module = torch.nn.RNNCell(INPUTS, HIDDEN, nonlinearity="tanh").double()
    params = _leaves(module)
    xs, seed = _sequence(rng), rng.normal(size=(BATCH, HIDDEN))
    h, th = cr.zeros(BATCH, HIDDEN, dtype=cr.float64), torch.zeros(BATCH, HIDDEN).double()
    for x in xs:
        h = F.rnn_tanh_cell(
            cr.tensor(x),
            h,
            params["weight_ih"],
            params["weight_hh"],
            params["bias_ih"],
            params["bias_hh"],
        )
        th = module(torch.tensor(x), th)
    h.backward(seed)
    th.backward(torch.tensor(seed))
    np.testing.assert_allclose(h.numpy(), th.detach().numpy(), rtol=1e-12)
    _compare_parameter_grads(module, params)


@pytest.fixture(params=["kernel", "reference"])
def path(request, monkeypatch):
    """Run the sequence ops through the CPU kernels, or through the step-by-step reference
    that runs on a GPU."""
    if request.param == "reference":
        monkeypatch.setattr(recurrent, "_on_cpu", lambda x: False)
    return request.param


@pytest.mark.parametrize("steps", [6, 1])
def test_lstm_sequence_op_matches_torch_nn_lstm(steps, path):
    """6 steps: the kernel pre-scales the weights by the gate scale; 1 step (sampling one
    character at a time): it scales the pre-activations instead (T·N ≤ I + H)."""
    assert (steps * BATCH > INPUTS + HIDDEN) == (steps == 6)
    torch.manual_seed(3)
    rng = np.random.default_rng(3)
    module = torch.nn.LSTM(INPUTS, HIDDEN).double()
    weights = [
        cr.tensor(getattr(module, name).detach().numpy(), requires_grad=True)
        for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    ]
    x = rng.normal(size=(steps, BATCH, INPUTS))
    h0, c0 = rng.normal(size=(BATCH, HIDDEN)), rng.normal(size=(BATCH, HIDDEN))
    seed = rng.normal(size=(steps, BATCH, HIDDEN))

    ours_x = cr.tensor(x, requires_grad=True)
    output, h, c = F.lstm(ours_x, cr.tensor(h0), cr.tensor(c0), *weights)
    output.backward(seed)
    theirs_x = torch.tensor(x, requires_grad=True)
    torch_output, (th, tc) = module(theirs_x, (torch.tensor(h0)[None], torch.tensor(c0)[None]))
    torch_output.backward(torch.tensor(seed))

    np.testing.assert_allclose(output.numpy(), torch_output.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(h.numpy(), th[0].detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(c.numpy(), tc[0].detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-9, atol=1e-12)
    for ours, name in zip(weights, ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")):
        np.testing.assert_allclose(
            ours.grad.numpy(),
            getattr(module, name).grad.numpy(),
            rtol=1e-9,
            atol=1e-12,
            err_msg=name,
        )


@pytest.mark.parametrize(
    "kernel, module_class, options",
    [
        (F.gru, torch.nn.GRU, {}),
        (F.rnn_tanh, torch.nn.RNN, {"nonlinearity": "tanh"}),
        (F.rnn_relu, torch.nn.RNN, {"nonlinearity": "relu"}),
    ],
)
def test_gru_and_rnn_sequence_ops_match_torch_nn(kernel, module_class, options, path):
    torch.manual_seed(4)
    rng = np.random.default_rng(4)
    module = module_class(INPUTS, HIDDEN, **options).double()
    names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    weights = [
        cr.tensor(getattr(module, name).detach().numpy(), requires_grad=True) for name in names
    ]
    x, h0 = rng.normal(size=(5, BATCH, INPUTS)), rng.normal(size=(BATCH, HIDDEN))
    seed_out, seed_h = rng.normal(size=(5, BATCH, HIDDEN)), rng.normal(size=(BATCH, HIDDEN))

    ours_x, ours_h0 = cr.tensor(x, requires_grad=True), cr.tensor(h0, requires_grad=True)
    output, h = kernel(ours_x, ours_h0, *weights)
    output.backward(seed_out, retain_graph=True)
    h.backward(seed_h)
    theirs_x = torch.tensor(x, requires_grad=True)
    theirs_h0 = torch.tensor(h0[None], requires_grad=True)
    torch_output, th = module(theirs_x, theirs_h0)
    torch.autograd.backward([torch_output, th[0]], [torch.tensor(seed_out), torch.tensor(seed_h)])

    np.testing.assert_allclose(output.numpy(), torch_output.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(h.numpy(), th[0].detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        ours_h0.grad.numpy(), theirs_h0.grad[0].numpy(), rtol=1e-9, atol=1e-12
    )
    for ours, name in zip(weights, names):
        np.testing.assert_allclose(
            ours.grad.numpy(),
            getattr(module, name).grad.numpy(),
            rtol=1e-9,
            atol=1e-12,
            err_msg=name,
        )


@pytest.mark.parametrize("cell, gates", [(F.lstm_cell, 4), (F.gru_cell, 3), (F.rnn_tanh_cell, 1)])
def test_float32_stays_float32_and_large_preactivations_do_not_overflow(cell, gates):
    x = cr.tensor(np.full((2, 3), 1000.0, np.float32), requires_grad=True)
    h = cr.tensor(np.full((2, 4), -1000.0, np.float32), requires_grad=True)
    states = (h, cr.zeros(2, 4)) if cell is F.lstm_cell else (h,)
    w_ih = cr.tensor(
        np.tile([[1.0], [-1.0]], (2 * gates, 3)).astype(np.float32), requires_grad=True
    )
    w_hh = cr.randn(4 * gates, 4, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = cell(x, *states, w_ih, w_hh)
        first = out[0] if isinstance(out, tuple) else out
        first.backward(np.ones((2, 4), np.float32))
    assert first.dtype == cr.float32
    assert np.isfinite(first.numpy()).all()
    for t in (x, h, w_ih, w_hh):
        assert t.grad.dtype == cr.float32 and np.isfinite(t.grad.numpy()).all()


def test_wrong_weight_shape_is_an_error_naming_the_op_and_shapes():
    message = r"lstm_cell: w_ih has shape \(12, 5\), expected \(12, 2\)"
    with pytest.raises(ValueError, match=message):
        F.lstm_cell(
            cr.randn(4, 2), cr.randn(4, 3), cr.randn(4, 3), cr.randn(12, 5), cr.randn(12, 3)
        )
    with pytest.raises(ValueError, match=r"gru: input must be 3-D"):
        F.gru(cr.randn(4, 2), cr.randn(4, 3), cr.randn(9, 2), cr.randn(9, 3))
