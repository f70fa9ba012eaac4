"""nn.RNN/LSTM/GRU and the cells against torch.nn with copied weights (float64): outputs, final
states and every gradient (input, initial states, each weight), state_dict both ways, dropout
between layers, default initialisation, shape errors."""

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn
from chainrule.kernels.recurrent import StepProduct
from chainrule.nn import recurrent

from .torch_oracle import assert_close, assert_moves_to_torch, torch_state_as_numpy

STEPS, BATCH, INPUTS, HIDDEN = 5, 3, 4, 6

KINDS = {
    "rnn_tanh": (lambda **kw: nn.RNN(**kw), lambda **kw: torch.nn.RNN(**kw)),
    "rnn_relu": (
        lambda **kw: nn.RNN(nonlinearity="relu", **kw),
        lambda **kw: torch.nn.RNN(nonlinearity="relu", **kw),
    ),
    "lstm": (nn.LSTM, torch.nn.LSTM),
    "gru": (nn.GRU, torch.nn.GRU),
}
LAYOUTS = [
    dict(num_layers=1),
    dict(num_layers=2),
    dict(num_layers=1, bidirectional=True),
    dict(num_layers=2, bidirectional=True),
]


def _pair(kind, **options):
    """A chainrule layer and a torch layer of ``kind``, float64, with torch's weights in ours."""
    make_ours, make_theirs = KINDS[kind]
    options = dict(input_size=INPUTS, hidden_size=HIDDEN, **options)
    theirs = make_theirs(**options).double()
    ours = make_ours(**options).to(cr.float64)
    ours.load_state_dict(torch_state_as_numpy(theirs), strict=True)
    return ours, theirs


def _as_list(result):
    """(output, h_n) or (output, (h_n, c_n)) → [output, h_n(, c_n)]."""
    output, state = result
    return [output, *state] if isinstance(state, tuple) else [output, state]


def _compare(ours, theirs, x, states=None, seed=0):
    """Run both on input ``x`` and initial ``states`` (list of arrays or None); backpropagate
    Σ w·output + Σ w·h_n (+ Σ w·c_n) with fixed random weights w and compare everything."""

    def leaves(make):
        return make(x, requires_grad=True), [make(s, requires_grad=True) for s in states or []]

    x_ours, states_ours = leaves(cr.tensor)
    x_theirs, states_theirs = leaves(torch.tensor)

    def hx(values):
        if not values:
            return None
        return tuple(values) if len(values) == 2 else values[0]

    outs_ours = _as_list(ours(x_ours, hx(states_ours)))
    outs_theirs = _as_list(theirs(x_theirs, hx(states_theirs)))
    assert len(outs_ours) == len(outs_theirs)
    rng = np.random.default_rng(seed)
    _check_outputs_and_backprop(["output", "h_n", "c_n"], outs_ours, outs_theirs, rng)
    assert_close(x_ours.grad, x_theirs.grad, "grad of input")
    for name, a, b in zip(["h_0", "c_0"], states_ours, states_theirs):
        assert_close(a.grad, b.grad, f"grad of {name}")
    ours_params, theirs_params = dict(ours.named_parameters()), dict(theirs.named_parameters())
    assert list(ours_params) == list(theirs_params)
    for name, param in theirs_params.items():
        assert_close(ours_params[name].grad, param.grad, f"grad of {name}")


def _check_outputs_and_backprop(names, outs_ours, outs_theirs, rng):
    """Assert each output equal in both frameworks, then backpropagate Σ w·output, with the
    same random weights w, through both."""
    loss_ours = loss_theirs = 0
    for name, a, b in zip(names, outs_ours, outs_theirs):
        assert_close(a, b, name)
        w = rng.standard_normal(b.shape)
        loss_ours = loss_ours + (a * cr.tensor(w)).sum()
        loss_theirs = loss_theirs + (b * torch.tensor(w)).sum()
    loss_ours.backward()
    loss_theirs.backward()


