"""Recurrent ops: one time step of an Elman RNN, an LSTM or a GRU as a single op (the cells),
and a whole sequence as a single op (``rnn_tanh``, ``rnn_relu``, ``lstm``, ``gru``).

A step computes all its gates from two affine maps — the input x (N, I) against W_ih (k·H, I)
and the previous hidden state h (N, H) against W_hh (k·H, H), the k gates stacked in the rows
in PyTorch's order — then applies the gate nonlinearities. Its backward is written out by hand:
the gates' local derivatives give dA, the gradient of the (N, k·H) pre-activations, and then
every input and weight gradient is one GEMM:

    dx = dA_x · W_ih      dh = dA_h · W_hh      dW_ih = dA_xᵀ · x      dW_hh = dA_hᵀ · h
    db_ih = Σ_batch dA_x  db_hh = Σ_batch dA_h

(dA_x = dA_h except in the GRU, where the reset gate sits between W_hn·h and the sum.)

A sequence op runs one layer over a time-major (T, N, I) input with the same step equations.
Backpropagation through time walks t = T … 1 handing ∂L/∂h_{t−1} = dA_t W_hh (and the LSTM's
∂L/∂c_{t−1}) to the step before; the stacked dA (T·N, k·H) then gives dX, dW_ih and dW_hh as
three GEMMs over all T·N rows. ``lstm_reference`` and its siblings below compute the steps as
the equations read; they are what runs on a GPU. On the CPU the ops call the kernels of
``chainrule.kernels.recurrent`` instead: the same arrays, laid out for OpenBLAS (pinned to these
references by tests/kernels/test_recurrent.py).

Optional biases (and the LSTM's projection) are ``None`` when absent. Signatures follow
``torch.rnn_tanh_cell``/``torch.lstm_cell``/``torch.gru_cell``, except that the LSTM takes ``hx``
and ``cx`` as two arguments rather than a pair.
"""

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..kernels import recurrent as kernels

__all__ = [
    "rnn_tanh_cell",
    "rnn_relu_cell",
    "lstm_cell",
    "gru_cell",
    "rnn_tanh",
    "rnn_relu",
    "lstm",
    "gru",
]


def _sigmoid(a):
    """σ(a) = 1 / (1 + e^(−a)), evaluated as ½ (1 + tanh(a/2)): the same function, and finite
    for any a (e^(−a) overflows for a below about −700 in float64)."""
    return 0.5 * (1 + get_array_module(a).tanh(0.5 * a))


def _affine(x, w, b):
    """x Wᵀ + b, with no b when it is None."""
    y = x @ w.T
    return y if b is None else y + b


def _blocks(a, k):
    """The k gate blocks [a_1 … a_k] of an (N, k·H) array, each (N, H) (views)."""
    width = a.shape[1] // k
    return [a[:, j * width : (j + 1) * width] for j in range(k)]


def _on_cpu(x):
    """Whether a sequence op runs the NumPy kernels (else the reference runs, as on CuPy)."""
    return get_array_module(x) is np


def _as_rows(sequence):
    """View a (T, N, F) array as (T·N, F) rows."""
    return sequence.reshape(-1, sequence.shape[-1])


def _weight_grads(needs, x, h, dA_x, dA_h):
    """(dW_ih, dW_hh, db_ih, db_hh) from the pre-activation gradients, each None where
    ``needs`` (four flags) says it is not wanted; b_ih and b_hh share one sum when dA_x is dA_h."""
    db_ih = dA_x.sum(axis=0) if needs[2] else None
    db_hh = None
    if needs[3]:
        db_hh = db_ih.copy() if db_ih is not None and dA_h is dA_x else dA_h.sum(axis=0)
    return (dA_x.T @ x if needs[0] else None, dA_h.T @ h if needs[1] else None, db_ih, db_hh)


