"""Fused recurrent ops: one time step of an Elman RNN, an LSTM or a GRU as a single op (the
cells), and a whole sequence as a single op (the sequence kernels).

A cell computes all its gates from two matrix products — the input x (N, I) against W_ih
(k·H, I) and the previous hidden state h (N, H) against W_hh (k·H, H), the k gates stacked in
the rows in PyTorch's order — then applies the gate nonlinearities in place. Its backward is
written out by hand: the gates' local derivatives give dA, the gradient of the (N, k·H)
pre-activations, and then every input and weight gradient is one GEMM:

    dx = dA_x · W_ih      dh = dA_h · W_hh      dW_ih = dA_xᵀ · x      dW_hh = dA_hᵀ · h
    db_ih = Σ_batch dA_x  db_hh = Σ_batch dA_h

(dA_x = dA_h except in the GRU, where the reset gate sits between W_hn·h and the sum.)
This is the hot path of every sequence model; a graph of twenty small ops per step would be
both slower and harder to read.

The sequence kernels ``rnn_tanh``, ``rnn_relu``, ``lstm``, ``gru`` run one layer over a
time-major (T, N, I) input with the same step equations: the input projection X W_ihᵀ for all
T steps is one GEMM, each step adds one h W_hhᵀ, and backpropagation through time stacks the
per-step dA so that dX, dW_ih and dW_hh are again three GEMMs over all T·N rows.

Signatures follow ``torch.rnn_tanh_cell``/``torch.lstm_cell``/``torch.gru_cell`` except that the
LSTM takes ``hx`` and ``cx`` as two arguments rather than a pair.
"""

import numpy as np

from ..autograd import Function
from ..backend import get_array_module

__all__ = ["rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell", "rnn_tanh", "rnn_relu",
           "lstm", "gru"]


def _sigmoid_(a):
    """σ(a) = (1 + tanh(a/2))/2 in place: stable for any |a|, one transcendental per element."""
    xp = get_array_module(a)
    a *= 0.5
    xp.tanh(a, out=a)
    a += 1
    a *= 0.5
    return a


def _bias_inputs(b_ih, b_hh):
    """The present biases as a list, and which of (b_ih, b_hh) they are."""
    present = (b_ih is not None, b_hh is not None)
    return [b for b in (b_ih, b_hh) if b is not None], present


def _unpack_biases(biases, present):
    biases = iter(biases)
    return tuple(next(biases) if here else None for here in present)


def _add_biases(pre, *biases):
    for b in biases:
        if b is not None:
            pre += b
    return pre


def _project_inputs(x, w_ih, *biases):
    """X W_ihᵀ (+ biases) for all T·N rows of a (T, N, I) sequence in one GEMM → (T, N, k·H).
    The biases are summed first, so the big array is passed over once."""
    steps, batch, _ = x.shape
    pre = (x.reshape(steps * batch, -1) @ w_ih.T).reshape(steps, batch, -1)
    present = [b for b in biases if b is not None]
    if present:
        pre += sum(present[1:], present[0])
    return pre


def _as_rows(sequence):
    """View a (T, N, F) array as (T·N, F) rows."""
    return sequence.reshape(-1, sequence.shape[-1])


def _weight_grads(ctx, first_weight, x, h, dA_x, dA_h):
    """Gradients of (w_ih, w_hh, *present biases) from the pre-activation gradients."""
    needs = ctx.needs_input_grad
    grads = [dA_x.T @ x if needs[first_weight] else None,
             dA_h.T @ h if needs[first_weight + 1] else None]
    index = first_weight + 2
    sums = {}  # b_ih and b_hh share one sum when dA_x is dA_h
    for here, dA in zip(ctx.present, (dA_x, dA_h)):
        if here:
            if needs[index]:
                grads.append(sums[id(dA)].copy() if id(dA) in sums else dA.sum(axis=0))
                sums[id(dA)] = grads[-1]
            else:
                grads.append(None)
            index += 1
    return grads


def _require_ndim(op, name, array, ndim, layout):
    if array.ndim != ndim:
        raise ValueError(f"{op}: {name} must be {ndim}-D {layout}, got shape {tuple(array.shape)}")


