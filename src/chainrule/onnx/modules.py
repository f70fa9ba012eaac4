"""Whole modules that tracing alone cannot express, each mapped as one unit.

The seq2seq ``Encoder`` steps through time with a mask computed from the source ids by NumPy
(padding leaves the state untouched), which no op records. As one unit it is the ONNX it
means: ``Gather`` (embedding), the length of each sentence (its non-padding ids), and per
layer one ``GRU`` or ``LSTM`` with ``sequence_lens`` (``direction="bidirectional"`` for two
directions), which stops each sentence at its last word as the encoder does.
"""

import numpy as np

from ..models.seq2seq import Encoder
from . import ops

INT32 = 6  # onnx.TensorProto.INT32, the type of sequence_lens


def _layer_weights(g, rnn, layer, gates):
    """ONNX's W, R, B of ``layer``, both directions stacked on the direction axis."""
    per_direction = []
    for direction in range(rnn.num_directions):
        suffix = f"l{layer}" + ("_reverse" if direction else "")
        arrays = [
            None
            if getattr(rnn, f"{kind}_{suffix}", None) is None
            else getattr(rnn, f"{kind}_{suffix}").data
            for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        ]
        per_direction.append(ops.recurrent_arrays(*arrays, gates))
    return [
        g.constant(np.stack(parts), f"rnn.l{layer}.{kind}")
        for kind, parts in zip("WRB", zip(*per_direction))
    ]


def _encoder(g, node):
    """Encoder(source (S, N) ids) → outputs (S, N, D·H) and the final state (L, N, D·H) (a
    pair (h, c) for the LSTM).

    At padding positions the forward direction carries its last state on (``Where`` with the
    mask, as the encoder does), and the backward one has not started (zeros, as ONNX gives)."""
    encoder = node.options["module"]
    rnn, lstm = encoder.rnn, encoder.cell == "lstm"
    source = g.input(node.inputs[0])
    weight = g.constant(encoder.embedding.weight.data, "embedding.weight")
    layer_input = g.node("Gather", [weight, source], axis=0)
    pad = g.constant(np.asarray(encoder.pad_index, dtype=np.int64), "pad_index")
    real = g.node("Not", [g.node("Equal", [source, pad])])
    lengths = g.node(
        "ReduceSum", [g.node("Cast", [real], to=INT32), g.ints([0], "axes")], keepdims=0
    )
    mask = g.node("Unsqueeze", [real, g.ints([2], "axes")])
    attributes = {"hidden_size": rnn.hidden_size}
    if rnn.num_directions == 2:
        attributes["direction"] = "bidirectional"
    if not lstm:
        attributes["linear_before_reset"] = 1
    gates = ops.LSTM_GATES if lstm else ops.GRU_GATES
    finals = [[] for _ in range(2 if lstm else 1)]
    for layer in range(rnn.num_layers):
        weights = _layer_weights(g, rnn, layer, gates)
        sequence, *states = g.node(
            "LSTM" if lstm else "GRU",
            [layer_input, *weights, lengths],
            outputs=len(finals) + 1,
            **attributes,
        )
        directions = [_pick(g, sequence, d, axis=1) for d in range(rnn.num_directions)]
        directions[0] = g.node("Where", [mask, directions[0], _pick(g, states[0], 0, axis=0)])
        layer_input = g.node("Concat", directions, axis=2) if len(directions) > 1 else directions[0]
        for kind, state in zip(finals, states):
            joined = g.node(
                "Reshape", [g.node("Transpose", [state], perm=[1, 0, 2]), g.ints([0, -1])]
            )
            kind.append(g.node("Unsqueeze", [joined, g.ints([0], "axes")]))
    return [layer_input, *[g.node("Concat", kind, axis=0) for kind in finals]]


def _pick(g, name, index, axis):
    """``name``'s slice ``index`` along ``axis``, that axis dropped."""
    return g.node(
        "Gather", [name, g.constant(np.asarray(index, dtype=np.int64), "index")], axis=axis
    )


WHOLE_MODULES = (Encoder,)
CONVERTERS = {Encoder: _encoder}