def _sequence_grads(ctx, x, w_ih, hs, dA_x, dA_h, first_weight):
    """dX and the weight gradients of a sequence op from its stacked (T, N, k·H) dA."""
    needs = ctx.needs_input_grad
    rows_x = _as_rows(dA_x)
    rows_h = rows_x if dA_h is dA_x else _as_rows(dA_h)
    dx = (rows_x @ w_ih).reshape(x.shape) if needs[0] else None
    grads = _weight_grads(
        needs[first_weight : first_weight + 4], _as_rows(x), _as_rows(hs[:-1]), rows_x, rows_h
    )
    return dx, grads


# -- checks -----------------------------------------------------------------------------------


def _require_ndim(op, name, array, ndim, layout):
    if array.ndim != ndim:
        raise ValueError(f"{op}: {name} must be {ndim}-D {layout}, got shape {tuple(array.shape)}")


def _check_cell(op, gates, step_shape, h, w_ih, w_hh, b_ih, b_hh, c=None, w_hr=None):
    """Check a recurrent op's shapes against one time step's input shape (batch, features);
    the error names the op and the offending argument."""
    _require_ndim(op, "hx", h, 2, "(batch, hidden)")
    if w_hr is not None:
        _require_ndim(op, "w_hr", w_hr, 2, "(proj_size, hidden)")
    batch, inputs = step_shape
    state = h.shape[1]
    hidden = state if w_hr is None else w_hr.shape[1]
    expected = {
        "hx": ((batch, state), h),
        "w_ih": ((gates * hidden, inputs), w_ih),
        "w_hh": ((gates * hidden, state), w_hh),
        "b_ih": ((gates * hidden,), b_ih),
        "b_hh": ((gates * hidden,), b_hh),
        "cx": ((batch, hidden), c),
        "w_hr": ((state, hidden), w_hr),
    }
    for name, (shape, array) in expected.items():
        if array is not None and tuple(array.shape) != shape:
            raise ValueError(
                f"{op}: {name} has shape {tuple(array.shape)}, expected {shape} "
                f"for input steps of shape {tuple(step_shape)} and hidden size "
                f"{hidden}"
            )


def _check_step(op, gates, x, h, w_ih, w_hh, b_ih, b_hh, c=None):
    """``_check_cell`` for a single-step op, whose input is (batch, features)."""
    _require_ndim(op, "input", x, 2, "(batch, features)")
    _check_cell(op, gates, tuple(x.shape), h, w_ih, w_hh, b_ih, b_hh, c)


def _check_sequence(op, gates, x, h, w_ih, w_hh, b_ih, b_hh, c=None, w_hr=None):
    _require_ndim(op, "input", x, 3, "(time, batch, features)")
    _check_cell(op, gates, tuple(x.shape[1:]), h, w_ih, w_hh, b_ih, b_hh, c, w_hr)


# -- Elman RNN --------------------------------------------------------------------------------


def _rnn_activation(a, nonlinearity):
    """φ(a): tanh or relu."""
    xp = get_array_module(a)
    return xp.tanh(a) if nonlinearity == "tanh" else xp.maximum(a, 0)


def _rnn_step_backward(g, h_new, nonlinearity):
    """dA = g ⊙ φ'(a), with φ' read off the output: tanh' = 1 − h'², relu' = [h' > 0]."""
    if nonlinearity == "tanh":
        return g * (1 - h_new * h_new)
    return g * (h_new > 0)


class RNNCell(Function):
    """Elman RNN step (Elman 1990; deck D4, "Recurrent Neural Networks (RNNs)": h_t =
    H(W_xh x_t + W_hh h_{t−1} + b_h) — see docs/references.md).

    Forward: h' = φ(a), a = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh, φ = tanh or relu.
    Backward: dA = g ⊙ φ'(a) with tanh' = 1 − h'² and relu' = [h' > 0]; then the GEMMs of the
    module docstring with dA_x = dA_h = dA.
    """

    @staticmethod
    def forward(ctx, x, h, w_ih, w_hh, b_ih, b_hh, *, nonlinearity):
        h_new = _rnn_activation(_affine(x, w_ih, b_ih) + _affine(h, w_hh, b_hh), nonlinearity)
        ctx.save_for_backward(x, h, w_ih, w_hh, h_new)
        ctx.nonlinearity = nonlinearity
        return h_new

    @staticmethod
    def backward(ctx, g):
        x, h, w_ih, w_hh, h_new = ctx.saved_tensors
        dA = _rnn_step_backward(g, h_new, ctx.nonlinearity)
        needs = ctx.needs_input_grad
        dx = dA @ w_ih if needs[0] else None
        dh = dA @ w_hh if needs[1] else None
        return (dx, dh, *_weight_grads(needs[2:], x, h, dA, dA))