def _check_cell(op, gates, step_shape, h, w_ih, w_hh, b_ih, b_hh, c=None):
    """Check a recurrent op's shapes against one time step's input shape (batch, features);
    the error names the op and the offending argument."""
    _require_ndim(op, "hx", h, 2, "(batch, hidden)")
    batch, inputs = step_shape
    hidden = h.shape[1]
    expected = {"hx": ((batch, hidden), h), "w_ih": ((gates * hidden, inputs), w_ih),
                "w_hh": ((gates * hidden, hidden), w_hh), "b_ih": ((gates * hidden,), b_ih),
                "b_hh": ((gates * hidden,), b_hh), "cx": ((batch, hidden), c)}
    for name, (shape, array) in expected.items():
        if array is not None and tuple(array.shape) != shape:
            raise ValueError(f"{op}: {name} has shape {tuple(array.shape)}, expected {shape} "
                             f"for input steps of shape {tuple(step_shape)} and hidden size "
                             f"{hidden}")


def _check_step(op, gates, x, h, w_ih, w_hh, b_ih, b_hh, c=None):
    """``_check_cell`` for a single-step op, whose input is (batch, features)."""
    _require_ndim(op, "input", x, 2, "(batch, features)")
    _check_cell(op, gates, tuple(x.shape), h, w_ih, w_hh, b_ih, b_hh, c)


def _rnn_activate(pre, nonlinearity, out):
    """h' = φ(a), tanh or relu, written into ``out``."""
    xp = get_array_module(pre)
    return xp.tanh(pre, out=out) if nonlinearity == "tanh" else xp.maximum(pre, 0, out=out)


def _rnn_step_backward(g, h_new, nonlinearity):
    """dA = g ⊙ φ'(a), with φ' read off the output: tanh' = 1 − h'², relu' = [h' > 0]."""
    if nonlinearity == "tanh":
        return g * (1 - h_new * h_new)
    return g * (h_new > 0)


class RNNCell(Function):
    """Elman RNN step (deck 004: h_t = H(W_xh x_t + W_hh h_{t−1} + b_h)).

    Forward: h' = φ(a), a = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh, φ = tanh or relu.
    Backward: dA = g ⊙ φ'(a) with tanh' = 1 − h'² and relu' = [h' > 0]; then the GEMMs of the
    module docstring with dA_x = dA_h = dA.
    """

    @staticmethod
    def forward(ctx, x, h, w_ih, w_hh, *biases, present, nonlinearity):
        pre = x @ w_ih.T
        pre += h @ w_hh.T
        _add_biases(pre, *_unpack_biases(biases, present))
        h_new = _rnn_activate(pre, nonlinearity, out=pre)
        ctx.save_for_backward(x, h, w_ih, w_hh, h_new)
        ctx.present, ctx.nonlinearity = present, nonlinearity
        return h_new

    @staticmethod
    def backward(ctx, g):
        x, h, w_ih, w_hh, h_new = ctx.saved_tensors
        dA = _rnn_step_backward(g, h_new, ctx.nonlinearity)
        needs = ctx.needs_input_grad
        dx = dA @ w_ih if needs[0] else None
        dh = dA @ w_hh if needs[1] else None
        return (dx, dh, *_weight_grads(ctx, 2, x, h, dA, dA))


def _rnn_cell(op, nonlinearity, input, hx, w_ih, w_hh, b_ih, b_hh):
    _check_step(op, 1, input, hx, w_ih, w_hh, b_ih, b_hh)
    biases, present = _bias_inputs(b_ih, b_hh)
    return RNNCell.apply(input, hx, w_ih, w_hh, *biases, present=present,
                         nonlinearity=nonlinearity)


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman RNN step h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh); see ``RNNCell``.
    Shapes: input (N, I), hx (N, H), w_ih (H, I), w_hh (H, H), biases (H,)."""
    return _rnn_cell("rnn_tanh_cell", "tanh", input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman RNN step h' = relu(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh); see ``RNNCell``."""
    return _rnn_cell("rnn_relu_cell", "relu", input, hx, w_ih, w_hh, b_ih, b_hh)