def _input(batched=True, batch_first=False, seed=0):
    shape = (BATCH, STEPS, INPUTS) if batch_first else (STEPS, BATCH, INPUTS)
    return np.random.default_rng(seed).standard_normal(shape if batched else (STEPS, INPUTS))


def _states(kind, layout, batched=True, seed=1):
    count = layout.get("num_layers", 1) * (2 if layout.get("bidirectional") else 1)
    shape = (count, BATCH, HIDDEN) if batched else (count, HIDDEN)
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _ in range(2 if kind == "lstm" else 1)]


@pytest.mark.parametrize("given_states", [False, True], ids=["zero_states", "given_states"])
@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda o: "-".join(f"{k}{v}" for k, v in o.items()))
@pytest.mark.parametrize("kind", list(KINDS))
def test_sequence_layer_matches_torch(kind, layout, given_states):
    ours, theirs = _pair(kind, **layout)
    _compare(ours, theirs, _input(), _states(kind, layout) if given_states else None)


@pytest.mark.parametrize("layout", [LAYOUTS[0], LAYOUTS[3]], ids=["1layer", "2layers_bidir"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_batch_first_matches_torch(kind, layout):
    ours, theirs = _pair(kind, batch_first=True, **layout)
    _compare(ours, theirs, _input(batch_first=True), _states(kind, layout))


@pytest.mark.parametrize("layout", [LAYOUTS[0], LAYOUTS[3]], ids=["1layer", "2layers_bidir"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_without_bias_matches_torch(kind, layout):
    ours, theirs = _pair(kind, bias=False, **layout)
    assert not any("bias" in name for name, _ in ours.named_parameters())
    _compare(ours, theirs, _input(), _states(kind, layout))


@pytest.mark.parametrize("given_states", [False, True], ids=["zero_states", "given_states"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_unbatched_input_matches_torch(kind, given_states):
    layout = LAYOUTS[3]
    ours, theirs = _pair(kind, batch_first=True, **layout)
    states = _states(kind, layout, batched=False) if given_states else None
    _compare(ours, theirs, _input(batched=False), states)


def test_batch_of_one_and_single_step_match_torch():
    ours, theirs = _pair("lstm", **LAYOUTS[3])
    x = np.random.default_rng(2).standard_normal((1, 1, INPUTS))
    _compare(ours, theirs, x)


@pytest.mark.parametrize("kind", list(KINDS))
def test_state_dict_moves_both_ways_with_strict_loading(kind):
    ours, theirs = _pair(kind, **LAYOUTS[3])  # torch → chainrule (strict) happens in _pair
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for name, value in theirs.state_dict().items():
        assert tuple(ours.state_dict()[name].shape) == tuple(value.shape), name
    assert_moves_to_torch(ours, theirs)  # chainrule → torch, strict


@pytest.mark.parametrize("kind", list(KINDS))
def test_repr_matches_torch(kind):
    options = dict(
        input_size=3,
        hidden_size=5,
        num_layers=2,
        bias=False,
        batch_first=True,
        dropout=0.25,
        bidirectional=True,
    )
    make_ours, make_theirs = KINDS[kind]
    assert repr(make_ours(**options)) == repr(make_theirs(**options))
    assert repr(make_ours(input_size=3, hidden_size=5)) == repr(
        make_theirs(input_size=3, hidden_size=5)
    )


@pytest.mark.parametrize("kind", list(KINDS))
def test_dropout_between_layers_is_off_in_eval_mode(kind):
    ours, theirs = _pair(kind, num_layers=3, dropout=0.5, bidirectional=True)
    ours.eval(), theirs.eval()
    _compare(ours, theirs, _input(), _states(kind, dict(num_layers=3, bidirectional=True)))


@pytest.mark.parametrize("kind", list(KINDS))
def test_dropout_of_one_in_training_matches_torch(kind):
    # p = 1 zeroes every layer's output but the last one's, deterministically in both.
    ours, theirs = _pair(kind, num_layers=2, dropout=1.0)
    _compare(ours, theirs, _input(), _states(kind, dict(num_layers=2)))


def test_dropout_in_training_masks_each_inner_layer_output(monkeypatch):
    """Record what every layer's kernel receives: layer k+1's input must be layer k's output
    with about p of the entries zeroed and the rest scaled by 1/(1 − p)."""
    calls = []
    kernel = recurrent._SEQUENCE_KERNELS["LSTM"]

    def recording_kernel(sequence, *args):
        result = kernel(sequence, *args)
        calls.append((sequence.numpy().copy(), result[0].numpy().copy()))
        return result

    monkeypatch.setitem(recurrent._SEQUENCE_KERNELS, "LSTM", recording_kernel)
    p = 0.3
    cr.manual_seed(0)
    model = nn.LSTM(8, 64, num_layers=3, dropout=p)
    x = cr.tensor(np.random.default_rng(0).standard_normal((20, 16, 8)).astype(np.float32))
    output, _ = model(x)
    assert len(calls) == 3
    for (_, previous_output), (next_input, _) in zip(calls, calls[1:]):
        dropped = next_input == 0
        assert abs(dropped.mean() - p) < 0.02
        np.testing.assert_allclose(
            next_input[~dropped], previous_output[~dropped] / (1 - p), rtol=1e-6
        )
    assert not np.any(output.numpy() == 0)  # no dropout after the last layer
    calls.clear()
    model.eval()
    model(x)
    np.testing.assert_array_equal(calls[1][0], calls[0][1])


def test_dropout_with_one_layer_warns_like_torch():
    with pytest.warns(UserWarning, match="dropout"):
        nn.GRU(3, 4, dropout=0.5)
    with pytest.raises(ValueError, match="dropout"):
        nn.LSTM(3, 4, num_layers=2, dropout=1.5)


@pytest.mark.parametrize("kind", list(KINDS))
def test_default_init_is_uniform_within_one_over_sqrt_hidden(kind):
    cr.manual_seed(0)
    hidden = 100
    ours = KINDS[kind][0](input_size=30, hidden_size=hidden, num_layers=2)
    bound = 1 / math.sqrt(hidden)
    values = np.concatenate([p.numpy().ravel() for p in ours.parameters()])
    assert values.dtype == np.float32
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.99 * bound
    np.testing.assert_allclose(values.std(), bound / math.sqrt(3), rtol=0.02)
    np.testing.assert_allclose(values.mean(), 0, atol=0.01 * bound)


def test_float32_stays_float32():
    model = nn.LSTM(INPUTS, HIDDEN, num_layers=2, bidirectional=True)
    output, (h, c) = model(cr.tensor(_input().astype(np.float32)))
    assert output.dtype == h.dtype == c.dtype == np.float32
    assert output.shape == (STEPS, BATCH, 2 * HIDDEN) and h.shape == (4, BATCH, HIDDEN)


def test_shape_errors_name_the_layer_and_the_problem():
    model = nn.LSTM(INPUTS, HIDDEN, num_layers=2)
    with pytest.raises(ValueError, match=r"LSTM: input.size\(-1\) must be equal to input_size"):
        model(cr.tensor(np.zeros((STEPS, BATCH, INPUTS + 1), np.float32)))
    with pytest.raises(ValueError, match=r"LSTM: expected h_0 of shape \(2, 3, 6\)"):
        h = cr.zeros(1, BATCH, HIDDEN)
        model(cr.tensor(np.zeros((STEPS, BATCH, INPUTS), np.float32)), (h, h))
    with pytest.raises(ValueError, match="LSTM: hx must be a pair"):
        model(cr.tensor(np.zeros((STEPS, BATCH, INPUTS), np.float32)), (cr.zeros(2, 3, 6),))
    with pytest.raises(ValueError, match="GRU: expected input to be 2-D"):
        nn.GRU(INPUTS, HIDDEN)(cr.zeros(INPUTS))
    with pytest.raises(ValueError, match="RNN: unknown nonlinearity"):
        nn.RNN(INPUTS, HIDDEN, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hidden_size must be a positive integer"):
        nn.LSTM(INPUTS, 0)


# -- LSTM with a projection (proj_size) --------------------------------------------------------

PROJ = 3


def _projected_states(layout, batched=True, seed=1):
    """[h_0 (…, P), c_0 (…, H)] for an LSTM with proj_size P."""
    count = layout.get("num_layers", 1) * (2 if layout.get("bidirectional") else 1)
    rng = np.random.default_rng(seed)
    return [
        rng.standard_normal((count, BATCH, size) if batched else (count, size))
        for size in (PROJ, HIDDEN)
    ]


@pytest.mark.parametrize("given_states", [False, True], ids=["zero_states", "given_states"])
@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda o: "-".join(f"{k}{v}" for k, v in o.items()))
def test_lstm_with_projection_matches_torch(layout, given_states):
    ours, theirs = _pair("lstm", proj_size=PROJ, **layout)
    assert tuple(ours.weight_hr_l0.shape) == (PROJ, HIDDEN)
    assert tuple(ours.weight_hh_l0.shape) == (4 * HIDDEN, PROJ)
    _compare(ours, theirs, _input(), _projected_states(layout) if given_states else None)


@pytest.mark.parametrize(
    "options", [dict(bias=False), dict(batch_first=True)], ids=["no_bias", "batch_first"]
)
def test_lstm_with_projection_options_match_torch(options):
    layout = LAYOUTS[3]
    ours, theirs = _pair("lstm", proj_size=PROJ, **layout, **options)
    x = _input(batch_first=options.get("batch_first", False))
    _compare(ours, theirs, x, _projected_states(layout))


def test_lstm_with_projection_unbatched_and_long_batch_32_match_torch():
    ours, theirs = _pair("lstm", proj_size=PROJ, **LAYOUTS[3])
    _compare(ours, theirs, _input(batched=False), _projected_states(LAYOUTS[3], batched=False))
    theirs = torch.nn.LSTM(7, 96, proj_size=33).double()  # 9 steps, batch 32: tiled products
    ours = nn.LSTM(7, 96, proj_size=33).to(cr.float64)
    ours.load_state_dict(torch_state_as_numpy(theirs), strict=True)
    _compare(ours, theirs, np.random.default_rng(3).standard_normal((9, 32, 7)))


def test_lstm_with_projection_state_dict_repr_and_errors():
    ours, theirs = _pair("lstm", proj_size=PROJ, **LAYOUTS[3])
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert_moves_to_torch(ours, theirs)
    options = dict(input_size=3, hidden_size=5, proj_size=2, num_layers=2, bidirectional=True)
    assert repr(nn.LSTM(**options)) == repr(torch.nn.LSTM(**options))
    with pytest.raises(ValueError, match="LSTM: proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="LSTM: proj_size should be a positive integer or zero"):
        nn.LSTM(3, 4, proj_size=-1)
    with pytest.raises(ValueError, match=r"LSTM: expected h_0 of shape \(4, 3, 3\)"):
        ours(cr.tensor(_input()), (cr.zeros(4, BATCH, HIDDEN), cr.zeros(4, BATCH, HIDDEN)))


@pytest.mark.parametrize(
    "make, keyword",
    [
        (lambda **kw: nn.GRU(3, 4, **kw), "proj_size"),
        (lambda **kw: nn.RNN(3, 4, **kw), "proj_size"),
        (lambda **kw: nn.LSTM(3, 4, **kw), "device"),
        (lambda **kw: nn.GRU(3, 4, **kw), "dtype"),
        (lambda **kw: nn.LSTMCell(3, 4, **kw), "device"),
        (lambda **kw: nn.RNNCell(3, 4, **kw), "dtype"),
    ],
)
def test_a_torch_keyword_chainrule_does_not_support_is_an_error_naming_it(make, keyword):
    with pytest.raises(TypeError, match=keyword):
        make(**{keyword: 1})


# -- cells -----------------------------------------------------------------------------------

CELLS = {
    "rnn_tanh": (nn.RNNCell, torch.nn.RNNCell, {}),
    "rnn_relu": (nn.RNNCell, torch.nn.RNNCell, dict(nonlinearity="relu")),
    "lstm": (nn.LSTMCell, torch.nn.LSTMCell, {}),
    "gru": (nn.GRUCell, torch.nn.GRUCell, {}),
}


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("given_state", [False, True], ids=["zero_state", "given_state"])
@pytest.mark.parametrize("kind", list(CELLS))
def test_cell_matches_torch_cell(kind, given_state, batched, bias):
    make_ours, make_theirs, options = CELLS[kind]
    theirs = make_theirs(INPUTS, HIDDEN, bias=bias, **options).double()
    ours = make_ours(INPUTS, HIDDEN, bias=bias, **options).to(cr.float64)
    ours.load_state_dict(torch_state_as_numpy(theirs), strict=True)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, INPUTS) if batched else (INPUTS,))
    state_shape = (BATCH, HIDDEN) if batched else (HIDDEN,)
    states = [rng.standard_normal(state_shape) for _ in range(2 if kind == "lstm" else 1)]
    x_ours, x_theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    s_ours = [cr.tensor(s, requires_grad=True) for s in states]
    s_theirs = [torch.tensor(s, requires_grad=True) for s in states]

    def call(module, x, states):
        if not given_state:
            result = module(x)
        else:
            result = module(x, tuple(states) if kind == "lstm" else states[0])
        return list(result) if kind == "lstm" else [result]

    outs_ours, outs_theirs = call(ours, x_ours, s_ours), call(theirs, x_theirs, s_theirs)
    _check_outputs_and_backprop(["h'", "c'"], outs_ours, outs_theirs, rng)
    assert_close(x_ours.grad, x_theirs.grad, "grad of input")
    if given_state:
        for a, b in zip(s_ours, s_theirs):
            assert_close(a.grad, b.grad, "grad of state")
    assert list(dict(ours.named_parameters())) == list(dict(theirs.named_parameters()))
    for name, param in theirs.named_parameters():
        assert_close(dict(ours.named_parameters())[name].grad, param.grad, f"grad of {name}")
    assert repr(ours) == repr(theirs)
    assert_moves_to_torch(ours, theirs)


def test_cell_shape_error_names_the_cell():
    with pytest.raises(ValueError, match=r"LSTMCell: expected input of shape \(N, 4\)"):
        nn.LSTMCell(INPUTS, HIDDEN)(cr.zeros(BATCH, INPUTS + 1))
    with pytest.raises(ValueError, match=r"GRUCell: expected a state of shape \(3, 6\)"):
        nn.GRUCell(INPUTS, HIDDEN)(cr.zeros(BATCH, INPUTS), cr.zeros(BATCH, HIDDEN + 1))


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("hidden", [256, 512])
def test_sizes_with_tiled_recurrent_products_match_torch(kind, hidden):
    """Batch 32 with these hidden sizes and 8 steps sends the per-step products h W_hhᵀ and
    dA W_hh through the tiled small-GEMM path of the sequence kernels (the backward one of the
    LSTM and GRU cut into several K-blocks); same numbers as torch."""
    gates = {"lstm": 4, "gru": 3}.get(kind, 1)
    assert StepProduct.tiling(32, hidden, gates * hidden) == 1
    backward_blocks = {
        (256, 1): 1,
        (256, 3): 1,
        (256, 4): 2,
        (512, 1): 1,
        (512, 3): 2,
        (512, 4): 4,
    }[hidden, gates]
    assert StepProduct.tiling(32, gates * hidden, hidden) == backward_blocks
    make_ours, make_theirs = KINDS[kind]
    theirs = make_theirs(input_size=7, hidden_size=hidden).double()
    ours = make_ours(input_size=7, hidden_size=hidden).to(cr.float64)
    ours.load_state_dict(torch_state_as_numpy(theirs), strict=True)
    rng = np.random.default_rng(0)
    states = [rng.standard_normal((1, 32, hidden)) for _ in range(2 if kind == "lstm" else 1)]
    assert StepProduct.min_steps == 8
    _compare(ours, theirs, rng.standard_normal((8, 32, 7)), states)
