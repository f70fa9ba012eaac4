"""Each chainrule op as standard ONNX operators (the ``ai.onnx`` domain, opset 17 or later).

``CONVERTERS[Function class](graph, node)`` adds the nodes of one traced op to ``graph`` (a
``graph.GraphBuilder``) and returns the names of its outputs. ``node.inputs`` are ``Value``s;
the options are the op's keyword arguments (``node.options``; ``node.options_b`` at the second
batch size). What has no entry here makes ``export`` fail with the op's name.

Where chainrule and ONNX lay the same numbers out differently, the converter rearranges the
constants: the LSTM's gate blocks (torch and chainrule: i, f, g, o; ONNX: i, o, f, c) and the
GRU's (r, z, n; ONNX: z, r, h — with ``linear_before_reset=1``, torch's n = tanh(W_in x +
b_in + r ⊙ (W_hn h + b_hn))).
"""

import numpy as np

from ..functional import activation, conv, math, norm, pool, recurrent
from ..functional.embedding import Embedding
from ..functional.linear import Linear
from .graph import ExportError

LSTM_GATES = (0, 3, 1, 2)  # ONNX's i, o, f, c from chainrule's i, f, g, o
GRU_GATES = (1, 0, 2)  # ONNX's z, r, h from chainrule's r, z, n


def _unsupported(node, op, what):
    where = f" (in module '{node.module}')" if node.module else ""
    return ExportError(f"onnx.export: {op}{where}: {what} has no ONNX mapping")


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _elementwise(op):
    def convert(g, node):
        return g.node(op, [g.input(v) for v in node.inputs])

    return convert


def _leaky_relu(g, node):
    return g.node("LeakyRelu", [g.input(node.inputs[0])], alpha=node.options["negative_slope"])


def _elu(g, node):
    alpha, scale = node.options["alpha"], node.options["scale"]
    x = g.input(node.inputs[0])
    if scale == 1.0:
        return g.node("Elu", [x], alpha=alpha)
    return g.node("Selu", [x], alpha=alpha, gamma=scale)


def _softmax(op):
    def convert(g, node):
        return g.node(op, [g.input(node.inputs[0])], axis=node.options["dim"])

    return convert


def _maximum(g, node):
    op = "Max" if node.options["largest"] else "Min"
    return g.node(op, [g.input(v) for v in node.inputs])


def _reduction(op):
    """ReduceSum takes its axes as an input since opset 13, ReduceMean since opset 18."""

    def convert(g, node):
        x = node.inputs[0]
        axes = node.options["axes"]
        axes = list(range(len(x.shape))) if axes is None else list(axes)
        keepdims = int(node.options["keepdim"])
        if op == "ReduceSum" or g.opset >= 18:
            return g.node(op, [g.input(x), g.ints(axes, "axes")], keepdims=keepdims)
        return g.node(op, [g.input(x)], axes=axes, keepdims=keepdims)

    return convert


def _linear(g, node):
    """y = x Wᵀ + b: Gemm for a matrix x, MatMul with Wᵀ (and Add) for more axes."""
    x, weight, bias = node.inputs
    if len(x.shape) == 2:
        inputs = [g.input(x), g.input(weight)] + ([g.input(bias)] if bias is not None else [])
        return g.node("Gemm", inputs, transB=1)
    product = g.node("MatMul", [g.input(x), g.node("Transpose", [g.input(weight)])])
    return product if bias is None else g.node("Add", [product, g.input(bias)])