def _lstm_step(gates, c, c_new, tanh_c, h_new):
    """Turn pre-activations (N, 4H) into gate activations [i f g o] in place and write c',
    tanh c' and h' into the given (N, H) arrays."""
    xp = get_array_module(gates)
    hidden = c.shape[1]
    _sigmoid_(gates[:, :2 * hidden])
    xp.tanh(gates[:, 2 * hidden:3 * hidden], out=gates[:, 2 * hidden:3 * hidden])
    _sigmoid_(gates[:, 3 * hidden:])
    _lstm_cell_update(gates, c, c_new, tanh_c, h_new)


def _lstm_cell_update(gates, c, c_new, tanh_c, h_new):
    """From gate activations [i f g o] (N, 4H), write c' = f ⊙ c + i ⊙ g, tanh c' and
    h' = o ⊙ tanh c' into the given (N, H) arrays."""
    xp = get_array_module(gates)
    hidden = c.shape[1]
    i, f, g, o = (gates[:, k * hidden:(k + 1) * hidden] for k in range(4))
    xp.multiply(f, c, out=c_new)
    c_new += i * g
    xp.tanh(c_new, out=tanh_c)
    xp.multiply(o, tanh_c, out=h_new)


def _lstm_gate_scale(xp, hidden, dtype):
    """s (4H,) = ½ on the rows of the sigmoid gates i, f, o and 1 on g's. With pre-activations
    s ⊙ a (from weights and biases scaled row-wise by s), ONE tanh over the whole (N, 4H)
    block gives every gate: s ⊙ tanh(s ⊙ a) + (1 − s) is σ(a) = ½ tanh(a/2) + ½ where s = ½
    and tanh(a) where s = 1. Scaling by ½ is exact in floating point."""
    scale = xp.full((4, hidden), 0.5, dtype=dtype)
    scale[2] = 1
    return scale.reshape(-1)


def _lstm_step_backward(gates, c, tanh_c, g_h, g_c, dA):
    """From ∂L/∂h' and ∂L/∂c' of one step, write the pre-activation gradient into dA (N, 4H);
    return ∂L/∂c. dA starts as every gate's local derivative — σ' = s(1 − s) over all four
    blocks in two whole-array ops, then tanh' = 1 − g² over the g block — and each block is
    then multiplied by what flows into its gate."""
    xp = get_array_module(gates)
    hidden = c.shape[1]
    i, f, g, o = (gates[:, k * hidden:(k + 1) * hidden] for k in range(4))
    d_i, d_f, d_g, d_o = (dA[:, k * hidden:(k + 1) * hidden] for k in range(4))
    xp.subtract(1, gates, out=dA)
    dA *= gates
    xp.multiply(g, g, out=d_g)
    xp.subtract(1, d_g, out=d_g)
    dc_new = g_h * o * (1 - tanh_c * tanh_c)
    dc_new += g_c
    d_i *= dc_new * g
    d_f *= dc_new * c
    d_g *= dc_new * i
    d_o *= g_h * tanh_c
    return dc_new * f


class LSTMCell(Function):
    """LSTM step (deck 001, "Illustrate LSTM Structure"; Hochreiter & Schmidhuber 1997).

    Forward, with the gate rows of W_ih, W_hh, b in PyTorch's order (i, f, g, o) — deck 001
    writes each gate as W·[h_{t−1}, x_t] + b, the same affine map with W split into W_ih, W_hh:

        [a_i a_f a_g a_o] = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh
        i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)  (deck 001's C̃_t)   o = σ(a_o)
        c' = f ⊙ c + i ⊙ g        h' = o ⊙ tanh(c')

    Backward, given g_h = ∂L/∂h' and g_c = ∂L/∂c':

        dc' = g_c + g_h ⊙ o ⊙ (1 − tanh²(c'))       dc = dc' ⊙ f
        da_i = dc' ⊙ g ⊙ i(1 − i)      da_f = dc' ⊙ c ⊙ f(1 − f)
        da_g = dc' ⊙ i ⊙ (1 − g²)      da_o = g_h ⊙ tanh(c') ⊙ o(1 − o)

    then the GEMMs of the module docstring with dA_x = dA_h = [da_i da_f da_g da_o].
    """

    @staticmethod
    def forward(ctx, x, h, c, w_ih, w_hh, *biases, present):
        xp = get_array_module(x)
        gates = x @ w_ih.T
        gates += h @ w_hh.T
        _add_biases(gates, *_unpack_biases(biases, present))
        c_new, tanh_c, h_new = (xp.empty(c.shape, dtype=gates.dtype) for _ in range(3))
        _lstm_step(gates, c, c_new, tanh_c, h_new)
        ctx.save_for_backward(x, h, c, w_ih, w_hh, gates, tanh_c)
        ctx.present = present
        return h_new, c_new

    @staticmethod
    def backward(ctx, g_h, g_c):
        x, h, c, w_ih, w_hh, gates, tanh_c = ctx.saved_tensors
        dA = get_array_module(x).empty_like(gates)
        dc = _lstm_step_backward(gates, c, tanh_c, g_h, g_c, dA)
        needs = ctx.needs_input_grad
        dx = dA @ w_ih if needs[0] else None
        dh = dA @ w_hh if needs[1] else None
        return (dx, dh, dc if needs[2] else None, *_weight_grads(ctx, 3, x, h, dA, dA))


