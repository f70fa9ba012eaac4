"""From two traces to an ONNX graph: values, constants, the symbolic batch, and the nodes.

Every traced tensor becomes a ``Value``. A value computed from the graph inputs is *dynamic*
and gets a name in the graph; any other value — a parameter, a buffer, a number, an array the
model made, or the output of an op whose inputs are all constant — is *constant*: its array
is known, and it enters the graph as an initializer when an op needs it (constant folding, as
``torch.onnx.export`` does by default). An op runs in the graph only when one of its inputs
is dynamic; ``ops.CONVERTERS`` turns it into ONNX nodes through a ``GraphBuilder``.

Two traces, at batch sizes N and N + 1, tell which axes follow the batch: those whose size
differs (``Value.batch_axes``). A constant whose size follows the batch must be one number
repeated (a zero initial state, a border of background pixels); it is built in the graph by
``ConstantOfShape`` from the input's batch size, so the graph runs at any batch size.
"""

import dataclasses

import numpy as np
from onnx import helper, numpy_helper

from ..autograd import Tensor
from ..errors import ChainruleError


class ExportError(ChainruleError, ValueError):
    """The model uses something the exporter cannot express in ONNX (named in the message)."""


@dataclasses.dataclass
class Value:
    """A traced tensor: its ``shape`` and ``dtype`` in the first trace, the axes whose size
    follows the batch, its graph ``name`` (dynamic values), or its arrays in the two traces
    (constants; ``constant_b`` is the second trace's) and a preferred ``label``."""

    shape: tuple
    dtype: np.dtype
    batch_axes: tuple = ()
    name: str = None
    constant: np.ndarray = None
    constant_b: np.ndarray = None
    label: str = None
    version: int = 0  # the tensor's in-place version counter when it was made

    @property
    def is_constant(self):
        return self.name is None


@dataclasses.dataclass
class Node:
    """One op to convert: its input ``Value``s (None for an absent optional input), its
    ``options`` in the first trace and ``options_b`` in the second, its output ``Value``s and
    the module that ran it."""

    inputs: list
    options: dict
    options_b: dict
    outputs: list
    module: str


@dataclasses.dataclass
class Batch:
    """Where the batch size is read in the graph: axis ``axis`` of graph input ``input``, of
    ``sizes`` (N, N + 1) in the two traces."""

    input: str
    axis: int
    sizes: tuple


def _array(tensor):
    return tensor.numpy() if isinstance(tensor, Tensor) else np.asarray(tensor)


class GraphBuilder:
    """Collects nodes and initializers; converters call ``node``, ``input``, ``constant``."""

    def __init__(self, opset, batch, labels, reserved):
        self.opset = opset
        self.labels = labels  # id of a parameter's Tensor or array -> its dotted name
        self.nodes, self.initializers = [], []
        self.batch = batch
        self._counter = 0
        self._names = set(reserved)  # the graph's input and output names
        self._initialized = {}
        self._filled = {}
        self._batch_size = None

    def fresh(self, hint):
        """A name not used yet in the graph, made from ``hint``."""
        base = hint.replace("/", ".") or "value"
        name = base
        while name in self._names:
            self._counter += 1
            name = f"{base}_{self._counter}"
        self._names.add(name)
        return name

    def node(self, op, inputs, outputs=1, **attributes):
        """Add an ONNX node ``op``; ``inputs`` are names ("" for an absent optional input).
        Returns the output name, or a list of names when ``outputs`` is more than one."""
        names = [self.fresh(op.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op, list(inputs), names, **attributes))
        return names[0] if outputs == 1 else names

    def constant(self, array, label="const"):
        """The name of an initializer holding ``array`` (one initializer per array object)."""
        array = np.asarray(array)
        key = id(array)
        if key not in self._initialized:
            name = self.fresh(label)
            self.initializers.append(numpy_helper.from_array(np.array(array, order="C"), name))
            self._initialized[key] = (name, array)  # keep the array alive: ids stay unique
        return self._initialized[key][0]

    def ints(self, values, label="shape"):
        return self.constant(np.asarray(values, dtype=np.int64), label)

    def input(self, value):
        """The graph name of ``value`` (None for an absent input: ""), making an initializer
        of a constant, or a ``ConstantOfShape`` of one that follows the batch."""
        if value is None:
            return ""
        if not value.is_constant:
            return value.name
        if not value.batch_axes:
            return self.constant(value.constant, value.label or "const")
        if id(value) not in self._filled:
            self._filled[id(value)] = (self._batch_filled(value), value)
        return self._filled[id(value)][0]

    def _batch_filled(self, value):
        first = value.constant.reshape(-1)[:1]
        if not (np.all(value.constant == first) and np.all(value.constant_b == first)):
            raise ExportError(
                f"onnx.export: a constant of shape {value.shape} made by the model changes "
                "with the batch size and holds different numbers; only a constant filled with "
                "one number (zeros, a border) can follow the batch"
            )
        return self.node(
            "ConstantOfShape", [self.shape_vector(value)], value=numpy_helper.from_array(first)
        )

    def _dimension(self, value, axis):
        if axis not in value.batch_axes:
            return self.ints([value.shape[axis]])
        sizes = (value.shape[axis], value.constant_b.shape[axis])
        if self.batch is None or sizes != self.batch.sizes:
            raise ExportError(
                f"onnx.export: a constant of shape {value.shape} made by the model has an axis "
                f"of sizes {sizes} at batch sizes {self.batch.sizes}; only the batch size "
                "itself can be read from the input"
            )
        return self.batch_size()

    def batch_size(self):
        """The 1-element int64 tensor [N], read from the first input's shape."""
        if self._batch_size is None:
            shape = self.node("Shape", [self.batch.input])
            self._batch_size = self.node("Gather", [shape, self.ints([self.batch.axis])], axis=0)
        return self._batch_size

    def shape_vector(self, value):
        """``value``'s shape as a 1-D int64 tensor, the batch axes read from the graph."""
        pieces = [self._dimension(value, axis) for axis in range(len(value.shape))]
        return self.node("Concat", pieces, axis=0)


