"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` over whole sequences, and the single-step cells
``RNNCell``, ``LSTMCell``, ``GRUCell``, all named, argued and laid out like ``torch.nn``.

A sequence layer stacks ``num_layers`` recurrences, each optionally run in both directions.
Every (layer, direction) is one call of a whole-sequence kernel of
``chainrule.functional.recurrent`` (``F.lstm``, ``F.gru``, ``F.rnn_tanh``, ``F.rnn_relu``): the
input projection of all T steps in one GEMM, one fused h·W_hhᵀ per step, and a hand-written
backpropagation through time — one graph node per layer instead of T cells. This module only
arranges the data around those kernels:

- layout: the kernels are time-major (T, N, I); ``batch_first`` input (N, T, I) is transposed
  in and out, unbatched input (T, I) gets a batch axis of 1;
- the reverse direction runs the same kernel on the time-reversed sequence and reverses its
  output back; the two directions' outputs are concatenated on the feature axis, and that is
  the next layer's input;
- dropout (in training mode only) is applied to each layer's output except the last one's;
- states: h_0 (and c_0) have shape (num_layers·num_directions, N, H), entry k = layer·D + d;
  absent ones are zeros. h_n (and c_n) come back in the same layout;
- ``LSTM(proj_size=P)`` (Sak et al. 2014, as PyTorch's): each layer's h_t = (o ⊙ tanh c_t) W_hrᵀ
  has P features, so W_hh is (4H, P), the next layer's input has D·P features, and h_0, h_n and
  the output have P where the others have H (c_0 and c_n keep H).

Parameters are ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` and,
with a projection, ``weight_hr_l{k}`` (with a ``_reverse`` suffix for the second direction),
registered in PyTorch's order with its shapes:
the gates are stacked in the rows, (i, f, g, o) for the LSTM and (r, z, n) for the GRU. So
``load_state_dict`` accepts a ``torch.nn.LSTM``'s state dict unchanged, and the other way round.
All start U(−1/√H, 1/√H), as in PyTorch.
"""

import math
import warnings

from .. import creation, init
from .. import functional as F
from .linear import empty_parameter
from .module import Module

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_SEQUENCE_KERNELS = {"RNN_TANH": F.rnn_tanh, "RNN_RELU": F.rnn_relu, "LSTM": F.lstm, "GRU": F.gru}
_REVERSE_TIME = (slice(None, None, -1),)


def _check_sizes(layer, input_size, hidden_size, num_layers=1):
    for name, value in (
        ("input_size", input_size),
        ("hidden_size", hidden_size),
        ("num_layers", num_layers),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"{layer}: {name} must be a positive integer, got {value!r}")


def _reset_uniform(module):
    """PyTorch's recurrent initialisation: every weight and bias ~ U(−1/√H, 1/√H)."""
    bound = 1 / math.sqrt(module.hidden_size)
    for param in module.parameters():
        init.uniform_(param, -bound, bound)


class RNNBase(Module):
    """The machinery shared by ``RNN``, ``LSTM`` and ``GRU``; ``mode`` picks the kernel:
    ``"RNN_TANH"``, ``"RNN_RELU"``, ``"LSTM"`` or ``"GRU"``."""

    def __init__(
        self,
        mode,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
    ):
        super().__init__()
        name = type(self).__name__
        _check_sizes(name, input_size, hidden_size, num_layers)
        if isinstance(proj_size, bool) or not isinstance(proj_size, int) or proj_size < 0:
            raise ValueError(
                f"{name}: proj_size should be a positive integer or zero to disable "
                f"projections, got {proj_size!r}"
            )
        if proj_size >= hidden_size:
            raise ValueError(
                f"{name}: proj_size has to be smaller than hidden_size, got "
                f"proj_size={proj_size} and hidden_size={hidden_size}"
            )
        if (
            isinstance(dropout, bool)
            or not isinstance(dropout, (int, float))
            or not 0 <= dropout <= 1
        ):
            raise ValueError(
                f"{name}: dropout must be a number in [0, 1] giving the "
                f"probability of an element being zeroed, got {dropout!r}"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                f"{name}: dropout is applied between recurrent layers, so "
                f"dropout={dropout} with num_layers=1 has no effect",
                stacklevel=2,
            )
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        directions = 2 if bidirectional else 1
        rows = _GATES[mode] * hidden_size
        state = self.state_size
        for layer in range(num_layers):
            layer_inputs = input_size if layer == 0 else state * directions
            for suffix in ("", "_reverse")[:directions]:
                setattr(self, f"weight_ih_l{layer}{suffix}", empty_parameter(rows, layer_inputs))
                setattr(self, f"weight_hh_l{layer}{suffix}", empty_parameter(rows, state))
                if bias:
                    setattr(self, f"bias_ih_l{layer}{suffix}", empty_parameter(rows))
                    setattr(self, f"bias_hh_l{layer}{suffix}", empty_parameter(rows))
                if proj_size:
                    setattr(
                        self, f"weight_hr_l{layer}{suffix}", empty_parameter(proj_size, hidden_size)
                    )
        self.reset_parameters()

    def reset_parameters(self):
        _reset_uniform(self)

    @property
    def num_directions(self):
        return 2 if self.bidirectional else 1

    @property
    def state_size(self):
        """The size of h: proj_size with a projection, else hidden_size."""
        return self.proj_size or self.hidden_size

    def _weights(self, layer, direction):
        """(w_ih, w_hh, b_ih, b_hh) of one layer and direction, and w_hr with a projection;
        biases None without bias."""
        suffix = f"l{layer}" + ("_reverse" if direction else "")
        kinds = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        kinds += ("weight_hr",) if self.proj_size else ()
        return tuple(
            getattr(self, f"{kind}_{suffix}") if self.bias or kind.startswith("w") else None
            for kind in kinds
        )

    def forward(self, input, hx=None):
        """``output, h_n`` (``output, (h_n, c_n)`` for the LSTM), as ``torch.nn.RNN``/``LSTM``.

        input: (T, N, I), or (N, T, I) with ``batch_first``, or unbatched (T, I). hx: h_0 (a
        pair (h_0, c_0) for the LSTM) of shape (num_layers·num_directions, N, H), or (…, H)
        for unbatched input; zeros when absent. output: (T, N, D·H) (batch first if asked),
        the last layer's h_t of every step, directions concatenated; h_n: every layer's and
        direction's final state.
        """
        name = type(self).__name__
        if input.ndim not in (2, 3):
            raise ValueError(
                f"{name}: expected input to be 2-D (unbatched) or 3-D, got "
                f"shape {tuple(input.shape)}"
            )
        if input.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {input.shape[-1]}"
            )
        given_shape = tuple(input.shape)
        batched = input.ndim == 3
        if not batched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        states = self._initial_states(input, hx, batched, given_shape)
        output, finals = self._run_layers(input, states)
        if self.batch_first and batched:
            output = output.transpose(0, 1)
        finals = [F.stack(kind) if len(kind) > 1 else kind[0].unsqueeze(0) for kind in finals]
        if not batched:
            output = output.squeeze(1)
            finals = [state.squeeze(1) for state in finals]
        return output, (tuple(finals) if self.mode == "LSTM" else finals[0])

    def _initial_states(self, input, hx, batched, given_shape):
        """[h_0] (or [h_0, c_0]) as lists of (N, H) tensors, one per layer and direction."""
        name = type(self).__name__
        count = self.num_layers * self.num_directions
        batch = input.shape[1]
        kinds = 2 if self.mode == "LSTM" else 1
        sizes = (self.state_size, self.hidden_size)[:kinds]  # h_0, c_0
        if hx is None:
            return [
                [creation.zeros(batch, size, dtype=input.dtype, device=input.device)] * count
                for size in sizes
            ]
        given = tuple(hx) if self.mode == "LSTM" else (hx,)
        if len(given) != kinds:
            raise ValueError(f"{name}: hx must be a pair (h_0, c_0)")
        states = []
        for state_name, state, size in zip(("h_0", "c_0"), given, sizes):
            expected = (count, batch, size) if batched else (count, size)
            if tuple(state.shape) != expected:
                raise ValueError(
                    f"{name}: expected {state_name} of shape {expected} for input "
                    f"of shape {given_shape}, got {tuple(state.shape)}"
                )
            if not batched:
                state = state.unsqueeze(1)
            states.append([state[k] for k in range(count)])
        return states

    def _run_layers(self, input, states):
        """Run every layer over the time-major input → (last layer's output, finals), where
        finals[j][k] is the final j-th state (h, then c) of layer·direction k."""
        kernel = _SEQUENCE_KERNELS[self.mode]
        finals = [[] for _ in states]
        layer_input = input
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.num_directions):
                k = layer * self.num_directions + direction
                sequence = layer_input if direction == 0 else layer_input[_REVERSE_TIME]
                output, *final = kernel(
                    sequence, *(kind[k] for kind in states), *self._weights(layer, direction)
                )
                outputs.append(output if direction == 0 else output[_REVERSE_TIME])
                for kind, state in zip(finals, final):
                    kind.append(state)
            layer_input = outputs[0] if len(outputs) == 1 else F.cat(outputs, dim=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        return layer_input, finals

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first is not False:
            text += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            text += f", bidirectional={self.bidirectional}"
        return text


class RNN(RNNBase):
    """Elman RNN (Elman 1990; deck D4, "Recurrent Neural Networks (RNNs)" — see
    docs/references.md): h_t = φ(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh), φ = tanh or relu
    (``nonlinearity``); see ``RNNBase.forward`` for shapes and ``F.rnn_tanh``/``F.rnn_relu``
    for the gradient."""

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        nonlinearity="tanh",
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
    ):
        modes = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}
        if nonlinearity not in modes:
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r}; use 'tanh' or 'relu'")
        super().__init__(
            modes[nonlinearity],
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
        )
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory (Hochreiter & Schmidhuber 1997; deck D1, "Illustrate LSTM
    Structure" — see docs/references.md): gates i, f, g, o, c_t = f ⊙ c_{t−1} + i ⊙ g,
    h_t = o ⊙ tanh(c_t), or (o ⊙ tanh(c_t)) W_hrᵀ with ``proj_size`` > 0; returns
    ``output, (h_n, c_n)``. See ``F.lstm`` for the equations and their gradient and
    ``RNNBase.forward`` for shapes."""

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
    ):
        super().__init__(
            "LSTM",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,
        )


class GRU(RNNBase):
    """Gated recurrent unit (Cho et al. 2014) in PyTorch's form, gates r, z, n; see ``F.gru``
    for the equations and their gradient and ``RNNBase.forward`` for shapes."""

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
    ):
        super().__init__(
            "GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional
        )


class RNNCellBase(Module):
    """One time step with weight_ih (k·H, I), weight_hh (k·H, H), bias_ih, bias_hh (k·H,).

    Input (N, I) or unbatched (I,); the state (N, H) or (H,), zeros when absent.
    """

    gates = 1

    def __init__(self, input_size, hidden_size, bias=True):
        super().__init__()
        _check_sizes(type(self).__name__, input_size, hidden_size)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        rows = self.gates * hidden_size
        self.weight_ih = empty_parameter(rows, input_size)
        self.weight_hh = empty_parameter(rows, hidden_size)
        self.register_parameter("bias_ih", empty_parameter(rows) if bias else None)
        self.register_parameter("bias_hh", empty_parameter(rows) if bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_uniform(self)

    def _prepare(self, input, states):
        """(batched input, batched states or zeros, whether the input was batched)."""
        name = type(self).__name__
        given_shape = tuple(input.shape)
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: expected input of shape (N, {self.input_size}) or "
                f"({self.input_size},), got {tuple(input.shape)}"
            )
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)
        expected = (input.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        prepared = []
        for state in states:
            if state is None:
                state = creation.zeros(
                    input.shape[0], self.hidden_size, dtype=input.dtype, device=input.device
                )
            elif tuple(state.shape) != expected:
                raise ValueError(
                    f"{name}: expected a state of shape {expected} for input of "
                    f"shape {given_shape}, got {tuple(state.shape)}"
                )
            elif not batched:
                state = state.unsqueeze(0)
            prepared.append(state)
        return input, prepared, batched

    def _weights(self):
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        return text


class RNNCell(RNNCellBase):
    """h' = φ(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh), φ = tanh or relu; see ``F.rnn_tanh_cell``."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh"):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNNCell: unknown nonlinearity {nonlinearity!r}; use 'tanh' or 'relu'"
            )
        super().__init__(input_size, hidden_size, bias)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        input, (hx,), batched = self._prepare(input, (hx,))
        cell = F.rnn_tanh_cell if self.nonlinearity == "tanh" else F.rnn_relu_cell
        h = cell(input, hx, *self._weights())
        return h if batched else h.squeeze(0)

    def extra_repr(self):
        text = super().extra_repr()
        if self.nonlinearity != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text


class LSTMCell(RNNCellBase):
    """One LSTM step → (h', c'); hx is a pair (h, c) or None. See ``F.lstm_cell``."""

    gates = 4

    def forward(self, input, hx=None):
        states = (None, None) if hx is None else tuple(hx)
        input, (h, c), batched = self._prepare(input, states)
        h, c = F.lstm_cell(input, h, c, *self._weights())
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step → h'. See ``F.gru_cell``."""

    gates = 3

    def forward(self, input, hx=None):
        input, (hx,), batched = self._prepare(input, (hx,))
        h = F.gru_cell(input, hx, *self._weights())
        return h if batched else h.squeeze(0)