def lstm_cell(input, hx, cx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step → (h', c'); see ``LSTMCell`` for the gate equations and their derivatives.
    Shapes: input (N, I), hx and cx (N, H), w_ih (4H, I), w_hh (4H, H), biases (4H,), gate rows
    in the order (i, f, g, o) as in ``torch.nn.LSTMCell``."""
    _check_step("lstm_cell", 4, input, hx, w_ih, w_hh, b_ih, b_hh, cx)
    biases, present = _bias_inputs(b_ih, b_hh)
    return LSTMCell.apply(input, hx, cx, w_ih, w_hh, *biases, present=present)


def _gru_step(pre_x, pre_h, h, rz, n, h_new):
    """From the pre-activations x W_ihᵀ + b_ih and h W_hhᵀ + b_hh (N, 3H), write the gates
    [r z] into ``rz`` (N, 2H), the candidate n and h' into ``n``, ``h_new`` (N, H)."""
    xp = get_array_module(h)
    hidden = h.shape[1]
    xp.add(pre_x[:, :2 * hidden], pre_h[:, :2 * hidden], out=rz)
    _sigmoid_(rz)
    xp.multiply(rz[:, :hidden], pre_h[:, 2 * hidden:], out=n)
    n += pre_x[:, 2 * hidden:]
    xp.tanh(n, out=n)
    xp.subtract(h, n, out=h_new)
    h_new *= rz[:, hidden:]
    h_new += n


def _gru_step_backward(g, h, rz, n, m, dA_x, dA_h):
    """Write the pre-activation gradients of one step into dA_x, dA_h (N, 3H); return the
    direct part of ∂L/∂h, g ⊙ z (the part through W_hh is dA_h W_hh)."""
    hidden = h.shape[1]
    r, z = rz[:, :hidden], rz[:, hidden:]
    da_n = dA_x[:, 2 * hidden:]
    da_n[...] = g * (1 - z) * (1 - n * n)
    dA_x[:, :hidden] = da_n * m * r * (1 - r)
    dA_x[:, hidden:2 * hidden] = g * (h - n) * z * (1 - z)
    dA_h[:, :2 * hidden] = dA_x[:, :2 * hidden]
    dA_h[:, 2 * hidden:] = da_n * r
    return g * z


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
    def forward(ctx, x, h, w_ih, w_hh, *biases, present):
        xp = get_array_module(x)
        b_ih, b_hh = _unpack_biases(biases, present)
        batch, hidden = h.shape
        pre_x = _add_biases(x @ w_ih.T, b_ih)
        pre_h = _add_biases(h @ w_hh.T, b_hh)
        rz = xp.empty((batch, 2 * hidden), dtype=pre_h.dtype)
        n, h_new = (xp.empty(h.shape, dtype=pre_h.dtype) for _ in range(2))
        _gru_step(pre_x, pre_h, h, rz, n, h_new)
        ctx.save_for_backward(x, h, w_ih, w_hh, rz, n, pre_h[:, 2 * hidden:])
        ctx.present = present
        return h_new

    @staticmethod
    def backward(ctx, g):
        x, h, w_ih, w_hh, rz, n, m = ctx.saved_tensors
        xp = get_array_module(x)
        dA_x, dA_h = (xp.empty((g.shape[0], 3 * h.shape[1]), dtype=g.dtype) for _ in range(2))
        dh_direct = _gru_step_backward(g, h, rz, n, m, dA_x, dA_h)
        needs = ctx.needs_input_grad
        dx = dA_x @ w_ih if needs[0] else None
        dh = None
        if needs[1]:
            dh = dA_h @ w_hh
            dh += dh_direct
        return (dx, dh, *_weight_grads(ctx, 2, x, h, dA_x, dA_h))


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step → h'; see ``GRUCell`` for the gate equations and their derivatives.
    Shapes: input (N, I), hx (N, H), w_ih (3H, I), w_hh (3H, H), biases (3H,), gate rows in the
    order (r, z, n) as in ``torch.nn.GRUCell``."""
    _check_step("gru_cell", 3, input, hx, w_ih, w_hh, b_ih, b_hh)
    biases, present = _bias_inputs(b_ih, b_hh)
    return GRUCell.apply(input, hx, w_ih, w_hh, *biases, present=present)


_SMALL_GEMM = 1_000_000  # OpenBLAS multiplies without packing when M·N·K ≤ 10⁶


class _StepProduct:
    """``out = a @ b`` for the T small (N, K) matrices a of a recurrence against one (K, M)
    matrix b that is fixed for the whole sequence: h_{t−1} W_hhᵀ forward, dA_t W_hh backward.

    A plain GEMM copies all of b into its blocked ("packed") layout at every call, and for
    N = 32 rows that copy costs about as much as the arithmetic. OpenBLAS, NumPy's BLAS, skips
    the packing for products with M·N·K ≤ 10⁶ (its small-matrix kernels). So on the CPU b is
    cut ONCE per sequence into a stack of (K/k, 32) tiles — k blocks of K by M/32 column
    tiles, k as small as the bound allows — and each step is one batched ``matmul`` of the
    matching column blocks of a against every tile, written straight into out's tiles (k = 1)
    or summed into them.
    One thread, N = 32, H = 512, 64 steps: forward products 80 → 50 ms, backward 62 → 47 ms.
    The tiles cost one copy of b, which a short sequence does not earn back: below
    ``min_steps`` steps (sampling and decoding run one step at a time), on the GPU, and where
    no tiling fits the bound, a step is one plain GEMM on b as it is (no copy).
    ``column_scale`` (M,) scales b's columns on the way (the LSTM's gate scale).
    """

    tile = 32
    min_steps = 8

    def __init__(self, b, rows, steps, column_scale=None):
        xp = get_array_module(b)
        depth, width = b.shape
        self.rows = rows
        self.blocks = None if steps < self.min_steps else self._blocks(xp, rows, depth, width)
        self.partials = None
        if self.blocks is None:
            self.b = b if column_scale is None else b * column_scale
            return
        tiles = width // self.tile
        layout = b.reshape(self.blocks, depth // self.blocks, tiles, self.tile)
        layout = layout.transpose(0, 2, 1, 3)
        if column_scale is not None:
            column_scale = column_scale.reshape(1, tiles, 1, self.tile)
        if self.blocks > 1:
            self.partials = xp.empty((self.blocks, tiles, rows, self.tile), dtype=b.dtype)
        self.b = xp.empty(layout.shape, dtype=b.dtype)  # contiguous, filled in one pass
        if column_scale is None:
            self.b[...] = layout
        else:
            xp.multiply(layout, column_scale, out=self.b)

    @classmethod
    def _blocks(cls, xp, rows, depth, width):
        """How many blocks to cut K into for the tiled product; None for a plain GEMM."""
        if xp is not np or width % cls.tile or rows * depth * width <= _SMALL_GEMM:
            return None
        for blocks in (1, 2, 4, 8, 16):
            if depth % blocks == 0 and rows * (depth // blocks) * cls.tile <= _SMALL_GEMM:
                return blocks
        return None

    def write_into(self, a, out):
        """out (N, M) = a (N, K) @ b, both contiguous."""
        xp = get_array_module(a)
        if self.blocks is None:
            xp.matmul(a, self.b, out=out)
            return
        out_tiles = out.reshape(self.rows, -1, self.tile).transpose(1, 0, 2)  # (M/32, N, 32)
        if self.blocks == 1:
            xp.matmul(a, self.b[0], out=out_tiles)
            return
        a_blocks = a.reshape(self.rows, self.blocks, -1).transpose(1, 0, 2)[:, None]
        xp.matmul(a_blocks, self.b, out=self.partials)
        xp.sum(self.partials, axis=0, out=out_tiles)


class LSTM(Function):
    """A single-layer LSTM over a whole (T, N, I) sequence: ``LSTMCell``'s equations at every
    step, with the work arranged for speed (the DESIGN's "precompute the input projection").

    Forward: A_x = X W_ihᵀ + b_ih + b_hh for all T·N rows in one GEMM, then per step only A_t =
    A_x[t] + h_{t−1} W_hhᵀ and the fused gates — one tanh over all four gates, with the weights'
    rows pre-scaled (``_lstm_gate_scale``; for a sequence of fewer rows T·N than the weights
    have columns, as in sampling, each step's pre-activations are scaled instead). Backward
    (backpropagation through time): walking t = T … 1, ∂L/∂h_{t−1} = dA_t W_hh and ∂L/∂c_{t−1} =
    dc'_t ⊙ f_t feed the previous step; afterwards the stacked dA (T·N, 4H) gives dX = dA W_ih,
    dW_ih = dAᵀ X and dW_hh = dAᵀ [h_0 … h_{T−1}] as three big GEMMs.
    """

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, *biases, present):
        xp = get_array_module(x)
        steps, batch, _ = x.shape
        hidden = h0.shape[1]
        scale = _lstm_gate_scale(xp, hidden, x.dtype)
        offset = 1 - scale
        # Scale the weights (one pass over them) or the pre-activations (one pass over those):
        # the first for training batches, the second when sampling one character at a time.
        scale_weights = steps * batch > x.shape[2] + hidden
        if scale_weights:
            scaled_biases = (None if b is None else b * scale
                             for b in _unpack_biases(biases, present))
            inputs = _project_inputs(x, w_ih * scale[:, None], *scaled_biases)
        else:
            inputs = _project_inputs(x, w_ih, *_unpack_biases(biases, present))
        gates = xp.empty_like(inputs)
        hs = xp.empty((steps + 1, batch, hidden), dtype=x.dtype)
        cs = xp.empty((steps + 1, batch, hidden), dtype=x.dtype)
        tanh_cs = xp.empty((steps, batch, hidden), dtype=x.dtype)
        hs[0], cs[0] = h0, c0
        recurrence = _StepProduct(w_hh.T, batch, steps,  # h ↦ h (s ⊙ W_hh)ᵀ
                                  column_scale=scale if scale_weights else None)
        for t in range(steps):
            step_gates = gates[t]
            recurrence.write_into(hs[t], step_gates)
            step_gates += inputs[t]
            if not scale_weights:
                step_gates *= scale
            xp.tanh(step_gates, out=step_gates)
            step_gates *= scale
            step_gates += offset
            _lstm_cell_update(step_gates, cs[t], cs[t + 1], tanh_cs[t], hs[t + 1])
        ctx.save_for_backward(x, w_ih, w_hh, gates, hs, cs, tanh_cs)
        ctx.present = present
        return hs[1:].copy(), hs[steps].copy(), cs[steps].copy()

    @staticmethod
    def backward(ctx, g_out, g_h, g_c):
        x, w_ih, w_hh, gates, hs, cs, tanh_cs = ctx.saved_tensors
        xp = get_array_module(x)
        steps, batch, _ = x.shape
        dA = xp.empty_like(gates)
        recurrence = _StepProduct(w_hh, batch, steps)  # dA_t ↦ dA_t W_hh
        dh, dc = xp.array(g_h), g_c  # dh: ∂L/∂h_t from the steps after t
        for t in reversed(range(steps)):
            dh += g_out[t]
            dc = _lstm_step_backward(gates[t], cs[t], tanh_cs[t], dh, dc, dA[t])
            recurrence.write_into(dA[t], dh)
        rows = _as_rows(dA)
        needs = ctx.needs_input_grad
        dx = (rows @ w_ih).reshape(x.shape) if needs[0] else None
        grads = _weight_grads(ctx, 3, _as_rows(x), _as_rows(hs[:steps]), rows, rows)
        return (dx, dh if needs[1] else None, dc if needs[2] else None, *grads)


def lstm(input, hx, cx, w_ih, w_hh, b_ih=None, b_hh=None):
    """A single-layer LSTM over a whole sequence → (output, h_T, c_T); see ``LSTM``.

    Shapes: input (T, N, I) time-major (PyTorch's ``batch_first=False``), hx and cx (N, H),
    weights as ``lstm_cell``; output (T, N, H) stacks h_1 … h_T. The same numbers as T calls of
    ``lstm_cell``, with one input GEMM for the whole sequence and one graph node instead of T.
    """
    _require_ndim("lstm", "input", input, 3, "(time, batch, features)")
    _check_cell("lstm", 4, tuple(input.shape[1:]), hx, w_ih, w_hh, b_ih, b_hh, cx)
    biases, present = _bias_inputs(b_ih, b_hh)
    return LSTM.apply(input, hx, cx, w_ih, w_hh, *biases, present=present)


class RNN(Function):
    """A single-layer Elman RNN over a whole (T, N, I) sequence: ``RNNCell`` at every step, with
    the input projection X W_ihᵀ + b_ih + b_hh done for all steps in one GEMM.

    Backward through time: dA_t = (g_t + ∂L/∂h_t) ⊙ φ'(a_t), ∂L/∂h_{t−1} = dA_t W_hh; then
    dX = dA W_ih, dW_ih = dAᵀ X, dW_hh = dAᵀ [h_0 … h_{T−1}] over the stacked (T·N) rows.
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, *biases, present, nonlinearity):
        xp = get_array_module(x)
        steps = x.shape[0]
        pre = _project_inputs(x, w_ih, *_unpack_biases(biases, present))
        hs = xp.empty((steps + 1,) + h0.shape, dtype=pre.dtype)
        hs[0] = h0
        recurrence = _StepProduct(w_hh.T, h0.shape[0], steps)  # h ↦ h W_hhᵀ
        product = xp.empty(h0.shape, dtype=pre.dtype)
        for t in range(steps):
            recurrence.write_into(hs[t], product)
            pre[t] += product
            _rnn_activate(pre[t], nonlinearity, out=hs[t + 1])
        ctx.save_for_backward(x, w_ih, w_hh, hs)
        ctx.present, ctx.nonlinearity = present, nonlinearity
        return hs[1:].copy(), hs[steps].copy()

    @staticmethod
    def backward(ctx, g_out, g_h):
        x, w_ih, w_hh, hs = ctx.saved_tensors
        xp = get_array_module(x)
        steps = x.shape[0]
        dA = xp.empty_like(hs[1:])
        recurrence = _StepProduct(w_hh, g_h.shape[0], steps)  # dA_t ↦ dA_t W_hh
        dh = xp.array(g_h)
        for t in reversed(range(steps)):
            dA[t] = _rnn_step_backward(g_out[t] + dh, hs[t + 1], ctx.nonlinearity)
            recurrence.write_into(dA[t], dh)
        rows = _as_rows(dA)
        dx = (rows @ w_ih).reshape(x.shape) if ctx.needs_input_grad[0] else None
        grads = _weight_grads(ctx, 2, _as_rows(x), _as_rows(hs[:steps]), rows, rows)
        return (dx, dh if ctx.needs_input_grad[1] else None, *grads)


def _rnn_sequence(op, nonlinearity, input, hx, w_ih, w_hh, b_ih, b_hh):
    _require_ndim(op, "input", input, 3, "(time, batch, features)")
    _check_cell(op, 1, tuple(input.shape[1:]), hx, w_ih, w_hh, b_ih, b_hh)
    biases, present = _bias_inputs(b_ih, b_hh)
    return RNN.apply(input, hx, w_ih, w_hh, *biases, present=present, nonlinearity=nonlinearity)


def rnn_tanh(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """A single-layer tanh Elman RNN over a (T, N, I) sequence → (output (T, N, H), h_T); the
    same numbers as T calls of ``rnn_tanh_cell``. See ``RNN``."""
    return _rnn_sequence("rnn_tanh", "tanh", input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_relu(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """A single-layer relu Elman RNN over a (T, N, I) sequence → (output, h_T); see ``RNN``."""
    return _rnn_sequence("rnn_relu", "relu", input, hx, w_ih, w_hh, b_ih, b_hh)


class GRU(Function):
    """A single-layer GRU over a whole (T, N, I) sequence: ``GRUCell`` at every step, with
    X W_ihᵀ + b_ih for all steps in one GEMM (b_hh stays inside the step: the reset gate
    multiplies W_hn h + b_hn).

    Backward through time: each step's ``GRUCell`` backward gives dA_x,t, dA_h,t and
    ∂L/∂h_{t−1} = dA_h,t W_hh + g ⊙ z_t; then dX = dA_x W_ih, dW_ih = dA_xᵀ X,
    dW_hh = dA_hᵀ [h_0 … h_{T−1}] over the stacked (T·N) rows.
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, *biases, present):
        xp = get_array_module(x)
        b_ih, b_hh = _unpack_biases(biases, present)
        steps, (batch, hidden) = x.shape[0], h0.shape
        pre_x = _project_inputs(x, w_ih, b_ih)
        hs = xp.empty((steps + 1, batch, hidden), dtype=pre_x.dtype)
        rzs = xp.empty((steps, batch, 2 * hidden), dtype=pre_x.dtype)
        ns, ms = (xp.empty((steps, batch, hidden), dtype=pre_x.dtype) for _ in range(2))
        hs[0] = h0
        recurrence = _StepProduct(w_hh.T, batch, steps)  # h ↦ h W_hhᵀ
        pre_h = xp.empty((batch, 3 * hidden), dtype=pre_x.dtype)
        for t in range(steps):
            recurrence.write_into(hs[t], pre_h)
            _add_biases(pre_h, b_hh)
            _gru_step(pre_x[t], pre_h, hs[t], rzs[t], ns[t], hs[t + 1])
            ms[t] = pre_h[:, 2 * hidden:]
        ctx.save_for_backward(x, w_ih, w_hh, hs, rzs, ns, ms)
        ctx.present = present
        return hs[1:].copy(), hs[steps].copy()

    @staticmethod
    def backward(ctx, g_out, g_h):
        x, w_ih, w_hh, hs, rzs, ns, ms = ctx.saved_tensors
        xp = get_array_module(x)
        steps = x.shape[0]
        dA_x, dA_h = (xp.empty(rzs.shape[:2] + (w_hh.shape[0],), dtype=hs.dtype)
                      for _ in range(2))
        recurrence = _StepProduct(w_hh, g_h.shape[0], steps)  # dA_h,t ↦ dA_h,t W_hh
        dh = xp.array(g_h)
        for t in reversed(range(steps)):
            dh_direct = _gru_step_backward(g_out[t] + dh, hs[t], rzs[t], ns[t], ms[t], dA_x[t],
                                           dA_h[t])
            recurrence.write_into(dA_h[t], dh)
            dh += dh_direct
        rows_x, rows_h = _as_rows(dA_x), _as_rows(dA_h)
        dx = (rows_x @ w_ih).reshape(x.shape) if ctx.needs_input_grad[0] else None
        grads = _weight_grads(ctx, 2, _as_rows(x), _as_rows(hs[:steps]), rows_x, rows_h)
        return (dx, dh if ctx.needs_input_grad[1] else None, *grads)


def gru(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """A single-layer GRU over a (T, N, I) sequence → (output (T, N, H), h_T); the same numbers
    as T calls of ``gru_cell``. See ``GRU``."""
    _require_ndim("gru", "input", input, 3, "(time, batch, features)")
    _check_cell("gru", 3, tuple(input.shape[1:]), hx, w_ih, w_hh, b_ih, b_hh)
    biases, present = _bias_inputs(b_ih, b_hh)
    return GRU.apply(input, hx, w_ih, w_hh, *biases, present=present)
