"""Differential table for chainrule.functional.recurrent: the Elman (tanh, relu), LSTM and GRU
cells with both biases, with none, with one, at batch 1 and with odd hidden sizes, and the
whole-sequence kernels (rnn_tanh, rnn_relu, lstm, gru) against torch's cells unrolled over time,
and the LSTM with a projection of its hidden state (torch's proj_size) against its step
equations in torch ops.

chainrule's ``lstm_cell`` takes ``hx, cx`` as two arguments; ``torch.lstm_cell`` takes the pair.
"""

import torch

import chainrule.functional as F

from .differential import Case, randn


def _lstm_torch(x, h, c, w_ih, w_hh, *biases):
    return torch.lstm_cell(x, (h, c), w_ih, w_hh, *biases)


def _lstm_sequence_torch(x, h, c, w_ih, w_hh, *biases):
    """torch.lstm_cell unrolled over the time axis: (outputs stacked, h_T, c_T)."""
    outputs = []
    for step in x:
        h, c = torch.lstm_cell(step, (h, c), w_ih, w_hh, *biases)
        outputs.append(h)
    return torch.stack(outputs), h, c


def _lstm_projected_torch(x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr):
    """The LSTM step written in torch ops, its h projected by W_hr at every step (torch's
    proj_size; torch.lstm_cell cannot take an h narrower than c)."""
    outputs = []
    for step in x:
        gates = step @ w_ih.T + h @ w_hh.T
        for b in (b_ih, b_hh):
            gates = gates if b is None else gates + b
        i, f, g, o = gates.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = (torch.sigmoid(o) * torch.tanh(c)) @ w_hr.T
        outputs.append(h)
    return torch.stack(outputs), h, c


def _lstm_projected_inputs(steps, batch, inputs, hidden, proj, biases=2):
    return (
        [
            randn(steps, batch, inputs),
            randn(batch, proj),
            randn(batch, hidden),
            randn(4 * hidden, inputs, scale=0.5),
            randn(4 * hidden, proj, scale=0.5),
        ]
        + [randn(4 * hidden) for _ in range(biases)]
        + [randn(proj, hidden, scale=0.5)]
    )


def _unrolled(cell):
    """A torch cell unrolled over the time axis: (outputs stacked, h_T)."""

    def run(x, h, *weights):
        outputs = []
        for step in x:
            h = cell(step, h, *weights)
            outputs.append(h)
        return torch.stack(outputs), h

    return run


def _sequence_inputs(steps, batch, inputs, hidden, gates=4, biases=2):
    states = 2 if gates == 4 else 1
    return [randn(steps, batch, inputs)] + _cell_inputs(
        batch, inputs, hidden, gates, biases, states
    )[1:]


def _cell_inputs(batch, inputs, hidden, gates, biases=2, states=1):
    """x, the states, w_ih, w_hh and ``biases`` bias vectors for a cell with ``gates`` gates."""
    return (
        [randn(batch, inputs)]
        + [randn(batch, hidden) for _ in range(states)]
        + [randn(gates * hidden, inputs, scale=0.5), randn(gates * hidden, hidden, scale=0.5)]
        + [randn(gates * hidden) for _ in range(biases)]
    )


