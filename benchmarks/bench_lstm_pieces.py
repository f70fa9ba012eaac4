"""Where the LSTM layer's time goes: ``kernels/recurrent.py``'s forward and backward over one
rank's share of the 1×128 char-LSTM step (T 64, batch 16, inputs 128 from the embedding,
hidden 128), and the pieces each is made of, timed on their own with the same arrays.

The forward is the input projection, T step products h W_hhᵀ and the gates' elementwise work
(one tanh over the block, the cell update); the backward is the local derivatives in bulk,
T step products dA W_hh and the loop's elementwise work. The elementwise parts are what is
left of each total after the timed pieces: the most a fused gate kernel could win.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_lstm_pieces.py

CPU time (``time.process_time``), one thread, so a busy machine slows every piece alike: best
block of 7, each block 30 calls after a warm-up.
"""

import numpy as np
from cpu_clock import best_cpu_seconds
from threadpoolctl import threadpool_limits

from chainrule.kernels import memory, recurrent

STEPS, BATCH, INPUTS, HIDDEN = 64, 16, 128, 128


def layer_arrays(rng):
    """The layer's inputs and weights, at the scale of a trained layer's."""

    def normal(*shape, scale=1.0):
        return (scale * rng.standard_normal(shape)).astype(np.float32)

    return {
        "x": normal(STEPS, BATCH, INPUTS),
        "h0": np.zeros((BATCH, HIDDEN), np.float32),
        "c0": np.zeros((BATCH, HIDDEN), np.float32),
        "w_ih": normal(4 * HIDDEN, INPUTS, scale=0.1),
        "w_hh": normal(4 * HIDDEN, HIDDEN, scale=0.1),
        "b_ih": np.zeros(4 * HIDDEN, np.float32),
        "b_hh": np.zeros(4 * HIDDEN, np.float32),
    }


def step_products(b, a):
    """The T products a_t b of one direction of the recurrence, as the layer makes them."""
    rows, width = a.shape[1], b.shape[1]
    out = np.empty((rows, width), a.dtype)

    def run():
        product = recurrent.StepProduct(b, rows, STEPS)
        for t in range(STEPS):
            product.write_into(a[t], out)

    return run


def measure():
    """{piece: ms} for the forward, the backward and their pieces."""
    arrays = layer_arrays(np.random.default_rng(0))
    layer = tuple(arrays.values())
    gates, hs, cs, tanh_cs = recurrent.lstm_forward(*layer)
    g_out = np.random.default_rng(1).standard_normal(hs[1:].shape).astype(np.float32)
    g_h, g_c = np.zeros_like(arrays["h0"]), np.zeros_like(arrays["c0"])
    scale = recurrent._lstm_gate_scale(HIDDEN, np.float32)
    times = {
        "forward": lambda: recurrent.lstm_forward(*layer),
        "input projection": lambda: recurrent._project_inputs(
            arrays["x"], arrays["w_ih"] * scale[:, None], arrays["b_ih"], arrays["b_hh"]
        ),
        "forward step products": step_products(arrays["w_hh"].T, hs[:-1]),
        "backward": lambda: recurrent.lstm_backward(
            arrays["w_hh"], gates, cs, tanh_cs, g_out, g_h, g_c
        ),
        "local derivatives": lambda: recurrent._lstm_local_derivatives(gates, cs, tanh_cs),
        "backward step products": step_products(arrays["w_hh"], gates),
    }
    return {
        piece: best_cpu_seconds(work, blocks=7, calls=30) * 1e3 for piece, work in times.items()
    }


def main():
    memory.keep_freed_memory()
    with threadpool_limits(1):
        ms = measure()
    forward_rest = ms["forward"] - ms["input projection"] - ms["forward step products"]
    backward_rest = ms["backward"] - ms["local derivatives"] - ms["backward step products"]
    print(f"LSTM layer, T {STEPS}, batch {BATCH}, inputs {INPUTS}, hidden {HIDDEN}: ms per call")
    print("| piece | ms |")
    print("|---|---:|")
    for piece, value in ms.items():
        print(f"| {piece} | {value:.2f} |")
    print(f"| forward gates and cell update (the rest) | {forward_rest:.2f} |")
    print(f"| backward loop's elementwise work (the rest) | {backward_rest:.2f} |")
    elementwise = forward_rest + ms["local derivatives"] + backward_rest
    print(f"the gates' elementwise work in all: {elementwise:.2f} ms")


if __name__ == "__main__":
    main()
