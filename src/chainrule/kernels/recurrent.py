"""The recurrent sequence kernels: the LSTM, GRU and Elman RNN laid out for NumPy and
OpenBLAS. Skip on first reading.

``functional/recurrent.py`` writes each recurrence step by step, as the equations read; on the
CPU its sequence ops call these functions instead, which compute the same arrays faster:

    lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh, W_hr)  → gates [i f g o], hs, cs, tanh cs
    lstm_backward(W_hh, gates, cs, tanh_cs, g_out, g_h, g_c, W_hr)
                                                → dA, ∂L/∂h_0, ∂L/∂c_0, ∂L/∂W_hr (or None)
    gru_forward / gru_backward, rnn_forward / rnn_backward   likewise

Each returns what the reference of ``functional/recurrent.py`` returns, in the same layout, so
the op around it (its saved arrays, and the three big GEMMs that turn dA into dX, dW_ih, dW_hh)
is shared; tests/kernels/test_recurrent.py pins every function to the reference on odd shapes.
What each trick buys (one thread, T = 64, N = 32; docs/benchmarks.md, "Recurrent layers"):

- **The tiled step product** (``StepProduct``): the per-step products h_{t−1} W_hhᵀ and
  dA_t W_hh go through OpenBLAS's small-matrix kernels on tiles of W_hh cut once per sequence,
  instead of a GEMM that re-packs all of W_hh at every step. H = 512: forward products
  80 → 50 ms, backward 62 → 47 ms; the GRU layer 166 → 136 ms, the tanh RNN 47 → 40 ms.
- **One tanh for all four LSTM gates** (``_lstm_gate_scale``): the rows of the weights that
  feed the sigmoid gates i, f, o are pre-scaled by ½ (exact in floating point), so one tanh over
  the whole (N, 4H) block and one multiply-add give σ(a) = ½ tanh(a/2) + ½ and tanh(a)
  together: 3 array passes per step instead of 9 (H = 128 forward 18.8 → 15.8 ms).
- **What backward can know in advance is computed in bulk** (``_lstm_local_derivatives``,
  ``_gru_local_derivatives``): every factor of a step's pre-activation gradient that does not
  depend on the gradient flowing back (σ'(a), tanh'(a), the gate values it is multiplied by)
  is computed for all T steps in a few passes over whole (T, N, ·) arrays before the loop, which
  is left with six small operations a step for the LSTM (from eighteen) and eight for the GRU
  (from about twenty). Backward of one layer at T = 64, N = 16, H = 128: LSTM 5.4 → 4.1–4.7 ms,
  GRU 4.6 → 3.7 ms (CPU time, the malloc policy on as in training); at H = 512, where each
  pass is memory-bound either way, the same. A whole training step of the 1×128 LSTM of
  ``benchmarks/bench_rank_step.py`` does not move beyond its noise (batch 16: 15.8–18.6 ms
  with the per-step factors, 15.7–17.1 with the bulk ones): this loop is a small part of it.
- **Every step writes in place** into arrays allocated once for the sequence, and b_ih + b_hh
  are added to the (T·N, k·H) input projection in one pass.
- **Short sequences skip the copies**: sampling and decoding run one step at a time, where
  tiling W_hh (below 8 steps) or pre-scaling the weights (when the sequence has fewer rows T·N
  than the weights have columns) costs more than it saves; those steps multiply by W_hh as it
  is, and the LSTM scales each step's pre-activations instead. Sampling from a 2×512 LSTM:
  6.3 → 1.6 ms per character.

NumPy only: on CuPy the reference runs.
"""

import numpy as np

__all__ = [
    "StepProduct",
    "lstm_forward",
    "lstm_backward",
    "gru_forward",
    "gru_backward",
    "rnn_forward",
    "rnn_backward",
]

SMALL_GEMM = 1_000_000  # OpenBLAS multiplies without packing when M·N·K ≤ 10⁶