def _batch_axes(shape_a, shape_b):
    if len(shape_a) != len(shape_b):
        raise ExportError(
            f"onnx.export: a tensor has shape {shape_a} at one batch size and {shape_b} at "
            "another; its rank must not depend on the batch size"
        )
    return tuple(i for i, (a, b) in enumerate(zip(shape_a, shape_b)) if a != b)


class Builder:
    """Walks two traces side by side and emits the graph (see the module's docstring)."""

    def __init__(self, converters, labels, opset, batch, reserved):
        self.converters = converters
        self.labels = labels  # id of a parameter's Tensor or array -> its dotted name
        self.graph = GraphBuilder(opset, batch, labels, reserved)
        self.values = {}  # id of a first-trace Tensor -> Value
        self._alive = []  # the traced Tensors, so their ids stay unique

    def bind_input(self, tensor_a, tensor_b, name):
        """Make the traced tensor the graph input ``name``; returns its Value."""
        data = _array(tensor_a)
        value = Value(
            data.shape,
            data.dtype,
            _batch_axes(data.shape, _array(tensor_b).shape),
            name=name,
            version=tensor_a._version,
        )
        self.values[id(tensor_a)] = value
        self._alive.append(tensor_a)
        return value

    def value(self, tensor_a, tensor_b):
        """The Value of a traced input: known, or a constant met for the first time."""
        if tensor_a is None:
            return None
        known = self.values.get(id(tensor_a))
        if known is not None:
            return known
        a, b = _array(tensor_a), _array(tensor_b)
        label = self.labels.get(id(tensor_a)) or self.labels.get(id(tensor_a.data))
        value = Value(a.shape, a.dtype, _batch_axes(a.shape, b.shape), constant=a, constant_b=b)
        value.label = label
        self.values[id(tensor_a)] = value
        self._alive.append(tensor_a)
        return value

    def add(self, event_a, event_b):
        _check_same_op(event_a, event_b)
        inputs = [self.value(a, b) for a, b in zip(event_a.inputs, event_b.inputs)]
        _check_not_changed_in_place(event_a, inputs)
        if all(v is None or v.is_constant for v in inputs):
            for a, b in zip(event_a.outputs, event_b.outputs):
                self.value(a, b)
            return
        outputs = [
            Value(_array(a).shape, _array(a).dtype, _batch_axes(_array(a).shape, _array(b).shape))
            for a, b in zip(event_a.outputs, event_b.outputs)
        ]
        node = Node(inputs, event_a.options, event_b.options, outputs, event_a.module)
        convert = self.converters.get(event_a.function)
        if convert is None:
            where = f" (in module '{event_a.module}')" if event_a.module else ""
            raise ExportError(
                f"onnx.export: no ONNX mapping for the op {event_a.function.__name__}{where}"
            )
        names = convert(self.graph, node)
        names = [names] if isinstance(names, str) else list(names)
        for tensor, value, name in zip(event_a.outputs, outputs, names):
            value.name = name
            self.values[id(tensor)] = value
            self._alive.append(tensor)

    def output(self, tensor_a, tensor_b, name):
        """Make the traced tensor a graph output called ``name`` (through an Identity)."""
        value = self.value(tensor_a, tensor_b)
        source = self.graph.input(value)
        self.graph.nodes.append(helper.make_node("Identity", [source], [name]))
        return value


def _check_not_changed_in_place(event, inputs):
    """In-place ops (``relu_``, ``add_``, …) run outside ``Function.apply`` and are not
    recorded: a graph value whose version counter moved since it was made would be exported
    without the change."""
    for value, version in zip(inputs, event.versions):
        if value is not None and not value.is_constant and value.version != version:
            where = f" in module '{event.module}'" if event.module else ""
            raise ExportError(
                f"onnx.export: a tensor was changed by an in-place op before "
                f"{event.function.__name__}{where}; in-place ops are not traced, use the "
                "out-of-place op (relu for relu_, add for add_, …)"
            )


def _check_same_op(event_a, event_b):
    if event_a.function is not event_b.function:
        raise ExportError(
            f"onnx.export: the model runs {event_a.function.__name__} at one batch size and "
            f"{event_b.function.__name__} at another; its ops must not depend on the batch size"
        )


def value_info(name, value, batch_name="batch"):
    """An ONNX ValueInfo for a graph input or output: its dtype and shape, the batch axes
    symbolic."""
    dims = [batch_name if axis in value.batch_axes else n for axis, n in enumerate(value.shape)]
    element = helper.np_dtype_to_tensor_dtype(np.dtype(value.dtype))
    return helper.make_tensor_value_info(name, element, dims)


def make_model(builder, inputs, outputs, opset):
    """The ONNX ModelProto of ``builder``'s graph with ``inputs`` and ``outputs`` ((name,
    Value) pairs)."""
    graph = helper.make_graph(
        builder.graph.nodes,
        "chainrule",
        [value_info(name, value) for name, value in inputs],
        [value_info(name, value) for name, value in outputs],
        initializer=builder.graph.initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", opset)],
        producer_name="chainrule",
    )
    return model