def _conv2d(g, node):
    x, weight, bias = node.inputs
    options = node.options
    if options.get("op", "conv2d") != "conv2d":
        raise _unsupported(node, "Conv2d", options["op"])
    kernel = weight.shape[2:]
    dilation = _pair(options["dilation"])
    padding = options["padding"]
    if padding == "valid":
        padding = (0, 0)
    elif padding == "same":
        total = [d * (k - 1) for d, k in zip(dilation, kernel)]
        pads = [t // 2 for t in total] + [t - t // 2 for t in total]
    if padding != "same":
        pads = list(_pair(padding)) * 2
    inputs = [g.input(x), g.input(weight)] + ([g.input(bias)] if bias is not None else [])
    return g.node(
        "Conv",
        inputs,
        kernel_shape=list(kernel),
        strides=list(_pair(options["stride"])),
        pads=pads,
        dilations=list(dilation),
        group=options["groups"],
    )


def _batch_norm(g, node):
    """Evaluation mode: (x − running mean)/√(running var + ε) · γ + β."""
    x, weight, bias = node.inputs
    options = node.options
    if options["training"]:
        raise _unsupported(node, "BatchNorm", "training mode (batch statistics)")
    channels = x.shape[1]
    mean, var = options["running_mean"], options["running_var"]
    dtype = np.dtype(x.dtype)
    scale = g.input(weight) if weight is not None else g.constant(np.ones(channels, dtype))
    shift = g.input(bias) if bias is not None else g.constant(np.zeros(channels, dtype))
    return g.node(
        "BatchNormalization",
        [
            g.input(x),
            scale,
            shift,
            g.constant(np.asarray(mean), g.labels.get(id(mean), "running_mean")),
            g.constant(np.asarray(var), g.labels.get(id(var), "running_var")),
        ],
        epsilon=options["eps"],
    )


def _local_response_norm(g, node):
    """ONNX's window is c − ⌊(n−1)/2⌋ … c + ⌈(n−1)/2⌉, torch's c − ⌊n/2⌋ … c + ⌊(n−1)/2⌋:
    the same for odd n."""
    options = node.options
    if options["size"] % 2 == 0:
        raise _unsupported(node, "LocalResponseNorm", f"an even size ({options['size']})")
    return g.node(
        "LRN",
        [g.input(node.inputs[0])],
        size=options["size"],
        alpha=options["alpha"],
        beta=options["beta"],
        bias=options["k"],
    )


def _pool_geometry(node, dilation=(1, 1)):
    """Kernel, strides, begin pads and the end pads that give the traced output size with
    ONNX's floor rounding (a ceil_mode window that hangs past the input gets extra end
    padding), and whether any end pad exceeds the begin pad."""
    options = node.options
    kernel = _pair(options["kernel_size"])
    stride = _pair(options["stride"] if options["stride"] is not None else kernel)
    padding = _pair(options["padding"])
    sizes, outputs = node.inputs[0].shape[2:], node.outputs[0].shape[2:]
    ends = []
    for n, out, k, s, p, d in zip(sizes, outputs, kernel, stride, padding, dilation):
        ends.append(max((out - 1) * s + d * (k - 1) + 1 - n - p, 0))
    overhang = any(end > p for end, p in zip(ends, padding))
    return kernel, stride, list(padding) + ends, overhang


def _max_pool(g, node):
    options = node.options
    if options["return_indices"] or options["op"] != "max_pool2d":
        raise _unsupported(node, "MaxPool2d", "return_indices or 1-D pooling")
    dilation = _pair(options["dilation"])
    kernel, stride, pads, _ = _pool_geometry(node, dilation)
    return g.node(
        "MaxPool",
        [g.input(node.inputs[0])],
        kernel_shape=list(kernel),
        strides=list(stride),
        pads=pads,
        dilations=list(dilation),
    )


def _avg_pool(g, node):
    """The divisor: torch counts the zero padding (``count_include_pad``) but never the part
    of a ceil_mode window past it; ONNX counts all of its pads or none of them."""
    options = node.options
    if options["divisor_override"] is not None or options["op"] != "avg_pool2d":
        raise _unsupported(node, "AvgPool2d", "divisor_override or 1-D pooling")
    kernel, stride, pads, overhang = _pool_geometry(node)
    padded = any(pads[:2])
    if options["count_include_pad"] and padded and overhang:
        raise _unsupported(node, "AvgPool2d", "count_include_pad with padding and ceil_mode")
    return g.node(
        "AveragePool",
        [g.input(node.inputs[0])],
        kernel_shape=list(kernel),
        strides=list(stride),
        pads=pads,
        count_include_pad=int(options["count_include_pad"] and padded),
    )


def _adaptive_avg_pool(g, node):
    """Global average pooling; equal bins (input size a multiple of the output size) as an
    AveragePool; other sizes as chainrule computes them, y = A_H · x · A_Wᵀ with the bin
    matrices A[i, j] = 1/|bin i| for j in torch's bin i, ⌊i·n/out⌋ … ⌈(i+1)·n/out⌉ − 1."""
    x = node.inputs[0]
    sizes, outputs = x.shape[2:], node.outputs[0].shape[2:]
    if tuple(outputs) == (1, 1):
        return g.node("GlobalAveragePool", [g.input(x)])
    if not any(n % out for n, out in zip(sizes, outputs)):
        kernel = [n // out for n, out in zip(sizes, outputs)]
        return g.node("AveragePool", [g.input(x)], kernel_shape=kernel, strides=kernel)
    rows, cols = (_bin_matrix(n, out, x.dtype) for n, out in zip(sizes, outputs))
    pooled = g.node("MatMul", [g.constant(rows, "bins"), g.input(x)])
    return g.node("MatMul", [pooled, g.constant(np.ascontiguousarray(cols.T), "bins")])


def _bin_matrix(size, out, dtype):
    matrix = np.zeros((out, size), dtype)
    for i in range(out):
        start, stop = (i * size) // out, -((-(i + 1) * size) // out)
        matrix[i, start:stop] = 1.0 / (stop - start)
    return matrix


def _reshape(g, node):
    """The target shape with every entry that follows the batch made symbolic: 0 (copy the
    input's size) where input and output share that batch axis, else −1."""
    x = node.inputs[0]
    target = list(node.options["shape"])
    for i, (a, b) in enumerate(zip(target, node.options_b["shape"])):
        if a == b:
            continue
        if i in x.batch_axes and x.shape[i] == a:
            target[i] = 0
        elif -1 not in target:
            target[i] = -1
        else:
            raise _unsupported(node, "Reshape", f"two axes that follow the batch ({target})")
    return g.node("Reshape", [g.input(x), g.ints(target)])


def _permute(g, node):
    return g.node("Transpose", [g.input(node.inputs[0])], perm=list(node.options["dims"]))


def _cat(g, node):
    return g.node("Concat", [g.input(v) for v in node.inputs], axis=node.options["dim"])


def _stack(g, node):
    axes = g.ints([node.options["dim"]], "axes")
    parts = [g.node("Unsqueeze", [g.input(v), axes]) for v in node.inputs]
    return g.node("Concat", parts, axis=node.options["dim"])


def _getitem(g, node):
    """Integers and slices: one Slice for the slices, then a Gather per integer."""
    steps = node.options["steps"]
    index = steps[0] if len(steps) == 1 else None
    parts = index if isinstance(index, tuple) else (index,)
    if index is None or not all(isinstance(p, (int, slice)) for p in parts):
        raise _unsupported(node, "GetItem", "an index other than integers and slices")
    x = node.inputs[0]
    name = g.input(x)
    sliced = [
        (axis, part.indices(x.shape[axis]))
        for axis, part in enumerate(parts)
        if isinstance(part, slice) and part != slice(None)
    ]
    if any(axis in x.batch_axes for axis, _ in sliced):
        raise _unsupported(node, "GetItem", "a slice of the batch axis")
    if sliced:
        axes = [axis for axis, _ in sliced]
        starts, stops, strides = zip(*[bounds for _, bounds in sliced])
        stops = [stop if stop >= 0 else -(2**62) for stop in stops]  # a step −1 to the start
        name = g.node(
            "Slice",
            [name, g.ints(starts), g.ints(stops), g.ints(axes, "axes"), g.ints(strides)],
        )
    for axis in reversed([a for a, p in enumerate(parts) if isinstance(p, int)]):
        if axis in x.batch_axes:
            raise _unsupported(node, "GetItem", "an integer index on the batch axis")
        position = np.asarray(parts[axis] % x.shape[axis], dtype=np.int64)
        name = g.node("Gather", [name, g.constant(position, "index")], axis=axis)
    return name


def _embedding(g, node):
    ids, weight = node.inputs
    return g.node("Gather", [g.input(weight), g.input(ids)], axis=0)


def _constant_array(node, value, what):
    if value is None:
        return None
    if not value.is_constant:
        raise _unsupported(node, "recurrent layer", f"a {what} computed in the graph")
    return value.constant


def _gate_blocks(array, order):
    return np.concatenate([np.split(array, len(order))[i] for i in order], axis=0)


def recurrent_arrays(w_ih, w_hh, b_ih, b_hh, order):
    """ONNX's W, R and B of one direction (no direction axis) from chainrule's weights and
    biases (arrays; a bias may be None), the gate blocks put in ONNX's ``order``."""
    rows = w_ih.shape[0]
    biases = [np.zeros(rows, w_ih.dtype) if b is None else b for b in (b_ih, b_hh)]
    return (
        _gate_blocks(w_ih, order),
        _gate_blocks(w_hh, order),
        np.concatenate([_gate_blocks(b, order) for b in biases]),
    )


def _initial_state(g, state):
    """(N, H) → (1, N, H); a zero state is left out (ONNX's default)."""
    if state.is_constant and not np.any(state.constant) and not np.any(state.constant_b):
        return ""
    return g.node("Unsqueeze", [g.input(state), g.ints([0], "axes")])


def squeeze(g, name, axis):
    return g.node("Squeeze", [name, g.ints([axis], "axes")])


# chainrule's Function → (ONNX op, gate order, states, one step)
RECURRENT = {
    recurrent.LSTM: ("LSTM", LSTM_GATES, 2, False),
    recurrent.LSTMCell: ("LSTM", LSTM_GATES, 2, True),
    recurrent.GRU: ("GRU", GRU_GATES, 1, False),
    recurrent.GRUCell: ("GRU", GRU_GATES, 1, True),
    recurrent.RNN: ("RNN", (0,), 1, False),
    recurrent.RNNCell: ("RNN", (0,), 1, True),
}


def _recurrent(function):
    """An LSTM, GRU or Elman RNN over a (T, N, I) sequence, or one cell step on (N, I): the
    ONNX op of one direction, its Y (T, 1, N, H) and Y_h (1, N, H) squeezed to chainrule's
    shapes."""
    op, order, count, step = RECURRENT[function]

    def convert(g, node):
        x, *states = node.inputs[: 1 + count]
        w_ih, w_hh, b_ih, b_hh, *projection = node.inputs[1 + count :]
        if projection and projection[0] is not None:
            raise _unsupported(node, op, "a projection (proj_size)")
        arrays = recurrent_arrays(
            *[_constant_array(node, v, "weight") for v in (w_ih, w_hh, b_ih, b_hh)], order
        )
        label = node.module or op.lower()
        weights = [g.constant(a[None], f"{label}.{part}") for a, part in zip(arrays, "WRB")]
        sequence = g.input(x)
        if step:
            sequence = g.node("Unsqueeze", [sequence, g.ints([0], "axes")])
        inputs = [sequence, *weights, "", *[_initial_state(g, s) for s in states]]
        attributes = {"hidden_size": states[0].shape[-1]}
        if op == "GRU":
            attributes["linear_before_reset"] = 1
        if op == "RNN":
            attributes["activations"] = [node.options["nonlinearity"].capitalize()]
        outputs = g.node(op, inputs, outputs=count + 1, **attributes)
        finals = [squeeze(g, name, 0) for name in outputs[1:]]
        return finals if step else [squeeze(g, outputs[0], 1), *finals]

    return convert


CONVERTERS = {
    math.Add: _elementwise("Add"),
    math.Sub: _elementwise("Sub"),
    math.Mul: _elementwise("Mul"),
    math.Div: _elementwise("Div"),
    math.Pow: _elementwise("Pow"),
    math.Neg: _elementwise("Neg"),
    math.Exp: _elementwise("Exp"),
    math.Log: _elementwise("Log"),
    math.Sqrt: _elementwise("Sqrt"),
    math.Abs: _elementwise("Abs"),
    math.Maximum: _maximum,
    math.Where: _elementwise("Where"),
    math.MatMul: _elementwise("MatMul"),
    math.Sum: _reduction("ReduceSum"),
    math.Mean: _reduction("ReduceMean"),
    math.Reshape: _reshape,
    math.Permute: _permute,
    math.Cat: _cat,
    math.Stack: _stack,
    math.GetItem: _getitem,
    activation.Identity: _elementwise("Identity"),
    activation.Sigmoid: _elementwise("Sigmoid"),
    activation.Tanh: _elementwise("Tanh"),
    activation.ReLU: _elementwise("Relu"),
    activation.LeakyReLU: _leaky_relu,
    activation.ELU: _elu,
    activation.Softmax: _softmax("Softmax"),
    activation.LogSoftmax: _softmax("LogSoftmax"),
    Linear: _linear,
    conv.Conv2d: _conv2d,
    norm.BatchNorm: _batch_norm,
    norm.LocalResponseNorm: _local_response_norm,
    pool.MaxPool2d: _max_pool,
    pool.AvgPool2d: _avg_pool,
    pool.AdaptiveAvgPool2d: _adaptive_avg_pool,
    Embedding: _embedding,
    **{function: _recurrent(function) for function in RECURRENT},
}