class StepProduct:
    """``out = a @ b`` for the T small (N, K) matrices a of a recurrence against one (K, M)
    matrix b that is fixed for the whole sequence: h_{t−1} W_hhᵀ forward, dA_t W_hh backward.

    A plain GEMM copies all of b into its blocked ("packed") layout at every call, and for
    N = 32 rows that copy costs about as much as the arithmetic. OpenBLAS skips the packing for
    products with M·N·K ≤ 10⁶ (its small-matrix kernels). So b is cut ONCE per sequence into a
    stack of (K/k, 32) tiles — k blocks of K by M/32 column tiles, k as small as the bound
    allows — and each step is one batched ``matmul`` of the matching column blocks of a against
    every tile, written straight into out's tiles (k = 1) or summed into them.
    The tiles cost one copy of b, which a short sequence does not earn back: below
    ``min_steps`` steps, and where no tiling fits the bound, a step is one plain GEMM on b as it
    is. ``column_scale`` (M,) scales b's columns on the way (the LSTM's gate scale).
    """

    tile = 32
    min_steps = 8

    def __init__(self, b, rows, steps, column_scale=None):
        depth, width = b.shape
        self.rows = rows
        self.blocks = None if steps < self.min_steps else self.tiling(rows, depth, width)
        self.partials = None
        if self.blocks is None:
            self.b = b if column_scale is None else b * column_scale
            return
        tiles = width // self.tile
        layout = b.reshape(self.blocks, depth // self.blocks, tiles, self.tile)
        layout = layout.transpose(0, 2, 1, 3)
        if self.blocks > 1:
            self.partials = np.empty((self.blocks, tiles, rows, self.tile), dtype=b.dtype)
        self.b = np.empty(layout.shape, dtype=b.dtype)  # contiguous, filled in one pass
        if column_scale is None:
            self.b[...] = layout
        else:
            np.multiply(layout, column_scale.reshape(1, tiles, 1, self.tile), out=self.b)

    @classmethod
    def tiling(cls, rows, depth, width):
        """How many blocks to cut K into for the tiled product; None for a plain GEMM."""
        if width % cls.tile or rows * depth * width <= SMALL_GEMM:
            return None
        for blocks in (1, 2, 4, 8, 16):
            if depth % blocks == 0 and rows * (depth // blocks) * cls.tile <= SMALL_GEMM:
                return blocks
        return None

    def write_into(self, a, out):
        """out (N, M) = a (N, K) @ b, both contiguous."""
        if self.blocks is None:
            np.matmul(a, self.b, out=out)
            return
        out_tiles = out.reshape(self.rows, -1, self.tile).transpose(1, 0, 2)  # (M/32, N, 32)
        if self.blocks == 1:
            np.matmul(a, self.b[0], out=out_tiles)
            return
        a_blocks = a.reshape(self.rows, self.blocks, -1).transpose(1, 0, 2)[:, None]
        np.matmul(a_blocks, self.b, out=self.partials)
        np.sum(self.partials, axis=0, out=out_tiles)


def _project_inputs(x, w_ih, *biases):
    """X W_ihᵀ (+ biases) for all T·N rows of a (T, N, I) sequence in one GEMM → (T, N, k·H).
    The biases are summed first, so the big array is passed over once."""
    steps, batch, _ = x.shape
    pre = (x.reshape(steps * batch, -1) @ w_ih.T).reshape(steps, batch, -1)
    present = [b for b in biases if b is not None]
    if present:
        pre += sum(present[1:], present[0])
    return pre


def _sigmoid_(a):
    """σ(a) = (1 + tanh(a/2))/2 in place: stable for any |a|, one transcendental per element."""
    a *= 0.5
    np.tanh(a, out=a)
    a += 1
    a *= 0.5
    return a


# -- LSTM -------------------------------------------------------------------------------------


def _lstm_gate_scale(hidden, dtype):
    """s (4H,) = ½ on the rows of the sigmoid gates i, f, o and 1 on g's. With pre-activations
    s ⊙ a (from weights and biases scaled row-wise by s), ONE tanh over the whole (N, 4H)
    block gives every gate: s ⊙ tanh(s ⊙ a) + (1 − s) is σ(a) = ½ tanh(a/2) + ½ where s = ½
    and tanh(a) where s = 1."""
    scale = np.full((4, hidden), 0.5, dtype=dtype)
    scale[2] = 1
    return scale.reshape(-1)


def _gate_blocks(gates, hidden):
    """The four (…, H) blocks of the last axis of (…, 4H), as views (slicing: 5× faster than
    np.split)."""
    return [gates[..., k * hidden : (k + 1) * hidden] for k in range(4)]


def _lstm_cell_update(gates, c, c_new, tanh_c, h_new):
    """From gate activations [i f g o] (N, 4H), write c' = f ⊙ c + i ⊙ g, tanh c' and
    h' = o ⊙ tanh c' into the given (N, H) arrays."""
    i, f, g, o = _gate_blocks(gates, c.shape[1])
    np.multiply(f, c, out=c_new)
    c_new += i * g
    np.tanh(c_new, out=tanh_c)
    np.multiply(o, tanh_c, out=h_new)


def lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    """The LSTM over a (T, N, I) sequence → (gates (T, N, 4H) holding [i f g o],
    hs (T+1, N, ·) = h_0 … h_T, cs (T+1, N, H) = c_0 … c_T, tanh_cs (T, N, H)). With the
    projection W_hr, h_t = (o ⊙ tanh c_t) W_hrᵀ."""
    steps, batch, inputs = x.shape
    state, hidden = h0.shape[1], c0.shape[1]
    scale = _lstm_gate_scale(hidden, x.dtype)
    offset = 1 - scale
    # Scale the weights (one pass over them) or the pre-activations (one pass over those):
    # the first for training batches, the second when sampling one character at a time.
    scale_weights = steps * batch > inputs + state
    if scale_weights:
        biases = (None if b is None else b * scale for b in (b_ih, b_hh))
        projected = _project_inputs(x, w_ih * scale[:, None], *biases)
    else:
        projected = _project_inputs(x, w_ih, b_ih, b_hh)
    gates = np.empty_like(projected)
    hs = np.empty((steps + 1, batch, state), dtype=x.dtype)
    cs = np.empty((steps + 1, batch, hidden), dtype=x.dtype)
    tanh_cs = np.empty((steps, batch, hidden), dtype=x.dtype)
    unprojected = hs[1:] if w_hr is None else np.empty_like(tanh_cs)  # o ⊙ tanh c
    hs[0], cs[0] = h0, c0
    recurrence = StepProduct(
        w_hh.T,
        batch,
        steps,  # h ↦ h (s ⊙ W_hh)ᵀ
        column_scale=scale if scale_weights else None,
    )
    for t in range(steps):
        step_gates = gates[t]
        recurrence.write_into(hs[t], step_gates)
        step_gates += projected[t]
        if not scale_weights:
            step_gates *= scale
        np.tanh(step_gates, out=step_gates)
        step_gates *= scale
        step_gates += offset
        _lstm_cell_update(step_gates, cs[t], cs[t + 1], tanh_cs[t], unprojected[t])
        if w_hr is not None:
            np.matmul(unprojected[t], w_hr.T, out=hs[t + 1])
    return gates, hs, cs, tanh_cs


def _lstm_local_derivatives(gates, cs, tanh_cs):
    """Every factor of the LSTM's backward that does not depend on the gradient flowing back,
    for all T steps in a few whole-array passes → (dA (T, N, 4H), through_c (T, N, H)).

    dA holds, block by block, what multiplies dc' or ∂L/∂h' in ``LSTMCell``'s backward:
    g ⊙ σ'(a_i), c ⊙ σ'(a_f), i ⊙ tanh'(a_g) and tanh c' ⊙ σ'(a_o), with σ' = s(1 − s) taken over
    all four blocks at once and then tanh' = 1 − g² over the g block; through_c = o ⊙ (1 − tanh² c')
    carries ∂L/∂h' into dc'. The loop over time is then left with six small operations a step."""
    hidden = cs.shape[2]
    i, f, g, o = _gate_blocks(gates, hidden)
    dA = np.subtract(1, gates)
    dA *= gates
    d_i, d_f, d_g, d_o = _gate_blocks(dA, hidden)
    np.multiply(g, g, out=d_g)
    np.subtract(1, d_g, out=d_g)
    d_i *= g
    d_f *= cs[:-1]
    d_g *= i
    d_o *= tanh_cs
    through_c = np.multiply(tanh_cs, tanh_cs)
    np.subtract(1, through_c, out=through_c)
    through_c *= o
    return dA, through_c


def lstm_backward(w_hh, gates, cs, tanh_cs, g_out, g_h, g_c, w_hr=None):
    """Backpropagation through time → (dA (T, N, 4H), ∂L/∂h_0, ∂L/∂c_0, ∂L/∂W_hr or None),
    given the gradients of the outputs h_1 … h_T (g_out), of h_T (g_h) and of c_T (g_c).

    Each step, from ∂L/∂h_t (dh, or ∂L/∂m_t through the projection) and ∂L/∂c_t (dc):
    dc' = dh ⊙ through_c + dc scales dA's i, f, g blocks, dh scales its o block, and
    ∂L/∂c_{t−1} = dc' ⊙ f, ∂L/∂h_{t−1} = dA_t W_hh."""
    steps, batch, _ = gates.shape
    hidden = cs.shape[2]
    dA, through_c = _lstm_local_derivatives(gates, cs, tanh_cs)
    recurrence = StepProduct(w_hh, batch, steps)  # dA_t ↦ dA_t W_hh
    dh, dc = np.array(g_h), np.array(g_c)  # ∂L/∂h_t, ∂L/∂c_t from the steps after t
    dc_new = np.empty_like(dc)
    dhs = None if w_hr is None else np.empty(g_out.shape, dtype=g_out.dtype)
    for t in reversed(range(steps)):
        dh += g_out[t]
        if w_hr is None:
            dm = dh
        else:  # h_t = m_t W_hrᵀ: ∂L/∂m_t = ∂L/∂h_t W_hr
            dhs[t] = dh
            dm = dh @ w_hr
        np.multiply(dm, through_c[t], out=dc_new)
        dc_new += dc
        step = dA[t]
        step[:, : 3 * hidden].reshape(batch, 3, hidden)[...] *= dc_new[:, None, :]
        step[:, 3 * hidden :] *= dm
        np.multiply(dc_new, gates[t, :, hidden : 2 * hidden], out=dc)
        recurrence.write_into(step, dh)
    if w_hr is None:
        return dA, dh, dc, None
    unprojected = gates[:, :, 3 * hidden :] * tanh_cs  # m_t = o_t ⊙ tanh c_t
    dw_hr = dhs.reshape(-1, dhs.shape[2]).T @ unprojected.reshape(-1, hidden)
    return dA, dh, dc, dw_hr


# -- GRU --------------------------------------------------------------------------------------


def _gru_step(pre_x, pre_h, h, rz, n, h_new):
    """From the pre-activations x W_ihᵀ + b_ih and h W_hhᵀ + b_hh (N, 3H), write the gates
    [r z] into ``rz`` (N, 2H), the candidate n and h' = (h − n) ⊙ z + n into ``n``, ``h_new``."""
    hidden = h.shape[1]
    np.add(pre_x[:, : 2 * hidden], pre_h[:, : 2 * hidden], out=rz)
    _sigmoid_(rz)
    np.multiply(rz[:, :hidden], pre_h[:, 2 * hidden :], out=n)
    n += pre_x[:, 2 * hidden :]
    np.tanh(n, out=n)
    np.subtract(h, n, out=h_new)
    h_new *= rz[:, hidden:]
    h_new += n


def gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
    """The GRU over a (T, N, I) sequence → (hs (T+1, N, H) = h_0 … h_T, rzs (T, N, 2H)
    holding [r z], ns (T, N, H) the candidates n, ms (T, N, H) = h W_hnᵀ + b_hn)."""
    steps, (batch, hidden) = x.shape[0], h0.shape
    pre_x = _project_inputs(x, w_ih, b_ih)
    hs = np.empty((steps + 1, batch, hidden), dtype=pre_x.dtype)
    rzs = np.empty((steps, batch, 2 * hidden), dtype=pre_x.dtype)
    ns, ms = (np.empty((steps, batch, hidden), dtype=pre_x.dtype) for _ in range(2))
    hs[0] = h0
    recurrence = StepProduct(w_hh.T, batch, steps)  # h ↦ h W_hhᵀ
    pre_h = np.empty((batch, 3 * hidden), dtype=pre_x.dtype)
    for t in range(steps):
        recurrence.write_into(hs[t], pre_h)
        if b_hh is not None:
            pre_h += b_hh
        _gru_step(pre_x[t], pre_h, hs[t], rzs[t], ns[t], hs[t + 1])
        ms[t] = pre_h[:, 2 * hidden :]
    return hs, rzs, ns, ms


def _gru_local_derivatives(hs, rzs, ns, ms):
    """The factors of the GRU's backward that do not depend on the gradient flowing back, for
    all T steps at once → (T, N, H) each: (1 − z) ⊙ (1 − n²), which turns g into da_n;
    m ⊙ r(1 − r), which turns da_n into da_r; and (h − n) ⊙ z(1 − z), which turns g into da_z."""
    hidden = hs.shape[2]
    r, z = rzs[..., :hidden], rzs[..., hidden:]
    one_minus_z = np.subtract(1, z)
    to_n = np.multiply(ns, ns)
    np.subtract(1, to_n, out=to_n)
    to_n *= one_minus_z
    to_r = np.subtract(1, r)
    to_r *= r
    to_r *= ms
    to_z = np.subtract(hs[:-1], ns)
    to_z *= z
    to_z *= one_minus_z
    return to_n, to_r, to_z


def gru_backward(w_hh, hs, rzs, ns, ms, g_out, g_h):
    """Backpropagation through time → (dA_x, dA_h (T, N, 3H), ∂L/∂h_0).

    Each step, from g = ∂L/∂h_t: da_n = g ⊙ to_n, da_r = da_n ⊙ to_r, da_z = g ⊙ to_z;
    dA_x = [da_r da_z da_n], dA_h = [da_r da_z r ⊙ da_n], and ∂L/∂h_{t−1} = dA_h W_hh + g ⊙ z."""
    steps, batch, hidden = ns.shape
    to_n, to_r, to_z = _gru_local_derivatives(hs, rzs, ns, ms)
    dA_x, dA_h = (np.empty((steps, batch, 3 * hidden), dtype=hs.dtype) for _ in range(2))
    recurrence = StepProduct(w_hh, batch, steps)  # dA_h,t ↦ dA_h,t W_hh
    dh, g = np.array(g_h), np.empty_like(g_h)
    for t in reversed(range(steps)):
        np.add(g_out[t], dh, out=g)
        x_step, h_step = dA_x[t], dA_h[t]
        da_n = x_step[:, 2 * hidden :]
        np.multiply(g, to_n[t], out=da_n)
        np.multiply(da_n, to_r[t], out=x_step[:, :hidden])
        np.multiply(g, to_z[t], out=x_step[:, hidden : 2 * hidden])
        h_step[:, : 2 * hidden] = x_step[:, : 2 * hidden]
        np.multiply(da_n, rzs[t, :, :hidden], out=h_step[:, 2 * hidden :])
        recurrence.write_into(h_step, dh)
        g *= rzs[t, :, hidden:]
        dh += g
    return dA_x, dA_h, dh


# -- Elman RNN --------------------------------------------------------------------------------


def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity):
    """The Elman RNN over a (T, N, I) sequence → hs (T+1, N, H) = h_0 … h_T."""
    steps = x.shape[0]
    pre = _project_inputs(x, w_ih, b_ih, b_hh)
    hs = np.empty((steps + 1,) + h0.shape, dtype=pre.dtype)
    hs[0] = h0
    recurrence = StepProduct(w_hh.T, h0.shape[0], steps)  # h ↦ h W_hhᵀ
    product = np.empty(h0.shape, dtype=pre.dtype)
    for t in range(steps):
        recurrence.write_into(hs[t], product)
        pre[t] += product
        if nonlinearity == "tanh":
            np.tanh(pre[t], out=hs[t + 1])
        else:
            np.maximum(pre[t], 0, out=hs[t + 1])
    return hs


def rnn_backward(w_hh, hs, g_out, g_h, nonlinearity):
    """Backpropagation through time → (dA (T, N, H), ∂L/∂h_0); φ' read off the outputs:
    tanh' = 1 − h², relu' = [h > 0]."""
    steps = hs.shape[0] - 1
    dA = np.empty_like(hs[1:])
    recurrence = StepProduct(w_hh, g_h.shape[0], steps)  # dA_t ↦ dA_t W_hh
    dh = np.array(g_h)
    for t in reversed(range(steps)):
        dh += g_out[t]
        h = hs[t + 1]
        if nonlinearity == "tanh":
            np.multiply(dh, 1 - h * h, out=dA[t])
        else:
            np.multiply(dh, h > 0, out=dA[t])
        recurrence.write_into(dA[t], dh)
    return dA, dh