CASES = [
    Case("rnn_tanh_cell/biases", F.rnn_tanh_cell, torch.rnn_tanh_cell, _cell_inputs(3, 5, 4, 1)),
    Case(
        "rnn_tanh_cell/no-bias",
        F.rnn_tanh_cell,
        torch.rnn_tanh_cell,
        _cell_inputs(2, 3, 6, 1, biases=0),
    ),
    Case(
        "rnn_tanh_cell/batch1-odd-hidden",
        F.rnn_tanh_cell,
        torch.rnn_tanh_cell,
        _cell_inputs(1, 4, 7, 1),
    ),
    Case("rnn_relu_cell/biases", F.rnn_relu_cell, torch.rnn_relu_cell, _cell_inputs(4, 3, 5, 1)),
    Case(
        "rnn_relu_cell/batch1-no-bias",
        F.rnn_relu_cell,
        torch.rnn_relu_cell,
        _cell_inputs(1, 6, 3, 1, biases=0),
    ),
    Case("lstm_cell/biases", F.lstm_cell, _lstm_torch, _cell_inputs(3, 5, 4, 4, states=2)),
    Case(
        "lstm_cell/no-bias", F.lstm_cell, _lstm_torch, _cell_inputs(2, 3, 6, 4, biases=0, states=2)
    ),
    Case(
        "lstm_cell/ih-bias-only",
        F.lstm_cell,
        _lstm_torch,
        _cell_inputs(2, 4, 3, 4, biases=1, states=2),
    ),
    Case(
        "lstm_cell/batch1-odd-hidden", F.lstm_cell, _lstm_torch, _cell_inputs(1, 4, 7, 4, states=2)
    ),
    Case("lstm/biases", F.lstm, _lstm_sequence_torch, _sequence_inputs(4, 3, 5, 4)),
    Case(
        "lstm/no-bias-batch1-odd-hidden",
        F.lstm,
        _lstm_sequence_torch,
        _sequence_inputs(3, 1, 2, 5, biases=0),
    ),
    Case(
        "lstm/one-step-ih-bias",
        F.lstm,
        _lstm_sequence_torch,
        _sequence_inputs(1, 2, 3, 3, biases=1),
    ),
    Case("lstm/projection", F.lstm, _lstm_projected_torch, _lstm_projected_inputs(4, 3, 5, 4, 3)),
    Case(
        "lstm/projection-no-bias-batch1",
        lambda x, h, c, w_ih, w_hh, w_hr: F.lstm(x, h, c, w_ih, w_hh, None, None, w_hr),
        lambda x, h, c, w_ih, w_hh, w_hr: _lstm_projected_torch(
            x, h, c, w_ih, w_hh, None, None, w_hr
        ),
        _lstm_projected_inputs(3, 1, 2, 5, 2, biases=0),
    ),
    Case(
        "rnn_tanh/biases",
        F.rnn_tanh,
        _unrolled(torch.rnn_tanh_cell),
        _sequence_inputs(4, 3, 5, 4, gates=1),
    ),
    Case(
        "rnn_tanh/no-bias-batch1",
        F.rnn_tanh,
        _unrolled(torch.rnn_tanh_cell),
        _sequence_inputs(3, 1, 2, 5, gates=1, biases=0),
    ),
    Case(
        "rnn_relu/biases",
        F.rnn_relu,
        _unrolled(torch.rnn_relu_cell),
        _sequence_inputs(4, 2, 3, 5, gates=1),
    ),
    Case("gru/biases", F.gru, _unrolled(torch.gru_cell), _sequence_inputs(4, 3, 5, 4, gates=3)),
    Case(
        "gru/ih-bias-only-batch1-odd-hidden",
        F.gru,
        _unrolled(torch.gru_cell),
        _sequence_inputs(3, 1, 2, 5, gates=3, biases=1),
    ),
    Case(
        "gru/no-bias-one-step",
        F.gru,
        _unrolled(torch.gru_cell),
        _sequence_inputs(1, 2, 3, 3, gates=3, biases=0),
    ),
    Case("gru_cell/biases", F.gru_cell, torch.gru_cell, _cell_inputs(3, 5, 4, 3)),
    Case("gru_cell/no-bias", F.gru_cell, torch.gru_cell, _cell_inputs(2, 3, 6, 3, biases=0)),
    Case("gru_cell/ih-bias-only", F.gru_cell, torch.gru_cell, _cell_inputs(4, 2, 3, 3, biases=1)),
    Case("gru_cell/batch1-odd-hidden", F.gru_cell, torch.gru_cell, _cell_inputs(1, 4, 7, 3)),
]