def _rnn_cell(op, nonlinearity, input, hx, w_ih, w_hh, b_ih, b_hh):
    _check_step(op, 1, input, hx, w_ih, w_hh, b_ih, b_hh)
    return RNNCell.apply(input, hx, w_ih, w_hh, b_ih, b_hh, nonlinearity=nonlinearity)


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman RNN step h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh); see ``RNNCell``.
    Shapes: input (N, I), hx (N, H), w_ih (H, I), w_hh (H, H), biases (H,)."""
    return _rnn_cell("rnn_tanh_cell", "tanh", input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman RNN step h' = relu(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh); see ``RNNCell``."""
    return _rnn_cell("rnn_relu_cell", "relu", input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_reference(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity):
    """The Elman RNN over a (T, N, I) sequence, step by step → hs (T+1, N, H) = h_0 … h_T."""
    xp = get_array_module(x)
    inputs = _affine(x, w_ih, b_ih)  # x_t W_ihᵀ + b_ih for every t in one GEMM
    hs = [h0]
    for t in range(x.shape[0]):
        hs.append(_rnn_activation(inputs[t] + _affine(hs[t], w_hh, b_hh), nonlinearity))
    return xp.stack(hs)


def rnn_reference_backward(w_hh, hs, g_out, g_h, nonlinearity):
    """Backpropagation through time → (dA (T, N, H), ∂L/∂h_0), given the gradients of the
    outputs h_1 … h_T (g_out) and of h_T (g_h)."""
    xp = get_array_module(hs)
    dA, dh = [None] * len(g_out), g_h
    for t in reversed(range(len(g_out))):
        dA[t] = _rnn_step_backward(g_out[t] + dh, hs[t + 1], nonlinearity)
        dh = dA[t] @ w_hh
    return xp.stack(dA), dh


class RNN(Function):
    """A single-layer Elman RNN over a whole (T, N, I) sequence: ``RNNCell`` at every step.

    Backward through time: dA_t = (g_t + ∂L/∂h_t) ⊙ φ'(a_t), ∂L/∂h_{t−1} = dA_t W_hh; then
    dX = dA W_ih, dW_ih = dAᵀ X, dW_hh = dAᵀ [h_0 … h_{T−1}] over the stacked (T·N) rows.
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, *, nonlinearity):
        run = kernels.rnn_forward if _on_cpu(x) else rnn_reference
        hs = run(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity)
        ctx.save_for_backward(x, w_ih, w_hh, hs)
        ctx.nonlinearity = nonlinearity
        return hs[1:].copy(), hs[-1].copy()

    @staticmethod
    def backward(ctx, g_out, g_h):
        x, w_ih, w_hh, hs = ctx.saved_tensors
        run = kernels.rnn_backward if _on_cpu(x) else rnn_reference_backward
        dA, dh0 = run(w_hh, hs, g_out, g_h, ctx.nonlinearity)
        dx, grads = _sequence_grads(ctx, x, w_ih, hs, dA, dA, first_weight=2)
        return (dx, dh0 if ctx.needs_input_grad[1] else None, *grads)


def _rnn_sequence(op, nonlinearity, input, hx, w_ih, w_hh, b_ih, b_hh):
    _check_sequence(op, 1, input, hx, w_ih, w_hh, b_ih, b_hh)
    return RNN.apply(input, hx, w_ih, w_hh, b_ih, b_hh, nonlinearity=nonlinearity)


def rnn_tanh(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """A single-layer tanh Elman RNN over a (T, N, I) sequence → (output (T, N, H), h_T); the
    same numbers as T calls of ``rnn_tanh_cell``. See ``RNN``."""
    return _rnn_sequence("rnn_tanh", "tanh", input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_relu(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """A single-layer relu Elman RNN over a (T, N, I) sequence → (output, h_T); see ``RNN``."""
    return _rnn_sequence("rnn_relu", "relu", input, hx, w_ih, w_hh, b_ih, b_hh)


# -- LSTM -------------------------------------------------------------------------------------


def _lstm_step(a, c):
    """One LSTM step from the pre-activations a (N, 4H) and the cell state c (N, H)
    → (gates [i f g o] (N, 4H), c', tanh c', o ⊙ tanh c')."""
    xp = get_array_module(a)
    a_i, a_f, a_g, a_o = _blocks(a, 4)
    i, f, g, o = _sigmoid(a_i), _sigmoid(a_f), xp.tanh(a_g), _sigmoid(a_o)
    c_new = f * c + i * g
    tanh_c = xp.tanh(c_new)
    return xp.concatenate([i, f, g, o], axis=1), c_new, tanh_c, o * tanh_c


def _lstm_step_backward(gates, c, tanh_c, g_h, g_c):
    """``LSTMCell``'s backward: from ∂L/∂h' and ∂L/∂c' → (dA (N, 4H), ∂L/∂c)."""
    xp = get_array_module(gates)
    i, f, g, o = _blocks(gates, 4)
    dc = g_c + g_h * o * (1 - tanh_c * tanh_c)
    dA = xp.concatenate(
        [
            dc * g * i * (1 - i),
            dc * c * f * (1 - f),
            dc * i * (1 - g * g),
            g_h * tanh_c * o * (1 - o),
        ],
        axis=1,
    )
    return dA, dc * f


class LSTMCell(Function):
    """LSTM step (Hochreiter & Schmidhuber 1997; deck D1, "2.2 Illustrate LSTM Structure" — see
    docs/references.md).

    Forward, with the gate rows of W_ih, W_hh, b in PyTorch's order (i, f, g, o) — deck D1
    writes each gate as W·[h_{t−1}, x_t] + b, the same affine map with W split into W_ih, W_hh:

        [a_i a_f a_g a_o] = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh
        i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)  (deck D1's C̃_t)   o = σ(a_o)
        c' = f ⊙ c + i ⊙ g        h' = o ⊙ tanh(c')

    Backward, given g_h = ∂L/∂h' and g_c = ∂L/∂c':

        dc' = g_c + g_h ⊙ o ⊙ (1 − tanh²(c'))       dc = dc' ⊙ f
        da_i = dc' ⊙ g ⊙ i(1 − i)      da_f = dc' ⊙ c ⊙ f(1 − f)
        da_g = dc' ⊙ i ⊙ (1 − g²)      da_o = g_h ⊙ tanh(c') ⊙ o(1 − o)

    then the GEMMs of the module docstring with dA_x = dA_h = [da_i da_f da_g da_o].
    """

    @staticmethod
    def forward(ctx, x, h, c, w_ih, w_hh, b_ih, b_hh):
        a = _affine(x, w_ih, b_ih) + _affine(h, w_hh, b_hh)
        gates, c_new, tanh_c, h_new = _lstm_step(a, c)
        ctx.save_for_backward(x, h, c, w_ih, w_hh, gates, tanh_c)
        return h_new, c_new

    @staticmethod
    def backward(ctx, g_h, g_c):
        x, h, c, w_ih, w_hh, gates, tanh_c = ctx.saved_tensors
        dA, dc = _lstm_step_backward(gates, c, tanh_c, g_h, g_c)
        needs = ctx.needs_input_grad
        dx = dA @ w_ih if needs[0] else None
        dh = dA @ w_hh if needs[1] else None
        return (dx, dh, dc if needs[2] else None, *_weight_grads(needs[3:], x, h, dA, dA))


def lstm_cell(input, hx, cx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step → (h', c'); see ``LSTMCell`` for the gate equations and their derivatives.
    Shapes: input (N, I), hx and cx (N, H), w_ih (4H, I), w_hh (4H, H), biases (4H,), gate rows
    in the order (i, f, g, o) as in ``torch.nn.LSTMCell``."""
    _check_step("lstm_cell", 4, input, hx, w_ih, w_hh, b_ih, b_hh, cx)
    return LSTMCell.apply(input, hx, cx, w_ih, w_hh, b_ih, b_hh)


def lstm_reference(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    """The LSTM over a (T, N, I) sequence, step by step → (gates (T, N, 4H) holding [i f g o],
    hs (T+1, N, ·) = h_0 … h_T, cs (T+1, N, H) = c_0 … c_T, tanh_cs (T, N, H)). With the
    projection W_hr, h_t = (o ⊙ tanh c_t) W_hrᵀ."""
    xp = get_array_module(x)
    inputs = _affine(x, w_ih, b_ih)  # x_t W_ihᵀ + b_ih for every t in one GEMM
    gates, hs, cs, tanh_cs = [], [h0], [c0], []
    for t in range(x.shape[0]):
        step_gates, c, tanh_c, h = _lstm_step(inputs[t] + _affine(hs[t], w_hh, b_hh), cs[t])
        gates.append(step_gates)
        cs.append(c)
        tanh_cs.append(tanh_c)
        hs.append(h if w_hr is None else h @ w_hr.T)
    return xp.stack(gates), xp.stack(hs), xp.stack(cs), xp.stack(tanh_cs)


def lstm_reference_backward(w_hh, gates, cs, tanh_cs, g_out, g_h, g_c, w_hr=None):
    """Backpropagation through time → (dA (T, N, 4H), ∂L/∂h_0, ∂L/∂c_0, ∂L/∂W_hr or None),
    given the gradients of the outputs h_1 … h_T (g_out), of h_T (g_h) and of c_T (g_c)."""
    xp = get_array_module(gates)
    steps = len(gates)
    dA, dh, dc = [None] * steps, g_h, g_c
    dw_hr = None if w_hr is None else xp.zeros_like(w_hr)
    for t in reversed(range(steps)):
        dh = dh + g_out[t]
        if w_hr is not None:  # h_t = m_t W_hrᵀ with m_t = o_t ⊙ tanh c_t
            o = _blocks(gates[t], 4)[3]
            dw_hr += dh.T @ (o * tanh_cs[t])
            dh = dh @ w_hr  # ∂L/∂m_t
        dA[t], dc = _lstm_step_backward(gates[t], cs[t], tanh_cs[t], dh, dc)
        dh = dA[t] @ w_hh
    return xp.stack(dA), dh, dc, dw_hr


class LSTM(Function):
    """A single-layer LSTM over a whole (T, N, I) sequence: ``LSTMCell``'s equations at every
    step, optionally with a projection of the hidden state (Sak et al. 2014, PyTorch's
    ``proj_size``): h_t = (o_t ⊙ tanh c_t) W_hrᵀ, of size P, is what W_hh multiplies.

    Backward (backpropagation through time): walking t = T … 1, ∂L/∂h_{t−1} = dA_t W_hh and
    ∂L/∂c_{t−1} = dc'_t ⊙ f_t feed the previous step (through the projection, ∂L/∂m_t =
    ∂L/∂h_t W_hr and ∂L/∂W_hr = Σ_t ∂L/∂h_tᵀ m_t); afterwards the stacked dA (T·N, 4H) gives
    dX = dA W_ih, dW_ih = dAᵀ X and dW_hh = dAᵀ [h_0 … h_{T−1}] as three big GEMMs.
    """

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr):
        run = kernels.lstm_forward if _on_cpu(x) else lstm_reference
        gates, hs, cs, tanh_cs = run(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)
        ctx.save_for_backward(x, w_ih, w_hh, w_hr, gates, hs, cs, tanh_cs)
        return hs[1:].copy(), hs[-1].copy(), cs[-1].copy()

    @staticmethod
    def backward(ctx, g_out, g_h, g_c):
        x, w_ih, w_hh, w_hr, gates, hs, cs, tanh_cs = ctx.saved_tensors
        run = kernels.lstm_backward if _on_cpu(x) else lstm_reference_backward
        dA, dh0, dc0, dw_hr = run(w_hh, gates, cs, tanh_cs, g_out, g_h, g_c, w_hr)
        dx, grads = _sequence_grads(ctx, x, w_ih, hs, dA, dA, first_weight=3)
        needs = ctx.needs_input_grad
        return (
            dx,
            dh0 if needs[1] else None,
            dc0 if needs[2] else None,
            *grads,
            dw_hr if needs[7] else None,
        )


def lstm(input, hx, cx, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None):
    """A single-layer LSTM over a whole sequence → (output, h_T, c_T); see ``LSTM``.

    Shapes: input (T, N, I) time-major (PyTorch's ``batch_first=False``), hx (N, H), cx (N, H),
    weights as ``lstm_cell``; output (T, N, H) stacks h_1 … h_T. The same numbers as T calls of
    ``lstm_cell``, with one input GEMM for the whole sequence and one graph node instead of T.
    With the projection w_hr (P, H): hx, h_T and the output have P features and w_hh is (4H, P).
    """
    _check_sequence("lstm", 4, input, hx, w_ih, w_hh, b_ih, b_hh, cx, w_hr)
    return LSTM.apply(input, hx, cx, w_ih, w_hh, b_ih, b_hh, w_hr)


# -- GRU --------------------------------------------------------------------------------------


def _gru_step(a_x, a_h, h):
    """One GRU step from a_x = x W_ihᵀ + b_ih and a_h = h W_hhᵀ + b_hh (N, 3H)
    → (r, z, n, m = W_hn h + b_hn, h')."""
    xp = get_array_module(a_x)
    ax_r, ax_z, ax_n = _blocks(a_x, 3)
    ah_r, ah_z, m = _blocks(a_h, 3)
    r, z = _sigmoid(ax_r + ah_r), _sigmoid(ax_z + ah_z)
    n = xp.tanh(ax_n + r * m)
    return r, z, n, m, (1 - z) * n + z * h


def _gru_step_backward(g, h, r, z, n, m):
    """``GRUCell``'s backward: from g = ∂L/∂h' → (dA_x, dA_h (N, 3H), the direct part g ⊙ z
    of ∂L/∂h; the part through W_hh is dA_h W_hh)."""
    xp = get_array_module(g)
    da_n = g * (1 - z) * (1 - n * n)
    da_r = da_n * m * r * (1 - r)
    da_z = g * (h - n) * z * (1 - z)
    dA_x = xp.concatenate([da_r, da_z, da_n], axis=1)
    dA_h = xp.concatenate([da_r, da_z, r * da_n], axis=1)
    return dA_x, dA_h, g * z


class GRUCell(Function):
    """GRU step (Cho et al. 2014) in PyTorch's form, gate rows in the order (r, z, n):

        r = σ(W_ir x + b_ir + W_hr h + b_hr)       z = σ(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
        h' = (1 − z) ⊙ n + z ⊙ h

    Backward, given g = ∂L/∂h' and m = W_hn h + b_hn:

        da_n = g ⊙ (1 − z) ⊙ (1 − n²)     da_r = da_n ⊙ m ⊙ r(1 − r)
        da_z = g ⊙ (h − n) ⊙ z(1 − z)     dh_direct = g ⊙ z

    dA_x = [da_r da_z da_n] and dA_h = [da_r da_z r ⊙ da_n]; dh = dA_h W_hh + dh_direct, and the
    other GEMMs of the module docstring.
    """

    @staticmethod
    def forward(ctx, x, h, w_ih, w_hh, b_ih, b_hh):
        r, z, n, m, h_new = _gru_step(_affine(x, w_ih, b_ih), _affine(h, w_hh, b_hh), h)
        ctx.save_for_backward(x, h, w_ih, w_hh, r, z, n, m)
        return h_new

    @staticmethod
    def backward(ctx, g):
        x, h, w_ih, w_hh, r, z, n, m = ctx.saved_tensors
        dA_x, dA_h, dh_direct = _gru_step_backward(g, h, r, z, n, m)
        needs = ctx.needs_input_grad
        dx = dA_x @ w_ih if needs[0] else None
        dh = dA_h @ w_hh + dh_direct if needs[1] else None
        return (dx, dh, *_weight_grads(needs[2:], x, h, dA_x, dA_h))


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step → h'; see ``GRUCell`` for the gate equations and their derivatives.
    Shapes: input (N, I), hx (N, H), w_ih (3H, I), w_hh (3H, H), biases (3H,), gate rows in the
    order (r, z, n) as in ``torch.nn.GRUCell``."""
    _check_step("gru_cell", 3, input, hx, w_ih, w_hh, b_ih, b_hh)
    return GRUCell.apply(input, hx, w_ih, w_hh, b_ih, b_hh)


def gru_reference(x, h0, w_ih, w_hh, b_ih, b_hh):
    """The GRU over a (T, N, I) sequence, step by step → (hs (T+1, N, H) = h_0 … h_T,
    rzs (T, N, 2H) holding [r z], ns (T, N, H) the candidates n, ms (T, N, H) = W_hn h + b_hn)."""
    xp = get_array_module(x)
    inputs = _affine(x, w_ih, b_ih)  # x_t W_ihᵀ + b_ih for every t in one GEMM
    hs, rzs, ns, ms = [h0], [], [], []
    for t in range(x.shape[0]):
        r, z, n, m, h = _gru_step(inputs[t], _affine(hs[t], w_hh, b_hh), hs[t])
        hs.append(h)
        rzs.append(xp.concatenate([r, z], axis=1))
        ns.append(n)
        ms.append(m)
    return xp.stack(hs), xp.stack(rzs), xp.stack(ns), xp.stack(ms)


def gru_reference_backward(w_hh, hs, rzs, ns, ms, g_out, g_h):
    """Backpropagation through time → (dA_x, dA_h (T, N, 3H), ∂L/∂h_0), given the gradients
    of the outputs h_1 … h_T (g_out) and of h_T (g_h)."""
    xp = get_array_module(hs)
    steps = len(g_out)
    dA_x, dA_h, dh = [None] * steps, [None] * steps, g_h
    for t in reversed(range(steps)):
        r, z = _blocks(rzs[t], 2)
        dA_x[t], dA_h[t], dh_direct = _gru_step_backward(g_out[t] + dh, hs[t], r, z, ns[t], ms[t])
        dh = dA_h[t] @ w_hh + dh_direct
    return xp.stack(dA_x), xp.stack(dA_h), dh


class GRU(Function):
    """A single-layer GRU over a whole (T, N, I) sequence: ``GRUCell`` at every step, with
    X W_ihᵀ + b_ih for all steps in one GEMM (b_hh stays inside the step: the reset gate
    multiplies W_hn h + b_hn).

    Backward through time: each step's ``GRUCell`` backward gives dA_x,t, dA_h,t and
    ∂L/∂h_{t−1} = dA_h,t W_hh + g ⊙ z_t; then dX = dA_x W_ih, dW_ih = dA_xᵀ X,
    dW_hh = dA_hᵀ [h_0 … h_{T−1}] over the stacked (T·N) rows.
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh):
        run = kernels.gru_forward if _on_cpu(x) else gru_reference
        hs, rzs, ns, ms = run(x, h0, w_ih, w_hh, b_ih, b_hh)
        ctx.save_for_backward(x, w_ih, w_hh, hs, rzs, ns, ms)
        return hs[1:].copy(), hs[-1].copy()

    @staticmethod
    def backward(ctx, g_out, g_h):
        x, w_ih, w_hh, hs, rzs, ns, ms = ctx.saved_tensors
        run = kernels.gru_backward if _on_cpu(x) else gru_reference_backward
        dA_x, dA_h, dh0 = run(w_hh, hs, rzs, ns, ms, g_out, g_h)
        dx, grads = _sequence_grads(ctx, x, w_ih, hs, dA_x, dA_h, first_weight=2)
        return (dx, dh0 if ctx.needs_input_grad[1] else None, *grads)


def gru(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """A single-layer GRU over a (T, N, I) sequence → (output (T, N, H), h_T); the same numbers
    as T calls of ``gru_cell``. See ``GRU``."""
    _check_sequence("gru", 3, input, hx, w_ih, w_hh, b_ih, b_hh)
    return GRU.apply(input, hx, w_ih, w_hh, b_ih, b_hh)
